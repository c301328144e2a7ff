// gazette search client: Chinese search over the static index in search/ (see src/search.rs).
// Fetches config.json, then only the index shards of the query's terms and the metadata
// chunks of the results it shows. Terms and keys are computed exactly as the builder does.
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var out = document.getElementById("search-results");
  if (!form || !out || !window.fetch) return;
  var root = form.getAttribute("data-root") || "../";
  var base = root + "search/";
  var cache = {};
  var PAGE = 10;
  var A = 0x811c9dc5, B = 0x01293847;

  function get(path) {
    if (!cache[path]) {
      cache[path] = fetch(base + path).then(function (r) {
        if (!r.ok) throw new Error(path + ": " + r.status);
        return r.json();
      });
    }
    return cache[path];
  }
  var enc = new TextEncoder();
  function fnv(s, h) {
    var b = enc.encode(s);
    for (var i = 0; i < b.length; i++) { h ^= b[i]; h = Math.imul(h, 0x01000193) >>> 0; }
    return h >>> 0;
  }
  function hex(n) { return ("00000000" + n.toString(16)).slice(-8); }
  function key(t) { return hex(fnv(t, A)) + hex(fnv(t, B)); }
  function isCjk(c) {
    var n = c.codePointAt(0);
    return (n >= 0x2E80 && n <= 0x2FDF) || (n >= 0x3000 && n <= 0x303F) || (n >= 0x3040 && n <= 0x30FF) ||
      (n >= 0x3100 && n <= 0x312F) || (n >= 0x31A0 && n <= 0x31FF) || (n >= 0x3200 && n <= 0x33FF) ||
      (n >= 0x3400 && n <= 0x4DBF) || (n >= 0x4E00 && n <= 0x9FFF) || (n >= 0xF900 && n <= 0xFAFF) ||
      (n >= 0xFE30 && n <= 0xFE4F) || (n >= 0xFF00 && n <= 0xFFEF) || (n >= 0x20000 && n <= 0x2FA1F);
  }
  var ALNUM = /[\p{L}\p{N}]/u;
  // Same rule as search::terms: bigrams of Chinese runs, whole lowercase ASCII tokens.
  // Title and quotation marks readers leave out: bigrams span them (search.rs TRANSPARENT).
  var TRANSPARENT = "《》〈〉“”‘’「」『』·";
  function terms(text) {
    var out = [], han = [], word = "";
    function flushHan() {
      if (han.length === 1) out.push(han[0]);
      for (var i = 0; i + 1 < han.length; i++) out.push(han[i] + han[i + 1]);
      han = [];
    }
    for (var ch of text) {
      if (isCjk(ch) && ALNUM.test(ch)) { if (word) { out.push(word); word = ""; } han.push(ch); }
      else if (/[A-Za-z0-9]/.test(ch)) { flushHan(); word += ch.toLowerCase(); }
      else if (TRANSPARENT.indexOf(ch) >= 0 && !word) { continue; }
      else { flushHan(); if (word) { out.push(word); word = ""; } }
    }
    flushHan();
    if (word) out.push(word);
    return out.filter(function (t, i) { return out.indexOf(t) === i; });
  }
  // Same rule as docnum::canonical: 代字〔年〕序号号 in any bracket form.
  function canonNumber(q) {
    var s = q.replace(/\s+/g, "").replace(/號/g, "号");
    var m = s.match(/^(.+?)[〔\[［(（【﹝](\d{4})[〕\]］)）】﹞]0*(\d+)号$/);
    if (m) return m[1] + "〔" + m[2] + "〕" + m[3] + "号";
    m = s.match(/^(.*令)第0*(\d+)号$/);
    if (m) return m[1] + "第" + m[2] + "号";
    return s;
  }
  function decode(d) { var v = [], x = 0; for (var i = 0; i < d.length; i++) { x += d[i]; v.push(x); } return v; }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function highlight(text, q) {
    var raw = q.split(/\s+/).filter(Boolean);
    // The whole words first, then their Chinese bigrams, so 营商环境 marks 营商 in 营商主体 too.
    raw.slice().forEach(function (w) { terms(w).forEach(function (t) { if (t.length > 1 && raw.indexOf(t) < 0) raw.push(t); }); });
    var words = raw.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    var h = esc(text);
    if (!words.length) return h;
    var re = new RegExp("(" + words.map(esc).join("|") + ")", "gi");
    return h.replace(re, "<mark>$1</mark>");
  }
  // The passages of `text` around the query's words (or its bigrams, for Chinese typed
  // without spaces): up to two, ~50 characters either side, joined by "…".
  function snippet(text, q) {
    if (!text) return null;
    var words = q.split(/\s+/).filter(Boolean);
    var lower = text.toLowerCase();
    var find = function (list) {
      var hits = [];
      list.forEach(function (w) { var i = lower.indexOf(w.toLowerCase()); if (i >= 0) hits.push(i); });
      return hits;
    };
    // Where the words typed appear whole; else where their bigrams do.
    var hits = find(words);
    if (!hits.length) {
      var grams = [];
      words.forEach(function (w) { terms(w).forEach(function (t) { if (t.length > 1 && grams.indexOf(t) < 0) grams.push(t); }); });
      hits = find(grams);
    }
    if (!hits.length) return null;
    hits.sort(function (a, b) { return a - b; });
    var spans = [];
    hits.forEach(function (i) {
      var a = Math.max(0, i - 50), b = Math.min(text.length, i + 70);
      var last = spans[spans.length - 1];
      if (last && a <= last[1]) last[1] = Math.max(last[1], b); else spans.push([a, b]);
    });
    return spans.slice(0, 2).map(function (s) { return (s[0] > 0 ? "…" : "") + text.slice(s[0], s[1]); }).join(" ") + (spans[Math.min(spans.length, 2) - 1][1] < text.length ? "…" : "");
  }
  function filters() {
    var f = {};
    ["organ", "year", "type", "topic", "validity"].forEach(function (k) { var el = form.elements[k]; if (el && el.value) f[k] = el.value; });
    // 需求侧标签: one select per dimension, named after it (?适用对象=企业).
    Array.prototype.forEach.call(form.querySelectorAll("select[data-facet=tag]"), function (s) { if (s.value) f[s.name] = s.value; });
    return f;
  }
  function isTag(k) {
    var el = form.elements[k];
    return !!(el && el.getAttribute && el.getAttribute("data-facet") === "tag");
  }

  function run(q, f, shown) {
    return get("config.json").then(function (cfg) {
      var hasFilter = Object.keys(f).length > 0;
      if (!q && !hasFilter) return { message: "请输入要搜索的关键词，如文件标题中的词语或发文字号。" };
      var ts = terms(q);
      var canon = canonNumber(q);
      var numShard = fnv(canon, A) % cfg.num_shards;
      var shardIds = {};
      ts.forEach(function (t) { shardIds[fnv(t, A) % cfg.shards] = true; });
      var loads = Object.keys(shardIds).map(function (s) { return get("idx/" + s + ".json"); });
      var fields = {};
      Object.keys(f).forEach(function (k) { fields[isTag(k) ? "tag" : k] = true; });
      var facetLoads = Object.keys(fields).map(function (k) { return get("facets/" + k + ".json").then(function (v) { return [k, v]; }); });
      return Promise.all([Promise.all(loads), q ? get("num/" + numShard + ".json") : Promise.resolve({}), Promise.all(facetLoads)])
        .then(function (r) {
          var shards = {}; r[0].forEach(function (m) { Object.assign(shards, m); });
          var exact = (r[1] && r[1][canon]) || (r[1] && r[1][q.trim()]) || [];
          var score = {};
          if (q && ts.length) {
            var sets = ts.map(function (t) {
              var p = shards[key(t)];
              var s = {};
              if (p) { decode(p[0]).forEach(function (n) { s[n] = (s[n] || 0) + 10; }); decode(p[1]).forEach(function (n) { s[n] = (s[n] || 0) + 1; }); }
              return s;
            });
            Object.keys(sets[0]).forEach(function (n) {
              var total = 0;
              for (var i = 0; i < sets.length; i++) { if (!(n in sets[i])) return; total += sets[i][n]; }
              score[n] = total;
            });
          } else if (!q) {
            for (var n = 0; n < cfg.count; n++) score[n] = 0;
          }
          exact.forEach(function (n) { score[n] = (score[n] || 0) + 1000; });
          var ids = Object.keys(score).map(Number);
          if (hasFilter) {
            var fc = {}; r[2].forEach(function (x) { fc[x[0]] = x[1]; });
            var validityIx = cfg.validity.map(function (v) { return v[0]; }).indexOf(f.validity);
            ids = ids.filter(function (n) {
              if (f.organ && fc.organ[n].indexOf(cfg.organs.indexOf(f.organ)) < 0) return false;
              if (f.year && String(fc.year[n]) !== f.year) return false;
              if (f.type && fc.type[n] !== cfg.types.indexOf(f.type)) return false;
              if (f.topic && fc.topic[n].indexOf(cfg.topics.indexOf(f.topic)) < 0) return false;
              if (f.validity && fc.validity[n] !== validityIx) return false;
              for (var k in f) if (isTag(k) && fc.tag[n].indexOf(cfg.tags.indexOf(f[k])) < 0) return false;
              return true;
            });
          }
          // Equal scores: the higher number first (items are numbered oldest first).
          ids.sort(function (a, b) { return score[b] - score[a] || b - a; });
          var page = ids.slice(0, shown);
          var chunks = {};
          page.forEach(function (n) { chunks[Math.floor(n / cfg.meta_chunk)] = true; });
          return Promise.all(Object.keys(chunks).map(function (k) { return get("meta/" + k + ".json").then(function (m) { return [Number(k), m]; }); }))
            .then(function (r2) {
              var meta = {}; r2.forEach(function (x) { meta[x[0]] = x[1]; });
              var rows = page.map(function (n) { return meta[Math.floor(n / cfg.meta_chunk)][n % cfg.meta_chunk].slice(); });
              // The text of the shown results only (named in their metadata): the passages that matched.
              var texts = q ? rows.map(function (m) { return get("text/" + m[11] + ".json").catch(function () { return ""; }); }) : [];
              return Promise.all(texts).then(function (t) {
                return { total: ids.length, items: rows.map(function (m, i) {
                  var snip = q ? snippet(t[i] || "", q) : null;
                  if (snip) m[8] = snip;
                  return m;
                }) };
              });
            });
        });
    });
  }

  function render(q, res, shown) {
    if (res.message) { out.innerHTML = '<p class="search-message">' + esc(res.message) + "</p>"; return; }
    if (!res.total) {
      out.innerHTML = '<p class="search-message">未找到' + (q ? "与“" + esc(q) + "”" : "符合条件的") + '相关的结果。请换用其他关键词，或<a href="' + root + 'browse/index.html">分类浏览</a>。</p>';
      return;
    }
    var h = '<p class="search-count">找到 ' + res.total + " 条结果</p><ol class=\"search-list\">";
    res.items.forEach(function (m) {
      // [title, url, number, issuer, date, validity, validity_slug, kind, excerpt, policy_title, policy_url, text name]
      h += '<li class="search-hit"><a class="doc-title" href="' + esc(root + m[1]) + '">' + highlight(m[0], q) + "</a>";
      h += '<span class="doc-meta"><span class="kind">' + esc(m[7]) + "</span>";
      if (m[2]) h += '<span class="doc-number">' + esc(m[2]) + "</span>";
      if (m[3]) h += '<span class="doc-issuer">' + esc(m[3]) + "</span>";
      if (m[4]) h += "<time>" + esc(m[4]) + "</time>";
      if (m[5]) h += '<span class="validity validity-' + esc(m[6]) + '">' + esc(m[5]) + "</span>";
      h += "</span>";
      if (m[9]) h += '<span class="policy">相关政策：<a href="' + esc(root + m[10]) + '">' + esc(m[9]) + "</a></span>";
      if (m[8]) h += '<p class="excerpt">' + highlight(m[8], q) + (/…$/.test(m[8]) ? "" : "…") + "</p>";
      h += "</li>";
    });
    h += "</ol>";
    if (res.total > shown) h += '<button type="button" id="search-more" class="search-more">显示更多结果</button>';
    out.innerHTML = h;
    var more = document.getElementById("search-more");
    if (more) more.addEventListener("click", function () { go(shown + PAGE); });
  }

  function go(shown) {
    var q = form.elements.q.value.trim();
    var f = filters();
    var params = new URLSearchParams();
    if (q) params.set("q", q);
    Object.keys(f).forEach(function (k) { params.set(k, f[k]); });
    history.replaceState(null, "", "?" + params.toString());
    out.innerHTML = '<p class="search-message">正在搜索…</p>';
    run(q, f, shown).then(function (res) { render(q, res, shown); }, function (e) {
      out.innerHTML = '<p class="search-message">搜索暂时不可用（' + esc(e.message) + "）。</p>";
    });
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); go(PAGE); });
  var params = new URLSearchParams(location.search);
  params.forEach(function (v, k) { if (form.elements[k]) form.elements[k].value = v; });
  if (params.toString()) go(PAGE);
})();
