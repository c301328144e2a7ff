// Browser checks for gazette pages, driven from tests/browser.rs.
//
//   node check.mjs SITE_DIR ARTIFACT_DIR PAGE...
//
// Serves SITE_DIR over a real HTTP server on 127.0.0.1, opens each PAGE (a site path such
// as `documents/x/`) in Debian's Chromium through playwright-core, runs axe-core, takes
// screenshots at 375 px and 1280 px, and probes keyboard use, the 适老化 switch and
// JavaScript-free reading. Prints one JSON report on stdout; the Rust test asserts on it.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { serve, launch } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [siteDir, artifactDir, ...pages] = process.argv.slice(2);

const { server, base } = await serve(siteDir);
const browser = await launch();
const report = { base, pages: [], keyboard: null, elder: null, nojs: null };
fs.mkdirSync(artifactDir, { recursive: true });
try {
  for (const p of pages) {
    const entry = { path: p, axe: [], screenshots: [], errors: [], csp: [] };
    for (const width of [375, 1280]) {
      // At 1280 axe is injected as an inline script, which the site's CSP rightly blocks:
      // that pass bypasses the CSP; the 375 pass runs under it and records any violation.
      const ctx = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: width === 1280 });
      const page = await ctx.newPage();
      page.on("pageerror", (e) => entry.errors.push(String(e)));
      page.on("console", (m) => { if (/Content.Security.Policy/i.test(m.text())) entry.csp.push(m.text()); });
      const resp = await page.goto(base + p, { waitUntil: "load" });
      entry.status = resp.status();
      entry.csp_header = resp.headers()["content-security-policy"] || "";
      const shot = path.join(artifactDir, `${p.replace(/[\/]+/g, "_") || "home"}-${width}.png`);
      await page.screenshot({ path: shot, fullPage: false });
      entry.screenshots.push(shot);
      if (width === 1280) {
        await page.addScriptTag({ content: AXE });
        const res = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
        entry.axe = res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
        entry.overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      } else {
        entry.overflow_mobile = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      }
      await ctx.close();
    }
    report.pages.push(entry);
  }
  // Keyboard only: Tab from the top of a document page must reach the skip link, the search
  // link and the 办 button, with a visible focus indicator.
  const doc = pages.find((p) => p.startsWith("documents/") && p !== "documents/");
  if (doc) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base + doc);
    const seen = [];
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press("Tab");
      seen.push(await page.evaluate(() => {
        const a = document.activeElement;
        const s = getComputedStyle(a);
        return { tag: a.tagName, text: (a.textContent || "").trim().slice(0, 40), cls: a.className || "", href: a.getAttribute("href") || "", outline: s.outlineStyle !== "none" && s.outlineWidth !== "0px" };
      }));
    }
    report.keyboard = seen;
    await ctx.close();
  }
  // 适老化: the switch appears with JS, toggles larger text, and is remembered.
  {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base + (doc || ""));
    const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    const before = await size();
    await page.click("#elder-toggle");
    const after = await size();
    await page.reload();
    const remembered = await page.evaluate(() => document.documentElement.classList.contains("elder"));
    const pressed = await page.getAttribute("#elder-toggle", "aria-pressed");
    report.elder = { before, after, remembered, pressed };
    await ctx.close();
  }
  // Without JavaScript the page is readable and the FAQ opens.
  if (doc) {
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 375, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(base + doc);
    const h1 = await page.textContent("h1");
    let faqOpened = null;
    if (await page.$(".faq summary")) {
      await page.click(".faq summary");
      faqOpened = await page.evaluate(() => document.querySelector(".faq details").open);
    }
    const toggleHidden = await page.evaluate(() => document.getElementById("elder-toggle").hidden);
    report.nojs = { h1, faqOpened, toggleHidden };
    await ctx.close();
  }
} finally {
  await browser.close();
  server.close();
}
process.stdout.write(JSON.stringify(report, null, 1));
