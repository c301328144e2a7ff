//! The repo's own demo library, and a synthetic library written from the contract by
//! ../shared/bench/gen_corpus.py (not by us), both build cleanly.

mod common;
use common::generated_site;
use std::path::Path;
use std::process::Command;

fn gazette(args: &[&str], root: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(args)
        .arg("--root")
        .arg(root)
        .arg("-o")
        .arg(out)
        .output()
        .expect("run gazette")
}

#[test]
fn demo_library_builds_with_zero_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("public");
    let o = gazette(&["build", "--deny-warnings", "--date", "2025-06-01"], root, &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    for f in [
        "documents/jtw-2024-323/index.html",
        "documents/jaqb-2023-5/index.html",
        "interpretations/jd-jaqb-2023-5/index.html",
        "gazette/2024/1/index.html",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let jtw = std::fs::read_to_string(out.join("documents/jtw-2024-323/index.html")).expect("read");
    assert!(jtw.contains("002421191K/2024-00025") && jtw.contains("沪交办〔2024〕323号"));
}

#[test]
fn generated_contract_corpus_builds() {
    let Some(generated) = generated_site(1000) else { return };
    let site = generated.root();
    let out = site.join("public");
    let o = gazette(&["build", "--date", "2026-01-01"], site, &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let catalog: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("api/documents.json")).expect("catalog")).expect("json");
    let n_docs = walk_count(&site.join("content/documents"));
    assert_eq!(catalog["count"].as_u64(), Some(n_docs as u64), "every generated document is published");
    // Every listing is paginated at 50 per page: count the rows of each listing's pages.
    for listing in
        ["documents", "organs/szf", "organs/fgw", "browse/year/2020", "browse/type/通知", "browse/validity/valid"]
    {
        let dir = out.join(listing);
        assert!(dir.join("index.html").exists(), "{listing}");
        let mut rows = 0;
        let mut page = 1;
        loop {
            let f = if page == 1 { dir.join("index.html") } else { dir.join(format!("page/{page}/index.html")) };
            let Ok(html) = std::fs::read_to_string(&f) else { break };
            let n = html.matches("class=doc-row").count() + html.matches("class=\"doc-row\"").count();
            assert!(n <= 50, "{listing} page {page} has {n} rows");
            rows += n;
            page += 1;
        }
        let total: usize = std::fs::read_to_string(dir.join("index.html"))
            .expect("index")
            .split("共 ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("total count shown");
        assert_eq!(rows, total, "{listing}: pages hold every document once");
    }
    assert!(out.join("documents/page/20/index.html").exists() && !out.join("documents/page/21/index.html").exists());
    // The pager numbers the first and last pages and two either side of the current
    // one, with a gap shown where pages are left out; 上一页/下一页 reach every page.
    let html = std::fs::read_to_string(out.join("documents/page/10/index.html")).expect("page 10");
    let pager = html.split("aria-label=\"分页\"").nth(1).and_then(|t| t.split("</nav>").next()).expect("pager");
    let numbered: Vec<&str> = pager
        .split("<li>")
        .skip(1)
        .filter_map(|li| li.split("</").next()?.rsplit('>').next())
        .filter(|n| n.parse::<usize>().is_ok())
        .collect();
    assert_eq!(numbered, ["1", "8", "9", "10", "11", "12", "20"], "{pager}");
    assert_eq!(pager.matches('…').count(), 2, "{pager}");
    assert!(pager.contains("documents/page/9/\" rel=\"prev\"") && pager.contains("documents/page/11/\" rel=\"next\""));
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| if e.path().is_dir() { walk_count(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}
