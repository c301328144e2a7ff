//! 需求侧标签 (issue 20, CONTRACT §2 and §8): the 标签目录 checks every tag, each value gets
//! a paginated page and an Atom feed, documents link their tags, the catalogue carries
//! them by dimension, and the 政策找人 finder's static index answers "which policies are
//! for me?". The finder in a real browser is in `tests/finder_browser.rs`.

mod common;
use common::*;

const CATALOG: &str = "tag_catalog:\n  适用对象: [企业, 个人, 社会组织]\n  行业: [制造业, 批发零售]\n  生命周期: [企业开办, 经营发展, 就业]\n";

fn site() -> Site {
    let s = Site::new();
    s.write("gazette.yaml", &format!("{CONFIG}per_page: 2\n{CATALOG}"));
    s.write("content/documents/a.md", &doc("a", "tags: [企业, 制造业, 经营发展]\nservices: [sq]\n", "甲。"));
    s.write(
        "content/documents/b.md",
        "---\nid: b\ntitle: 文件b\nissuer: qzf\npublished: 2024-06-01\ntags: [企业, 批发零售]\n---\n乙。\n",
    );
    s.write(
        "content/documents/c.md",
        "---\nid: c\ntitle: 文件c\nissuer: qzf\npublished: 2024-07-01\ntags: [企业, 制造业]\n---\n丙。\n",
    );
    s.write(
        "content/documents/old.md",
        "---\nid: old\ntitle: 旧的制造业政策\nissuer: qzf\npublished: 2020-01-01\ntags: [企业, 制造业]\nvalidity: 已废止\n---\n旧。\n",
    );
    s.write("content/documents/p.md", &doc("p", "tags: [个人, 就业]\n", "丁。"));
    s.write("content/documents/hidden.md", &doc("hidden", "tags: [企业, 制造业]\ndraft: true\n", "秘密。"));
    s.write(
        "content/interpretations/jd.md",
        "---\nid: jd\ntitle: 文件a的解读\ninterprets: a\npublished: 2024-05-02\n---\n解读。\n",
    );
    s
}

#[test]
fn with_a_catalogue_every_tag_must_be_in_it_at_its_line_with_did_you_mean() {
    let s = site();
    s.write("content/documents/x.md", &doc("x", "tags:\n  - 企业\n  - 制造\n", "x"));
    s.write("content/topics/t.md", "---\nid: t\ntitle: 主题\nmatch:\n  tags: [个体户]\n---\n");
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let d = r.diag("tag `制造`");
    assert!(d.starts_with("content/documents/x.md:8:") && d.contains("error"), "{d}");
    assert!(r.stderr.contains("did you mean `制造业`?"), "{}", r.stderr);
    assert!(r.diag("tag `个体户`").starts_with("content/topics/t.md:5:"), "{}", r.stderr);

    // A value in two dimensions is a config error (exit 2) at its line.
    let s = site();
    s.write("gazette.yaml", &format!("{CONFIG}tag_catalog:\n  适用对象: [企业, 个人]\n  行业: [制造业, 企业]\n"));
    let r = s.build(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let d = r.diag("two dimensions");
    assert!(d.starts_with("gazette.yaml:5:"), "{d}");
}

#[test]
fn tag_pages_list_paginate_subscribe_and_show_validity_and_ban() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    // The catalogue by dimension, with counts of published documents (the draft is not counted).
    let index = r.read("tags/index.html");
    let t: String = text(&index).split_whitespace().collect();
    for dim in ["适用对象", "行业", "生命周期"] {
        assert!(t.contains(dim), "{dim} in tags/: {t}");
    }
    assert!(t.contains("企业（4）") && t.contains("批发零售（1）") && t.contains("社会组织（0）"), "{t}");
    assert!(links(&index).iter().any(|l| l.ends_with("tags/%E4%BC%81%E4%B8%9A/") || l.ends_with("tags/企业/")));
    // A value no document has yet still has its page: the catalogue links it.
    assert!(r.exists("tags/社会组织/index.html"));

    // tags/企业/: newest first, two per page, validity shown, 办 for a document with services.
    let p1 = r.read("tags/企业/index.html");
    let p2 = r.read("tags/企业/page/2/index.html");
    assert!(p1.contains("文件c") && p1.contains("文件b"), "newest first");
    assert!(p2.contains("文件a") && !r.exists("tags/企业/page/3/index.html"));
    assert!(p2.contains("class=\"ban ban-small\"") && p2.contains("https://zwdt.example.gov.cn/item/sq"), "办 button");
    assert!(text(&p2).contains("有效"), "validity shown");
    assert!(!p1.contains("秘密") && !p2.contains("文件hidden"), "drafts never listed");
    let old = r.read("tags/制造业/page/2/index.html");
    assert!(old.contains("旧的制造业政策") && old.contains("validity-repealed"), "{old}");

    // 订阅: a visible link and <link rel=alternate>, to an Atom feed that parses.
    assert!(p1.contains("rel=\"alternate\" type=\"application/atom+xml\"") && p1.contains("feed.xml"));
    assert!(p1.contains(">订阅（Atom）</a>"), "visible 订阅 link");
    assert!(
        links(&p1).iter().filter(|l| l.ends_with("tags/企业/feed.xml")).count() >= 2,
        "head and body link the feed"
    );
    let feed = feed_rs::parser::parse(r.read("tags/企业/feed.xml").as_bytes()).expect("Atom");
    let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids[0], "https://www.example.gov.cn/documents/c/", "{ids:?}");
    assert_eq!(ids.len(), 4, "{ids:?}");

    // Document and interpretation pages link their tags.
    let a = r.read("documents/a/index.html");
    for tag in ["企业", "制造业", "经营发展"] {
        assert!(a.contains(&format!(">{tag}</a>")), "{tag} on the document page");
    }
    assert!(r.read("interpretations/jd/index.html").contains(">制造业</a>"), "the 解读 shows its document's tags");
}

#[test]
fn the_catalogue_data_carries_tags_by_dimension() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.read("api/documents.json")).expect("json");
    let a = v["documents"].as_array().expect("docs").iter().find(|d| d["id"] == "a").expect("a");
    assert_eq!(a["tag_dimensions"]["适用对象"], serde_json::json!(["企业"]));
    assert_eq!(a["tag_dimensions"]["行业"], serde_json::json!(["制造业"]));
    assert_eq!(a["tag_dimensions"]["生命周期"], serde_json::json!(["经营发展"]));
    let csv = r.read("api/documents.csv");
    let mut rows = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = rows.headers().expect("header").iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (all, industry) = (col("标签"), col("标签：行业"));
    let a = rows.records().map(|r| r.expect("row")).find(|r| &r[0] == "a").expect("row a");
    assert_eq!(&a[all], "企业;制造业;经营发展");
    assert_eq!(&a[industry], "制造业");
}

/// The finder's answer for `picked` values, as its client computes it: intersect the
/// posting lists, highest position first, keep positions from `older` on unless `all`, map
/// them to document URLs.
fn finder_answer(r: &Run, picked: &[&str], all: bool) -> Vec<String> {
    let cfg: serde_json::Value = serde_json::from_str(&r.read("finder/config.json")).expect("config");
    let mut sets: Vec<Vec<u64>> = picked
        .iter()
        .map(|v| {
            let n = cfg["values"][v].as_u64().expect("value in config");
            let deltas: Vec<u64> = serde_json::from_str(&r.read(&format!("finder/t/{n}.json"))).expect("postings");
            deltas
                .iter()
                .scan(0, |acc, d| {
                    *acc += d;
                    Some(*acc)
                })
                .collect()
        })
        .collect();
    let first = sets.remove(0);
    let older = cfg["older"].as_u64().expect("older");
    let chunk = cfg["chunk"].as_u64().expect("chunk");
    first
        .into_iter()
        .rev()
        .filter(|p| sets.iter().all(|s| s.contains(p)) && (all || *p >= older))
        .map(|p| {
            let meta: serde_json::Value =
                serde_json::from_str(&r.read(&format!("finder/meta/{}.json", p / chunk))).expect("meta");
            meta[(p % chunk) as usize][1].as_str().expect("url").to_string()
        })
        .collect()
}

#[test]
fn the_finder_index_answers_which_policies_are_for_me() {
    let s = site();
    s.write(
        "content/documents/old2.md",
        "---\nid: old2\ntitle: 较旧的制造业政策\nissuer: qzf\npublished: 2021-01-01\ntags: [企业, 制造业]\nvalidity: 失效\n---\n旧。\n",
    );
    let r = s.build(&[]);
    r.ok();
    assert_eq!(
        finder_answer(&r, &["企业", "制造业"], false),
        ["documents/c/", "documents/a/"],
        "in force, newest first"
    );
    assert_eq!(
        finder_answer(&r, &["企业", "制造业"], true),
        ["documents/c/", "documents/a/", "documents/old2/", "documents/old/"],
        "repealed and expired only on request, after the ones in force, newest first"
    );
    assert_eq!(finder_answer(&r, &["个人"], false), ["documents/p/"]);
    let meta: serde_json::Value = serde_json::from_str(&r.read("finder/meta/0.json")).expect("meta");
    let a = meta.as_array().expect("rows").iter().find(|m| m[1] == "documents/a/").expect("a");
    assert_eq!(a[7][0][1], "https://zwdt.example.gov.cn/item/sq", "办 in the result");
    assert_eq!(a[8][0][1], "interpretations/jd/", "its 解读 in the result");
    let all: String = std::fs::read_dir(r.out.join("finder/meta"))
        .expect("meta")
        .map(|e| std::fs::read_to_string(e.expect("e").path()).expect("read"))
        .collect();
    assert!(!all.contains("hidden"), "drafts never in the finder");
    // The page: a select per dimension (shown by its script), and links to every tag page
    // for readers without JavaScript.
    let page = r.read("finder/index.html");
    for dim in ["适用对象", "行业", "生命周期"] {
        assert!(page.contains(&format!("name=\"{dim}\"")), "{dim} select");
    }
    assert!(page.contains("finder.js") && page.contains("<form id=\"finder-form\""));
    for l in links(&page).iter().filter(|l| l.contains("tags/")) {
        assert!(r.exists(&format!("{}index.html", percent_decode(l.trim_start_matches("../")))), "{l}");
    }
    assert!(links(&page).iter().filter(|l| l.contains("tags/")).count() >= 8, "every value linked");
}

#[test]
fn without_a_catalogue_tags_are_free_and_still_get_pages() {
    let s = site();
    s.write("gazette.yaml", &format!("{CONFIG}per_page: 2\n"));
    s.write("content/documents/x.md", &doc("x", "tags: [任意标签]\n", "x"));
    let r = s.build(&[]);
    r.ok();
    assert!(r.exists("tags/任意标签/index.html") && r.exists("tags/企业/feed.xml"));
    assert!(!r.exists("tags/社会组织/index.html"), "only tags in use");
    assert!(text(&r.read("tags/index.html")).contains("任意标签"));
    let search = r.read("search/index.html");
    assert!(search.contains("data-facet=\"tag\""), "search filters by tag");
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}
