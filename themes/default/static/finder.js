// gazette 政策找人 client: the static finder index in finder/ (see src/stages/finder.rs).
// Fetches config.json, one posting list per value picked, and the metadata chunks of the
// policies it shows. finder/?适用对象=企业&行业=制造业 runs that query on load.
(function () {
  "use strict";
  var form = document.getElementById("finder-form");
  var out = document.getElementById("finder-results");
  if (!form || !out || !window.fetch || !window.URLSearchParams) return;
  form.hidden = false; // without JavaScript the page offers the tag links only
  var root = form.getAttribute("data-root") || "../";
  var base = root + "finder/";
  var cache = {};
  var PAGE = 20;

  function get(path) {
    if (!cache[path]) {
      cache[path] = fetch(base + path).then(function (r) {
        if (!r.ok) throw new Error(path + ": " + r.status);
        return r.json();
      });
    }
    return cache[path];
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  // Posting lists are ascending positions written as deltas.
  function decode(d) {
    var out = [], n = 0;
    for (var i = 0; i < d.length; i++) { n += d[i]; out.push(n); }
    return out;
  }
  function picked() {
    var p = {};
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) { if (s.value) p[s.name] = s.value; });
    return p;
  }

  function run(p, all, shown) {
    return get("config.json").then(function (cfg) {
      var values = Object.keys(p).map(function (k) { return p[k]; });
      var files = values.map(function (v) { return cfg.values[v]; });
      if (files.some(function (f) { return f === undefined; })) return { total: 0, items: [] };
      return Promise.all(files.map(function (f) { return get("t/" + f + ".json"); })).then(function (lists) {
        var ids;
        if (!lists.length) {
          ids = [];
          for (var n = 0; n < cfg.count; n++) ids.push(n);
        } else {
          var sets = lists.map(decode);
          sets.sort(function (a, b) { return a.length - b.length; });
          var others = sets.slice(1).map(function (s) { return new Set(s); });
          ids = sets[0].filter(function (n) { return others.every(function (o) { return o.has(n); }); });
        }
        // Positions count oldest first: shown from the last. Those below cfg.older are
        // repealed or expired, shown only when asked for, after the policies in force.
        ids.reverse();
        var older = ids.filter(function (n) { return n < cfg.older; }).length;
        if (!all) ids = ids.filter(function (n) { return n >= cfg.older; });
        var page = ids.slice(0, shown);
        var chunks = {};
        page.forEach(function (n) { chunks[Math.floor(n / cfg.chunk)] = true; });
        return Promise.all(Object.keys(chunks).map(function (k) {
          return get("meta/" + k + ".json").then(function (m) { return [Number(k), m]; });
        })).then(function (ms) {
          var meta = {};
          ms.forEach(function (x) { meta[x[0]] = x[1]; });
          return {
            total: ids.length,
            older: all ? 0 : older,
            items: page.map(function (n) { return meta[Math.floor(n / cfg.chunk)][n % cfg.chunk]; }),
          };
        });
      });
    });
  }

  function render(res, shown) {
    if (!res.total) {
      out.innerHTML = '<p class="search-message">没有找到符合条件的现行政策。' +
        (res.older ? "勾选“也列出已废止、已失效的文件”可查看 " + res.older + " 件历史文件。" : "请减少条件再试。") + "</p>";
      return;
    }
    var h = '<p class="search-count">找到 ' + res.total + " 件政策" +
      (res.older ? "（另有 " + res.older + " 件已废止或已失效）" : "") + '</p><ol class="search-list finder-list">';
    res.items.forEach(function (m) {
      // [title, url, number, issuer, date, validity, validity_slug, services [[name, url]], interpretations [[title, url]], tags]
      h += '<li class="search-hit"><a class="doc-title" href="' + esc(root + m[1]) + '">' + esc(m[0]) + "</a>";
      h += '<span class="doc-meta">';
      if (m[2]) h += '<span class="doc-number">' + esc(m[2]) + "</span>";
      if (m[3]) h += '<span class="doc-issuer">' + esc(m[3]) + "</span>";
      if (m[4]) h += '<time datetime="' + esc(m[4]) + '">' + esc(m[4]) + "</time>";
      if (m[5]) h += '<span class="validity validity-' + esc(m[6]) + '">' + esc(m[5]) + "</span>";
      h += "</span>";
      if (m[7] && m[7].length) {
        h += '<span class="row-services">';
        m[7].forEach(function (s) {
          h += '<a class="ban ban-small" href="' + esc(s[1]) + '" rel="noopener"><span class="ban-mark" aria-hidden="true">办</span><span class="ban-text">' + esc(s[0]) + "</span></a>";
        });
        h += "</span>";
      }
      if (m[8] && m[8].length) {
        h += '<span class="policy">政策解读：';
        h += m[8].map(function (j) { return '<a href="' + esc(root + j[1]) + '">' + esc(j[0]) + "</a>"; }).join("、");
        h += "</span>";
      }
      h += "</li>";
    });
    h += "</ol>";
    if (res.total > shown) h += '<button type="button" id="finder-more" class="search-more">显示更多</button>';
    out.innerHTML = h;
    var more = document.getElementById("finder-more");
    if (more) more.addEventListener("click", function () { go(shown + PAGE); });
  }

  function go(shown) {
    var p = picked();
    var all = form.elements.all && form.elements.all.checked;
    var params = new URLSearchParams();
    Object.keys(p).forEach(function (k) { params.set(k, p[k]); });
    if (all) params.set("all", "1");
    history.replaceState(null, "", params.toString() ? "?" + params.toString() : location.pathname);
    out.innerHTML = '<p class="search-message">正在查找…</p>';
    run(p, all, shown).then(function (res) { render(res, shown); }, function (e) {
      out.innerHTML = '<p class="search-message">政策找人暂时不可用（' + esc(e.message) + "）。</p>";
    });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); go(PAGE); });
  var params = new URLSearchParams(location.search);
  var any = false;
  params.forEach(function (v, k) {
    var el = form.elements[k];
    if (!el) return;
    if (el.type === "checkbox") el.checked = v === "1";
    else { el.value = v; any = any || !!el.value; }
  });
  if (any) go(PAGE);
})();
