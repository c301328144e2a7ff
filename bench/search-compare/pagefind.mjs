// Pagefind's recall on the same title-substring queries as the Rust comparison: serve a
// site indexed by the Pagefind CLI, run every query through pagefind.js (its WebAssembly
// search) in Chromium, and count a query as found when its own document is in the results.
//   QUERIES_OUT=/tmp/q.json cargo run --release --manifest-path bench/search-compare/Cargo.toml -- CORPUS
//   python3 -m pagefind --site SITE --glob "documents/*/index.html"
//   node bench/search-compare/pagefind.mjs SITE /tmp/q.json [EVERY]
// Uses the playwright-core installed for the browser tests (tests/browser).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
const require = createRequire(path.resolve("tests/browser/package.json"));
const { serve, launch } = await import(path.resolve("tests/browser/lib.mjs"));

const [site, queriesFile, every = "1"] = process.argv.slice(2);
// Pagefind answers a Chinese query in about a second here; EVERY takes every n-th query.
const queries = JSON.parse(fs.readFileSync(queriesFile, "utf8")).filter((_, i) => i % Number(every) === 0);
// Pagefind result ids name fragment files; a fragment holds its page's URL.
const urlOf = {};
const fragDir = path.join(site, "pagefind", "fragment");
for (const f of fs.readdirSync(fragDir)) {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(fragDir, f))).toString("utf8").replace(/^pagefind_dcd/, "");
  urlOf[f.replace(/\.pf_fragment$/, "")] = JSON.parse(text).url;
}
const { server, base } = await serve(site);
const browser = await launch();
const page = await browser.newPage();
await page.goto(base + "404.html");
const t0 = Date.now();
const results = await page.evaluate(async (qs) => {
  const pf = await import("/pagefind/pagefind.js");
  await pf.init();
  const out = [];
  for (const { q } of qs) {
    const r = await pf.search(q);
    out.push(r.results.map((x) => x.id));
  }
  return out;
}, queries);
const secs = (Date.now() - t0) / 1000;
let found = 0;
queries.forEach(({ id }, i) => {
  if (results[i].some((rid) => urlOf[rid] === `/documents/${id}/`)) found++;
});
console.log(JSON.stringify({ queries: queries.length, found, recall: found / queries.length, seconds: secs, fragments: Object.keys(urlOf).length }));
await browser.close();
server.close();
