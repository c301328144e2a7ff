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
