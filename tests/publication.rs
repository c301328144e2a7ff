//! What is published and how it is marked: hidden documents leave no trace (§5),
//! validity is derived at the build date (§4), references resolve either way (§3).

mod common;
use common::*;

fn all_output_text(r: &Run) -> String {
    r.files()
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(r.out.join(f)).expect("read")).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn hidden_documents_leave_no_trace() {
    let s = Site::new();
    s.write("content/documents/pub.md", &doc("pub", "doc_number: 测府发〔2024〕1号\n", "公开文件。"));
    s.write(
        "content/documents/req.md",
        &doc(
            "req-secret",
            "doc_number: 测府发〔2024〕2号\ndisclosure: 依申请公开\nindex_number: SECRET-IDX-1\n",
            "MARKER-REQUEST 依申请",
        ),
    );
    s.write("content/documents/no.md", &doc("no-secret", "disclosure: 不予公开\n", "MARKER-WITHHELD"));
    s.write(
        "content/documents/draft.md",
        &doc(
            "draft-secret",
            "draft: true\nattachments:\n  - title: 草稿附件\n    path: files/draft-only.pdf\n",
            "MARKER-DRAFT",
        ),
    );
    s.write("content/files/draft-only.pdf", "MARKER-ATTACHMENT");
    s.write("content/documents/future.md", "---\nid: future-secret\ntitle: MARKER-EMBARGO-TITLE\nissuer: qzf\npublished: 2099-01-01\ntags: [MARKER-TAG-EMBARGO]\n---\nMARKER-EMBARGO\n");
    // Hidden documents' tags make no tag page, finder entry or search facet either.
    s.write(
        "content/documents/tagged-draft.md",
        &doc("tagged-draft", "draft: true\ntags: [MARKER-TAG-DRAFT]\n", "MARKER-DRAFT-2"),
    );
    s.write("content/interpretations/jd.md", "---\ntitle: MARKER-INTERP-DRAFT\ninterprets: pub\ndraft: true\n---\n");
    s.write("content/pages/p.md", "---\nid: p\ntitle: MARKER-PAGE-DRAFT\ndraft: true\n---\n");
    // A published document mentions the hidden one's number: no auto-link, no backlink.
    s.write("content/documents/mention.md", &doc("mention", "", "提到测府发〔2024〕2号。"));
    let r = s.build(&[]);
    r.ok();
    let all = all_output_text(&r);
    for marker in
        ["MARKER-", "req-secret", "no-secret", "draft-secret", "future-secret", "SECRET-IDX", "draft-only.pdf"]
    {
        assert!(!all.contains(marker), "hidden content leaked: {marker}");
    }
    assert!(!r.files().iter().any(|f| f.contains("MARKER")), "no page of a hidden item's tag");
    assert!(r.exists("documents/pub/index.html"));
    let mention = r.read("documents/mention/index.html");
    assert!(!links(&mention).iter().any(|l| l.contains("req")), "no auto-link to a hidden document");

    let r = s.build(&["--drafts"]);
    r.ok();
    assert!(r.exists("documents/draft-secret/index.html"), "--drafts publishes drafts");
    assert!(!r.exists("documents/req-secret/index.html"), "but never 依申请公开");
    assert!(!r.exists("documents/future-secret/index.html"), "nor embargoed documents");
}

#[test]
fn a_reference_to_a_hidden_document_is_an_error_naming_both_files() {
    let s = Site::new();
    s.write("content/documents/pub.md", &doc("pub", "basis: [hidden]\n", "x"));
    s.write(
        "content/documents/hidden.md",
        "---\nid: hidden\ntitle: 不可泄露的标题\nissuer: qzf\npublished: 2024-01-01\ndisclosure: 不予公开\n---\n",
    );
    let r = s.build(&[]);
    assert_eq!(r.code, 1);
    let d = r.diag("unpublished");
    assert!(d.starts_with("content/documents/pub.md:6:"), "{d}");
    assert!(r.stderr.contains("content/documents/hidden.md"), "names the hidden file");
    assert!(!r.stderr.contains("不可泄露的标题"), "does not reveal the title");
    assert!(!r.out.exists());
}

#[test]
fn validity_is_derived_at_the_build_date() {
    let s = Site::new();
    s.write("content/documents/old.md", &doc("old", "", "x"));
    s.write("content/documents/amended.md", &doc("amended", "", "x"));
    s.write("content/documents/new.md", &doc("new", "repeals: [old]\namends: [amended]\n", "x"));
    s.write("content/documents/expired.md", &doc("expired", "expires: 2024-12-31\n", "x"));
    s.write("content/documents/pending.md", &doc("pending", "effective: 2025-06-01\n", "x"));
    s.write("content/documents/forced.md", &doc("forced", "validity: 失效\n", "x"));
    let r = s.build(&["--date", "2025-01-01"]);
    r.ok();
    let badge = |id: &str| text(&r.read(&format!("documents/{id}/index.html")));
    assert!(badge("old").contains("已废止"));
    assert!(
        links(&r.read("documents/old/index.html")).contains(&"../../documents/new/".to_string()),
        "repealed links the repealing document"
    );
    assert!(badge("amended").contains("已修改"));
    assert!(badge("expired").contains("失效"));
    assert!(badge("pending").contains("尚未生效"));
    assert!(badge("forced").contains("失效"));
    assert!(badge("new").contains("有效"));
    let listing = text(&r.read("documents/index.html"));
    assert!(listing.contains("已废止") && listing.contains("尚未生效"), "listings show validity");
    // A later build date changes what is derived.
    let r = s.build(&["--date", "2025-07-01"]);
    r.ok();
    assert!(!text(&r.read("documents/pending/index.html")).contains("尚未生效"));
}

#[test]
fn refs_resolve_by_id_or_doc_number_in_any_bracket_form() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "doc_number: 测府发〔2023〕7号\n", "x"));
    s.write(
        "content/documents/b.md",
        &doc("b", "basis: [\"测府发(2023)7号\"]\n", "[依据](doc:测府发【2023】7号) 与 `测府发〔2023〕7号`"),
    );
    let r = s.build(&[]);
    r.ok();
    let b = r.read("documents/b/index.html");
    assert_eq!(
        links(&b).iter().filter(|l| *l == "../../documents/a/").count(),
        2,
        "basis row and doc: link; not inside code"
    );
    let a = text(&r.read("documents/a/index.html"));
    assert!(a.contains("以本文件为依据") && a.contains("文件b"), "relation shown on the other end too");
}

#[test]
fn a_document_does_not_auto_link_itself() {
    let s = Site::new();
    s.write(
        "content/documents/a.md",
        &doc("a", "doc_number: 测府发〔2023〕7号\n", "本通知（测府发〔2023〕7号）自发布之日起施行。"),
    );
    let r = s.build(&[]);
    r.ok();
    assert!(!links(&r.read("documents/a/index.html")).iter().any(|l| l == "../../documents/a/"));
}

#[test]
fn aliases_get_redirect_pages() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "aliases: [/xxgk/2019/123.html, old/a/]\n", "x"));
    let r = s.build(&[]);
    r.ok();
    let red = r.read("xxgk/2019/123.html");
    assert!(red.contains("../../documents/a/") && red.contains("refresh"));
    assert!(r.exists("old/a/index.html"));
}

#[test]
fn two_documents_claiming_one_alias_are_told_at_their_aliases_line() {
    // The redirect page that collides is blamed on the `aliases` entry that made it: the
    // front matter of documents with aliases is kept to the end of a build for this.
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "aliases:\n  - /old/x.html\n", "x"));
    s.write("content/documents/b.md", &doc("b", "aliases:\n  - /old/y.html\n  - /old/x.html\n", "y"));
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let d = r.diag("old/x.html");
    assert!(d.starts_with("content/documents/a.md:7:") || d.starts_with("content/documents/b.md:8:"), "{d}");
    assert!(d.contains("two outputs would be written to `old/x.html`"), "{d}");
    assert!(!r.out.exists(), "nothing written");
}

#[test]
fn an_alias_must_be_a_plain_url_path() {
    // An alias becomes a file of the output: no markup, scheme, escapes or climbing out.
    let s = Site::new();
    let bad = "aliases:\n  - \"<script>.html\"\n  - \"javascript:alert(1)\"\n  - ../../etc/x.html\n  - \"old page.html\"\n  - /%2E%2E/x.html\n";
    s.write("content/documents/a.md", &doc("a", bad, "x"));
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let cases = [
        ("<script>.html", 7),
        ("javascript:alert(1)", 8),
        ("../../etc/x.html", 9),
        ("old page.html", 10),
        ("/%2E%2E/x.html", 11),
    ];
    for (alias, line) in cases {
        let d = r.diag(&format!("alias `{alias}`"));
        assert!(d.starts_with(&format!("content/documents/a.md:{line}:")), "{d}");
        assert!(d.contains("is not a plain URL path"), "{d}");
    }
    assert!(!r.out.exists(), "nothing written");
    // Old portals' paths pass, Chinese file names (written decoded) included.
    let good = "aliases: [/xxgk/2019/123.html, /旧站/测试-1.htm, \"/a_b/c_d~e.shtml\", old/a/]\n";
    s.write("content/documents/a.md", &doc("a", good, "x"));
    let r = s.build(&[]);
    r.ok();
    assert!(r.exists("旧站/测试-1.htm") && r.exists("a_b/c_d~e.shtml") && r.exists("old/a/index.html"));
}

#[test]
fn an_interpretation_or_faq_for_an_embargoed_document_waits_for_it() {
    // CONTRACT §5: not an error; published with its document (its own later date holds).
    let s = Site::new();
    s.write(
        "content/documents/future.md",
        "---\nid: future\ntitle: 待发布文件\nissuer: qzf\npublished: 2025-06-01\n---\n正文。\n",
    );
    s.write(
        "content/interpretations/jd.md",
        "---\nid: jd\ntitle: MARKER-JD 解读\ninterprets: future\npublished: 2025-05-20\n---\n解读正文。\n",
    );
    s.write(
        "content/interpretations/jd-late.md",
        "---\nid: jd-late\ntitle: MARKER-LATE 解读\ninterprets: future\npublished: 2025-08-01\n---\n晚些的解读。\n",
    );
    s.write("content/faqs/future.yaml", "for: future\nitems:\n  - q: MARKER-FAQ 问题？\n    a: 回答。\n");
    let r = s.build(&["--date", "2025-01-01"]);
    r.ok();
    let all = all_output_text(&r);
    for m in ["MARKER-", "interpretations/jd", "future"] {
        assert!(!all.contains(m), "waiting item leaked before its document: {m}");
    }
    let r = s.build(&["--date", "2025-07-01"]);
    r.ok();
    assert!(r.exists("interpretations/jd/index.html"), "published with its document");
    assert!(!r.exists("interpretations/jd-late/index.html"), "its own later date still holds");
    let page = r.read("documents/future/index.html");
    assert!(page.contains("MARKER-JD") && page.contains("MARKER-FAQ"), "the document shows its 解读 and FAQ");
    assert!(!page.contains("MARKER-LATE"));

    // A 解读 of a draft document is still an error: only an embargo is waited for.
    s.write(
        "content/documents/future.md",
        "---\nid: future\ntitle: 待发布文件\nissuer: qzf\npublished: 2025-06-01\ndraft: true\n---\n正文。\n",
    );
    let r = s.build(&["--date", "2025-07-01"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.diag("content/interpretations/jd.md:").contains("names an unpublished item"), "{}", r.stderr);
    assert!(r.diag("content/faqs/future.yaml:").contains("names an unpublished item"), "{}", r.stderr);
}
