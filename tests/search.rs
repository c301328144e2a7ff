//! Search in a real browser (tests/browser/search.mjs drives Debian's Chromium): Chinese
//! queries match inside words, title and 发文字号 matches rank first, numbers match exactly
//! in any bracket form, filters work, interpretations and FAQs are found and lead to their
//! policy, empty and unmatched queries say so, and hidden documents are never indexed.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn site() -> Site {
    let s = Site::new();
    s.write("content/documents/a.md", "---\nid: a\ntitle: 关于优化营商环境的若干措施\nissuer: qzf\npublished: 2024-05-01\ndoc_number: 测府发〔2024〕3号\nindex_number: 000000000A/2024-00003\ndoc_type: 意见\n---\n为进一步提升服务水平，制定本意见。\n");
    s.write("content/documents/old.md", "---\nid: old\ntitle: 关于印发旧办法的通知\nissuer: qfb\npublished: 2019-03-01\ndoc_type: 通知\ntags: [企业]\n---\n本办法涉及营商环境评价。\n");
    s.write("content/documents/new.md", "---\nid: new\ntitle: 关于废止旧办法的决定\nissuer: qzf\npublished: 2024-06-01\nrepeals: [old]\n---\n决定废止。\n");
    s.write("content/documents/hidden.md", "---\nid: hidden\ntitle: 机密词汇文件\nissuer: qzf\npublished: 2024-01-01\ndisclosure: 不予公开\n---\n机密词汇正文营商环境。\n");
    s.write("content/interpretations/jd.md", "---\ntitle: 图解：营商环境措施\ninterprets: a\nform: 图解\npublished: 2024-05-03\n---\n本解读介绍解读专用词。\n");
    s.write(
        "content/interpretations/jd2.md",
        "---\ntitle: 政策问答：若干措施要点\ninterprets: a\npublished: 2024-05-10\n---\n第二篇解读。\n",
    );
    s.write("content/documents/kf.md", "---\nid: kf\ntitle: 关于印发《测试区数据开放办法》的通知\nissuer: qzf\npublished: 2024-02-01\n---\n现将办法印发给你们。\n");
    s.write("content/faqs/a.yaml", "for: a\nitems:\n  - q: 如何办理营业执照？\n    a: 登录一网通办。\n");
    // A long document whose match is far from its start.
    let filler = "各单位应当按照统一部署，认真做好本单位档案工作，确保各项任务落到实处。".repeat(40);
    s.write(
        "content/documents/da.md",
        &format!("---\nid: da\ntitle: 关于加强机关档案工作的通知\nissuer: qzf\npublished: 2024-03-01\n---\n{filler}\n\n推行电子档案单套制归档，逐步减少纸质档案。\n"),
    );
    s
}

fn scenarios(out: &Path, list: &str) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/search.mjs");
    let o = Command::new("node").arg(script).arg(out).arg(list).output().expect("node");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).expect("json");
    for r in &v {
        assert!(r["errors"].as_array().is_some_and(|e| e.is_empty()), "script errors: {r}");
    }
    v
}

fn titles(r: &serde_json::Value) -> Vec<String> {
    r["hits"].as_array().expect("hits").iter().map(|h| h["title"].as_str().unwrap_or("").to_string()).collect()
}

#[test]
fn chinese_search_in_the_browser() {
    if !browser_tools_available() {
        return;
    }
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let v = scenarios(
        &r.out,
        r#"[{"url":"search/?q=营商环境"},{"url":"search/?q=营商"},{"type":"营商","select":{"validity":"repealed"}},
            {"type":"测府发(2024)03号"},{"type":"000000000A/2024-00003"},{"type":""},{"type":"没有这样的词"},
            {"url":"search/?q=解读专用词"},{"url":"search/?q=营业执照"},{"url":"search/?q=机密词汇"},
            {"url":"search/?q=营商&organ=测试区人民政府办公室"},{"url":"search/?q=印发测试区数据"},
            {"type":"“数据开放办法”"},{"url":"search/?q=营商&标签=企业"},{"type":"营商","select":{"标签":"企业"}},
            {"url":"search/?q=电子档案单套制"},{"url":"search/?validity=valid"}]"#,
    );
    let t = titles(&v[0]);
    assert_eq!(t.first().map(String::as_str), Some("关于优化营商环境的若干措施"), "title match first: {t:?}");
    assert!(t.iter().any(|x| x == "关于印发旧办法的通知"), "body match found too: {t:?}");
    assert!(v[0]["hits"][0]["marked"] == true, "query highlighted");
    assert_eq!(v[0]["first_status"], 200, "result links work");
    assert_eq!(titles(&v[1]), t, "营商 finds what 营商环境 finds (inside longer words)");
    assert_eq!(titles(&v[2]), ["关于印发旧办法的通知"], "validity filter");
    assert_eq!(v[2]["hits"][0]["validity"], "已废止");
    assert!(v[2]["url"].as_str().unwrap_or("").contains("validity=repealed"), "filters are kept in the URL");
    assert_eq!(
        titles(&v[3]).first().map(String::as_str),
        Some("关于优化营商环境的若干措施"),
        "发文字号 in another bracket form"
    );
    assert_eq!(titles(&v[4]), ["关于优化营商环境的若干措施"], "索引号 exact");
    assert!(v[5]["message"].as_str().unwrap_or("").contains("请输入"), "empty query message");
    assert!(v[6]["message"].as_str().unwrap_or("").contains("未找到"), "no match message");
    assert_eq!(v[7]["hits"][0]["kind"], "政策解读");
    assert_eq!(v[7]["hits"][0]["policy"], "关于优化营商环境的若干措施", "interpretations lead to their policy");
    assert_eq!(v[8]["hits"][0]["kind"], "问答", "FAQs are searchable");
    assert!(v[9]["hits"].as_array().is_some_and(|h| h.is_empty()), "hidden documents are not found");
    assert_eq!(titles(&v[10]), ["关于印发旧办法的通知"], "organ filter");
    let kf = "关于印发《测试区数据开放办法》的通知";
    assert_eq!(titles(&v[11]), [kf], "a query that leaves out 《》 still matches");
    assert_eq!(titles(&v[12]), [kf], "a query that types the marks matches too");
    assert_eq!(titles(&v[13]), ["关于印发旧办法的通知"], "tag filter from the URL");
    assert_eq!(titles(&v[14]), ["关于印发旧办法的通知"], "tag filter from the form");
    assert!(v[14]["url"].as_str().unwrap_or("").contains("%E6%A0%87%E7%AD%BE="), "kept in the URL: {}", v[14]["url"]);
    // The passage that matched, 1,400 characters into the text, with the query marked.
    let hit = &v[15]["hits"][0];
    assert_eq!(hit["title"], "关于加强机关档案工作的通知");
    let excerpt = hit["excerpt"].as_str().unwrap_or("");
    assert!(excerpt.contains("<mark>电子档案单套制</mark>归档"), "{excerpt}");
    assert!(excerpt.starts_with('…'), "a passage from the middle: {excerpt}");
    eprintln!("bytes fetched for a snippet query: {}", v[15]["bytes"]);
    // Equal scores (a filter and no words): the newest policy first, each followed by its
    // 解读 (newest first) and its 问答.
    assert_eq!(
        titles(&v[16]),
        [
            "关于废止旧办法的决定",
            "关于优化营商环境的若干措施",
            "政策问答：若干措施要点",
            "图解：营商环境措施",
            "如何办理营业执照？",
            "关于加强机关档案工作的通知",
            kf
        ],
        "equal scores, newest first, each policy with its 解读 and 问答"
    );
}

#[test]
fn hidden_documents_are_never_in_the_index() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    for f in r.files().iter().filter(|f| f.starts_with("search/")) {
        let text = r.read(f);
        assert!(!text.contains("机密") && !text.contains("documents/hidden/"), "{f} leaks the hidden document");
    }
    assert!(r.exists("search/config.json") && r.exists("search/facets/validity.json"));
}

#[test]
fn the_search_page_works_without_javascript_to_the_point_of_saying_so() {
    let s = site();
    let r = s.build(&[]);
    r.ok();
    let html = r.read("search/index.html");
    let noscript = html.split("<noscript>").nth(1).expect("noscript");
    assert!(noscript.contains("需要启用 JavaScript") && noscript.contains("browse/index.html"));
}

/// Questions asked in the same words about one document share a URL and a title, so
/// their text files' names (made of those) meet: each gets a file of its own (`-1`,
/// `-2`… after the name), and each result line names the file with its own answer.
#[test]
fn questions_asked_twice_have_text_files_of_their_own() {
    let s = Site::new();
    let faq = "faq:\n  - q: 如何办理？\n    a: 答案一号。\n  - q: 如何办理？\n    a: 答案二号。\n  - q: 如何办理？\n    a: 答案三号。\n";
    s.write("content/documents/a.md", &doc("a", faq, "正文。"));
    s.write("content/faqs/s.yaml", "for: a\nitems:\n  - q: 如何办理？\n    a: 答案四号。\n");
    let r = s.build(&[]);
    r.ok();
    let lines: Vec<serde_json::Value> = serde_json::from_str(&r.read("search/meta/0.json")).expect("meta json");
    let questions: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l[7] == "问答")
        .map(|l| (l[8].as_str().unwrap_or_default(), l.as_array().and_then(|a| a.last()?.as_str()).unwrap_or_default()))
        .collect();
    assert_eq!(questions.len(), 4, "{lines:?}");
    let mut names: Vec<&str> = questions.iter().map(|(_, name)| *name).collect();
    names.sort_unstable();
    let base = names[0];
    assert_eq!(base.len(), 12, "a name is 12 hex digits: {names:?}");
    assert_eq!(names[1..], [format!("{base}-1"), format!("{base}-2"), format!("{base}-3")], "{names:?}");
    for (excerpt, name) in &questions {
        let text = r.read(&format!("search/text/{name}.json"));
        assert!(excerpt.starts_with("答案") && text.contains(excerpt), "{name}: {text} against {excerpt}");
    }
}
