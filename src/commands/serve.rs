//! `gazette serve [--watch]`: the editor's loop.
//!
//! A real HTTP server (hyper on tokio) serves the last good build from a private folder:
//! folder URLs → index.html, the site's 404 page, correct MIME types, `base_url` path mapped
//! so links work locally. Nothing outside the output folder is ever served: `..` (also
//! percent-encoded), backslashes, NUL and symlinks leading out are refused.
//!
//! With `--watch`, changes under content/, themes/ and gazette.yaml trigger a rebuild
//! (debounced). A good rebuild is swapped in atomically and open pages reload over
//! Server-Sent Events (stylesheet-only changes refresh the CSS without a reload); a broken
//! edit keeps the last good site, prints the diagnostics, and shows them as an overlay in
//! the open pages until fixed. The reload script is injected into HTML responses by the
//! server only: `gazette build` output never contains it.

use crate::build::{self, Options, Outcome};
use crate::live::Live;
use bytes::Bytes;
use http_body::Frame;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub port: u16,
    pub bind: String,
    pub watch: bool,
    pub open: bool,
    pub drafts: bool,
    /// Where the site is built; `None` for a private temporary folder.
    pub output: Option<PathBuf>,
    /// The build cache folder (`--cache-dir`), else the site's `.gazette-cache/`.
    pub cache_dir: Option<PathBuf>,
    /// Print each build's stage timings (`--timings`).
    pub timings: bool,
}

const LIVE_JS: &str = r#"(function () {
  "use strict";
  if (!window.EventSource) return;
  // Connect once the page has loaded, so the long-lived stream never competes with the
  // page's own stylesheets and scripts for a connection.
  if (document.readyState === "complete") start(); else window.addEventListener("load", start);
  function start() {
  var es = new EventSource("/__gazette/events");
  function overlay(text) {
    var o = document.getElementById("gazette-overlay");
    if (!text) { if (o) o.remove(); return; }
    if (!o) {
      o = document.createElement("div");
      o.id = "gazette-overlay";
      o.setAttribute("role", "alert");
      o.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(40,0,0,.94);color:#fff;overflow:auto;padding:1.5rem;font:15px/1.6 monospace;white-space:pre-wrap";
      document.body.appendChild(o);
    }
    o.textContent = "gazette：构建失败，页面仍为上一次成功的版本。修改后保存即可。\n\n" + text;
  }
  es.addEventListener("reload", function () { location.reload(); });
  es.addEventListener("css", function () {
    overlay(null);
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (l) {
      var u = new URL(l.href); u.searchParams.set("v", Date.now()); l.href = u.href;
    });
  });
  es.addEventListener("build-error", function (e) { overlay(e.data); });
  // The server greets each new stream with `ok`: mark the page as connected (tests wait
  // for this before saving, so a reload is never sent before anyone listens).
  es.addEventListener("ok", function () { overlay(null); document.documentElement.setAttribute("data-gazette-live", "1"); });
  }
})();
"#;

struct State {
    out: PathBuf,
    base_path: String,
    clients: Mutex<Vec<UnboundedSender<String>>>,
    last_error: Mutex<Option<String>>,
    log_requests: bool,
    timings: bool,
    /// Held for reading while a file of the output is looked up and read: a build's
    /// commit changes the private output under the write side, and leaves the files it
    /// changed here until the session has written them (`output::flush`).
    readers: Arc<std::sync::RwLock<crate::output::Overlay>>,
}

impl State {
    fn broadcast(&self, event: &str, data: &str) {
        let msg = sse(event, data);
        self.clients.lock().unwrap_or_else(|e| e.into_inner()).retain(|c| c.send(msg.clone()).is_ok());
    }
}

fn sse(event: &str, data: &str) -> String {
    let mut m = format!("event: {event}\n");
    for line in data.lines() {
        m.push_str(&format!("data: {line}\n"));
    }
    if data.is_empty() {
        m.push_str("data: \n");
    }
    m.push('\n');
    m
}

/// A response body that streams SSE messages as they are broadcast, with a keep-alive
/// comment every 15 s; it ends when the server drops the sender, and hyper drops it (and
/// so the receiver, which takes the client off the list) when the browser goes away.
struct SseBody {
    rx: UnboundedReceiver<String>,
    ping: tokio::time::Interval,
}

impl http_body::Body for SseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(m)) => return Poll::Ready(Some(Ok(Frame::data(Bytes::from(m))))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        match self.ping.poll_tick(cx) {
            Poll::Ready(_) => Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b": ping\n\n"))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

pub fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("txt") => "text/plain; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        Some("zip") => "application/zip",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xls") => "application/vnd.ms-excel",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// The segments of the output-relative path a request path names (none for the site's
/// root), decoded; `Err(status)` for a path refused, or outside the base path.
fn url_segments(base_path: &str, raw: &str) -> Result<Vec<String>, u16> {
    let path = raw.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().map_err(|_| 400u16)?;
    if decoded.contains('\\') || decoded.contains('\0') {
        return Err(400);
    }
    let bp = base_path.trim_end_matches('/');
    let rel = if bp.is_empty() { decoded.as_ref() } else { decoded.strip_prefix(bp).ok_or(404u16)? };
    let mut segments = Vec::new();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(400),
            s => segments.push(s.to_string()),
        }
    }
    Ok(segments)
}

/// The file of the output at `segments` (from [`url_segments`]), refusing anything that
/// could leave the output. `Err(status)` for refused or missing paths.
fn file_at(out: &Path, segments: &[String]) -> Result<PathBuf, u16> {
    let mut p = out.to_path_buf();
    p.extend(segments);
    if p.is_dir() {
        p.push("index.html");
    }
    let canon = p.canonicalize().map_err(|_| 404u16)?;
    let root = out.canonicalize().map_err(|_| 404u16)?;
    if !canon.starts_with(&root) {
        return Err(403);
    }
    if !canon.is_file() {
        return Err(404);
    }
    Ok(canon)
}

fn inject(html: Vec<u8>) -> Vec<u8> {
    let tag = b"<script src=\"/__gazette/live.js\"></script>";
    let pos = html.windows(7).rposition(|w| w.eq_ignore_ascii_case(b"</body>")).unwrap_or(html.len());
    let mut v = Vec::with_capacity(html.len() + tag.len());
    v.extend_from_slice(&html[..pos]);
    v.extend_from_slice(tag);
    v.extend_from_slice(&html[pos..]);
    v
}

type Body = BoxBody<Bytes, Infallible>;

fn respond(status: u16, headers: &[(&str, &str)], body: Body) -> Response<Body> {
    let mut r = Response::builder().status(status);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(body).unwrap_or_else(|_| Response::new(empty()))
}

fn empty() -> Body {
    Full::new(Bytes::new()).boxed()
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

async fn handle(st: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    if st.log_requests {
        eprintln!("request: {} {}", req.method(), req.uri());
    }
    let path = req.uri().path().to_string();
    if path == "/__gazette/live.js" {
        return Ok(respond(200, &[("Content-Type", "text/javascript; charset=utf-8")], full(LIVE_JS)));
    }
    if path == "/__gazette/events" {
        let (tx, rx) = unbounded_channel();
        let greeting = match st.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            Some(e) => sse("build-error", &e),
            None => sse("ok", ""),
        };
        tx.send(greeting).ok();
        st.clients.lock().unwrap_or_else(|e| e.into_inner()).push(tx);
        let period = Duration::from_secs(15);
        let ping = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        let headers = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")];
        return Ok(respond(200, &headers, SseBody { rx, ping }.boxed()));
    }
    let bp = st.base_path.trim_end_matches('/');
    if !bp.is_empty() && (path == "/" || path == bp) {
        return Ok(respond(302, &[("Location", &format!("{bp}/"))], empty()));
    }
    // The file system work runs off the async workers.
    let st2 = st.clone();
    let answer = tokio::task::spawn_blocking(move || answer_file(&st2, &path)).await;
    Ok(answer.unwrap_or_else(|_| respond(500, &[], empty())))
}

/// The response for a file of the output (or the redirect or error that replaces it).
fn answer_file(st: &State, path: &str) -> Response<Body> {
    let overlay = st.readers.read().unwrap_or_else(|e| e.into_inner());
    let segments = url_segments(&st.base_path, path);
    // (Most requests come while the overlay is empty: no path joined for it then.)
    let in_overlay = segments.as_ref().ok().filter(|_| !overlay.is_empty());
    if let Some(answer) = in_overlay.and_then(|s| from_overlay(&overlay, &s.join("/"), path)) {
        return answer;
    }
    let resolved = segments.and_then(|s| file_at(&st.out, &s));
    // A folder URL without its slash: redirect like static hosts do, so relative links work.
    if let Ok(file) = &resolved {
        if !path.ends_with('/') && file.ends_with("index.html") && !path.ends_with("index.html") {
            return respond(301, &[("Location", &format!("{path}/"))], empty());
        }
    }
    let (status, file) = match resolved {
        Ok(f) => (200, Some(f)),
        Err(404) => match overlay.get(crate::routes::NOT_FOUND) {
            Some(page) => return file_response(404, Path::new(crate::routes::NOT_FOUND), page.to_vec()),
            None => (404, st.out.join(crate::routes::NOT_FOUND).canonicalize().ok()),
        },
        Err(code) => (code, None),
    };
    let Some(file) = file else {
        return respond(status, &[], empty());
    };
    match std::fs::read(&file) {
        Ok(bytes) => file_response(status, &file, bytes),
        Err(_) => respond(404, &[], empty()),
    }
}

/// The answer from the files the last build committed and the session has not written
/// yet (`output::Overlay`), when the path names one of them: the file, or a folder's
/// `index.html` (a folder URL without its slash redirected, as from disk). `rel` is the
/// request `path` in the output.
fn from_overlay(overlay: &crate::output::Overlay, rel: &str, path: &str) -> Option<Response<Body>> {
    if let Some(bytes) = overlay.get(rel).filter(|_| !rel.is_empty()) {
        return Some(file_response(200, Path::new(rel), bytes.to_vec()));
    }
    let index = if rel.is_empty() { "index.html".to_string() } else { format!("{rel}/index.html") };
    let bytes = overlay.get(&index)?;
    if !path.ends_with('/') {
        return Some(respond(301, &[("Location", &format!("{path}/"))], empty()));
    }
    Some(file_response(200, Path::new(&index), bytes.to_vec()))
}

/// A file's bytes as the response (HTML with the live-reload script).
fn file_response(status: u16, file: &Path, bytes: Vec<u8>) -> Response<Body> {
    let m = mime(file);
    let body = if m.starts_with("text/html") { inject(bytes) } else { bytes };
    respond(status, &[("Content-Type", m), ("Cache-Control", "no-store")], full(body))
}

/// Serve HTTP/1.1 on `listener` until the process ends: one task per connection (hyper).
async fn serve_forever(listener: std::net::TcpListener, st: Arc<State>) {
    let listener = match listener.set_nonblocking(true).and_then(|_| tokio::net::TcpListener::from_std(listener)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot serve: {e}");
            return;
        }
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let st = st.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(st.clone(), req));
            http1::Builder::new().serve_connection(TokioIo::new(stream), service).await.ok();
        });
    }
}

/// Diagnostics as the terminal shows them, for the browser overlay.
fn as_text(diagnostics: &[crate::diag::Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

/// Tell the terminal and the open pages how a full build went. A good build's changed
/// files are written to the private output once the pages are told to reload (until
/// then they are served from memory: `output::Overlay`); the error if they cannot be.
fn report_build(st: &State, outcome: &Outcome, changed: &[PathBuf], started: Instant) -> std::io::Result<()> {
    if outcome.exit_code == 0 {
        // Open pages reload first; the terminal's lines (a library's warnings, hundreds of
        // them, printed again on each rebuild) follow.
        let took = started.elapsed();
        *st.last_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let css_only = !changed.is_empty() && changed.iter().all(|p| p.extension().is_some_and(|e| e == "css"));
        st.broadcast(if css_only { "css" } else { "reload" }, "");
        // (Before the terminal's lines: what waits for "rebuilt" finds the files on disk.)
        let written = crate::output::flush(&st.readers, &st.out);
        outcome.report();
        if !changed.is_empty() {
            eprintln!("rebuilt in {} ms ({} of {} pages rendered)", took.as_millis(), outcome.rendered, outcome.pages);
        }
        if st.timings {
            outcome.print_timings();
        }
        written
    } else {
        outcome.report();
        let text = as_text(&outcome.diagnostics);
        eprintln!("build failed; still serving the last good build");
        *st.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(text.clone());
        st.broadcast("build-error", &text);
        Ok(())
    }
}

/// An editor's scratch file by its name alone (hidden, backup, swap, temporary, and
/// JetBrains' safe-write copies `name___jb_tmp___`, `name___jb_old___`): no build for it.
fn ignored(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".tmp")
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
}

/// What one watcher event says about its paths.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// A file was made or written to: more may follow until it is closed.
    Writing,
    /// A file open for writing was closed: its save is complete. Not a change by
    /// itself (its writes were reported as `Writing`).
    Closed,
    /// A change complete in itself: renamed, removed, a folder made, metadata changed.
    Done,
}

impl Step {
    fn of(kind: &notify::EventKind) -> Option<Step> {
        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
        use notify::EventKind;
        match kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => Some(Step::Closed),
            EventKind::Access(_) => None,
            EventKind::Create(CreateKind::Folder) => Some(Step::Done),
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => Some(Step::Writing),
            _ => Some(Step::Done),
        }
    }
}

/// After this long without an edit, serve hands the memory its builds freed back to the
/// system (see `allocator::hold_freed_memory`).
const IDLE: Duration = Duration::from_secs(60);

/// The next batch of changed paths: wait for one, then for the save to be over (an
/// editor's save is often several events). `None` when the watcher is gone.
/// Every path is first handed to `seen`, those ignored here too (an attachment may be
/// named `x.tmp`: the next build must know it changed).
fn next_batch(rx: &Events, seen: &dyn Fn(&[PathBuf])) -> Option<Vec<PathBuf>> {
    loop {
        let mut changed = Vec::new();
        let mut saves = Saves::default();
        let (paths, step) = match rx.recv_timeout(IDLE) {
            Ok(event) => event,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                // No edit for a while: the memory builds freed goes back to the system.
                crate::allocator::release_free_memory();
                rx.recv().ok()?
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
        };
        saves.note(&mut changed, paths, step);
        while let Ok((paths, step)) = rx.recv_timeout(saves.quiet()) {
            saves.note(&mut changed, paths, step);
        }
        seen(&changed);
        changed.retain(|p| !ignored(p));
        changed.sort();
        changed.dedup();
        if !changed.is_empty() {
            return Some(changed);
        }
    }
}

/// The files of a batch still being written, to know how long to wait for more events.
#[derive(Default)]
struct Saves {
    /// Written to and not closed yet (on a platform without close events, every file
    /// written to: the batch then ends after the full debounce). A set: a checkout of
    /// thousands of files is one batch.
    open: crate::hash::FastSet<PathBuf>,
}

impl Saves {
    fn note(&mut self, changed: &mut Vec<PathBuf>, paths: Vec<PathBuf>, step: Step) {
        match step {
            Step::Writing => {
                // (An editor's swap file, written to while it stays open, never ends a save.)
                self.open.extend(paths.iter().filter(|p| !ignored(p)).cloned());
                changed.extend(paths);
            }
            Step::Closed => {
                for p in &paths {
                    self.open.remove(p);
                }
            }
            Step::Done => changed.extend(paths),
        }
    }

    /// How long to wait for the next event before the batch is taken as complete: a
    /// moment once every file written to has been closed (a save that is over; the
    /// moment lets a rename or the next file of the same save join it), else the full
    /// debounce (a file still being written, or no close event to go by).
    fn quiet(&self) -> Duration {
        if self.open.is_empty() {
            SAVED
        } else {
            DEBOUNCE
        }
    }
}

/// Quiet time that ends a batch of file events. Short: it is part of every save's delay.
const DEBOUNCE: Duration = Duration::from_millis(30);

/// Quiet time that ends a batch once every file written in it was closed.
const SAVED: Duration = Duration::from_millis(5);

/// The folders a site's sources live in, watched recursively; the root itself is watched
/// too (not recursively), for `gazette.yaml` and for these folders appearing later.
const WATCHED: [&str; 2] = ["content", "themes"];

type Watcher = Arc<Mutex<notify::RecommendedWatcher>>;

/// The watcher's events as they come: the paths of one event and what it says of them.
type Events = Receiver<(Vec<PathBuf>, Step)>;

/// The root as the watcher reports paths under it: notify hands out absolute paths, so a
/// root given as `.` or `site` never prefixed them and no edit was ever seen.
fn watch_root(root: &Path) -> PathBuf {
    std::path::absolute(root).and_then(|a| a.canonicalize()).unwrap_or_else(|_| root.to_path_buf())
}

fn start_watcher(root: &Path) -> Result<(Watcher, Events), String> {
    use notify::{RecursiveMode, Watcher as _};
    let root = &watch_root(root);
    let (tx, rx) = channel();
    let sources: Vec<PathBuf> = WATCHED.iter().map(|d| root.join(d)).collect();
    let config = root.join(crate::config::FILE);
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        // Events lost (the kernel's queue overflowed) or an error: an empty path says so
        // (the next build walks the whole site and rebuilds).
        if ev.as_ref().map_or(true, |ev| ev.need_rescan()) {
            tx.send((vec![PathBuf::new()], Step::Done)).ok();
            return;
        }
        if let Ok(ev) = ev {
            if let Some(step) = Step::of(&ev.kind) {
                // The root's own entries: only the config and the source folders (an
                // output folder inside the root must not trigger builds).
                let paths: Vec<PathBuf> =
                    ev.paths.into_iter().filter(|p| *p == config || sources.iter().any(|s| p.starts_with(s))).collect();
                if !paths.is_empty() {
                    tx.send((paths, step)).ok();
                }
            }
        }
    })
    .map_err(|e| e.to_string())?;
    w.watch(root, RecursiveMode::NonRecursive).map_err(|e| format!("{}: {e}", root.display()))?;
    for d in WATCHED {
        let path = root.join(d);
        if path.is_dir() {
            w.watch(&path, RecursiveMode::Recursive).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok((Arc::new(Mutex::new(w)), rx))
}

/// A source folder made after serve started (a first theme override): watch it too. The
/// event that showed it is in the batch, so the build that follows reads what it holds.
fn watch_new_folders(watcher: &Watcher, root: &Path, changed: &[PathBuf]) {
    use notify::Watcher as _;
    let root = &watch_root(root);
    for p in changed {
        if WATCHED.iter().any(|d| *p == root.join(d)) && p.is_dir() {
            let mut w = watcher.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = w.watch(p, notify::RecursiveMode::Recursive) {
                eprintln!("warning: cannot watch {}: {e}", p.display());
            }
        }
    }
}

/// The watch loop: a full build, then fast edits on the site it leaves in memory for as
/// long as edits allow (see `live`), then a full build again. The first build's outcome
/// goes to `first` (the server starts once it is known).
fn session(opts: Options, st: Arc<State>, watcher: Watcher, rx: Events, first: Sender<(i32, String)>) {
    let mut first = Some(first);
    let mut pending: Vec<PathBuf> = Vec::new();
    let memo = build::Memo::default();
    crate::allocator::hold_freed_memory();
    // The site the last build left, freed once the next one is reported (see below).
    let mut retired: Option<Live> = None;
    loop {
        let started = Instant::now();
        let (outcome, mut built) = build::run_site_with(&opts, Some(&memo));
        memo.load.watching();
        if let Err(e) = report_build(&st, &outcome, &pending, started) {
            // The build is still served, from memory; the next one is a full build that
            // trusts no record of the output (as after a commit that failed).
            eprintln!("error: cannot write the output into {}: {e}", st.out.display());
            memo.forget_outputs();
            built = None;
        }
        if let Some(tx) = first.take() {
            let text = as_text(&outcome.diagnostics);
            tx.send((outcome.exit_code, text)).ok();
        }
        pending.clear();
        // The last site is hundreds of thousands of allocations at 10,000 documents: freed
        // now that the edit is served, not while the next one is built (a thread freeing
        // them beside the build took a core from it). The memory stays with the process
        // for the next build (see `next_batch`).
        drop(retired.take());
        if let Some(b) = &built {
            memo.settle(&b.pages);
        }
        let mut live = built.map(Live::new);
        // Fast edits for as long as they apply; then back to a full build.
        loop {
            let seen = |paths: &[PathBuf]| {
                // (An empty path: the watcher may have missed events.)
                let complete = !paths.iter().any(|p| p.as_os_str().is_empty());
                memo.load.saw(complete.then_some(paths));
            };
            let Some(changed) = next_batch(&rx, &seen) else {
                return; // the watcher is gone
            };
            watch_new_folders(&watcher, &opts.root, &changed);
            let Some(site) = live.as_mut() else {
                pending = changed;
                break;
            };
            let t = Instant::now();
            match site.apply(&changed) {
                Ok(done) if done.failed() => {
                    let failed = Outcome { diagnostics: done.diagnostics, exit_code: 1, ..Default::default() };
                    report_build(&st, &failed, &changed, t).ok(); // (a failure writes nothing)
                }
                Ok(done) if done.pages.is_empty() => {}
                Ok(done) => {
                    // It wrote into the output outside a build (see `Memo::wrote_outputs`).
                    memo.wrote_outputs(&done.written);
                    Outcome { diagnostics: done.diagnostics, ..Default::default() }.report();
                    *st.last_error.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    st.broadcast("reload", "");
                    eprintln!("updated {} in {} ms", done.pages.join(", "), t.elapsed().as_millis());
                    let t = Instant::now();
                    match site.refresh_search(&memo.search) {
                        Ok(written) => {
                            memo.wrote_outputs(&written);
                            eprintln!(
                                "search index: {} file(s) updated in {} ms",
                                written.len(),
                                t.elapsed().as_millis()
                            )
                        }
                        Err(e) => {
                            memo.forget_outputs(); // (some files may be written)
                            eprintln!("error: cannot update the search index: {e}; rebuilding the site");
                            pending = changed;
                            break;
                        }
                    }
                }
                Err(why) => {
                    if site.wrote_unknown() {
                        memo.forget_outputs();
                    }
                    eprintln!("{why}: rebuilding the site");
                    pending = changed;
                    break;
                }
            }
        }
        retired = live;
    }
}

/// Remove serve folders left by earlier `gazette serve` processes that are gone (killed
/// with SIGKILL, or stopped before this version cleaned up on signals): the site
/// `gazette-serve-<pid>/`, and its lock file and staging folders `.gazette-serve-<pid>.…`.
fn remove_stale_outputs() {
    let Ok(rd) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rest = name.strip_prefix("gazette-serve-").or_else(|| name.strip_prefix(".gazette-serve-"));
        let pid = rest.and_then(|r| r.split('.').next()).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid {
            if cfg!(target_os = "linux") && !Path::new(&format!("/proc/{pid}")).exists() {
                if e.path().is_dir() {
                    std::fs::remove_dir_all(e.path()).ok();
                } else {
                    std::fs::remove_file(e.path()).ok();
                }
            }
        }
    }
}

/// On Ctrl-C (SIGINT) or SIGTERM, leave nothing behind: wait for a build in progress,
/// remove the private temporary site (`private`) or just the lock and staging folders
/// beside an `--output` folder, and exit. Installed before the first build, so a signal
/// during it is handled too.
fn clean_up_on_signals(runtime: &tokio::runtime::Runtime, out: &Path, private: bool) {
    #[cfg(unix)]
    for kind in [tokio::signal::unix::SignalKind::interrupt(), tokio::signal::unix::SignalKind::terminate()] {
        let _guard = runtime.enter();
        let Ok(mut signals) = tokio::signal::unix::signal(kind) else { continue };
        let out = out.to_path_buf();
        runtime.spawn(async move {
            if signals.recv().await.is_some() {
                eprintln!("stopping…");
                let code = match crate::output::release(&out, private) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("error: cannot remove {}: {e}", out.display());
                        1
                    }
                };
                std::process::exit(code);
            }
        });
    }
    #[cfg(not(unix))]
    let _ = (runtime, out, private);
}

pub fn run(o: &ServeOptions) -> i32 {
    remove_stale_outputs();
    let out = match &o.output {
        Some(p) => p.clone(),
        None => std::env::temp_dir().join(format!("gazette-serve-{}", std::process::id())),
    };
    let readers = Arc::new(std::sync::RwLock::new(crate::output::Overlay::default()));
    let opts = Options {
        root: o.root.clone(),
        output: Some(out.clone()),
        drafts: o.drafts,
        write: true,
        cache_name: o.output.is_none().then(|| "serve".to_string()),
        cache_dir: o.cache_dir.clone(),
        // Only this process reads a private output: its builds may write it in place.
        readers: o.output.is_none().then(|| readers.clone()),
        ..Default::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the server: {e}");
            return 2;
        }
    };
    clean_up_on_signals(&runtime, &out, o.output.is_none());
    let base_path = match crate::config::load(&o.root, None) {
        Ok((cfg, _)) => crate::routes::base_path(&cfg.base_url),
        Err(_) => "/".into(),
    };
    let st = Arc::new(State {
        out: out.clone(),
        base_path: base_path.clone(),
        clients: Mutex::new(Vec::new()),
        last_error: Mutex::new(None),
        log_requests: std::env::var_os("GAZETTE_SERVE_LOG").is_some(),
        timings: o.timings,
        readers,
    });
    // With --watch, the watcher starts before the first build so no save is missed, and
    // the session thread keeps the built site for fast edits.
    let mut _watcher = None;
    let (code, errors) = if o.watch {
        let (w, rx) = match start_watcher(&o.root) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("error: cannot watch the site: {e}");
                return 2;
            }
        };
        _watcher = Some(w.clone());
        let (tx, first) = channel();
        let session_state = st.clone();
        std::thread::spawn(move || session(opts, session_state, w, rx, tx));
        match first.recv() {
            Ok(x) => x,
            Err(_) => return 2,
        }
    } else {
        let first = build::run(&opts);
        if let Err(e) = crate::output::flush(&st.readers, &out) {
            // (Still served, from memory.)
            eprintln!("error: cannot write the output into {}: {e}", out.display());
        }
        first.report();
        (first.exit_code, as_text(&first.diagnostics))
    };
    if code == 2 {
        return 2;
    }
    if code != 0 {
        *st.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(errors);
        std::fs::create_dir_all(&out).ok();
        if !o.watch {
            return code;
        }
        eprintln!("the site has errors; fix them and save (watching for changes)");
    }
    let mut listener = None;
    let mut port = o.port;
    for _ in 0..50 {
        match std::net::TcpListener::bind((o.bind.as_str(), port)) {
            Ok(l) => {
                listener = Some(l);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && port < u16::MAX => {
                eprintln!("port {port} is taken, trying {}", port + 1);
                port += 1;
            }
            Err(e) => {
                eprintln!("error: cannot listen on {}:{port}: {e}", o.bind);
                return 2;
            }
        }
    }
    let Some(listener) = listener else {
        eprintln!("error: no free port from {} to {port} on {}", o.port, o.bind);
        return 2;
    };
    let host = if o.bind.contains(':') { format!("[{}]", o.bind) } else { o.bind.clone() };
    let url = format!("http://{host}:{port}{base_path}");
    eprintln!("serving at {url}{}", if o.watch { " (watching for changes)" } else { "" });
    if o.open {
        std::process::Command::new("xdg-open").arg(&url).spawn().ok();
    }
    runtime.block_on(serve_forever(listener, st));
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request path mapped to a file of the output, as `answer_file` maps it.
    fn resolve_path(out: &Path, base_path: &str, raw: &str) -> Result<PathBuf, u16> {
        file_at(out, &url_segments(base_path, raw)?)
    }

    #[test]
    fn refuses_paths_leaving_the_output() {
        let d = tempfile::tempdir().expect("tmp");
        let out = d.path().join("out");
        std::fs::create_dir_all(out.join("a")).expect("mkdir");
        std::fs::write(out.join("a/index.html"), "x").expect("w");
        std::fs::write(d.path().join("secret.txt"), "s").expect("w");
        assert!(resolve_path(&out, "/", "/a/").is_ok());
        for bad in ["/../secret.txt", "/%2e%2e/secret.txt", "/a/%2E%2E/%2e%2e/secret.txt", "/..%5csecret.txt", "/a%00"]
        {
            assert!(resolve_path(&out, "/", bad).is_err(), "{bad}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(d.path().join("secret.txt"), out.join("link.txt")).expect("symlink");
            assert_eq!(resolve_path(&out, "/", "/link.txt"), Err(403));
        }
        assert!(resolve_path(&out, "/gb/", "/gb/a/").is_ok());
        assert_eq!(resolve_path(&out, "/gb/", "/a/"), Err(404));
    }

    /// A rebuild's changed files are served from memory from its commit on, before the
    /// session has written them (the reload is sent first), then from disk, the same.
    #[test]
    fn files_committed_in_place_are_served_before_and_after_they_are_written() {
        let d = tempfile::tempdir().expect("tmp");
        let out = d.path().join("out");
        std::fs::create_dir_all(out.join("documents/a")).expect("mkdir");
        for (rel, text) in [("index.html", "old home"), ("documents/a/index.html", "old a"), ("404.html", "old 404")] {
            std::fs::write(out.join(rel), text).expect("write");
        }
        let readers = Arc::new(std::sync::RwLock::new(crate::output::Overlay::default()));
        let staging = crate::output::Staging::create(&out, None, None).expect("staging").in_place(readers.clone());
        for (rel, text) in [
            ("index.html", "<body>new home</body>"),
            ("documents/a/index.html", "<body>new a</body>"),
            ("documents/b/index.html", "<body>a new page</body>"),
            ("search/idx/7.json", "{\"k\":\"1,\"}"),
            ("404.html", "<body>new 404</body>"),
        ] {
            staging.write(rel, text.as_bytes()).expect("write");
        }
        staging.commit(&out, false).expect("commit");
        let st = State {
            out: out.clone(),
            base_path: "/".into(),
            clients: Mutex::new(Vec::new()),
            last_error: Mutex::new(None),
            log_requests: false,
            timings: false,
            readers: readers.clone(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let get = |path: &str| {
            let r = answer_file(&st, path);
            let status = r.status().as_u16();
            let location = r.headers().get("Location").map(|l| l.to_str().unwrap_or("?").to_string());
            let body = runtime.block_on(r.into_body().collect()).map(|b| b.to_bytes()).unwrap_or_default();
            (
                status,
                location,
                String::from_utf8_lossy(&body).replace(r#"<script src="/__gazette/live.js"></script>"#, ""),
            )
        };
        let expected = [
            ("/", (200, None, "<body>new home</body>".to_string())),
            ("/documents/a/", (200, None, "<body>new a</body>".into())),
            ("/documents/b/", (200, None, "<body>a new page</body>".into())),
            ("/documents/b/index.html", (200, None, "<body>a new page</body>".into())),
            ("/documents/b", (301, Some("/documents/b/".to_string()), String::new())),
            ("/search/idx/7.json", (200, None, "{\"k\":\"1,\"}".into())),
            ("/nothing/", (404, None, "<body>new 404</body>".into())),
        ];
        assert_eq!(std::fs::read_to_string(out.join("documents/a/index.html")).ok().as_deref(), Some("old a"));
        for (path, answer) in &expected {
            assert_eq!(&get(path), answer, "{path}, from memory");
        }
        crate::output::flush(&readers, &out).expect("flush");
        assert_eq!(
            std::fs::read_to_string(out.join("documents/a/index.html")).ok().as_deref(),
            Some("<body>new a</body>")
        );
        for (path, answer) in &expected {
            assert_eq!(&get(path), answer, "{path}, from disk");
        }
    }

    /// A save ends its batch a moment after its file is closed; a file still open, or a
    /// platform that never says so, waits the full debounce. A close alone changes nothing.
    #[test]
    fn a_batch_waits_for_open_files_and_only_a_moment_after_the_last_close() {
        use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RemoveKind, RenameMode};
        use notify::EventKind;
        let close = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert_eq!(Step::of(&close), Some(Step::Closed));
        assert_eq!(Step::of(&EventKind::Access(AccessKind::Open(AccessMode::Any))), None);
        assert_eq!(Step::of(&EventKind::Modify(ModifyKind::Data(DataChange::Any))), Some(Step::Writing));
        assert_eq!(Step::of(&EventKind::Modify(ModifyKind::Any)), Some(Step::Writing));
        assert_eq!(Step::of(&EventKind::Create(CreateKind::File)), Some(Step::Writing));
        assert_eq!(Step::of(&EventKind::Create(CreateKind::Folder)), Some(Step::Done));
        assert_eq!(Step::of(&EventKind::Modify(ModifyKind::Name(RenameMode::Both))), Some(Step::Done));
        assert_eq!(Step::of(&EventKind::Remove(RemoveKind::File)), Some(Step::Done));

        let (a, b) = (PathBuf::from("/s/content/a.md"), PathBuf::from("/s/content/b.md"));
        let mut changed = Vec::new();
        let mut saves = Saves::default();
        saves.note(&mut changed, vec![a.clone()], Step::Writing);
        assert_eq!(saves.quiet(), DEBOUNCE);
        saves.note(&mut changed, vec![a.clone()], Step::Closed);
        assert_eq!(saves.quiet(), SAVED);
        saves.note(&mut changed, vec![a.clone()], Step::Writing);
        saves.note(&mut changed, vec![b.clone()], Step::Writing);
        saves.note(&mut changed, vec![a.clone()], Step::Closed);
        assert_eq!(saves.quiet(), DEBOUNCE, "b is still being written");
        saves.note(&mut changed, vec![b.clone()], Step::Closed);
        assert_eq!(saves.quiet(), SAVED);
        assert_eq!(changed, [a.clone(), a.clone(), b.clone()]);

        let (mut changed, mut saves) = (Vec::new(), Saves::default());
        saves.note(&mut changed, vec![a.clone()], Step::Closed);
        assert!(changed.is_empty(), "a close is no change by itself");
        saves.note(&mut changed, vec![b.clone()], Step::Done);
        assert_eq!((saves.quiet(), changed), (SAVED, vec![b]));
        let (mut changed, mut saves) = (Vec::new(), Saves::default());
        saves.note(&mut changed, vec![PathBuf::from("/s/content/.a.md.swp")], Step::Writing);
        assert_eq!(saves.quiet(), SAVED, "a swap file kept open does not hold a save back");
        assert!(SAVED < DEBOUNCE);
    }
}
