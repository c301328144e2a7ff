//! The default theme in a real browser (Debian's Chromium via playwright-core, see
//! tests/browser/check.mjs): axe-core finds no serious or critical violation on any page
//! type, pages do not overflow a 360–375 px phone, keyboard-only use reaches search and the
//! 办 button with a visible focus, the 适老化 switch is remembered, pages read without JS;
//! the W3C Nu checker finds no error; a typical document page stays under 60 KB.
//! Screenshots are written to tests/artifacts/<site>/.

mod common;
use common::{browser_tools_available, build_into, built_demo, generated_site};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn browser_report(out: &Path, name: &str, pages: &[&str]) -> serde_json::Value {
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts").join(name);
    let o = Command::new("node")
        .arg(tools_dir().join("check.mjs"))
        .arg(out)
        .arg(&artifacts)
        .args(pages)
        .output()
        .expect("node");
    assert!(o.status.success(), "browser run failed:\n{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("report json")
}

fn assert_report(r: &serde_json::Value) {
    for p in r["pages"].as_array().expect("pages") {
        let path = p["path"].as_str().unwrap_or("");
        assert_eq!(p["status"], 200, "{path}");
        assert!(p["errors"].as_array().is_some_and(|e| e.is_empty()), "{path}: script errors {}", p["errors"]);
        assert!(p["csp"].as_array().is_some_and(|e| e.is_empty()), "{path}: CSP violations {}", p["csp"]);
        let csp = p["csp_header"].as_str().unwrap_or("");
        assert!(csp.contains("script-src 'self'"), "{path}: served without the _headers CSP ({csp:?})");
        let bad: Vec<&serde_json::Value> = p["axe"]
            .as_array()
            .expect("axe")
            .iter()
            .filter(|v| v["impact"] == "serious" || v["impact"] == "critical")
            .collect();
        assert!(bad.is_empty(), "{path}: axe violations {bad:#?}");
        assert_eq!(p["overflow_mobile"], false, "{path}: horizontal scrolling on a phone");
        for s in p["screenshots"].as_array().expect("shots") {
            assert!(Path::new(s.as_str().expect("path")).exists());
        }
    }
    let keys = r["keyboard"].as_array().expect("keyboard report");
    assert_eq!(keys[0]["text"], "跳到正文", "the skip link comes first");
    assert!(keys.iter().any(|k| k["text"] == "搜索"), "Tab reaches search");
    assert!(keys.iter().any(|k| k["cls"].as_str().unwrap_or("").contains("ban")), "Tab reaches the 办 button");
    for k in keys.iter().filter(|k| k["tag"] != "BODY") {
        assert_eq!(k["outline"], true, "focus is visible on {k}");
    }
    let e = &r["elder"];
    assert!(e["after"].as_f64() > e["before"].as_f64(), "适老化 enlarges text: {e}");
    assert_eq!(e["remembered"], true);
    assert_eq!(e["pressed"], "true");
    let n = &r["nojs"];
    assert!(n["h1"].as_str().is_some_and(|h| !h.is_empty()), "readable without JS");
    assert_eq!(n["faqOpened"], true, "FAQ expands without JS");
    assert_eq!(n["toggleHidden"], true, "no dead 适老化 button without JS");
}

/// Every HTML page passes the W3C Nu checker (vnu-jar) with no errors.
fn assert_valid_html(out: &Path, limit: usize) {
    let jar = tools_dir().join("node_modules/vnu-jar/build/dist/vnu.jar");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "html") {
                files.push(p);
            }
        }
    }
    files.sort();
    files.truncate(limit);
    let o = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "json"])
        .args(&files)
        .output()
        .expect("java");
    let v: serde_json::Value = serde_json::from_slice(&o.stderr).expect("vnu json");
    let msgs = v["messages"].as_array().expect("messages");
    assert!(msgs.is_empty(), "Nu checker errors: {msgs:#?}");
    assert!(files.len() > 10, "checked {} pages", files.len());
}

#[test]
fn demo_library_in_the_browser() {
    if !browser_tools_available() {
        return;
    }
    let (_tmp, out) = built_demo();
    let pages = [
        "",
        "documents/jtw-2024-323/",
        "documents/fxq-2025-zwgk/",
        "documents/jtw-2024-323-en/",
        "documents/",
        "interpretations/jd-jaqb-2023-5/",
        "interpretations/",
        "organs/jtw/",
        "organs/",
        "topics/zwgk-yaodian/",
        "gazette/2024/1/",
        "gazette/2024/1/all/",
        "gazette/",
        "pages/about/",
        "decisions/sjq-2024-zwgk-jc/",
        "decisions/",
        "normative/",
        "browse/",
        "search/",
        "tags/",
        "tags/企业/",
        "finder/",
        "404.html",
    ];
    let r = browser_report(&out, "demo", &pages);
    assert_report(&r);
    assert_valid_html(&out, 500);
    // Page weight of a typical document page: HTML + CSS + JS, before compression.
    let weight: u64 = ["documents/jtw-2024-323/index.html", "style.css", "gazette.js"]
        .iter()
        .map(|f| std::fs::metadata(out.join(f)).expect("file").len())
        .sum();
    eprintln!("page weight of documents/jtw-2024-323/: {weight} bytes");
    assert!(weight < 60 * 1024, "typical document page weighs {weight} bytes");
}

#[test]
fn generated_corpus_in_the_browser() {
    if !browser_tools_available() {
        return;
    }
    let Some(site) = generated_site(1000) else { return };
    let out = site.root().join("public");
    build_into(site.root(), &out);
    // A document with 阅办联动 services, so the keyboard check can reach its 办 button,
    // and FAQ, so the check without JavaScript can open one. (In name order: the order of
    // `read_dir` is the file system's, and differs between tmpfs and ext4.)
    let mut docs: Vec<String> = std::fs::read_dir(out.join("documents"))
        .expect("docs")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    docs.sort();
    let doc = docs
        .into_iter()
        .find(|n| {
            std::fs::read_to_string(out.join("documents").join(n).join("index.html"))
                .is_ok_and(|h| h.contains("class=\"ban\"") && h.contains("<section class=\"faq\""))
        })
        .expect("a document with services and FAQ");
    let interp = std::fs::read_dir(out.join("interpretations"))
        .expect("interps")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("jd-"))
        .expect("an interpretation");
    let pages = [
        String::new(),
        format!("documents/{doc}/"),
        "documents/page/2/".into(),
        format!("interpretations/{interp}/"),
        "organs/szf/".into(),
        "browse/type/通知/".into(),
    ];
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let r = browser_report(&out, "corpus-1k", &pages);
    assert_report(&r);
    assert_valid_html(&out, 300);
}
