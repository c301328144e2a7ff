// Live reload in Chromium, driven from tests/serve.rs:
//   node reload.mjs PAGE_URL FILE GOOD_TEXT BROKEN_TEXT EXPECT
// Opens the page served by `gazette serve --watch`, rewrites FILE with GOOD_TEXT and waits
// for the page to reload by itself showing EXPECT; then writes BROKEN_TEXT and waits for
// the error overlay. Prints a JSON report.
import fs from "node:fs";
import { launch } from "./lib.mjs";

const [url, file, good, broken, expect] = process.argv.slice(2);
const browser = await launch();
const report = {};
try {
  const page = await browser.newPage();
  await page.goto(url, { timeout: 15000 });
  await page.evaluate(() => { window.__gazetteMark = 1; });
  // Save only once the event stream is connected (the server's greeting arrived).
  await page.waitForFunction(() => document.documentElement.dataset.gazetteLive === "1", null, { timeout: 20000 });
  fs.writeFileSync(file, good);
  await page.waitForFunction((t) => !window.__gazetteMark && document.body.textContent.includes(t), expect, { timeout: 20000 });
  report.reloaded = true;
  await page.waitForFunction(() => document.documentElement.dataset.gazetteLive === "1", null, { timeout: 20000 });
  fs.writeFileSync(file, broken);
  await page.waitForSelector("#gazette-overlay", { timeout: 20000 });
  report.overlay = await page.textContent("#gazette-overlay");
  report.still_shows = await page.evaluate((t) => document.body.textContent.includes(t), expect);
} catch (e) {
  report.error = String(e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report));
