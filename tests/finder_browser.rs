//! 政策找人 in a real browser (tests/browser/finder.mjs drives Debian's Chromium): a shared
//! URL runs its query on load, the form finds policies in force first with their 办 and
//! 解读, repealed ones only on request, and without JavaScript the page offers the tag
//! pages. On a generated corpus a query stays within search's budget of bytes fetched.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn run(out: &Path, scenarios: &serde_json::Value) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/finder.mjs");
    let o = Command::new("node").arg(script).arg(out).arg(scenarios.to_string()).output().expect("node");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).expect("json");
    for r in &v {
        assert!(r["errors"].as_array().is_some_and(|e| e.is_empty()), "script errors: {r}");
    }
    v
}

fn titles(r: &serde_json::Value) -> Vec<&str> {
    r["hits"].as_array().expect("hits").iter().map(|h| h["title"].as_str().unwrap_or("")).collect()
}

#[test]
fn the_finder_in_the_browser() {
    if !browser_tools_available() {
        return;
    }
    let s = Site::new();
    s.write("gazette.yaml", &format!("{CONFIG}tag_catalog:\n  适用对象: [企业, 个人]\n  行业: [制造业, 批发零售]\n"));
    s.write("content/documents/a.md", &doc("a", "tags: [企业, 制造业]\nservices: [sq]\n", "甲。"));
    s.write(
        "content/documents/c.md",
        "---\nid: c\ntitle: 较新的制造业政策\nissuer: qzf\npublished: 2024-07-01\ntags: [企业, 制造业]\n---\n丙。\n",
    );
    s.write(
        "content/documents/old.md",
        "---\nid: old\ntitle: 已废止的制造业政策\nissuer: qzf\npublished: 2020-01-01\ntags: [企业, 制造业]\nvalidity: 已废止\n---\n旧。\n",
    );
    s.write("content/documents/b.md", &doc("b", "tags: [企业, 批发零售]\n", "乙。"));
    s.write(
        "content/interpretations/jd.md",
        "---\nid: jd\ntitle: 文件a的解读\ninterprets: a\npublished: 2024-05-02\n---\n解读。\n",
    );
    let r = s.build(&[]);
    r.ok();
    let v = run(
        &r.out,
        &serde_json::json!([
            {"url": "finder/?适用对象=企业&行业=制造业"},
            {"pick": {"适用对象": "企业", "行业": "制造业"}, "all": true},
            {"pick": {"适用对象": "个人"}},
            {"url": "finder/", "nojs": true},
        ]),
    );
    // A shared URL: the query runs on load, the form shows what was picked.
    assert_eq!(v[0]["formVisible"], true);
    assert_eq!(titles(&v[0]), ["较新的制造业政策", "文件a"], "in force, newest first: {}", v[0]);
    assert_eq!(v[0]["first_status"], 200);
    assert!(v[0]["count"].as_str().unwrap_or("").contains("另有 1 件"), "says repealed ones exist: {}", v[0]);
    let a = &v[0]["hits"][1];
    assert_eq!(a["ban"][0], "https://zwdt.example.gov.cn/item/sq", "办 in the result");
    assert_eq!(a["interpretations"][0], "文件a的解读");
    assert!(v[0]["selected"].to_string().contains("[\"行业\",\"制造业\"]"), "{}", v[0]["selected"]);
    // The form, with repealed ones asked for: the URL can be shared.
    assert_eq!(titles(&v[1]), ["较新的制造业政策", "文件a", "已废止的制造业政策"]);
    assert_eq!(v[1]["hits"][2]["validity"], "已废止");
    let q = v[1]["query"].as_str().unwrap_or("");
    assert!(q.contains("适用对象=企业") && q.contains("行业=制造业") && q.contains("all=1"), "{q}");
    // Nothing for 个人: says so.
    assert!(v[2]["message"].as_str().unwrap_or("").contains("没有找到"), "{}", v[2]);
    // Without JavaScript: no dead form, links to every tag page.
    assert_eq!(v[3]["formVisible"], false);
    assert_eq!(v[3]["tagLinks"].as_array().expect("links").len(), 4);
}

/// The same queries as `bench/bytes-per-query.sh finder` runs on the 10k corpus (BENCHMARKS.md),
/// here on 1k so the suite stays quick.
#[test]
fn finder_bytes_per_query_on_a_generated_corpus() {
    if !browser_tools_available() {
        return;
    }
    let Some(site) = generated_site(1000) else { return };
    let r = site.build(&["--date", "2025-06-01"]);
    r.ok();
    let v = run(
        &r.out,
        &serde_json::json!([
            {"url": "finder/?标签=企业"},
            {"url": "finder/?标签=中小企业"},
            {"pick": {"标签": "惠企政策"}, "all": true},
        ]),
    );
    for s in &v {
        let bytes = s["bytes"].as_u64().unwrap_or(u64::MAX);
        eprintln!(
            "finder {}: {} results shown, {bytes} bytes fetched",
            s["url"],
            s["hits"].as_array().map_or(0, Vec::len)
        );
        assert!(!titles(s).is_empty(), "{s}");
        assert!(bytes < 300 * 1024, "within search's budget: {bytes} bytes");
    }
}
