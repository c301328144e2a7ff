//! Hostile or careless input: personal data, embeds, oversized files, concurrent and
//! interrupted builds, and the headers a host should send.

mod common;
use common::*;

#[test]
fn personal_numbers_in_published_content_are_errors_at_their_line() {
    let s = Site::new();
    s.write(
        "content/documents/a.md",
        &doc(
            "a",
            "",
            "第一段。\n\n联系人：王某，电话13812345678。\n\n身份证号码11010519491231002X。\n\n账号 6225 8812 3456 7898",
        ),
    );
    // In front matter too: a FAQ answer is published as well.
    s.write("content/documents/b.md", &doc("b", "faq:\n  - q: 怎么办？\n    a: 请致电 159-0000-1111\n", "正文"));
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.diag("手机号码").starts_with("content/documents/a.md:10:"), "{}", r.stderr);
    assert!(r.diag("居民身份证号码").starts_with("content/documents/a.md:12:"), "{}", r.stderr);
    assert!(r.diag("银行卡号").starts_with("content/documents/a.md:14:"), "{}", r.stderr);
    assert!(r.diag("159").starts_with("content/documents/b.md:8:"), "{}", r.stderr);
    // The diagnostic masks the number: the CI log must not republish it.
    assert!(!r.stderr.contains("13812345678") && r.diag("手机号码").ends_with("`138****5678`"), "{}", r.stderr);
    assert!(r.diag("银行卡号").ends_with("`622*********7898`"), "{}", r.stderr);
    assert!(r.stderr.contains("allow_personal_info"), "the help names the way out");
    assert!(!r.out.exists(), "nothing is written");

    // Numbers that fail the check digit or Luhn, landlines and 索引号 are not personal data.
    s.write(
        "content/documents/a.md",
        &doc(
            "a",
            "index_number: 11310000002421191K/2024-00025\n",
            "电话021-23456789，编号110105194912310021，4111111111111112。",
        ),
    );
    s.write("content/documents/b.md", &doc("b", "", "正文"));
    s.build(&[]).ok();

    // A deliberate, explained exception; and hidden documents are not published at all.
    s.write(
        "content/documents/a.md",
        &doc(
            "a",
            "allow_personal_info: true\npersonal_info_reason: 公示获奖人员联系方式，经本人同意\n",
            "电话13812345678。",
        ),
    );
    s.write("content/documents/c.md", &doc("c", "disclosure: 依申请公开\n", "申请人电话13812345678。"));
    let r = s.build(&["--deny-warnings"]);
    r.ok();
    assert!(r.read("documents/a/index.html").contains("13812345678"));

    // The exception without a reason is a warning asking for one.
    s.write("content/documents/a.md", &doc("a", "allow_personal_info: true\n", "电话13812345678。"));
    let r = s.build(&[]);
    r.ok();
    assert!(r.diag("personal_info_reason").starts_with("content/documents/a.md:6:"), "{}", r.stderr);
}

#[test]
fn iframes_only_from_hosts_the_config_lists() {
    let s = Site::new();
    let body = "视频解读：\n\n<iframe src=\"https://v.example.gov.cn/embed/1\" title=\"解读视频\"></iframe>\n\n<iframe src=\"https://tracker.example.com/x\"></iframe>";
    s.write("content/documents/a.md", &doc("a", "", body));
    let r = s.build(&[]);
    r.ok();
    let page = r.read("documents/a/index.html");
    assert!(!page.contains("<iframe"), "no host listed, no iframe");
    assert!(r.diag("v.example.gov.cn").starts_with("content/documents/a.md:10:1: warning:"), "{}", r.stderr);
    assert!(r.stderr.contains("iframe_hosts"), "{}", r.stderr);
    assert!(r.read("_headers").contains("frame-src 'none'"));

    s.write("gazette.yaml", &format!("{CONFIG}iframe_hosts:\n  - v.example.gov.cn\n"));
    let r = s.build(&[]);
    r.ok();
    let page = r.read("documents/a/index.html");
    assert!(page.contains("<iframe src=\"https://v.example.gov.cn/embed/1\""), "listed host kept");
    assert!(!page.contains("tracker.example.com"), "unlisted host removed");
    assert!(r.read("_headers").contains("frame-src https://v.example.gov.cn;"), "the CSP allows the listed host");

    s.write("gazette.yaml", &format!("{CONFIG}iframe_hosts:\n  - https://v.example.gov.cn/embed\n"));
    let r = s.build(&[]);
    assert_eq!(r.code, 2, "a bad config is a usage error");
    assert!(r.diag("not a host name").starts_with("gazette.yaml:4:"), "{}", r.stderr);
}

#[test]
fn headers_file_carries_the_csp_under_the_base_path() {
    let s = Site::new();
    s.write("gazette.yaml", "title: 测试\nbase_url: https://www.example.gov.cn/gongbao/\n");
    s.write("content/documents/a.md", &doc("a", "", "正文"));
    let r = s.build(&[]);
    r.ok();
    let h = r.read("_headers");
    let mut lines = h.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(lines.next(), Some("/gongbao/*"));
    let csp = lines.next().expect("csp line");
    for part in ["default-src 'self'", "script-src 'self';", "style-src 'self';", "object-src 'none'"] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(h.contains("X-Content-Type-Options: nosniff"));
    // The pages it protects have no inline script (JSON-LD is data, not script) and no
    // inline style; the browser suite checks the same under the real header.
    for f in r.files().iter().filter(|f| f.ends_with(".html")) {
        let page = r.read(f);
        for (i, _) in page.match_indices("<script") {
            let tag = &page[i..page[i..].find('>').map_or(page.len(), |j| i + j)];
            assert!(tag.contains(" src=") || tag.contains("application/ld+json"), "{f}: inline script {tag}");
        }
        assert!(!page.contains(" style=\""), "{f}: inline style");
    }
}

fn sized_file(s: &Site, rel: &str, bytes: u64) {
    let p = s.root().join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    // Sparse: the size is what counts, and the test stays fast.
    std::fs::File::create(&p).expect("create").set_len(bytes).expect("set_len");
}

#[test]
fn oversized_files_get_a_clear_error_and_the_limits_are_configurable() {
    const MB: u64 = 1024 * 1024;
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "attachments:\n  - title: 附件\n    path: files/big.pdf\n", "正文"));
    sized_file(&s, "content/files/big.pdf", 50 * MB + 1);
    let mut huge = doc("huge", "", "");
    huge.push_str(&"很长的正文。".repeat((5 * MB as usize) / 18 + 1));
    s.write("content/documents/huge.md", &huge);
    let r = s.build(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.diag("attachments").starts_with("content/files/big.pdf:1:1: error: file is 50.0 MB, over the 50 MB limit"),
        "{}",
        r.stderr
    );
    assert!(r.diag("text files").starts_with("content/documents/huge.md:1:1: error:"), "{}", r.stderr);
    assert!(r.stderr.contains("limits:"), "the help names the setting");
    assert!(!r.out.exists());

    // Exactly at the limit is fine; a site may lower or raise the limits.
    sized_file(&s, "content/files/big.pdf", 50 * MB);
    s.remove("content/documents/huge.md");
    s.build(&[]).ok();
    s.write("gazette.yaml", &format!("{CONFIG}limits:\n  attachment_mb: 10\n"));
    assert_eq!(s.build(&[]).code, 1);
    s.write("gazette.yaml", &format!("{CONFIG}limits:\n  attachment_mb: 60\n"));
    sized_file(&s, "content/files/big.pdf", 55 * MB);
    s.build(&[]).ok();
}
