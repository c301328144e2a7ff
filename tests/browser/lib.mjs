// Shared by the browser scripts: a static HTTP server for a built site on 127.0.0.1, and
// Debian's Chromium launched the way this machine's closed network needs.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".xml": "application/xml", ".json": "application/json", ".pdf": "application/pdf", ".png": "image/png" };

/** The site's `_headers` file (Netlify format) as [{prefix, headers}], so pages are tested
 * under the security headers a host would send, the CSP included. */
function readHeaders(root) {
  const rules = [];
  let text = "";
  try { text = fs.readFileSync(path.join(root, "_headers"), "utf8"); } catch { return rules; }
  for (const line of text.split("\n")) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    if (!/^\s/.test(line)) { rules.push({ prefix: line.trim().replace(/\*$/, ""), headers: {} }); continue; }
    const i = line.indexOf(":");
    if (rules.length && i > 0) rules[rules.length - 1].headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return rules;
}

/** Serve `root` like a static host: folders → index.html, 404 otherwise, with the headers of
 * its `_headers` file. Resolves to {server, base}. */
export function serve(root) {
  const rules = readHeaders(root);
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, "http://x").pathname);
    for (const r of rules) if (p.startsWith(r.prefix)) for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v);
    if (p.includes("..")) { res.writeHead(400).end(); return; }
    let file = path.join(root, p);
    if (p.endsWith("/")) file = path.join(file, "index.html");
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { "Content-Type": "text/plain" }).end("not found"); return; }
      res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] || "application/octet-stream" }).end(data);
    });
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, base: `http://127.0.0.1:${server.address().port}/` })));
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Record a page's script errors and the bytes of the JSON it fetches under `/<dir>/`. */
export function watch(page, dir) {
  const w = { errors: [], bytes: 0 };
  page.on("pageerror", (e) => w.errors.push(String(e)));
  page.on("response", async (r) => {
    try { if (r.url().includes(`/${dir}/`) && r.url().endsWith(".json")) w.bytes += (await r.body()).length; } catch (e) {}
  });
  return w;
}

/** Wait until the results box `#<id>` shows hits or a message other than `busy`. */
export function waitForResults(page, id, busy) {
  return page.waitForFunction(([id, busy]) => {
    const o = document.getElementById(id);
    return o && (o.querySelector(".search-hit") || (o.querySelector(".search-message") && !o.textContent.includes(busy)));
  }, [id, busy], { timeout: 15000 });
}

/** A result link must lead to a real page: the status of the first hit's page. */
export async function firstHitStatus(page, hits) {
  if (!hits.length) return undefined;
  const resp = await page.goto(new URL(hits[0].href, page.url()).href);
  return resp.status();
}
