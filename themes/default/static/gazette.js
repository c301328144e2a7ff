// gazette: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  var KEY = "gazette-elder";
  var root = document.documentElement;
  function set(on) {
    root.classList.toggle("elder", on);
    var b = document.getElementById("elder-toggle");
    if (b) b.setAttribute("aria-pressed", on ? "true" : "false");
  }
  try { if (localStorage.getItem(KEY) === "1") set(true); } catch (e) {}
  // Print every <details> open (FAQ answers, the outline), as a 公文 prints in full.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = [].filter.call(document.querySelectorAll("details:not([open])"), function (d) { d.open = true; return true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  document.addEventListener("DOMContentLoaded", function () {
    var b = document.getElementById("elder-toggle");
    if (!b) return;
    b.hidden = false;
    set(root.classList.contains("elder"));
    b.addEventListener("click", function () {
      var on = !root.classList.contains("elder");
      set(on);
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) {}
    });
  });
})();
