// The citizen's view (issue 19) in Debian's Chromium, driven from tests/citizen_view.rs:
// the home search box, search filter labels on a phone, where a long document's text
// starts on a phone, listing values that must not break, print (FAQ open, web-only parts
// hidden, the 红头), the footer on a phone, the whole-issue view. Screenshots at 375 and
// 1280 px go to ARTIFACT_DIR.
//
//   node citizen.mjs SITE_DIR ARTIFACT_DIR LONG_DOC FAQ_DOC ISSUE
import fs from "node:fs";
import path from "node:path";
import { serve, launch } from "./lib.mjs";

const [siteDir, artifactDir, longDoc, faqDoc, issue] = process.argv.slice(2);
fs.mkdirSync(artifactDir, { recursive: true });
const { server, base } = await serve(siteDir);
const browser = await launch();
const out = { errors: [] };
const open = async (url, opts = {}) => {
  const ctx = await browser.newContext({ viewport: { width: opts.width || 1280, height: opts.height || 900 }, javaScriptEnabled: opts.js !== false });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => out.errors.push(String(e)));
  await page.goto(base + url, { waitUntil: "load" });
  return { ctx, page };
};
const shot = async (page, name) => page.screenshot({ path: path.join(artifactDir, name + ".png"), fullPage: false });
try {
  // 1. The home page's search box: without JavaScript it goes to search/?q=.
  for (const width of [375, 1280]) {
    const { ctx, page } = await open("", { width });
    await shot(page, `home-${width}`);
    await ctx.close();
  }
  {
    const { ctx, page } = await open("", { js: false });
    out.home_box = !!(await page.$("form.home-search input[name=q]"));
    await page.fill("form.home-search input[name=q]", "政务公开");
    await Promise.all([page.waitForNavigation(), page.click("form.home-search button[type=submit]")]);
    out.home_target = new URL(page.url()).pathname + decodeURIComponent(new URL(page.url()).search);
    await ctx.close();
  }
  // 2. Search filters at 375: each label sits right above its own control.
  {
    const { ctx, page } = await open("search/", { width: 375 });
    out.labels = await page.evaluate(() => [...document.querySelectorAll(".search-filters label[for]")].map((l) => {
      const c = document.getElementById(l.getAttribute("for"));
      const a = l.getBoundingClientRect(), b = c.getBoundingClientRect();
      return { label: l.textContent, above: a.bottom <= b.top + 2 && b.top - a.bottom < 12, aligned: Math.abs(a.left - b.left) < 4, oneLine: l.getClientRects().length === 1 && a.height < 40 };
    }));
    await shot(page, "search-375");
    await ctx.close();
  }
  // 3. A long document on a 375×667 phone: where its text starts; the outline collapsed,
  //    without numbers of its own.
  for (const width of [375, 1280]) {
    const { ctx, page } = await open(longDoc, { width, height: width === 375 ? 667 : 900 });
    const r = await page.evaluate(() => {
      const first = document.querySelector(".doc-body > p, .doc-body > h2");
      const toc = document.querySelector(".toc details");
      const list = document.querySelector(".toc ul");
      return {
        firstTop: first ? first.getBoundingClientRect().top + window.scrollY : null,
        tocOpen: toc ? toc.open : null,
        tocNumbered: list ? getComputedStyle(list).listStyleType !== "none" : null,
        overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      };
    });
    out[`doc_${width}`] = r;
    await shot(page, `document-${width}`);
    await ctx.close();
  }
  // 4. The 规范性文件库: no 发文字号, date or status breaks inside at 1280; at 375 every
  //    column shows, without a side-scroll.
  for (const width of [1280, 375]) {
    const { ctx, page } = await open("normative/", { width });
    out[`normative_${width}`] = await page.evaluate(() => {
      const cells = [...document.querySelectorAll(".normative-table .nowrap, .normative-table th")];
      const lh = (e) => parseFloat(getComputedStyle(e).lineHeight) || 28;
      return {
        rows: document.querySelectorAll(".normative-table tbody tr").length,
        broken: cells.filter((e) => { const r = e.getBoundingClientRect(); const pad = parseFloat(getComputedStyle(e).paddingTop) + parseFloat(getComputedStyle(e).paddingBottom); return r.height - pad > lh(e) * 1.5; }).map((e) => e.textContent),
        hidden: [...document.querySelectorAll(".normative-table td")].filter((e) => e.getBoundingClientRect().width === 0 || e.getBoundingClientRect().right > window.innerWidth + 1).length,
        overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
      };
    });
    await shot(page, `normative-${width}`);
    await ctx.close();
  }
  // 5. Print: FAQ answers open, web-only parts hidden, the 红头 in red.
  {
    const { ctx, page } = await open(faqDoc);
    await page.emulateMedia({ media: "print" });
    out.print = await page.evaluate(() => {
      const vis = (sel) => [...document.querySelectorAll(sel)].some((e) => e.getBoundingClientRect().height > 0);
      const red = document.querySelector(".print-redhead");
      return {
        answers: [...document.querySelectorAll(".faq .answer")].map((a) => a.getBoundingClientRect().height > 0),
        webOnly: Object.fromEntries([".services", ".doc-tags", ".cited-by", ".in-topics", ".translations", ".relations", ".site-nav", ".toc"].map((s) => [s, vis(s)])),
        redhead: red ? { shown: red.getBoundingClientRect().height > 0, color: getComputedStyle(red.querySelector(".redhead-organ")).color, text: red.textContent } : null,
        body: vis(".doc-body p"),
      };
    });
    await page.pdf({ path: path.join(artifactDir, "document-print.pdf"), format: "A4" });
    await ctx.close();
  }
  // 6. The footer at 375: no label breaks.
  {
    const { ctx, page } = await open("", { width: 375 });
    // A label's text on more than one line: its text's boxes start at different heights.
    out.footer = await page.evaluate(() => [...document.querySelectorAll(".site-ids dt")].filter((d) => {
      const r = document.createRange();
      r.selectNodeContents(d);
      return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size > 1;
    }).map((d) => d.textContent));
    await ctx.close();
  }
  // 7. The whole issue: every article of the 目录, each anchor there.
  for (const width of [375, 1280]) {
    const { ctx, page } = await open(issue + "all/", { width });
    out[`issue_${width}`] = await page.evaluate(() => ({
      h1: document.querySelector("h1").textContent,
      toc: [...document.querySelectorAll(".issue-toc a")].map((a) => [a.textContent, !!document.getElementById(a.getAttribute("href").slice(1))]),
      articles: [...document.querySelectorAll(".issue-article .article-title")].map((h) => h.textContent),
      bodies: [...document.querySelectorAll(".issue-article .doc-body")].map((b) => b.textContent.trim().length),
      overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
    }));
    await shot(page, `issue-all-${width}`);
    await ctx.close();
  }
  {
    // The whole issue prints as one document: its 目录, then each article on a new page.
    const { ctx, page } = await open(issue + "all/");
    await page.emulateMedia({ media: "print" });
    out.issue_print = await page.evaluate(() => ({
      toc: document.querySelector(".issue-toc").getBoundingClientRect().height > 0,
      breaks: [...document.querySelectorAll(".issue-article")].map((a) => getComputedStyle(a).breakBefore),
      nav: document.querySelector(".site-nav").getBoundingClientRect().height,
    }));
    await page.pdf({ path: path.join(artifactDir, "issue-all-print.pdf"), format: "A4" });
    await ctx.close();
  }
  {
    const { ctx, page } = await open(issue);
    out.issue_page = await page.evaluate(() => ({ h1: document.querySelector("h1").textContent, whole: !!document.querySelector(".read-whole a") }));
    await ctx.close();
  }
} finally {
  await browser.close();
  server.close();
}
process.stdout.write(JSON.stringify(out, null, 1));
