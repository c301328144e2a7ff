//! A site builds into the contract's URLs (§8) with the metadata and Chinese text right.

mod common;
use common::*;

fn full_site() -> Site {
    let s = Site::new();
    s.write("content/files/附件1.pdf", "%PDF-1.4 test");
    s.write(
        "content/documents/2024/a.md",
        &doc(
            "a",
            "doc_number: 测府办发〔2024〕1号\nindex_number: 000000000A/2024-00001\ndoc_type: 通知\nwritten: 2024-04-28\ntopics: [综合政务]\nservices: [sq]\nattachments:\n  - title: 附件1 任务分解表\n    path: files/附件1.pdf\nfaq:\n  - q: 什么时候施行？\n    a: 自**发布之日**起施行。\n",
            "## 一、总体要求\n\n第一行文字\n第二行文字\n\n这是**“重点”**内容。\n\n## 二、任务 {#tasks}\n\n```rust\nfn main() {}\n```\n",
        ),
    );
    s.write(
        "content/documents/b.md",
        &doc("b", "doc_number: 测府办发〔2024〕2号\n", "根据测府办发[2024]1号，见[任务](doc:a#tasks)。"),
    );
    s.write(
        "content/interpretations/jd-a.md",
        "---\ntitle: 解读a\ninterprets: a\nform: 图解\npublished: 2024-05-02\n---\n\n解读正文。\n",
    );
    s.write("content/faqs/a.yaml", "for: a\nitems:\n  - q: 集中问答？\n    a: 见[申请](service:sq)。\n");
    s.write("content/gazette/2024-5.yaml", "year: 2024\nnumber: 5\ntotal: 77\npublished: 2024-05-20\nsections:\n  - title: 区政府文件\n    items: [测府办发〔2024〕1号, b]\n");
    s.write(
        "content/topics/t.md",
        "---\nid: t\ntitle: 主题t\ndocuments: [b]\nmatch:\n  topics: [综合政务]\n---\n\n主题介绍。\n",
    );
    s.write("content/decisions/d.md", "---\nid: d\ntitle: 决策d\norgan: qzf\nyear: 2024\nstatus: 已决策\nstages:\n  - stage: 决策结果\n    ref: a\n  - stage: 草案\n    url: https://www.example.gov.cn/draft\n---\n");
    s.write("content/pages/guide.md", "---\nid: guide\ntitle: 公开指南\n---\n\n指南。\n");
    s
}

#[test]
fn every_contract_url_is_written() {
    let s = full_site();
    let r = s.build(&[]);
    r.ok();
    for f in [
        "index.html",
        "documents/a/index.html",
        "documents/b/index.html",
        "interpretations/jd-a/index.html",
        "organs/qzf/index.html",
        "topics/t/index.html",
        "gazette/2024/5/index.html",
        "pages/guide/index.html",
        "decisions/d/index.html",
        "decisions/index.html",
        "search/index.html",
        "feed.xml",
        "organs/qzf/feed.xml",
        "topics/t/feed.xml",
        "sitemap.xml",
        "api/documents.json",
        "files/附件1.pdf",
    ] {
        assert!(r.exists(f), "missing {f}; have {:?}", r.files());
    }
}

#[test]
fn document_page_shows_the_metadata_table_and_relations() {
    let s = full_site();
    let r = s.build(&[]);
    r.ok();
    let html = r.read("documents/a/index.html");
    let t = text(&html);
    for label in ["索引号", "主题分类", "发文机关", "成文日期", "标题", "发文字号", "发布日期", "有效性"]
    {
        assert!(t.contains(label), "label {label} missing");
    }
    for value in [
        "000000000A/2024-00001",
        "综合政务",
        "测试区人民政府",
        "2024年4月28日",
        "测府办发〔2024〕1号",
        "2024年5月1日",
        "有效",
    ] {
        assert!(t.contains(value), "value {value} missing");
    }
    assert!(t.contains("附件1 任务分解表"));
    // A 要素 the document does not have shows as —, never as an empty cell (b has no 索引号).
    assert!(r.read("documents/b/index.html").contains("索引号</th><td>—</td>"), "a missing 索引号 shows —");
    assert!(links(&html).contains(&"../../files/%E9%99%84%E4%BB%B61.pdf".to_string()), "{:?}", links(&html));
    assert!(links(&html).contains(&"https://zwdt.example.gov.cn/item/sq".to_string()), "办 button links the service");
    assert!(t.contains("办"));
    assert!(t.contains("解读a") && t.contains("图解"), "interpretation listed with its form");
    assert!(t.contains("什么时候施行？") && t.contains("集中问答？"), "inline FAQ and FAQ set both shown");
    assert!(t.contains("刊载于") && t.contains("2024年第5期"), "carried-in issue shown");
    assert!(t.contains("被引用") && t.contains("文件b"), "cited-by lists b");
    assert!(html.contains("application/ld+json") && html.contains("\"Legislation\""));
}

#[test]
fn chinese_text_renders_right() {
    let s = full_site();
    let r = s.build(&[]);
    r.ok();
    let html = r.read("documents/a/index.html");
    assert!(html.contains("第一行文字第二行文字"), "soft break between Chinese characters disappears");
    assert!(html.contains("<strong>“重点”</strong>"), "bold next to full-width quotes");
    assert!(html.contains("<strong>发布之日</strong>"), "FAQ answers are Markdown too");
    assert!(html.contains("id=一总体要求") || html.contains("id=\"一总体要求\""), "derived heading id keeps Chinese");
    assert!(html.contains("id=tasks") || html.contains("id=\"tasks\""), "explicit heading id wins");
    let b = r.read("documents/b/index.html");
    assert!(links(&b).iter().any(|l| l == "../../documents/a/#tasks"), "doc: link with fragment: {:?}", links(&b));
    assert!(links(&b).iter().any(|l| l == "../../documents/a/"), "auto-link of 测府办发[2024]1号");
}

#[test]
fn code_is_highlighted_with_classes_and_its_stylesheet_written() {
    let s = full_site();
    let r = s.build(&[]);
    r.ok();
    let html = r.read("documents/a/index.html");
    assert!(html.contains("hl-"), "syntect CSS classes present");
    assert!(!html.contains("style=\"color"), "no inline colours");
    assert!(r.exists("syntax.css"));
    assert!(links(&html).contains(&"../../syntax.css".to_string()));
    let b = r.read("documents/b/index.html");
    assert!(!links(&b).contains(&"../../syntax.css".to_string()), "pages without code do not load it");
}

#[test]
fn gazette_issue_and_decision_pages_show_their_parts() {
    let s = full_site();
    let r = s.build(&[]);
    r.ok();
    let t = text(&r.read("gazette/2024/5/index.html"));
    assert!(t.contains("2024年第5期") && t.contains("总第77期") && t.contains("区政府文件"));
    assert!(t.contains("测府办发〔2024〕1号") && t.contains("文件b"));
    let d = text(&r.read("decisions/d/index.html"));
    let (draft, result) = (d.find("草案").expect("草案"), d.find("决策结果").expect("决策结果"));
    assert!(draft < result, "stages in the contract's order");
    let topic = text(&r.read("topics/t/index.html"));
    assert!(topic.contains("文件a") && topic.contains("文件b"), "explicit documents and matches");
}

#[test]
fn base_url_with_a_path_works_everywhere() {
    let s = full_site();
    let r = s.build(&["--base-url", "https://www.example.gov.cn/gongbao/"]);
    r.ok();
    let feed = r.read("feed.xml");
    assert!(feed.contains("https://www.example.gov.cn/gongbao/documents/a/"));
    let html = r.read("documents/a/index.html");
    assert!(html.contains("https://www.example.gov.cn/gongbao/documents/a/"), "canonical URL under the base path");
    let nf = r.read("404.html");
    assert!(
        links(&nf).iter().any(|l| l == "/gongbao/index.html"),
        "404 links are rooted at the base path: {:?}",
        links(&nf)
    );
    let sm = r.read("sitemap.xml");
    assert!(sm.contains("<loc>https://www.example.gov.cn/gongbao/documents/a/</loc>"));
}

#[test]
fn catalog_lists_published_documents_with_validity() {
    let s = full_site();
    let r = s.build(&[]);
    r.ok();
    let v: serde_json::Value = serde_json::from_str(&r.read("api/documents.json")).expect("json");
    let ids: Vec<&str> =
        v["documents"].as_array().expect("array").iter().map(|d| d["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"a") && ids.contains(&"b"));
    assert_eq!(v["documents"][0]["validity"], "有效");
}

#[test]
fn bom_and_crlf_files_work() {
    let s = Site::new();
    let text = "\u{feff}---\r\nid: crlf\r\ntitle: 回车换行\r\nissuer: qzf\r\npublished: 2024-01-02\r\n---\r\n\r\n## 一、标题\r\n\r\n正文\r\n第二行\r\n";
    s.write("content/documents/crlf.md", text);
    let r = s.build(&[]);
    r.ok();
    let html = r.read("documents/crlf/index.html");
    assert!(html.contains("回车换行") && html.contains("正文第二行"));
}

#[test]
fn theme_templates_override_one_at_a_time() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "正文"));
    s.write("themes/default/templates/page.html", "unused");
    s.write("gazette.yaml", &format!("{CONFIG}theme: mine\n"));
    s.write("themes/mine/templates/document.html", "{% extends \"base.html\" %}{% block content %}<p class=\"custom\">自定义模板：{{ doc.title }}</p>{% endblock content %}");
    s.write("themes/mine/static/extra.css", "p{}");
    let r = s.build(&[]);
    r.ok();
    assert!(r.read("documents/a/index.html").contains("自定义模板：文件a"));
    assert!(r.read("index.html").contains("最新文件"), "other templates stay the default ones");
    assert!(r.exists("extra.css") && r.exists("style.css"));
}

#[test]
fn init_creates_a_site_that_builds() {
    let s = Site::empty();
    let dir = s.root().join("new");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gazette")).args(["init"]).arg(&dir).output().expect("run");
    assert!(out.status.success());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--deny-warnings", "--root"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("public/documents/qfb-2024-1/index.html").exists());
    // Git users do not see the output or the cache; nothing stays beside the output.
    let ignore = std::fs::read_to_string(dir.join(".gitignore")).expect(".gitignore");
    assert!(ignore.contains(".*.gazette-*") && ignore.contains("/public") && ignore.contains(".gazette-cache"));
    let mut beside: Vec<String> = std::fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert!(
        beside.iter().all(|n| !n.contains("gazette-lock") && !n.contains("gazette-tmp")),
        "left beside: {beside:?}"
    );
}

#[test]
fn check_writes_nothing() {
    let s = full_site();
    let r = s.run(&["check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.out.exists(), "check must not write the output folder");
}

#[test]
fn listings_paginate_with_stable_urls() {
    let s = Site::new();
    s.write("gazette.yaml", &format!("{CONFIG}per_page: 2\n"));
    for i in 0..5 {
        s.write(
            &format!("content/documents/d{i}.md"),
            &format!("---\nid: d{i}\ntitle: 文件{i}\nissuer: qzf\npublished: 2024-01-0{}\n---\nx\n", i + 1),
        );
    }
    let r = s.build(&[]);
    r.ok();
    assert!(
        r.exists("documents/index.html")
            && r.exists("documents/page/2/index.html")
            && r.exists("documents/page/3/index.html")
    );
    let first = text(&r.read("documents/index.html"));
    assert!(first.find("文件4").expect("newest first") < first.find("文件3").expect("then"));
    assert!(!r.exists("documents/page/4/index.html"));
}

#[test]
fn minify_is_opt_in_and_keeps_the_page_intact() {
    let s = full_site();
    let plain = s.build(&[]);
    plain.ok();
    let before = plain.read("documents/a/index.html");
    s.write("gazette.yaml", &format!("{CONFIG}minify: true\n"));
    let min = s.build(&[]);
    min.ok();
    let after = min.read("documents/a/index.html");
    assert!(after.len() < before.len(), "minified page is smaller");
    assert_eq!(links(&after), links(&before), "same links after minification");
    assert_eq!(
        text(&after).split_whitespace().collect::<String>(),
        text(&before).split_whitespace().collect::<String>()
    );
}

#[test]
fn script_never_reaches_a_page_from_content() {
    let s = Site::new();
    s.write(
        "content/documents/x.md",
        "---\nid: x\ntitle: \"<script>alert('t')</script>标题\"\nissuer: qzf\npublished: 2024-01-01\ndoc_type: \"<img src=x onerror=alert(1)>\"\ntopics: [\"\\\"><svg onload=alert(1)>\"]\n---\n\n## 一、正文 {#a}\n\n<script>alert(1)</script><img src=\"https://img.example/a.png\" onerror=alert(2)>[点我](javascript:alert(3))<iframe src=\"https://evil.example/\"></iframe>\n\n<sup>保留</sup>\n",
    );
    let r = s.build(&[]);
    r.ok();
    for f in r.files().iter().filter(|f| f.ends_with(".json")) {
        let json = r.read(f);
        assert!(!json.contains('<'), "{f}: `<` written raw in JSON");
        serde_json::from_str::<serde_json::Value>(&json).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
    let handler = regex::Regex::new(r"(?i)<[a-z][^>]*\son[a-z]+\s*=").expect("re");
    let script = regex::Regex::new(r"(?i)<script(?:\s[^>]*)?>").expect("re");
    for f in r.files().iter().filter(|f| f.ends_with(".html") || f.ends_with(".xml")) {
        let page = r.read(f);
        // Attribute values (escaped text) may contain anything; attribute names may not.
        let unquoted = regex::Regex::new(r#""[^"]*"|'[^']*'"#).expect("re").replace_all(&page, "\"\"");
        assert!(!handler.is_match(&unquoted), "{f}: an element with an event handler");
        for tag in script.find_iter(&page) {
            assert!(
                tag.as_str().contains("src=") || tag.as_str().contains("application/ld+json"),
                "{f}: inline script {}",
                tag.as_str()
            );
        }
        assert!(
            !links(&page).iter().any(|l| l.trim().to_lowercase().starts_with("javascript:")),
            "{f}: javascript: link"
        );
        assert!(!page.to_lowercase().contains("<iframe"), "{f}: iframe");
    }
    let doc = r.read("documents/x/index.html");
    assert!(doc.contains("<sup>保留</sup>") && doc.contains("&lt;script&gt;"), "harmless markup kept, titles escaped");
}

#[test]
fn signature_and_date_are_placed_as_gbt_9704_sets_them() {
    let s = Site::new();
    s.write(
        "content/documents/signed.md",
        &doc("signed", "written: 2024-04-28\n", "正文。\n\n测试区人民政府\n\n2024年4月28日"),
    );
    s.write("content/documents/bare.md", &doc("bare", "written: 2024-04-29\n", "正文。"));
    let r = s.build(&[]);
    r.ok();
    let signed = r.read("documents/signed/index.html");
    assert!(
        signed.contains("<p class=\"signature\">测试区人民政府</p>")
            && signed.contains("<p class=\"sign-date\">2024年4月28日</p>")
    );
    assert!(!signed.contains("print-signature"), "no second 落款 when the body has one");
    let bare = r.read("documents/bare/index.html");
    assert!(bare.contains("print-signature") && bare.contains("2024年4月29日"), "落款 from the metadata");
    let css = r.read("print.css");
    assert!(
        css.contains("@page") && css.contains("size: A4") && css.contains("37mm 26mm 35mm 28mm"),
        "A4 with GB/T 9704 margins"
    );
}

#[test]
fn chinese_text_inside_a_theme_tag_builds_and_its_links_are_still_checked() {
    // 你 is E4 BD A0: its last byte is a non-breaking space as Latin-1. A template with it
    // inside a tag once made every build panic ("byte index is not a char boundary").
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "正文"));
    let tpl = "{% extends \"base.html\" %}{% block content %}<div class=\"doc-body\" 你><a 览 href=\"{{ root }}documents/a/\">{{ doc.title }}</a></div>{% endblock content %}";
    s.write("themes/default/templates/document.html", tpl);
    let r = s.build(&[]);
    r.ok();
    assert!(r.read("documents/a/index.html").contains("<div class=\"doc-body\" 你><a 览 href="));
    s.write("themes/default/templates/document.html", &tpl.replace("documents/a/", "documents/gone/"));
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.diag("broken link").contains("documents/gone/"), "{}", r.stderr);
}

#[test]
fn nothing_stays_beside_the_output_after_a_build_or_a_failed_one() {
    let s = full_site();
    let web = s.root().join("www");
    std::fs::create_dir_all(&web).expect("mkdir");
    let out = web.join("site");
    let listing = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&web)
            .expect("ls")
            .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    s.build(&["-o", out.to_str().expect("utf8")]).ok();
    assert_eq!(listing(), vec!["site"], "a lock or staging folder beside the web root gets served");
    s.write("content/documents/bad.md", "---\nid: bad\ntitle: 坏\nissuer: nobody\npublished: 2024-01-01\n---\n");
    assert_eq!(s.build(&["-o", out.to_str().expect("utf8")]).code, 1);
    assert_eq!(listing(), vec!["site"]);
}

#[test]
fn the_cache_folder_is_settable_by_option_or_environment() {
    let s = full_site();
    let dir = s.root().join("ci-cache");
    s.build(&["--cache-dir", dir.to_str().expect("utf8")]).ok();
    let cached = |d: &std::path::Path| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    assert!(cached(&dir) > 0, "--cache-dir holds the build cache");
    assert!(!s.root().join(".gazette-cache").exists(), "and nothing goes to the default place");
    let env_dir = s.root().join("env-cache");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--date", "2025-01-01", "--root"])
        .arg(s.root())
        .env("GAZETTE_CACHE_DIR", &env_dir)
        .env_remove("CI")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cached(&env_dir) > 0, "GAZETTE_CACHE_DIR holds the build cache");
    assert!(!s.root().join(".gazette-cache").exists());
}
