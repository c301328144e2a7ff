// Search scenarios in Debian's Chromium, driven from tests/search.rs.
//
//   node search.mjs SITE_DIR SCENARIOS_JSON
//
// Each scenario: {"url": "search/?q=…"} to load a URL, or {"type": "词", "select": {"validity": "repealed"}}
// to use the form like a reader. Reports, per scenario, the message shown, the hits
// (title, href, validity) and the bytes the page fetched until results appeared.
import { serve, launch, watch, waitForResults, firstHitStatus } from "./lib.mjs";

const [siteDir, scenariosJson] = process.argv.slice(2);
const scenarios = JSON.parse(scenariosJson);
const { server, base } = await serve(siteDir);
const browser = await launch();
const results = [];
try {
  for (const sc of scenarios) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const w = watch(page, "search");
    if (sc.url) {
      await page.goto(base + sc.url);
    } else {
      await page.goto(base + "search/");
      await page.fill("#q", sc.type || "");
      for (const [k, v] of Object.entries(sc.select || {})) await page.selectOption(`[name=${k}]`, v);
      await page.click("#search-form button[type=submit]");
    }
    await waitForResults(page, "search-results", "正在搜索");
    const r = await page.evaluate(() => ({
      message: (document.querySelector("#search-results .search-message") || {}).textContent || null,
      count: (document.querySelector("#search-results .search-count") || {}).textContent || null,
      hits: [...document.querySelectorAll(".search-hit")].map((h) => ({
        title: h.querySelector(".doc-title").textContent,
        href: h.querySelector(".doc-title").getAttribute("href"),
        validity: (h.querySelector(".validity") || {}).textContent || null,
        kind: (h.querySelector(".kind") || {}).textContent || null,
        policy: (h.querySelector(".policy a") || {}).textContent || null,
        marked: !!h.querySelector("mark"),
        excerpt: (h.querySelector(".excerpt") || {}).innerHTML || null,
      })),
      url: location.search,
    }));
    r.first_status = await firstHitStatus(page, r.hits);
    results.push({ ...sc, ...r, bytes: w.bytes, errors: w.errors });
    await ctx.close();
  }
} finally {
  await browser.close();
  server.close();
}
process.stdout.write(JSON.stringify(results, null, 1));
