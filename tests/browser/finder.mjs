// 政策找人 in Debian's Chromium, driven from tests/finder_browser.rs.
//
//   node finder.mjs SITE_DIR SCENARIOS_JSON
//
// Each scenario: {"url": "finder/?适用对象=企业"} to load a shared URL, or
// {"pick": {"适用对象": "企业"}, "all": true} to use the form like a reader, or
// {"url": "finder/", "nojs": true} to look at the page without JavaScript. Reports the
// hits (title, href, validity, 办 links, 解读 links), the message, the URL's query, and the
// bytes fetched from finder/ until results appeared.
import { serve, launch, watch, waitForResults, firstHitStatus } from "./lib.mjs";

const [siteDir, scenariosJson] = process.argv.slice(2);
const scenarios = JSON.parse(scenariosJson);
const { server, base } = await serve(siteDir);
const browser = await launch();
const results = [];
try {
  for (const sc of scenarios) {
    const ctx = await browser.newContext({ javaScriptEnabled: !sc.nojs });
    const page = await ctx.newPage();
    const w = watch(page, "finder");
    await page.goto(base + (sc.url || "finder/"));
    if (sc.nojs) {
      const r = await page.evaluate(() => ({
        formVisible: !!document.getElementById("finder-form") && !document.getElementById("finder-form").hidden,
        tagLinks: [...document.querySelectorAll(".finder-browse a")].map((a) => a.getAttribute("href")),
      }));
      results.push({ ...sc, ...r, errors: w.errors });
      await ctx.close();
      continue;
    }
    if (sc.pick) {
      for (const [k, v] of Object.entries(sc.pick)) await page.selectOption(`select[name="${k}"]`, v);
      if (sc.all) await page.check("#f-all");
      await page.click("#finder-form button[type=submit]");
    }
    await waitForResults(page, "finder-results", "正在查找");
    const r = await page.evaluate(() => ({
      formVisible: !document.getElementById("finder-form").hidden,
      message: (document.querySelector("#finder-results .search-message") || {}).textContent || null,
      count: (document.querySelector("#finder-results .search-count") || {}).textContent || null,
      hits: [...document.querySelectorAll("#finder-results .search-hit")].map((h) => ({
        title: h.querySelector(".doc-title").textContent,
        href: h.querySelector(".doc-title").getAttribute("href"),
        validity: (h.querySelector(".validity") || {}).textContent || null,
        ban: [...h.querySelectorAll("a.ban")].map((a) => a.getAttribute("href")),
        interpretations: [...h.querySelectorAll(".policy a")].map((a) => a.textContent),
      })),
      query: decodeURIComponent(location.search),
      selected: [...document.querySelectorAll("#finder-form select")].map((s) => [s.name, s.value]),
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
