//! `gazette serve --watch` with the real server on a free loopback port: pages and MIME
//! types, traversal attempts refused, an edit visible over HTTP, a broken edit keeping the
//! old site and reporting the error, the reload event sent, and Chromium reloading by itself.

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    port: u16,
    log: mpsc::Receiver<String>,
}

impl Server {
    /// What the server logged from now until it was quiet for `quiet`.
    fn log_until_quiet(&self, quiet: Duration) -> String {
        let mut log = String::new();
        while let Ok(l) = self.log.recv_timeout(quiet) {
            log.push_str(&l);
            log.push('\n');
        }
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn start(s: &Site) -> Server {
    start_with(s, &[])
}

fn start_with(s: &Site, args: &[&str]) -> Server {
    start_env(s, args, &[])
}

fn start_env(s: &Site, args: &[&str], env: &[(&str, &std::path::Path)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gazette"));
    cmd.args(["serve", "--watch", "--port", &free_port().to_string(), "--root"]).arg(s.root()).args(args);
    spawn(cmd, env)
}

/// serve as an editor starts it: from inside the site folder, no `--root`.
fn start_inside(s: &Site) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gazette"));
    cmd.args(["serve", "--watch", "--port", &free_port().to_string()]).current_dir(s.root());
    spawn(cmd, &[])
}

fn spawn(mut cmd: Command, env: &[(&str, &std::path::Path)]) -> Server {
    let mut child = cmd
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .env("GAZETTE_SERVE_LOG", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.push_str(&l);
            seen.push('\n');
            if l.starts_with("serving at") {
                let p: u16 =
                    l.rsplit(':').next().and_then(|x| x.split('/').next()).and_then(|x| x.parse().ok()).expect("port");
                return Server { child, port: p, log: rx };
            }
        }
    }
    panic!("server did not start:\n{seen}");
}

/// A raw HTTP/1.1 request, so the path reaches the server exactly as written.
fn raw(port: u16, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

fn site() -> Site {
    let s = Site::new();
    s.write("content/files/附件.pdf", "%PDF-1.4 x");
    s.write(
        "content/documents/a.md",
        &doc("a", "attachments:\n  - title: 附件\n    path: files/附件.pdf\n", "第一版正文。"),
    );
    s
}

#[test]
fn serves_pages_with_mime_types_and_refuses_traversal() {
    let s = site();
    let srv = start(&s);
    let p = srv.port;
    let (st, head, body) = raw(p, "/");
    assert_eq!(st, 200);
    assert!(head.contains("content-type: text/html"));
    assert!(body.contains("/__gazette/live.js"), "live reload injected when serving");
    for (path, mime) in [
        ("/style.css", "text/css"),
        ("/feed.xml", "application/xml"),
        ("/api/documents.json", "application/json"),
        ("/files/%E9%99%84%E4%BB%B6.pdf", "application/pdf"),
        ("/favicon.svg", "image/svg+xml"),
        ("/gazette.js", "text/javascript"),
    ] {
        let (st, head, _) = raw(p, path);
        assert_eq!(st, 200, "{path}");
        assert!(head.contains(&format!("content-type: {mime}")), "{path}: {head}");
    }
    let (st, _, body) = raw(p, "/documents/a/");
    assert_eq!(st, 200);
    assert!(body.contains("第一版正文"));
    let (st, head, _) = raw(p, "/documents/a");
    assert_eq!(st, 301);
    assert!(head.contains("location: /documents/a/"));
    let (st, _, body) = raw(p, "/no/such/page/");
    assert_eq!(st, 404);
    assert!(body.contains("页面不存在"), "the site's 404 page");
    for bad in [
        "/../gazette.yaml",
        "/%2e%2e/gazette.yaml",
        "/documents/%2E%2E/%2e%2e/gazette.yaml",
        "/..%5cgazette.yaml",
        "/..\\gazette.yaml",
        "//etc/passwd",
        "/%2e%2e%2f%2e%2e%2fetc/passwd",
    ] {
        let (st, _, body) = raw(p, bad);
        assert_ne!(st, 200, "{bad} must be refused");
        assert!(!body.contains("base_url") && !body.contains("root:"), "{bad} leaked a file");
    }
    // gazette build output never carries the reload script.
    let built = s.build(&[]);
    built.ok();
    assert!(!built.read("index.html").contains("__gazette"));
}

#[test]
fn edits_are_served_and_broken_edits_keep_the_last_good_site() {
    let s = site();
    let srv = start(&s);
    let p = srv.port;
    // Listen to the event stream before editing.
    let mut events = TcpStream::connect(("127.0.0.1", p)).expect("connect");
    write!(events, "GET /__gazette/events HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
    events.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let (etx, erx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = events.read(&mut buf) {
            if n == 0 || etx.send(String::from_utf8_lossy(&buf[..n]).into_owned()).is_err() {
                break;
            }
        }
    });
    let mut stream = String::new();
    let mut wait_event = |name: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if stream.contains(&format!("event: {name}")) {
                stream.clear();
                return;
            }
            if let Ok(chunk) = erx.recv_timeout(Duration::from_millis(200)) {
                stream.push_str(&chunk);
            }
        }
        panic!("no `{name}` event; got {stream:?}");
    };
    wait_event("ok");
    s.write("content/documents/a.md", &doc("a", "", "第二版正文。"));
    wait_until("the edit to be served", || raw(p, "/documents/a/").2.contains("第二版正文"));
    wait_event("reload");
    s.write("content/documents/a.md", &doc("a", "", "第三版 [坏链接](doc:missing)"));
    wait_event("build-error");
    let (st, _, body) = raw(p, "/documents/a/");
    assert_eq!(st, 200);
    assert!(body.contains("第二版正文"), "the last good build is still served");
    let log = srv.log_until_quiet(Duration::from_millis(500));
    assert!(log.contains("unknown reference `missing`"), "diagnostics printed:\n{log}");
    s.write("content/documents/a.md", &doc("a", "", "第四版正文。"));
    wait_until("the fix to be served", || raw(p, "/documents/a/").2.contains("第四版正文"));
}

#[test]
fn serve_started_inside_the_site_sees_its_edits() {
    // `cd site && gazette serve --watch`: the watcher's paths must match the site's
    // folders whether the root was given relative, as `.`, or absolute.
    let s = site();
    s.write("content/documents/b.md", &doc("b", "", "乙文正文。"));
    let srv = start_inside(&s);
    let p = srv.port;
    s.write("content/documents/a.md", &doc("a", "", "第二版正文。"));
    wait_until("a body edit to be served", || raw(p, "/documents/a/").2.contains("第二版正文"));
    let retitled = doc("b", "", "乙文正文。").replace("title: 文件b", "title: 改过的标题");
    s.write("content/documents/b.md", &retitled);
    wait_until("a front-matter edit to be served", || raw(p, "/documents/b/").2.contains("改过的标题"));
    wait_until("the listing to show it", || raw(p, "/documents/").2.contains("改过的标题"));
}

/// The last full build's "rebuilt in N ms (R of P pages rendered)" line in `log`: (R, P).
fn pages_rendered(log: &str) -> (usize, usize) {
    let line = log.lines().rev().find(|l| l.starts_with("rebuilt in ")).expect("a rebuilt line");
    let counts = line.split_once('(').and_then(|(_, rest)| rest.strip_suffix(" pages rendered)"));
    let (r, p) = counts.and_then(|c| c.split_once(" of ")).unwrap_or_else(|| panic!("counts in: {line}"));
    (r.parse().expect("a number"), p.parse().expect("a number"))
}

/// Wait for a line of serve's log containing `needle`; returns the log up to it.
fn wait_log(srv: &Server, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    while Instant::now() < deadline {
        if let Ok(l) = srv.log.recv_timeout(Duration::from_millis(200)) {
            seen.push_str(&l);
            seen.push('\n');
            if l.contains(needle) {
                return seen;
            }
        }
    }
    panic!("no log line with {needle:?}; got:\n{seen}");
}

/// How serve's output `out` differs from a clean build of the site as it is now (into
/// folder `name` of the site), dated today as serve's builds are.
fn differences_from_clean(s: &Site, out: &std::path::Path, name: &str) -> Vec<String> {
    let today = gazette::date::Date::today().to_string();
    let dir = s.root().join(name);
    s.build(&["--date", &today, "-o", dir.to_str().expect("utf-8")]).ok();
    differences(&snapshot(out), &snapshot(&dir))
}

/// Wait for the end of serve's next build (the full build's "rebuilt in", or the fast
/// path's search index line for a body-only edit); it must not have failed, and serve's
/// output `out` must equal a clean build (into folder `name`).
fn served_as_clean(srv: &Server, s: &Site, out: &std::path::Path, name: &str, what: &str) {
    let mut log = String::new();
    while !log.contains("rebuilt in") && !log.contains("search index") && !log.contains("build failed") {
        let l = srv.log.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("{what}: no build:\n{log}"));
        log.push_str(&l);
        log.push('\n');
    }
    assert!(!log.contains("build failed"), "{what}:\n{log}");
    let found = differences_from_clean(s, out, name);
    assert_eq!(found, Vec::<String>::new(), "{what}: differs from a clean build");
}

/// `serve --watch` of a site with its output in the site's folder `served`, and the
/// check, after each edit, that the folder is what a clean build makes now.
struct Served<'s> {
    site: &'s Site,
    srv: Server,
    out: std::path::PathBuf,
    checks: usize,
}

impl<'s> Served<'s> {
    /// serve as an editor runs it, into its private folder (whose changed files it writes
    /// in place), made in the site's `tmp/` so the test can compare it.
    fn start(site: &'s Site) -> Self {
        Self::start_env(site, &[])
    }

    fn start_env(site: &'s Site, env: &[(&str, &std::path::Path)]) -> Self {
        let tmp = site.root().join("tmp");
        std::fs::create_dir_all(&tmp).expect("tmp");
        let srv = start_env(site, &[], &[env, &[("TMPDIR", &tmp)]].concat());
        let out = tmp.join(format!("gazette-serve-{}", srv.child.id()));
        assert!(out.join("index.html").is_file(), "serve's private folder is {}", out.display());
        Served { site, srv, out, checks: 0 }
    }

    /// After the build `what` started, the served folder is a clean build's (made into
    /// `clean1`, `clean2`, … beside it).
    fn check(&mut self, what: &str) {
        self.checks += 1;
        served_as_clean(&self.srv, self.site, &self.out, &format!("clean{}", self.checks), what);
    }
}

#[test]
fn body_edits_rewrite_one_page_and_leave_the_site_as_a_clean_build_would() {
    let s = Site::new();
    let a = |body: &str| doc("a", "", &format!("## 第一节\n\n{body}\n\n## 第二节\n\n办理流程。"));
    s.write("content/documents/a.md", &a("第一版正文，关于数据开放。"));
    s.write("content/documents/b.md", &doc("b", "", "详见[甲文件第一节](doc:a#第一节)。"));
    // a is in a 公报 issue: its whole-issue page shows a's body too.
    s.write(
        "content/gazette/2024-1.yaml",
        "year: 2024\nnumber: 1\npublished: 2024-06-01\nsections:\n  - title: 文件\n    items: [a, b]\n",
    );
    let out = s.root().join("served");
    let srv = start_with(&s, &["-o", out.to_str().expect("utf-8 path")]);
    let p = srv.port;
    let b_before = std::fs::metadata(out.join("documents/b/index.html")).expect("b").modified().expect("mtime");

    // A body-only edit, saved the way vim does (a scratch file `4913` made and removed
    // first): one page rewritten in place, then the search index refreshed.
    s.write("content/documents/4913", "");
    s.remove("content/documents/4913");
    s.write("content/documents/a.md", &a("第二版正文，关于公共资源配置。"));
    let log = wait_log(&srv, "search index");
    assert!(
        log.contains("updated documents/a/index.html, gazette/2024/1/all/index.html in "),
        "fast path taken, the page and its whole-issue page:\n{log}"
    );
    assert!(!log.contains("rebuilding"), "no full build:\n{log}");
    assert!(raw(p, "/documents/a/").2.contains("第二版正文"));
    assert!(raw(p, "/gazette/2024/1/all/").2.contains("第二版正文"), "the whole-issue page follows");
    let b_after = std::fs::metadata(out.join("documents/b/index.html")).expect("b").modified().expect("mtime");
    assert_eq!(b_before, b_after, "other pages are not rewritten");
    assert_eq!(differences_from_clean(&s, &out, "clean1"), Vec::<String>::new(), "differs from a clean build");

    // An error in a body is reported without a full build, and the old page stays.
    s.write("content/documents/a.md", &a("第三版 [坏链接](doc:missing)。"));
    let log = wait_log(&srv, "build failed");
    assert!(log.contains("unknown reference `missing`") && !log.contains("rebuilding"), "{log}");
    assert!(raw(p, "/documents/a/").2.contains("第二版正文"));

    // A front matter edit (the title shows in listings) takes the full build.
    s.write("content/documents/a.md", &a("第四版正文。").replace("title: 文件a", "title: 新标题甲"));
    let log = wait_log(&srv, "rebuilt in");
    assert!(log.contains("the front matter changed: rebuilding the site"), "{log}");
    assert!(raw(p, "/documents/").2.contains("新标题甲"));
    // Only the pages that show the title are rendered again; serve says how many.
    let (rendered, pages) = pages_rendered(&log);
    assert!(rendered > 0 && rendered < pages / 2, "{rendered} of {pages} pages rendered:\n{log}");
    assert_eq!(differences_from_clean(&s, &out, "clean2"), Vec::<String>::new(), "differs from a clean build");

    // Removing the heading b links to would break a link: the full build decides, and fails.
    s.write("content/documents/a.md", &doc("a", "", "没有小节了。").replace("title: 文件a", "title: 新标题甲"));
    let log = wait_log(&srv, "build failed");
    assert!(log.contains("a link would break: rebuilding the site"), "{log}");
    assert!(log.contains("第一节"), "the broken fragment is named:\n{log}");
    assert!(raw(p, "/documents/a/").2.contains("第四版正文"), "the last good page stays");
}

/// A body edit can change how many shards the search index has (`search/config.json`
/// says): the fast path's refresh of the index writes the new count and every shard, as
/// a clean build would, and so does the edit that takes the words out again.
#[test]
fn a_body_edit_that_changes_the_search_shard_count_leaves_the_site_as_a_clean_build_would() {
    let s = site();
    let out = s.root().join("served");
    let srv = start_with(&s, &["-o", out.to_str().expect("utf-8 path")]);
    let shards = || -> usize {
        let config = std::fs::read_to_string(out.join("search/config.json")).expect("search/config.json");
        let at = config.find("\"shards\":").expect("shards") + "\"shards\":".len();
        config[at..].split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok()).expect("a number")
    };
    let before = shards();
    let a = |body: &str| doc("a", "attachments:\n  - title: 附件\n    path: files/附件.pdf\n", body);
    // Three thousand words no other text has: the index's keys grow past another shard.
    let words: String = (0..3000).map(|n| format!("term{n:04} ")).collect();
    s.write("content/documents/a.md", &a(&format!("第一版正文。{words}")));
    let log = wait_log(&srv, "search index");
    assert!(!log.contains("rebuilding"), "the fast path:\n{log}");
    let grown = shards();
    assert!(grown > before, "{before} shard(s) before, {grown} after");
    assert_eq!(differences_from_clean(&s, &out, "clean1"), Vec::<String>::new(), "differs from a clean build");

    s.write("content/documents/a.md", &a("第一版正文。"));
    let log = wait_log(&srv, "search index");
    assert!(!log.contains("rebuilding"), "the fast path:\n{log}");
    assert_eq!(shards(), before);
    assert_eq!(differences_from_clean(&s, &out, "clean2"), Vec::<String>::new(), "differs from a clean build");
}

/// The syntax stylesheet is published while some body has code: an edit that takes the
/// site's last code block out leaves the site as a clean build would, without it.
#[test]
fn a_body_edit_that_takes_out_the_last_code_block_leaves_the_site_as_a_clean_build_would() {
    let s = site();
    let a = |body: &str| doc("a", "attachments:\n  - title: 附件\n    path: files/附件.pdf\n", body);
    s.write("content/documents/a.md", &a("第一版正文。\n\n```python\nprint(1)\n```\n"));
    let out = s.root().join("served");
    let srv = start_with(&s, &["-o", out.to_str().expect("utf-8 path")]);
    assert!(out.join("syntax.css").is_file(), "a page has code: the stylesheet is there");

    s.write("content/documents/a.md", &a("第一版正文，没有代码了。"));
    wait_log(&srv, "rebuilt in");
    assert!(raw(srv.port, "/documents/a/").2.contains("没有代码了"));
    assert!(!out.join("syntax.css").exists(), "no page has code: the stylesheet is gone");
    assert_eq!(differences_from_clean(&s, &out, "clean"), Vec::<String>::new(), "differs from a clean build");
}

/// A broken link in an FAQ answer is reported at the answer's line, and at its new line
/// when the front matter moves it (here a question folded on two lines made one, and a
/// line added after the questions, so the body starts where it did): serve's rebuilds
/// keep rendered bodies and their findings, which must follow the lines they were on.
#[test]
fn an_faq_answer_error_follows_its_line_across_rebuilds() {
    let s = site();
    let srv = start(&s);
    let a = |q: &str, after: &str| {
        let faq = format!("faq:\n  - q: {q}\n    a: 答，见[另文](doc:missing)。\n{after}");
        doc("a", &format!("attachments:\n  - title: 附件\n    path: files/附件.pdf\n{faq}"), "第一版正文。")
    };
    s.write("content/documents/a.md", &a(">-\n      问？", ""));
    let log = wait_log(&srv, "build failed");
    assert!(log.contains("content/documents/a.md:12:") && log.contains("`missing`"), "{log}");
    s.write("content/documents/a.md", &a("问？", "tags: [个人]\n"));
    let log = wait_log(&srv, "build failed");
    assert!(log.contains("content/documents/a.md:11:") && !log.contains("a.md:12:"), "{log}");
}

#[test]
fn the_page_reloads_itself_in_chromium() {
    if !browser_tools_available() {
        return;
    }
    let s = site();
    let srv = start(&s);
    let url = format!("http://127.0.0.1:{}/documents/a/", srv.port);
    let file = s.root().join("content/documents/a.md");
    let o = Command::new("node")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/reload.mjs"))
        .arg(&url)
        .arg(&file)
        .arg(doc("a", "", "浏览器看到的新版本。"))
        .arg(doc("a", "", "[坏](doc:nowhere)"))
        .arg("浏览器看到的新版本")
        .output()
        .expect("node");
    let r: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(r["reloaded"], true, "{r}");
    assert!(r["overlay"].as_str().is_some_and(|t| t.contains("unknown reference `nowhere`")), "{r}");
    assert_eq!(r["still_shows"], true, "the last good page stays under the overlay");
}

/// An editor saving `file` every `every`, with `version(n)` the n-th time (from 0), until
/// the flag returned is set; the thread returns how many saves it made.
fn editor(
    file: std::path::PathBuf,
    every: Duration,
    version: impl Fn(usize) -> String + Send + 'static,
) -> (std::sync::Arc<std::sync::atomic::AtomicBool>, std::thread::JoinHandle<usize>) {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let saves = std::thread::spawn(move || {
        let mut n = 0;
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            std::fs::write(&file, version(n)).expect("edit");
            n += 1;
            std::thread::sleep(every);
        }
        n
    });
    (stop, saves)
}

/// Resident memory of a process, in KB (Linux).
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn under_load_during_rebuilds_every_response_is_complete_and_correct() {
    let s = site();
    for i in 0..30 {
        s.write(&format!("content/documents/x{i}.md"), &doc(&format!("x{i}"), "", &"正文内容。".repeat(300)));
    }
    let srv = start(&s);
    let p = srv.port;
    let pid = srv.child.id();
    for _ in 0..3 {
        raw(p, "/documents/a/");
    }
    let rss_before = rss_kb(pid);
    // An editor saving every 100 ms, alternating two versions, while 50 clients read.
    let (stop, editor) = editor(s.root().join("content/documents/a.md"), Duration::from_millis(100), |n| {
        doc("a", "", &format!("{}正文。", if n % 2 == 0 { "版本甲" } else { "版本乙" }))
    });
    let paths = ["/documents/a/", "/", "/style.css", "/documents/x7/", "/feed.xml", "/api/documents.json"];
    let clients: Vec<_> = (0..50)
        .map(|c| {
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for i in 0..40 {
                    let path = paths[(c + i) % paths.len()];
                    let (st, head, body) = raw(p, path);
                    let len: Option<usize> = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok());
                    let complete = len.is_none_or(|n| n == body.len());
                    let correct = match path {
                        "/documents/a/" => {
                            body.contains("版本甲") || body.contains("第一版正文") || body.contains("版本乙")
                        }
                        "/documents/x7/" => body.matches("正文内容。").count() == 300,
                        "/style.css" => body.contains("text-align: right"),
                        "/feed.xml" => body.trim_end().ends_with("</feed>"),
                        "/api/documents.json" => serde_json::from_str::<serde_json::Value>(&body).is_ok(),
                        _ => body.trim_end().ends_with("</html>"),
                    };
                    if st != 200 || !complete || !correct {
                        failures.push(format!("{path}: status {st}, complete {complete}, correct {correct}"));
                    }
                    std::thread::sleep(Duration::from_millis(40));
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = clients.into_iter().flat_map(|c| c.join().expect("client")).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let edits = editor.join().expect("editor");
    assert!(
        failures.is_empty(),
        "{} of 2000 requests failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    assert!(edits >= 5, "rebuilds ran during the load ({edits} edits)");
    let log = srv.log_until_quiet(Duration::from_millis(300));
    // Full builds ("rebuilt") and fast body edits ("updated documents/a/…") both replace
    // files under the readers.
    let rebuilds = log.matches("rebuilt in").count() + log.matches("updated documents/a/index.html").count();
    assert!(rebuilds >= 3, "rebuilds ran during the load: {rebuilds}\n{log}");
    let rss_after = rss_kb(pid);
    assert!(
        rss_after < rss_before + 100 * 1024,
        "memory grew from {rss_before} KB to {rss_after} KB over 2000 requests and {edits} rebuilds"
    );
    eprintln!(
        "serve under load: 2000 requests, {edits} edits, {rebuilds} rebuilds, RSS {rss_before} KB -> {rss_after} KB"
    );
}

/// A front-matter edit is a full build, which writes serve's private folder in place: a
/// reader must see a page as one build or the next made it, never the start of the new
/// page over the end of the old one (the page is long, so its write takes a while).
#[test]
fn under_load_a_page_rewritten_in_place_is_never_read_half_written() {
    let s = site();
    let big =
        |v: &str| doc("big", &format!("topics: [{v}]\n"), &format!("{}\n\n结尾{v}。", "正文内容。".repeat(60_000)));
    s.write("content/documents/big.md", &big("版本甲"));
    let srv = start(&s);
    let p = srv.port;
    let (stop, editor) = editor(s.root().join("content/documents/big.md"), Duration::from_millis(150), move |n| {
        big(if n % 2 == 0 { "版本乙" } else { "版本甲" })
    });
    let readers: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                let t0 = Instant::now();
                while t0.elapsed() < Duration::from_secs(6) {
                    let (st, _, body) = raw(p, "/documents/big/");
                    let (a, b) = (body.contains("版本甲"), body.contains("版本乙"));
                    if st != 200 || a == b || !body.trim_end().ends_with("</html>") {
                        failures.push(format!("status {st}, 版本甲 {a}, 版本乙 {b}, {} bytes", body.len()));
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = readers.into_iter().flat_map(|r| r.join().expect("reader")).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let edits = editor.join().expect("editor");
    let log = srv.log_until_quiet(Duration::from_millis(300));
    assert!(
        failures.is_empty(),
        "{} reads were not one version of the page: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let rebuilds = log.matches("rebuilt in").count();
    assert!(rebuilds >= 5, "full builds ran during the reads ({edits} edits): {rebuilds}\n{log}");
}

#[test]
fn serve_removes_its_temporary_site_on_ctrl_c_and_sigterm() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let s = Site::new();
        s.write("content/documents/a.md", &doc("a", "", "正文。"));
        let tmp = s.root().join("tmp");
        std::fs::create_dir_all(&tmp).expect("mkdir");
        let mut srv = start_env(&s, &[], &[("TMPDIR", &tmp)]);
        let (status, _, _) = raw(srv.port, "/documents/a/");
        assert_eq!(status, 200);
        let pid = srv.child.id();
        assert!(tmp.join(format!("gazette-serve-{pid}")).is_dir(), "serve builds into the temp folder");
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0);
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(st) = srv.child.try_wait().expect("wait") {
                break st;
            }
            assert!(Instant::now() < deadline, "serve did not stop on signal {signal}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let left: Vec<String> = std::fs::read_dir(&tmp)
            .expect("ls")
            .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(left.is_empty(), "signal {signal}: left in the temp folder: {left:?}");
        assert!(status.success() || status.code() == Some(130) || status.code() == Some(143), "{status:?}");
    }
}

/// A fast edit writes into the output outside a build; the next build must know the files
/// as they are now. Here the body is put back in the same save as another file's front
/// matter edit (a full build): the page's bytes are those of the build before the fast
/// edit, so a record still holding that build's file would take the edited page for
/// unchanged and leave it.
#[test]
fn a_fast_edit_undone_in_a_full_build_leaves_the_site_as_a_clean_build_would() {
    let s = Site::new();
    let first = doc("a", "", "第一版正文。");
    s.write("content/documents/a.md", &first);
    s.write("content/documents/b.md", &doc("b", "", "乙的正文。"));
    let out = s.root().join("served");
    let srv = start_with(&s, &["-o", out.to_str().expect("utf-8 path")]);
    let p = srv.port;
    s.write("content/documents/a.md", &doc("a", "", "第二版正文。"));
    let log = wait_log(&srv, "search index");
    assert!(
        log.contains("updated documents/a/index.html"),
        "fast path taken:
{log}"
    );
    // One save of both files (one batch of events): a full build.
    s.write("content/documents/b.md", &doc("b", "", "乙的正文。").replace("title: 文件b", "title: 新标题乙"));
    s.write("content/documents/a.md", &first);
    wait_log(&srv, "rebuilt in");
    assert!(raw(p, "/documents/a/").2.contains("第一版正文"), "a's first body is back");
    assert_eq!(differences_from_clean(&s, &out, "clean"), Vec::<String>::new(), "differs from a clean build");
}

/// A rebuild in serve takes the last walk of `content/` with the paths the watcher saw
/// change. Folders moved in and out come as one event for the folder, not its files; a
/// file serve ignores as an editor's (`x.tmp`) is still an attachment the site publishes.
#[test]
fn folders_moved_in_and_out_and_ignored_names_leave_the_site_as_a_clean_build_would() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "甲的正文。"));
    s.write("content/files/a.pdf", "%PDF-1.4 a"); // (the folder exists: no event of its own below)
    let out = s.root().join("served");
    let srv = start_with(&s, &["-o", out.to_str().expect("utf-8 path")]);
    let p = srv.port;
    let mut n = 0;
    let mut same_as_clean = |what: &str| {
        n += 1;
        let found = differences_from_clean(&s, &out, &format!("clean{n}"));
        assert_eq!(found, Vec::<String>::new(), "{what}: differs from a clean build");
    };
    // A folder of documents made elsewhere and moved in.
    s.write("elsewhere/2027/c.md", &doc("c", "", "丙的正文。"));
    s.write("elsewhere/2027/d.md", &doc("d", "", "丁的正文。"));
    std::fs::rename(s.root().join("elsewhere/2027"), s.root().join("content/documents/2027")).expect("move in");
    wait_until("the moved-in folder's documents", || raw(p, "/documents/d/").2.contains("丁的正文"));
    same_as_clean("a folder moved in");
    // A file serve does not rebuild for, then an edit that rebuilds.
    s.write("content/files/x.tmp", "not an editor's file");
    std::thread::sleep(Duration::from_millis(300));
    s.write("content/documents/a.md", &doc("a", "", "甲的正文。").replace("title: 文件a", "title: 新标题甲"));
    wait_until("the new title", || raw(p, "/documents/a/").2.contains("新标题甲"));
    assert!(out.join("files/x.tmp").is_file(), "the attachment is published");
    same_as_clean("an attachment named like a temporary file");
    // The folder moved out again: its documents are gone.
    std::fs::rename(s.root().join("content/documents/2027"), s.root().join("elsewhere/again")).expect("move out");
    wait_until("the moved-out folder's documents to go", || raw(p, "/documents/d/").0 == 404);
    same_as_clean("a folder moved out");
}

/// Every kind of edit an editor makes while `serve --watch` runs goes through the full
/// build with what the previous build in the process left (files loaded, bodies rendered,
/// items indexed, see `build::Memo`); after each one the served folder is byte-identical
/// to a clean build. The edits are chosen so that reusing a body or a loaded file that
/// should not be reused shows: a new document whose 发文字号 another body already quotes
/// (that body now links to it), a service whose URL changes under a body linking to it,
/// an organ renamed, a cited document renamed.
#[test]
fn every_kind_of_edit_leaves_the_site_as_a_clean_build_would() {
    every_kind_of_edit(&[]);
}

/// The same with room in memory for a few changed files only: each build writes some in
/// place and moves the rest in from its staging folder.
#[test]
fn every_kind_of_edit_with_little_room_in_memory_leaves_the_site_as_a_clean_build_would() {
    every_kind_of_edit(&[("GAZETTE_TEST_IN_PLACE_ROOM", std::path::Path::new("20000"))]);
}

fn every_kind_of_edit(env: &[(&str, &std::path::Path)]) {
    let s = Site::new();
    // a is tagged: its title, dates and validity show in the finder's files too.
    s.write(
        "content/documents/a.md",
        &doc("a", "doc_number: 测府发〔2024〕1号\ntags: [企业]\n", "## 第一节\n\n甲的正文。"),
    );
    // b names a as its 政策依据: a's title and validity show on b's page too.
    s.write("content/documents/b.md", &doc("b", "basis: [a]\n", "根据测府发〔2024〕2号，办理[申请](service:sq)。"));
    s.write("content/documents/c.md", &doc("c", "", "见[甲文件](doc:a#第一节)。"));
    let mut served = Served::start_env(&s, env);
    let p = served.srv.port;
    let text = |rel: &str| std::fs::read_to_string(s.root().join(rel)).expect("read");

    s.write("content/documents/a.md", &text("content/documents/a.md").replace("title: 文件a", "title: 新标题甲"));
    served.check("a title");
    assert!(raw(p, "/documents/").2.contains("新标题甲"));
    assert!(raw(p, "/finder/meta/0.json").2.contains("新标题甲"), "the finder shows a's new title");
    assert!(raw(p, "/documents/b/").2.contains("新标题甲"), "b's 政策依据 shows a's new title");
    s.write(
        "content/documents/a.md",
        &text("content/documents/a.md").replace("published: 2024-05-01", "published: 2024-03-01\nexpires: 2024-12-31"),
    );
    served.check("dates and validity");
    // A new document repeals a: a's file is unchanged, yet its validity (shown in b's
    // 政策依据 box) is now 已废止.
    s.write("content/documents/f.md", &doc("f", "repeals: [a]\n", "己的正文。"));
    served.check("a document repealing a");
    assert!(raw(p, "/documents/b/").2.contains("已废止"), "b shows a repealed");
    s.write("content/documents/d.md", &doc("d", "doc_number: 测府发〔2024〕2号\n", "丁的正文。"));
    served.check("a new document whose number b quotes");
    assert!(raw(p, "/documents/b/").2.contains("documents/d/"), "b now links to d");
    s.remove("content/documents/d.md");
    served.check("that document removed");
    assert!(!raw(p, "/documents/b/").2.contains("documents/d/"), "b no longer links to d");
    // a takes the 发文字号 b quotes: no file added or removed, yet b's body now links to
    // a (a body is taken as it was only when none of the names it looked up changed).
    s.write("content/documents/a.md", &text("content/documents/a.md").replace("〔2024〕1号", "〔2024〕2号"));
    served.check("a's 发文字号 now the one b quotes");
    let b = raw(p, "/documents/b/").2;
    assert!(b.contains("根据<a href=\"../../documents/a/\">测府发〔2024〕2号</a>"), "b's body links to a: {b}");
    s.write("content/services.yaml", &SERVICES.replace("item/sq", "item/sq-new"));
    served.check("a service's URL");
    assert!(raw(p, "/documents/b/").2.contains("item/sq-new"), "b's body follows the service");
    s.write("content/organs.yaml", &ORGANS.replace("测试区人民政府\n", "测试区人民政府（新）\n"));
    served.check("an organ renamed");
    let c = text("content/documents/c.md");
    s.remove("content/documents/c.md");
    s.write("content/documents/c2.md", &c);
    served.check("a document's file renamed");
    s.write("content/documents/a.md", &text("content/documents/a.md").replace("## 第一节", "## 第一节\n\n## 第二节"));
    served.check("a body with a new heading");
    s.write("content/faqs/a.yaml", "for: a\nitems:\n  - q: 何时施行？\n    a: 见[申请](service:sq)。\n");
    served.check("a new FAQ set");
    s.write(
        "content/interpretations/jd-a.md",
        "---\nid: jd-a\ntitle: 解读甲\ninterprets: a\npublished: 2024-06-01\n---\n\n解读正文。\n",
    );
    served.check("a new interpretation");
    s.write(
        "content/interpretations/jd-a.md",
        &text("content/interpretations/jd-a.md").replace("解读正文", "修改后的解读正文"),
    );
    // A body-only edit of an interpretation may take the fast path: wait for either.
    wait_until("the interpretation to be served", || raw(p, "/interpretations/jd-a/").2.contains("修改后的解读正文"));
    // Either path ends with a line of its own (the fast path's search index, or the
    // build's summary); read it now, or the next check would take it for its own build.
    let mut seen = String::new();
    while !seen.contains("search index") && !seen.contains("rebuilt in") {
        seen = served.srv.log.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("no end of the edit"));
    }
    s.write(
        "content/interpretations/jd-a.md",
        &text("content/interpretations/jd-a.md").replace("title: 解读甲", "title: 解读甲（修订）"),
    );
    served.check("an interpretation's title, on the interpretations index");
    s.write("content/topics/t.md", "---\nid: t\ntitle: 专题\nmatch:\n  topics: [综合政务]\n---\n\n专题介绍。\n");
    served.check("a new topic");
    s.write("content/documents/a.md", &text("content/documents/a.md").replace("title: 新标题甲", "title: 新标题甲二"));
    served.check("a's title again, now shown on its interpretation's page");
    assert!(raw(p, "/interpretations/jd-a/").2.contains("新标题甲二"));

    // A mobile number in a title fails the build (the privacy lint); a later edit of
    // another file must not let it pass because the last build's checks are reused.
    let a = text("content/documents/a.md");
    s.write("content/documents/a.md", &a.replace("title: 新标题甲二", "title: 新标题甲（联系人13812345678）"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("personal information") && log.contains("138****5678"), "{log}");
    s.write("content/documents/b.md", &text("content/documents/b.md").replace("title: 文件b", "title: 文件乙"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("138****5678"), "still reported after another edit:\n{log}");
    s.write("content/documents/a.md", &a);
    served.check("the number removed");

    // The site's title in gazette.yaml: every page shows it (the theme the last build
    // loaded is not taken as it was once the configuration it was given changed).
    s.write("gazette.yaml", &text("gazette.yaml").replace("title: 测试区政府信息公开", "title: 测试区政务公开"));
    served.check("the site's title");
    assert!(raw(p, "/documents/a/").2.contains("测试区政务公开"), "a's page shows the site's new title");

    // What a file is checked against changes under it: its organ leaves organs.yaml. The
    // file did not change, yet the build must now fail at its line.
    s.write("content/documents/e.md", &doc("e", "", "戊。").replace("issuer: qzf", "issuer: qfb"));
    served.check("a document of another organ");
    s.write("content/organs.yaml", "- id: qzf\n  name: 测试区人民政府\n");
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("content/documents/e.md:4:1: error: unknown organ `qfb`"), "{log}");
}

/// An organs.yaml or services.yaml entry edited: only what shows an item that names the
/// entry is made again (each item's inputs key holds the entries it names, not the whole
/// files), and that must still be everything that shows it: the item's own page, its row
/// on another document's page and in listings, its organ's listing and feed, its
/// interpretation's page, its catalogue entry and search line.
#[test]
fn registry_edits_leave_the_site_as_a_clean_build_would() {
    let s = Site::new();
    let organs = "- id: qzf\n  name: 测试区人民政府\n- id: qfb\n  name: 测试区人民政府办公室\n  parent: qzf\n  code: QFB01\n  url: https://qfb.example.gov.cn/\n";
    s.write("content/organs.yaml", organs);
    s.write(
        "content/services.yaml",
        &format!("{SERVICES}- id: bz\n  name: 补贴申领\n  url: https://zwdt.example.gov.cn/item/bz\n"),
    );
    s.write("content/documents/a.md", &doc("a", "", "甲的正文。"));
    // b is qfb's, with a service; c (qzf's) shows b's row as its 政策依据.
    s.write(
        "content/documents/b.md",
        &doc("b", "services: [sq]\nrelated: [a]\n", "乙的正文。").replace("issuer: qzf", "issuer: qfb"),
    );
    s.write("content/documents/c.md", &doc("c", "basis: [b]\nservices: [bz]\n", "丙的正文。"));
    s.write(
        "content/interpretations/jd-b.md",
        "---\nid: jd-b\ntitle: 解读乙\ninterprets: b\nissuer: qfb\npublished: 2024-06-01\n---\n\n解读正文。\n",
    );
    let mut served = Served::start(&s);
    let p = served.srv.port;
    let organs = organs.replace("测试区人民政府办公室", "测试区政府办公室（新）");
    s.write("content/organs.yaml", &organs);
    served.check("an organ renamed that one document of three names");
    assert!(raw(p, "/documents/c/").2.contains("测试区政府办公室（新）"), "c shows b's row with b's organ's new name");
    assert!(raw(p, "/interpretations/jd-b/").2.contains("测试区政府办公室（新）"), "jd-b's issuer");
    assert!(raw(p, "/organs/qfb/").2.contains("测试区政府办公室（新）"), "the organ's listing");
    let organs = organs.replace("QFB01", "QFB02").replace("qfb.example", "qfb2.example");
    s.write("content/organs.yaml", &organs);
    served.check("an organ's code and site");
    assert!(raw(p, "/organs/qfb/").2.contains("qfb2.example"), "the organ's listing shows its new site");
    s.write("content/organs.yaml", &format!("- id: qjw\n  name: 测试区教育局\n{organs}"));
    served.check("an organ added above the others");
    s.write(
        "content/services.yaml",
        &format!("{SERVICES}- id: bz\n  name: 补贴在线申领\n  url: https://zwdt.example.gov.cn/item/bz\n"),
    );
    served.check("a service renamed that one document names");
    assert!(raw(p, "/documents/c/").2.contains("补贴在线申领"), "c shows its service's new name");
    s.write(
        "content/services.yaml",
        &format!(
            "{}- id: bz\n  name: 补贴在线申领\n  url: https://zwdt.example.gov.cn/item/bz2\n  organ: qfb\n",
            SERVICES.replace("政府信息公开申请", "信息公开申请（新）")
        ),
    );
    served.check("a service renamed, another's URL and organ changed");
    assert!(raw(p, "/documents/b/").2.contains("信息公开申请（新）"), "b's service's new name");
    assert!(raw(p, "/documents/c/").2.contains("item/bz2"), "c's service's new URL");
}

/// A document added or removed before others in the library's order renumbers them,
/// and what the kept bodies' lookups gave (link targets, citations: item numbers) must
/// follow: the cited document's 被引用 and the citing page stay as a clean build makes
/// them. (Taking a kept body's answers over without renumbering them fails here.)
#[test]
fn a_document_added_before_others_leaves_their_citations_as_a_clean_build_would() {
    let s = Site::new();
    s.write("content/documents/b-m.md", &doc("m", "", "依据测府发〔2024〕9号，见[第一节](doc:z#第一节)。"));
    s.write("content/documents/c-z.md", &doc("z", "doc_number: 测府发〔2024〕9号\n", "## 第一节\n\n正文。"));
    let mut served = Served::start(&s);
    let p = served.srv.port;
    let cited = |p: u16| raw(p, "/documents/z/").2.contains("documents/m/");
    assert!(cited(p), "z shows that m cites it");
    s.write("content/documents/a-new.md", &doc("new", "", "新文件。"));
    served.check("a document added before the citing and the cited one");
    assert!(cited(p), "z still shows that m cites it");
    s.remove("content/documents/a-new.md");
    served.check("that document removed");
    assert!(cited(p), "and again after it is removed");
}

/// Edits that leave every count as it was, one front-matter field at a time: serve takes
/// the last build's resolved index as it is when no field resolving reads changed (a
/// title), and must resolve again for each field it does read.
#[test]
fn each_field_resolving_reads_is_seen_after_an_edit_that_reused_the_index() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "doc_number: 测府发〔2024〕1号\ntags: [企业]\n", "甲的正文。"));
    s.write("content/documents/b.md", &doc("b", "", "乙的正文。"));
    s.write("content/documents/c.md", &doc("c", "", "依据测府发〔2024〕1号制定。"));
    s.write(
        "content/interpretations/jd.md",
        "---\nid: jd\ntitle: 解读\ninterprets: a\npublished: 2024-06-01\n---\n\n解读正文。\n",
    );
    s.write("content/topics/t.md", "---\nid: t\ntitle: 企业专题\nmatch:\n  tags: [企业]\n---\n\n专题。\n");
    let out = s.root().join("served");
    let srv = start_with(&s, &["-o", out.to_str().expect("utf-8 path")]);
    let p = srv.port;
    let text = |rel: &str| std::fs::read_to_string(s.root().join(rel)).expect("read");
    let mut n = 0;
    let mut edit = |rel: &str, from: &str, to: &str| {
        let before = text(rel);
        assert!(before.contains(from), "{rel} has {from:?}");
        s.write(rel, &before.replace(from, to));
        n += 1;
        served_as_clean(&srv, &s, &out, &format!("clean{n}"), &format!("{rel}: {from:?} → {to:?}"));
    };
    let page = |path: &str| raw(p, path).2;

    edit("content/documents/a.md", "title: 文件a", "title: 新标题甲");
    assert!(page("/documents/").contains("新标题甲"));
    edit("content/documents/c.md", "published: 2024-05-01\n", "published: 2024-05-01\nbasis: [a]\n");
    assert!(page("/documents/a/").contains("以本文件为依据"), "a lists c, which names it as its basis");
    edit("content/documents/b.md", "published: 2024-05-01", "published: 2023-02-01");
    assert!(page("/documents/b/").contains("2023-02-01"));
    edit("content/documents/a.md", "tags: [企业]", "tags: [个人]");
    assert!(!page("/topics/t/").contains("documents/a/"), "the topic matches a by its tag no more");
    edit("content/documents/a.md", "〔2024〕1号", "〔2024〕9号");
    assert!(!page("/documents/c/").contains("documents/a/\">测府发"), "c quotes a number a no longer has");
    edit("content/interpretations/jd.md", "interprets: a", "interprets: b");
    assert!(page("/documents/b/").contains("interpretations/jd/"), "b shows its 解读");
    edit("content/documents/a.md", "tags: [个人]", "tags: [个人]\nvalidity: 已废止");
    assert!(page("/documents/a/").contains("已废止"));
    edit("content/documents/c.md", "basis: [a]", "basis: [a]\ndraft: true");
    assert_eq!(raw(p, "/documents/c/").0, 404, "a draft is not published");
    assert!(!page("/documents/a/").contains("以本文件为依据"), "nor listed as citing a");
}

/// A theme folder made while serve runs (an editor's first template override) is picked
/// up, and so are later edits inside it.
#[test]
fn a_theme_folder_made_while_serving_is_watched() {
    let s = site();
    assert!(!s.root().join("themes").exists());
    let srv = start_with(&s, &[]);
    let p = srv.port;
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/base.html"),
    )
    .expect("base.html");
    s.write("themes/default/templates/base.html", &base.replacen("</footer>", "<p>模板一</p></footer>", 1));
    wait_until("the new theme folder's template to be used", || raw(p, "/").2.contains("模板一"));
    s.write("themes/default/templates/base.html", &base.replacen("</footer>", "<p>模板二</p></footer>", 1));
    wait_until("an edit inside it to be used", || raw(p, "/").2.contains("模板二"));
}

/// A body serve takes from its last build as it was (its text and what its links found
/// unchanged) still has its warnings reported on each rebuild, as a body rendered again
/// would.
#[test]
fn a_kept_bodys_warnings_are_reported_on_every_rebuild() {
    let s = Site::new();
    let body = "正文。\n\n<iframe src=\"https://video.example.org/x\"></iframe>\n";
    s.write("content/documents/a.md", &doc("a", "", body));
    s.write("content/documents/b.md", &doc("b", "", "正文。"));
    let srv = start(&s);
    let warned = "removed: its host is not in `iframe_hosts`";
    for title in ["新标题乙", "新标题丙"] {
        s.write("content/documents/b.md", &doc("b", "", "正文。").replace("title: 文件b", &format!("title: {title}")));
        let log = wait_log(&srv, "rebuilt in");
        let line = log.lines().find(|l| l.contains(warned));
        assert!(line.is_some_and(|l| l.contains("content/documents/a.md:")), "a's warning, at its file:\n{log}");
    }
}

/// serve keeps each document's metadata warnings between builds: a warning stays
/// reported on a rebuild for another file's edit, follows its own file's edit, and goes
/// once the file is fixed.
#[test]
fn metadata_warnings_follow_edits_across_rebuilds() {
    let s = Site::new();
    // 发文字号 of 2023, 成文日期 in 2024: a warning at its line.
    let a = |number: &str| doc("a", &format!("doc_number: 测府发〔{number}〕1号\nwritten: 2024-04-20\n"), "正文。");
    s.write("content/documents/a.md", &a("2023"));
    s.write("content/documents/b.md", &doc("b", "", "正文。"));
    let srv = start(&s);
    let warned = "content/documents/a.md:6:1: warning: 发文字号 year 2023 differs from the 成文日期 year 2024";
    // A title edit in another file: a full build that reports a's warning again.
    s.write("content/documents/b.md", &doc("b", "", "正文。").replace("title: 文件b", "title: 新标题乙"));
    let log = wait_log(&srv, "rebuilt in");
    assert!(log.contains(warned), "a's warning is still reported:\n{log}");
    // a's own edit moves the warning to the new line.
    s.write("content/documents/a.md", &a("2023").replace("---\nid: a\n", "---\nid: a\nlang: zh\n"));
    let log = wait_log(&srv, "rebuilt in");
    assert!(log.contains(&warned.replace("a.md:6:1", "a.md:7:1")), "at its new line:\n{log}");
    // Fixed: the warning goes.
    s.write("content/documents/a.md", &a("2024"));
    let log = wait_log(&srv, "rebuilt in");
    assert!(!log.contains("发文字号 year"), "no warning once fixed:\n{log}");
}

/// A rebuild (a title or a template edited, a document added or deleted) checks only the
/// pages it rendered and those that link to a file it no longer writes, the others being
/// the files that passed the last gate. A link no Markdown writes (a theme's) still fails
/// the build however it breaks: on a page rendered again, on a page not rendered again
/// whose target drops the id it names, or whose target file is gone (a theme's file, a
/// document deleted); and a new page's links are checked against every file, the new
/// ones too.
#[test]
fn a_rebuild_that_renders_a_few_pages_still_fails_on_every_broken_link() {
    let s = Site::new();
    for i in 0..30 {
        s.write(&format!("content/documents/f{i:02}.md"), &doc(&format!("f{i:02}"), "", "正文。"));
    }
    let b = |title: &str, body: &str| doc("b", "", body).replace("文件b", title);
    s.write("content/documents/b.md", &b("文件b", "## 第一节\n\n乙的正文。"));
    // The theme's page template links to a file of the theme's and to a heading of b.
    let page = |extra: &str| {
        format!(
            "{{% extends \"base.html\" %}}{{% block content %}}<h1>{{{{ pg.title }}}}</h1>\
             <p><a href=\"{{{{ root }}}}extra.css\">样式</a> <a href=\"{{{{ root }}}}documents/b/#第一节\">乙</a>{extra}</p>\
             {{{{ pg.body | safe }}}}{{% endblock content %}}"
        )
    };
    s.write("themes/default/templates/page.html", &page(""));
    s.write("themes/default/static/extra.css", "p {}");
    s.write("content/pages/about.md", "---\nid: about\ntitle: 关于\n---\n\n关于本站。\n");
    let mut served = Served::start(&s);

    // The page rendered again (the only one of its template) is checked.
    s.write("themes/default/templates/page.html", &page(" <a href=\"{{ root }}missing.css\">缺</a>"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("missing.css") && log.contains("pages/about/index.html"), "{log}");
    s.write("themes/default/templates/page.html", &page(""));
    served.check("the template mended");

    // b keeps its files and its place, and loses the heading the page about links to:
    // that page is not rendered again, and its link breaks.
    s.write("content/documents/b.md", &b("乙的新标题", "乙的正文，没有小节了。"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("第一节") && log.contains("pages/about/index.html"), "{log}");
    s.write("content/documents/b.md", &b("乙的新标题", "## 第一节\n\n乙的正文。"));
    served.check("the heading back");

    // The file the theme's page links to is gone: no page changes, the link breaks.
    s.remove("themes/default/static/extra.css");
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("extra.css") && log.contains("pages/about/index.html"), "{log}");
    s.write("themes/default/static/extra.css", "p {}");
    served.check("the file back");

    // A document added: its pages and the lists that show it are new or rendered again,
    // checked against every file of the new output (the new document's own page too).
    let c = |body: &str| doc("c", "", body);
    s.write("content/documents/c.md", &c("见[乙](doc:b#第九节)。"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("第九节") && log.contains("content/documents/c.md"), "{log}");
    s.write("content/documents/c.md", &c("见[乙](doc:b#第一节)和[本文](doc:c)。"));
    served.check("a document added, its links mended");
    s.write("content/documents/d.md", &doc("d", "", "见<a href=\"../zz-missing/\">缺</a>。"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("zz-missing") && log.contains("content/documents/d.md"), "{log}");
    s.remove("content/documents/d.md");
    served.check("the broken document removed");

    // A document removed: the page about is not rendered again, and its link to b breaks.
    s.remove("content/documents/b.md");
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("documents/b/") && log.contains("pages/about/index.html"), "{log}");
    s.write("content/documents/b.md", &b("乙的新标题", "## 第一节\n\n乙的正文。"));
    served.check("b back");
}

/// A file gone is a change like any other unless it is an editor's scratch file: a
/// template override, a FAQ set or a theme's static file removed while serving leaves the
/// site as a clean build would (it was once taken for a scratch file, and nothing was
/// built).
#[test]
fn files_removed_while_serving_leave_the_site_as_a_clean_build_would() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "甲的正文。"));
    s.write("content/faqs/a.yaml", "for: a\nitems:\n  - q: 怎么申请？\n    a: 在线申请。\n");
    s.write(
        "themes/default/templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<h1>自定义 {{ pg.title }}</h1>{% endblock content %}",
    );
    s.write("themes/default/static/extra.css", "p {}");
    s.write("content/pages/about.md", "---\nid: about\ntitle: 关于\n---\n\n关于本站。\n");
    let mut served = Served::start(&s);
    let p = served.srv.port;
    assert!(raw(p, "/pages/about/").2.contains("自定义"));
    s.remove("themes/default/templates/page.html");
    served.check("a template override removed");
    assert!(!raw(p, "/pages/about/").2.contains("自定义"), "the default template is back");
    s.remove("content/faqs/a.yaml");
    served.check("a FAQ set removed");
    assert!(!raw(p, "/documents/a/").2.contains("怎么申请"));
    s.remove("themes/default/static/extra.css");
    served.check("a static file removed");
    assert_eq!(raw(p, "/extra.css").0, 404);
}

/// serve writes each listing row once per page depth with the theme's `doc_row.html`
/// and pastes it into every list at that depth, taking its links as resolved once. A
/// site's own row template is used for that as for a clean build; documents added and
/// redated move every list page and leave them as a clean build would; and a broken
/// link in a row fails the rebuild, whether it leads to the site root (resolved once for
/// the row) or stays on the page (scanned on each page that shows the row).
#[test]
fn rows_written_once_and_pasted_leave_the_lists_as_a_clean_build_would() {
    let s = Site::new();
    s.write("gazette.yaml", &format!("{CONFIG}per_page: 4\n"));
    for i in 0..9 {
        s.write(&format!("content/documents/d{i}.md"), &doc(&format!("d{i}"), "topics: [综合政务]\n", "正文。"));
    }
    s.write("content/topics/t.md", "---\nid: t\ntitle: 专题\nmatch:\n  topics: [综合政务]\n---\n\n专题介绍。\n");
    let default_row = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes/default/templates/doc_row.html"),
    )
    .expect("doc_row.html");
    let row = |extra: &str| default_row.replacen("</li>", &format!("{extra}</li>"), 1);
    s.write("themes/default/templates/doc_row.html", &row("<a class=\"all\" href=\"{{ root }}documents/\">全部</a>"));
    let mut served = Served::start(&s);
    let p = served.srv.port;
    let page2 = raw(p, "/documents/page/2/").2;
    assert_eq!(page2.matches("class=\"all\" href=\"../../../documents/\"").count(), 4, "{page2}");

    s.write(
        "content/documents/new.md",
        &doc("new", "topics: [综合政务]\n", "新的。").replace("2024-05-01", "2024-06-01"),
    );
    served.check("a document added at the top of every list");
    assert!(raw(p, "/documents/").2.contains("文件new"));
    s.write(
        "content/documents/d3.md",
        &doc("d3", "topics: [综合政务]\n", "正文。").replace("2024-05-01", "2023-01-01"),
    );
    served.check("a document redated to the end of every list");

    s.write("themes/default/templates/doc_row.html", &row("<a href=\"{{ root }}no-such-list/\">坏</a>"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("no-such-list") && log.contains("documents/page/2/index.html"), "{log}");
    s.write("themes/default/templates/doc_row.html", &row("<a href=\"#main\">回到正文</a>"));
    served.check("a row linking within its page");
    assert!(raw(p, "/topics/t/").2.contains("<a href=\"#main\">回到正文</a>"));
    s.write("themes/default/templates/doc_row.html", &row("<a href=\"#no-such-id\">坏</a>"));
    let log = wait_log(&served.srv, "build failed");
    assert!(log.contains("no-such-id"), "{log}");
    s.write("themes/default/templates/doc_row.html", &default_row);
    served.check("the default row back");
}

/// serve copies each search item's facet entries (文种, topics, tags…) from the last
/// build's arrays when an edit only moves, adds or removes items, and makes them again
/// when the items' new order shows the values first in another order (they are numbered
/// in that order) or a value comes or goes. Each such edit leaves the search index as a
/// clean build would.
#[test]
fn facet_values_moved_renumbered_added_and_gone_leave_the_search_index_as_a_clean_build_would() {
    let s = Site::new();
    let dated = |id: &str, date: &str, extra: &str| doc(id, extra, "正文。").replace("2024-05-01", date);
    s.write("content/documents/a.md", &dated("a", "2024-01-01", "doc_type: 通知\ntopics: [教育]\ntags: [企业]\n"));
    s.write(
        "content/documents/b.md",
        &dated("b", "2024-02-01", "doc_type: 意见\ntopics: [卫生, 教育]\ntags: [个人]\n"),
    );
    s.write(
        "content/documents/c.md",
        &dated("c", "2024-03-01", "doc_type: 通知\ntopics: [教育]\ntags: [企业, 个人]\n"),
    );
    let mut served = Served::start(&s);
    let p = served.srv.port;
    let config = || raw(p, "/search/config.json").2;
    assert!(config().contains(r#""types":["通知","意见"]"#), "{}", config());
    let text = |rel: &str| std::fs::read_to_string(s.root().join(rel)).expect("read");
    let redate = |id: &str, from: &str, to: &str| {
        let path = format!("content/documents/{id}.md");
        s.write(&path, &text(&path).replace(&format!("published: {from}"), &format!("published: {to}")));
    };
    // c moves between a and b: every value keeps its number.
    redate("c", "2024-03-01", "2024-01-15");
    served.check("c moved between a and b");
    // b moves before a: 意见, 卫生 and 个人 now show first.
    redate("b", "2024-02-01", "2023-12-01");
    served.check("b moved first");
    assert!(config().contains(r#""types":["意见","通知"]"#), "{}", config());
    // A document with a 文种 no other has, then that document removed.
    s.write("content/documents/d.md", &dated("d", "2023-06-01", "doc_type: 办法\ntags: [企业]\n"));
    served.check("a new 文种");
    assert!(config().contains(r#""types":["办法","意见","通知"]"#), "{}", config());
    s.remove("content/documents/d.md");
    served.check("that 文种 gone");
    // A document between the others without a value, then its tag edited.
    s.write("content/documents/e.md", &dated("e", "2024-01-10", ""));
    served.check("a document without facets");
    s.write(
        "content/documents/e.md",
        &text("content/documents/e.md").replace("正文。", "正文。\n").replace("---\n\n", "tags: [个人]\n---\n\n"),
    );
    served.check("its tag");
}

#[test]
fn listings_with_a_few_documents_moved_between_values_are_as_a_clean_build_would_make_them() {
    // Two to a page, so a document that moves shifts the pages after it. serve puts the
    // changed documents back in the listings it kept while every value keeps a document
    // (and groups them anew when one comes or goes): each step is compared with a clean
    // build, listing pages, browse pages, feeds and search index alike.
    let s = Site::new();
    s.write("gazette.yaml", &format!("{CONFIG}per_page: 2\n"));
    let dated = |id: &str, date: &str, extra: &str| doc(id, extra, "正文。").replace("2024-05-01", date);
    let rule = "normative: true\nregistration: 测试规〔2023〕1号\n";
    let docs = [
        ("a", "2023-02-01", format!("doc_type: 通知\ntopics: [教育]\ntags: [企业]\n{rule}")),
        ("b", "2023-07-01", "doc_type: 意见\ntopics: [卫生]\ntags: [个人]\n".to_string()),
        ("c", "2024-01-01", "doc_type: 通知\ntopics: [教育, 卫生]\ntags: [企业, 个人]\n".to_string()),
        ("d", "2024-03-01", "doc_type: 意见\ntopics: [教育]\nissuer: qfb\n".to_string()),
        ("e", "2024-06-01", "doc_type: 通知\ntopics: [卫生]\ntags: [个人]\nvalidity: 已废止\n".to_string()),
        ("f", "2024-09-01", "doc_type: 意见\ntopics: [教育]\ntags: [企业]\n".to_string()),
    ];
    for (id, date, extra) in &docs {
        let text = dated(id, date, extra);
        // (d's issuer is its own line, replacing the one `doc` writes.)
        let text = if extra.contains("issuer:") { text.replacen("issuer: qzf\n", "", 1) } else { text };
        s.write(&format!("content/documents/{id}.md"), &text);
    }
    let mut served = Served::start(&s);
    let p = served.srv.port;
    let text = |rel: &str| std::fs::read_to_string(s.root().join(rel)).expect("read");
    let change = |id: &str, from: &str, to: &str| {
        let path = format!("content/documents/{id}.md");
        let was = text(&path);
        assert!(was.contains(from), "{path} has {from:?}");
        s.write(&path, &was.replacen(from, to, 1));
    };
    // One edit, then the served folder compared with a clean build.
    let mut step = |id: &str, from: &str, to: &str, what: &str| {
        change(id, from, to);
        served.check(what);
    };
    // a, the oldest, becomes the newest: a year's listing gains it, the other's loses it.
    step("a", "published: 2023-02-01", "published: 2024-12-01", "a dated last");
    assert!(raw(p, "/documents/").2.contains("文件a"), "the first page of 公文库 shows a");
    // Then it goes back between the others, the same year as b.
    step("a", "published: 2024-12-01", "published: 2023-09-01", "a dated between");
    // A topic and a 文种 for values other documents have.
    step("c", "topics: [教育, 卫生]", "topics: [卫生]", "c out of 教育");
    step("b", "doc_type: 意见", "doc_type: 通知", "b another 文种");
    // Validity and the 规范性文件 flag: its listing and the validity browse pages.
    step("e", "validity: 已废止\n", "", "e valid again");
    step("a", "normative: true\n", "normative: false\n", "a no longer normative");
    step("a", "normative: false\n", "normative: true\n", "a normative again");
    // Two documents changed in one rebuild: a tag and a date.
    change("f", "tags: [企业]", "tags: [个人]");
    step("d", "published: 2024-03-01", "published: 2023-01-01", "f and d at once");
    // A value's last document leaves it (its listing goes), then one comes back to it.
    step("b", "doc_type: 通知", "doc_type: 办法", "b to a 文种 of its own");
    step("b", "doc_type: 办法", "doc_type: 意见", "办法 gone again");
    let (status, _, browse) = raw(p, "/browse/");
    assert!(status == 200 && browse.contains("通知") && !browse.contains("办法"), "{status} {browse}");
    // Another issuer: the organs' listings.
    step("d", "issuer: qfb", "issuer: qzf", "d to the other organ");
    // Hidden, then shown again.
    step("c", "---\n\n", "draft: true\n---\n\n", "c a draft");
    step("c", "draft: true\n", "", "c shown again");
    // Two values that share a URL segment (教育-科技): the listing shows the one its
    // newest document has, whichever document changed.
    step("e", "topics: [卫生]", "topics: [卫生, 教育 科技]", "a topic 教育 科技");
    step("f", "topics: [教育]", "topics: [教育, 教育/科技]", "a topic 教育/科技 sharing its segment");
    let (status, _, topic) = raw(p, "/browse/topic/%E6%95%99%E8%82%B2-%E7%A7%91%E6%8A%80/");
    assert!(status == 200 && topic.contains("教育/科技"), "{status} {topic}");
}
