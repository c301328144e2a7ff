//! The digital gazette and machine-readable outputs: feeds parse as Atom with an
//! independent parser, the sitemap is valid XML whose every URL exists, the catalog lists
//! exactly the published documents, JSON-LD carries the Legislation properties, and
//! every listing paginates.

mod common;
use common::*;

fn site() -> Site {
    let s = Site::new();
    s.write("gazette.yaml", &format!("{CONFIG}per_page: 2\n"));
    s.write(
        "content/documents/old.md",
        &doc("old", "doc_number: 测府发〔2020〕1号\ntopics: [综合政务]\ndoc_type: 通知\n", "旧。"),
    );
    s.write("content/documents/mid.md", &doc("mid", "doc_number: 测府发〔2021〕1号\ndoc_type: 意见\nnormative: true\nregistration: 测府规〔2021〕1号\nexpires: 2026-12-31\n", "中。"));
    s.write(
        "content/documents/new.md",
        "---\nid: new\ntitle: 新文件\nissuer: [qzf, qfb]\npublished: 2024-06-01\nwritten: 2024-05-28\ndoc_number: 测府发〔2024〕9号\ndoc_type: 通知\ntopics: [综合政务]\nbasis: [mid]\nrepeals: [old]\namends: [mid]\n---\n新。\n",
    );
    s.write("content/documents/en.md", &doc("new-en", "lang: en\ntranslation_of: new\n", "English."));
    s.write("content/documents/hidden.md", &doc("hidden", "disclosure: 依申请公开\n", "秘密。"));
    s.write(
        "content/gazette/2024-1.yaml",
        "year: 2024\nnumber: 1\ntotal: 31\npublished: 2024-03-01\nsections:\n  - title: 文件\n    items: [mid]\n",
    );
    s.write("content/gazette/2024-2.yaml", "year: 2024\nnumber: 2\ntotal: 32\npublished: 2024-06-15\nsections:\n  - title: 区政府文件\n    items: [new, old]\n");
    s.write("content/topics/t.md", "---\nid: t\ntitle: 综合\nmatch:\n  topics: [综合政务]\n---\n");
    s
}

#[test]
fn feeds_parse_as_atom_with_absolute_urls_and_stable_ids() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    for f in ["feed.xml", "organs/qzf/feed.xml", "topics/t/feed.xml", "gazette/feed.xml"] {
        let xml = r.read(f);
        let feed = feed_rs::parser::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("{f} is not a valid feed: {e}"));
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom, "{f}");
        assert!(!feed.entries.is_empty(), "{f} has entries");
        for e in &feed.entries {
            assert!(e.id.starts_with("https://www.example.gov.cn/"), "{f}: absolute stable id {}", e.id);
            assert!(e.updated.is_some(), "{f}: updated");
            assert!(e.links.iter().all(|l| l.href.starts_with("https://")), "{f}: absolute links");
        }
        let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
        assert!(!ids.iter().any(|i| i.contains("hidden")), "{f}: hidden documents never in feeds");
    }
    let site_feed = feed_rs::parser::parse(r.read("feed.xml").as_bytes()).expect("feed");
    assert_eq!(site_feed.entries[0].id, "https://www.example.gov.cn/documents/new/", "newest first");
    let again = s.build(&[]);
    assert_eq!(again.read("feed.xml"), r.read("feed.xml"), "rebuilds give the same feed");
    let home = r.read("index.html");
    assert!(home.contains("application/atom+xml"), "feed advertised in the page head");
    assert!(r.read("organs/qzf/index.html").contains("organs/qzf/feed.xml"));
}

#[test]
fn sitemap_is_valid_and_every_url_exists() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let xml = r.read("sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).expect("sitemap is XML");
    let locs: Vec<String> =
        doc.descendants().filter(|n| n.has_tag_name("loc")).map(|n| n.text().unwrap_or("").to_string()).collect();
    assert!(locs.len() > 10);
    for loc in &locs {
        let rel = loc.strip_prefix("https://www.example.gov.cn/").expect("absolute under base_url");
        let rel = percent_decode(rel);
        let file = if rel.is_empty() || rel.ends_with('/') { format!("{rel}index.html") } else { rel.clone() };
        assert!(r.exists(&file), "sitemap URL {loc} has no page ({file})");
    }
    assert!(!locs.iter().any(|l| l.contains("hidden")));
    assert!(doc.descendants().any(|n| n.has_tag_name("lastmod")), "lastmod present");
    assert!(r.read("robots.txt").contains("Sitemap: https://www.example.gov.cn/sitemap.xml"));
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().expect("utf8").into_owned()
}

#[test]
fn catalog_json_and_csv_list_exactly_the_published_documents() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.read("api/documents.json")).expect("json");
    let mut ids: Vec<&str> =
        v["documents"].as_array().expect("docs").iter().map(|d| d["id"].as_str().expect("id")).collect();
    ids.sort();
    assert_eq!(ids, ["mid", "new", "new-en", "old"]);
    let old = v["documents"].as_array().expect("docs").iter().find(|d| d["id"] == "old").expect("old");
    assert_eq!(old["validity"], "已废止");
    assert_eq!(old["url"], "https://www.example.gov.cn/documents/old/");
    let csv = std::fs::read(r.out.join("api/documents.csv")).expect("csv");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM so Excel reads Chinese");
    let csv = String::from_utf8(csv).expect("utf8");
    assert_eq!(csv.lines().count(), 5, "header + 4 rows");
    assert!(csv.split_inclusive('\n').all(|l| l.ends_with("\r\n")), "every record ends in CRLF (RFC 4180)");
    assert!(csv.contains("测府发〔2020〕1号") && csv.contains("已废止") && !csv.contains("hidden"));
    // A parser reads back every field of every row, header included.
    let mut rows = csv::ReaderBuilder::new().from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(rows.headers().expect("header").len(), 16);
    assert!(rows.records().all(|r| r.expect("record").len() == 16));
}

#[test]
fn json_ld_is_legislation_with_its_properties() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let html = r.read("documents/new/index.html");
    let start = html.find("application/ld+json").expect("json-ld");
    let body = &html[html[start..].find('>').expect(">") + start + 1..];
    let json = &body[..body.find("</script>").expect("end")];
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON-LD parses");
    assert_eq!(v["@type"], "Legislation");
    assert_eq!(v["legislationIdentifier"], "测府发〔2024〕9号");
    assert_eq!(v["legislationDate"], "2024-05-28");
    assert_eq!(v["legislationPassedBy"].as_array().expect("organs").len(), 2);
    assert_eq!(v["legislationLegalForce"], "https://schema.org/InForce");
    assert_eq!(v["isBasedOn"][0], "https://www.example.gov.cn/documents/mid/");
    assert_eq!(v["legislationChanges"][0], "https://www.example.gov.cn/documents/mid/");
    assert_eq!(v["legislationConsolidates"][0], "https://www.example.gov.cn/documents/old/");
    let old = r.read("documents/old/index.html");
    assert!(old.contains("https://schema.org/NotInForce"));
}

#[test]
fn gazette_issues_link_both_ways_with_previous_and_next() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let i2 = r.read("gazette/2024/2/index.html");
    let t = text(&i2);
    assert!(t.contains("2024年第2期") && t.contains("总第32期") && t.contains("区政府文件"));
    assert!(t.contains("测府发〔2024〕9号") && t.contains("测试区人民政府"), "items show 发文字号 and 发文机关");
    assert!(links(&i2).contains(&"../../../gazette/2024/1/".to_string()), "previous issue");
    let i1 = r.read("gazette/2024/1/index.html");
    assert!(links(&i1).contains(&"../../../gazette/2024/2/".to_string()), "next issue");
    let new = text(&r.read("documents/new/index.html"));
    assert!(new.contains("刊载于") && new.contains("2024年第2期"));
    let archive = text(&r.read("gazette/index.html"));
    assert!(
        archive.contains("2024年") && archive.find("第2期").expect("2") < archive.find("第1期").expect("1"),
        "archive newest first"
    );
}

#[test]
fn browse_lists_by_facet_and_the_normative_library() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    for f in [
        "browse/index.html",
        "browse/year/2024/index.html",
        "browse/type/通知/index.html",
        "browse/topic/综合政务/index.html",
        "browse/validity/repealed/index.html",
    ] {
        assert!(r.exists(f), "{f}; have {:?}", r.files());
    }
    let repealed = text(&r.read("browse/validity/repealed/index.html"));
    assert!(repealed.contains("文件old") && !repealed.contains("新文件"));
    let normative = text(&r.read("normative/index.html"));
    for v in ["登记号", "有效期至", "测府规〔2021〕1号", "2026-12-31", "已修改"] {
        assert!(normative.contains(v), "{v} in 行政规范性文件库");
    }
    let docs = text(&r.read("documents/index.html"));
    assert!(docs.contains("分类浏览") && docs.contains("通知"), "facets on the 公文库 page");
}

#[test]
fn translations_link_both_ways_with_hreflang_and_lang() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let en = r.read("documents/new-en/index.html");
    assert!(en.contains("<html lang=en") || en.contains("<html lang=\"en\""), "page language");
    assert!(en.contains("hreflang=zh-CN") || en.contains("hreflang=\"zh-CN\""));
    let zh = r.read("documents/new/index.html");
    assert!(zh.contains("hreflang=en") || zh.contains("hreflang=\"en\""));
    assert!(links(&zh).contains(&"../../documents/new-en/".to_string()));
}

/// Every string value under a JSON value, for "no relative URL anywhere" checks.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn without_a_base_url_no_feed_sitemap_canonical_or_relative_url_is_written() {
    // CONTRACT §7: these carry absolute URLs only; without a base_url they are not written.
    for config in [
        "title: 测试区政府信息公开\n",
        "title: 测试区政府信息公开\nbaseurl: https://www.example.gov.cn/\n",
        "title: 测试区政府信息公开\nbase_url: /gongbao/\n",
    ] {
        let s = site();
        s.write("gazette.yaml", config);
        let r = s.build(&[]);
        r.ok();
        let w = r.diag("base_url");
        assert!(w.starts_with("gazette.yaml:") && w.contains("warning:"), "{config}: {}", r.stderr);
        assert!(r.stderr.contains("feeds") && r.stderr.contains("sitemap"), "says what is left out: {}", r.stderr);
        if config.contains("baseurl") {
            assert!(r.stderr.contains("did you mean `base_url`?"), "{}", r.stderr);
        }
        for f in r.files() {
            assert!(!f.ends_with("feed.xml") && !f.starts_with("sitemap"), "{config}: {f} written");
            if f.ends_with(".html") {
                let html = r.read(&f);
                assert!(!html.contains("rel=\"canonical\""), "{f}: canonical link without a base_url");
                assert!(!html.contains("application/atom+xml") && !html.contains("feed.xml"), "{f}: links a feed");
                assert!(!html.contains("sitemap.xml"), "{f}: links the sitemap");
                if let Some(start) = html.find("application/ld+json") {
                    let body = &html[html[start..].find('>').expect(">") + start + 1..];
                    let v: serde_json::Value =
                        serde_json::from_str(&body[..body.find("</script>").expect("end")]).expect("JSON-LD");
                    assert_eq!(v["@type"], "Legislation", "{f}: JSON-LD keeps the metadata");
                    let mut all = Vec::new();
                    strings(&v, &mut all);
                    assert!(
                        all.iter().all(|s| !s.contains("documents/") && !s.starts_with('/')),
                        "{f}: relative URL in JSON-LD: {all:?}"
                    );
                }
            }
        }
        let catalog: serde_json::Value = serde_json::from_str(&r.read("api/documents.json")).expect("catalog");
        assert_eq!(catalog["count"], 4);
        let mut all = Vec::new();
        strings(&catalog, &mut all);
        assert!(
            all.iter().all(|s| !s.contains("documents/") && !s.contains("gazette/") && !s.starts_with('/')),
            "relative URL in the catalog: {all:?}"
        );
        assert!(!r.read("api/documents.csv").contains("documents/"), "relative URL in the CSV");
        assert!(!r.read("robots.txt").contains("Sitemap:"), "robots.txt names no sitemap");
    }
}

#[test]
fn a_bad_base_url_on_the_command_line_is_reported_against_the_command_line() {
    let s = site();
    let r = s.build(&["--base-url", "www.example.gov.cn"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--base-url"), "{}", r.stderr);
    assert!(!r.stderr.contains("gazette.yaml"), "not blamed on the config file: {}", r.stderr);
    let r = s.build(&["--base-url", "https://mirror.example.gov.cn/gb"]);
    r.ok();
    assert!(r.read("feed.xml").contains("https://mirror.example.gov.cn/gb/documents/new/"));
}

/// A document of two 发文机关 shows both, joined with 、, wherever its issuer is listed:
/// the 公文库 row, its gazette issue, the CSV catalogue and the site feed; one of one organ
/// shows its name alone.
#[test]
fn a_joint_document_names_every_issuer_in_its_listings() {
    let s = site();
    let r = s.build(&[]);
    let joint = "测试区人民政府、测试区人民政府办公室";
    let row = |html: &str, url: &str| -> String {
        let at = html.find(url).unwrap_or_else(|| panic!("{url} listed"));
        html[at..].split("</li>").next().unwrap_or_default().to_string()
    };
    let listing = r.read("documents/index.html");
    assert!(row(&listing, "documents/new/").contains(joint), "{}", row(&listing, "documents/new/"));
    let mid = row(&listing, "documents/mid/");
    assert!(mid.contains("测试区人民政府") && !mid.contains("、"), "{mid}");
    assert!(r.read("gazette/2024/2/index.html").contains(joint));
    assert!(r.read("api/documents.csv").contains(joint));
    assert!(r.read("feed.xml").contains(joint));
}
