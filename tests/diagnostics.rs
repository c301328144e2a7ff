//! Bad input gets `PATH:LINE:COL: error: message` plus help, the contract's exit code,
//! every problem at once, and never a touched output folder.

mod common;
use common::*;

fn site_with(rel: &str, text: &str) -> Site {
    let s = Site::new();
    s.write(rel, text);
    s
}

/// Build and expect exit 1 with a diagnostic at `path:line` containing `needle`.
fn expect_error(s: &Site, path: &str, line: usize, needle: &str) -> Run {
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "expected content error exit 1:\n{}", r.stderr);
    let d = r.diag(needle);
    assert!(d.starts_with(&format!("{path}:{line}:")), "wrong place: {d}");
    assert!(d.contains(": error: "), "not an error: {d}");
    r
}

#[test]
fn missing_required_keys() {
    let s = site_with("content/documents/a.md", "---\nid: a\npublished: 2024-01-01\n---\n正文\n");
    let r = expect_error(&s, "content/documents/a.md", 1, "required key `title`");
    r.diag("required key `issuer`");
    assert!(r.stderr.contains("help:"), "help lines follow");
}

#[test]
fn invalid_dates_point_at_their_line() {
    let s = site_with("content/documents/a.md", &doc("a", "written: 2024513\neffective: 2023-02-29\n", "x"));
    expect_error(&s, "content/documents/a.md", 6, "invalid date `2024513`");
    expect_error(&s, "content/documents/a.md", 7, "invalid date `2023-02-29`");
}

#[test]
fn invalid_id_syntax() {
    let s = site_with("content/documents/a.md", "---\nid: 中文id\ntitle: t\nissuer: qzf\npublished: 2024-01-01\n---\n");
    expect_error(&s, "content/documents/a.md", 2, "invalid id `中文id`");
}

#[test]
fn reserved_ids_are_refused() {
    let s = site_with("content/documents/page.md", &doc("page", "", "x"));
    expect_error(&s, "content/documents/page.md", 2, "id `page` is reserved");
}

#[test]
fn duplicates_across_kinds_and_numbers() {
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "doc_number: 测府发〔2024〕1号\nindex_number: X/2024-1\n", "x"));
    s.write("content/documents/b.md", &doc("b", "doc_number: 测府发[2024]01号\nindex_number: X/2024-1\n", "x"));
    s.write("content/pages/a.md", "---\nid: a\ntitle: 页面\n---\n");
    let r = s.build(&[]);
    assert_eq!(r.code, 1);
    assert!(r.diag("duplicate 发文字号").starts_with("content/documents/b.md:6:"));
    assert!(r.diag("duplicate 索引号").starts_with("content/documents/b.md:7:"));
    assert!(r.diag("duplicate id `a`").starts_with("content/pages/a.md:2:"));
}

#[test]
fn unknown_organ_and_service() {
    let s = site_with("content/documents/a.md", &doc("a", "services: [sq, nope]\n", "见[办理](service:gone)"));
    s.write("content/documents/b.md", "---\nid: b\ntitle: t\nissuer: [qzf, ghost]\npublished: 2024-01-01\n---\n");
    let r = expect_error(&s, "content/documents/a.md", 6, "unknown service `nope`");
    assert!(r.diag("unknown service `gone`").starts_with("content/documents/a.md:9:"));
    assert!(r.diag("unknown organ `ghost`").starts_with("content/documents/b.md:4:"));
}

#[test]
fn attachments_missing_or_escaping() {
    let s = site_with(
        "content/documents/a.md",
        &doc("a", "attachments:\n  - title: 有\n    path: files/ok.pdf\n  - title: 缺\n    path: files/missing.pdf\n  - title: 越界\n    path: ../../gazette.yaml\n", "x"),
    );
    s.write("content/files/ok.pdf", "x");
    expect_error(&s, "content/documents/a.md", 9, "attachment `files/missing.pdf` not found");
    expect_error(&s, "content/documents/a.md", 11, "leaves content/");
}

#[test]
fn doc_number_variants_warn_with_the_canonical_form() {
    let s = site_with("content/documents/a.md", &doc("a", "doc_number: 测府办发［2024］05號\n", "x"));
    let r = s.build(&[]);
    assert_eq!(r.code, 0, "a variant is only a warning:\n{}", r.stderr);
    let d = r.diag("not in canonical form");
    assert!(d.starts_with("content/documents/a.md:6:") && d.contains("warning:"));
    assert!(r.stderr.contains("测府办发〔2024〕5号"), "help shows the canonical form");
    let r = s.build(&["--deny-warnings"]);
    assert_eq!(r.code, 1, "--deny-warnings turns warnings into errors");
}

#[test]
fn broken_doc_number_is_an_error() {
    let s = site_with("content/documents/a.md", &doc("a", "doc_number: 沪府办字〔20245号\n", "x"));
    expect_error(&s, "content/documents/a.md", 6, "not a valid 发文字号");
}

#[test]
fn invalid_utf8_is_a_diagnostic_not_a_panic() {
    let s = Site::new();
    s.write_bytes(
        "content/documents/gbk.md",
        b"---\nid: g\ntitle: \xb9\xab\xce\xc4\nissuer: qzf\npublished: 2024-01-01\n---\n",
    );
    let r = expect_error(&s, "content/documents/gbk.md", 3, "not valid UTF-8");
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn invalid_yaml_names_the_line() {
    let s = site_with("content/documents/a.md", "---\nid: a\ntitle: [unclosed\nissuer: qzf\n---\n");
    let r = s.build(&[]);
    assert_eq!(r.code, 1);
    assert!(r.diag("invalid YAML").starts_with("content/documents/a.md:"));
}

#[test]
fn unknown_reference_at_its_exact_line() {
    let s = site_with(
        "content/documents/a.md",
        &doc("a", "basis:\n  - b\n  - 测府发〔1999〕9号\n", "\n\n见[不存在](doc:nowhere)。"),
    );
    s.write("content/documents/b.md", &doc("b", "", "## 一、标题\n"));
    expect_error(&s, "content/documents/a.md", 8, "unknown reference `测府发〔1999〕9号`");
    let r = expect_error(&s, "content/documents/a.md", 13, "unknown reference `nowhere`");
    assert!(!r.stderr.contains("`b`"), "a known REF is not reported");
}

#[test]
fn a_relation_to_the_document_itself_is_an_error_at_its_line() {
    // By its id and by its 发文字号 in another bracket form; another document in the same
    // list is no error.
    let s = site_with(
        "content/documents/a.md",
        &doc("a", "doc_number: 测府发〔2024〕5号\nbasis:\n  - a\nsupporting:\n  - 测府发[2024]5号\n  - b\n", "正文"),
    );
    s.write("content/documents/b.md", &doc("b", "", "正文"));
    expect_error(&s, "content/documents/a.md", 8, "`a` refers to the document itself");
    let r = expect_error(&s, "content/documents/a.md", 10, "`测府发[2024]5号` refers to the document itself");
    assert!(!r.stderr.contains("`b` refers"), "another document is not itself:\n{}", r.stderr);
}

#[test]
fn fragment_must_name_a_heading() {
    let s = site_with("content/documents/a.md", &doc("a", "", "[ok](doc:b#一标题) [bad](doc:b#二标题)"));
    s.write("content/documents/b.md", &doc("b", "", "## 一、标题\n"));
    let r = expect_error(&s, "content/documents/a.md", 8, "`#二标题` names no heading");
    assert!(!r.stderr.contains("#一标题` names"));
}

#[test]
fn all_problems_are_reported_in_one_run() {
    let s = Site::new();
    s.write("content/documents/a.md", "---\nid: a\ntitle: t\nissuer: nobody\npublished: 2024-01-01\n---\n");
    s.write("content/documents/b.md", "---\nid: b\ntitle: t\nissuer: qzf\npublished: someday\n---\n");
    s.write("content/documents/c.md", "---\nid: c\ntitle: t\nissuer: qzf\npublished: 2024-01-01\n---\n[x](doc:zzz)\n");
    let r = s.build(&[]);
    assert_eq!(r.code, 1);
    r.diag("unknown organ `nobody`");
    r.diag("invalid date `someday`");
    r.diag("unknown reference `zzz`");
    assert!(r.stderr.contains("3 error(s)"));
}

#[test]
fn a_failed_build_leaves_the_previous_output_exactly_as_it_was() {
    let s = site_with("content/documents/a.md", &doc("a", "", "第一版"));
    let r = s.build(&[]);
    r.ok();
    let before: Vec<(String, Vec<u8>)> =
        r.files().into_iter().map(|f| (f.clone(), std::fs::read(r.out.join(&f)).expect("read"))).collect();
    s.write("content/documents/a.md", &doc("a", "", "第二版 [坏链接](doc:missing)"));
    let r2 = s.build(&[]);
    assert_eq!(r2.code, 1);
    let after: Vec<(String, Vec<u8>)> =
        r2.files().into_iter().map(|f| (f.clone(), std::fs::read(r2.out.join(&f)).expect("read"))).collect();
    assert_eq!(before, after, "output changed after a failed build");
    let leftovers: Vec<_> = std::fs::read_dir(s.root())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("gazette-") && !n.ends_with("-lock") && n != ".gazette-cache")
        .collect();
    assert!(leftovers.is_empty(), "staging folders left behind: {leftovers:?}");
}

#[test]
fn config_problems_exit_2() {
    let s = Site::empty();
    let r = s.build(&[]);
    assert_eq!(r.code, 2, "no gazette.yaml: {}", r.stderr);
    assert!(r.diag("cannot read site config").starts_with("gazette.yaml:"));
    let s = Site::new();
    s.write("gazette.yaml", "title: t\nbase_url: ftp//nowhere\n");
    let r = s.build(&[]);
    assert_eq!(r.code, 2);
    assert!(r.diag("base_url").starts_with("gazette.yaml:2:"));
}

#[test]
fn bad_usage_exits_2() {
    let s = Site::new();
    let r = s.build(&["--date", "2024-02-30"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = s.run(&["build", "--no-such-flag"]);
    assert_eq!(r.code, 2);
}

#[test]
fn refuses_an_output_folder_holding_the_sources() {
    let s = site_with("content/documents/a.md", &doc("a", "", "x"));
    let root = s.root().to_string_lossy().into_owned();
    let r = s.build(&["-o", &root]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("refusing to use this output folder"));
    assert!(s.root().join("content/documents/a.md").exists(), "sources untouched");
    let content = s.root().join("content").to_string_lossy().into_owned();
    assert_eq!(s.build(&["-o", &content]).code, 2);
}

#[test]
fn template_errors_name_the_template_and_exit_2() {
    let s = site_with("content/documents/a.md", &doc("a", "", "x"));
    s.write(
        "themes/default/templates/document.html",
        "{% extends \"base.html\" %}\n{% block content %}\n{{ doc.title \n{% endblock content %}",
    );
    let r = s.build(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.diag("template").starts_with("themes/default/templates/document.html:"), "{}", r.stderr);
}

#[test]
fn a_broken_link_in_a_template_fails_the_build() {
    let s = site_with("content/documents/a.md", &doc("a", "", "x"));
    s.write("themes/default/templates/page.html", "x");
    s.write(
        "themes/default/templates/document.html",
        "{% extends \"base.html\" %}{% block content %}<a href=\"{{ root }}no-such-page/\">坏</a>{% endblock content %}",
    );
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let d = r.diag("broken link");
    assert!(
        d.starts_with("themes/default/templates/document.html:1:") && d.contains("no-such-page"),
        "at the template line: {d}"
    );
}

#[test]
fn unknown_keys_warn_with_a_suggestion() {
    let s = site_with("content/documents/a.md", &doc("a", "publised: 2024-01-01\n", "x"));
    let r = s.build(&[]);
    r.ok();
    let d = r.diag("unknown key `publised`");
    assert!(d.contains("warning:"));
    assert!(r.stderr.contains("did you mean `published`?"));
}

#[test]
fn output_link_errors_come_in_the_same_run_at_their_markdown_line_decoded_with_the_anchors() {
    // Issue 18, point 1: a content error elsewhere does not hide the link gate's findings.
    let s = Site::new();
    s.write("content/documents/a.md", "---\nid: a\ntitle: t\nissuer: nobody\npublished: 2024-01-01\n---\n");
    s.write(
        "content/documents/b.md",
        &doc("b", "", "## 第一节\n\n正文。\n\n## 第二节\n\n见[第九节](#第九节)和[第一节](#第一节)。"),
    );
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.diag("unknown organ `nobody`");
    let d = r.diag("broken link");
    // doc() puts the body after 7 lines of front matter and a blank line: the link is on line 14.
    assert!(d.starts_with("content/documents/b.md:14:"), "at the Markdown line: {d}");
    assert!(d.contains("`#第九节`") && !d.contains("%E7"), "decoded: {d}");
    let help = r.stderr.split(&d).nth(1).expect("help").lines().nth(1).unwrap_or_default().to_string();
    assert!(help.contains("#第一节") && help.contains("#第二节"), "lists the anchors: {help}");
    assert!(!r.stderr.contains("`#第一节`"), "a working anchor is not reported:\n{}", r.stderr);
    assert!(!r.out.exists(), "a failed build writes nothing");
}

#[test]
fn a_broken_file_is_reported_once_not_in_every_file_that_cites_it() {
    // Issue 18, point 2: no cascade of "unknown reference" from a file that did not load.
    let s = Site::new();
    s.write(
        "content/documents/hp-2023-3.md",
        "---\nid: hp-2023-3\ntitle: [坏的\nissuer: qzf\npublished: 2024-01-01\n---\n",
    );
    s.write("content/documents/a.md", &doc("a", "basis: [hp-2023-3]\n", "见[它](doc:hp-2023-3)。"));
    s.write("content/documents/b.md", &doc("b", "related: [hp-2023-3]\n", "x"));
    s.write(
        "content/interpretations/jd.md",
        "---\nid: jd\ntitle: 解读\ninterprets: hp-2023-3\npublished: 2024-01-02\n---\n",
    );
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.diag("invalid YAML").starts_with("content/documents/hp-2023-3.md:"), "{}", r.stderr);
    assert!(!r.stderr.contains("unknown reference"), "cascade:\n{}", r.stderr);
    let once = r.stderr.matches("could not be checked").count();
    assert_eq!(once, 1, "said once:\n{}", r.stderr);
    assert!(r.diag("could not be checked").starts_with("content/documents/hp-2023-3.md:"), "{}", r.stderr);
}

#[test]
fn unknown_ids_services_and_organs_suggest_the_near_one_and_type_errors_say_what_to_write() {
    // Issue 18, point 3.
    let s = Site::new();
    s.write("content/documents/hp-2023-3.md", &doc("hp-2023-3", "", "x"));
    s.write("content/documents/a.md", &doc("a", "basis: [hp-2023-03]\nservices: [sqq]\n", "见[它](doc:hp-2023-03)。"));
    s.write("content/documents/b.md", "---\nid: b\ntitle: t\nissuer: qzff\npublished: 2024-01-01\n---\n");
    s.write("content/documents/c.md", "---\nid: c\ntitle: t\nissuer: qzf\npublished: 2024-01-01\nnormative: 是\n---\n");
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let help_of = |needle: &str| -> String {
        let d = r.diag(needle);
        r.stderr.split(&d).nth(1).expect("after").lines().skip(1).take_while(|l| l.starts_with("  = help")).collect()
    };
    assert!(help_of("unknown reference `hp-2023-03`").contains("did you mean `hp-2023-3`?"), "{}", r.stderr);
    assert!(help_of("unknown service `sqq`").contains("did you mean `sq`?"), "{}", r.stderr);
    assert!(help_of("unknown organ `qzff`").contains("did you mean `qzf`?"), "{}", r.stderr);
    let h = help_of("normative");
    assert!(h.contains("true") && h.contains("false"), "type help: {h}\n{}", r.stderr);
}

#[test]
fn probably_wrong_metadata_is_a_warning_at_its_line_and_embargoes_are_listed() {
    // Issue 18, point 4. The build date is 2025-01-01 (`Site::build`).
    let s = Site::new();
    let front = |id: &str, extra: &str| format!("---\nid: {id}\ntitle: 文件{id}\nissuer: qzf\n{extra}---\n正文。\n");
    s.write("content/documents/a.md", &front("a", "published: 2024-03-01\nwritten: 2024-03-05\n"));
    s.write("content/documents/b.md", &front("b", "published: 2024-03-01\nwritten: 2025-06-01\n"));
    s.write(
        "content/documents/c.md",
        &front("c", "published: 2024-03-01\neffective: 2024-04-01\nexpires: 2024-03-31\n"),
    );
    s.write(
        "content/documents/d.md",
        &front("d", "published: 2024-03-01\nwritten: 2024-02-01\ndoc_number: 测府发〔2023〕5号\n"),
    );
    s.write("content/documents/e.md", &front("e", "published: 2024-03-01\ndoc_type: 通知书\n"));
    s.write("content/documents/f.md", &front("f", "published: 2099-05-01\n"));
    s.write("content/documents/g.md", &front("g", "published: 2025-03-01\n"));
    s.write("content/interpretations/jd.md", "---\nid: jd\ntitle: 解读\ninterprets: a\npublished: 2024-02-01\n---\n");
    s.write("content/faqs/a1.yaml", "for: a\nitems:\n  - q: 问？\n    a: 答。\n");
    s.write("content/faqs/a2.yaml", "for: a\nitems:\n  - q: 又问？\n    a: 又答。\n");
    let r = s.build(&[]);
    r.ok();
    let warning_at = |needle: &str, at: &str| {
        let d = r.diag(needle);
        assert!(d.starts_with(at) && d.contains(": warning: "), "{needle}: {d}\n{}", r.stderr);
    };
    warning_at("is before 成文日期", "content/documents/a.md:5:");
    warning_at("is after the build date", "content/documents/b.md:6:");
    warning_at("有效期至 2024-03-31 is before 施行日期", "content/documents/c.md:7:");
    warning_at("发文字号 year 2023 differs", "content/documents/d.md:7:");
    warning_at("文种 `通知书`", "content/documents/e.md:6:");
    assert!(r.stderr.contains("did you mean 通知?"), "{}", r.stderr);
    warning_at("more than a year ahead", "content/documents/f.md:5:");
    assert!(!r.stderr.contains("content/documents/g.md:5:"), "an embargo of weeks is normal");
    warning_at("解读 is published (2024-02-01) before its document", "content/interpretations/jd.md:5:");
    warning_at("a second FAQ set", "content/faqs/a2.yaml:1:");
    assert!(!r.stderr.contains("content/faqs/a1.yaml"), "the first set is fine");
    // The summary lists what is held back, so a typo cannot hide a document silently.
    let summary = r.stderr.split("built ").nth(1).expect("summary");
    assert!(summary.contains("content/documents/f.md (2099-05-01)"), "{summary}");
    assert!(summary.contains("content/documents/g.md (2025-03-01)"), "{summary}");
}

#[test]
fn a_broken_registry_is_reported_once_not_as_unknown_ids_everywhere() {
    let s = Site::new();
    s.write("content/organs.yaml", "- id: qzf\n  name: [测试区人民政府\n");
    s.write("content/services.yaml", "id: sq\n");
    for id in ["a", "b", "c"] {
        s.write(&format!("content/documents/{id}.md"), &doc(id, "services: [sq]\n", "见[办理](service:sq)。"));
    }
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.diag("invalid YAML").starts_with("content/organs.yaml:"), "{}", r.stderr);
    assert!(r.diag("must be a list").starts_with("content/services.yaml:"), "{}", r.stderr);
    assert!(!r.stderr.contains("unknown organ") && !r.stderr.contains("unknown service"), "cascade:\n{}", r.stderr);
    assert_eq!(r.stderr.matches("could not be checked").count(), 2, "once per registry:\n{}", r.stderr);
}

/// A broken link in an FAQ answer is reported at the answer's line, in a document's own
/// questions and in an FAQ set, and the line follows the answer when the front matter
/// above it grows (rendered bodies are kept by what they are made from: the answers' lines
/// are part of that).
#[test]
fn a_broken_link_in_an_faq_answer_is_reported_at_its_line() {
    let s = Site::new();
    let a = |tags: &str| doc("a", &format!("{tags}faq:\n  - q: 问？\n    a: 答，见[另文](doc:missing)。\n"), "正文。");
    s.write("content/documents/a.md", &a(""));
    s.write("content/faqs/s.yaml", "for: a\nitems:\n  - q: 又问？\n    a: 见[别文](doc:gone)。\n");
    let at = |r: &Run, needle: &str| r.diag(needle).split(": error: ").next().unwrap_or_default().to_string();
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(at(&r, "`missing`").starts_with("content/documents/a.md:8:"), "{}", r.stderr);
    assert!(at(&r, "`gone`").starts_with("content/faqs/s.yaml:4:"), "{}", r.stderr);

    s.write("content/documents/a.md", &a("tags: [个人]\n"));
    let r = s.build(&[]);
    assert!(at(&r, "`missing`").starts_with("content/documents/a.md:9:"), "{}", r.stderr);
    assert!(at(&r, "`gone`").starts_with("content/faqs/s.yaml:4:"), "{}", r.stderr);
}
