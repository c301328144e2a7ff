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

/// A library big enough that a build takes a while (so it can be caught mid-write).
fn big_site(n: usize) -> Site {
    let s = Site::new();
    for i in 0..n {
        let body = format!(
            "## 一、总体要求\n\n第{i}号文件的正文。{}\n\n## 二、工作措施\n\n{}",
            "内容".repeat(200),
            "措施".repeat(200)
        );
        s.write(&format!("content/documents/d{i}.md"), &doc(&format!("d{i}"), "", &body));
    }
    s
}

fn leftovers(root: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(root)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".gazette-") && !n.ends_with("-lock") && n != ".gazette-cache")
        .collect()
}

#[test]
fn unchanged_output_files_are_not_rewritten() {
    use std::os::unix::fs::MetadataExt;
    let s = Site::new();
    s.write("content/documents/a.md", &doc("a", "", "甲文件"));
    s.write("content/documents/b.md", &doc("b", "", "乙文件第一版"));
    let r = s.build(&[]);
    r.ok();
    let meta = |rel: &str| std::fs::metadata(r.out.join(rel)).expect("stat");
    let (a1, b1, css1) = (meta("documents/a/index.html"), meta("documents/b/index.html"), meta("style.css"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    s.write("content/documents/b.md", &doc("b", "", "乙文件第二版"));
    let r = s.build(&[]);
    r.ok();
    assert!(r.stderr.contains(" unchanged) into "), "{}", r.stderr);
    let (a2, b2, css2) = (meta("documents/a/index.html"), meta("documents/b/index.html"), meta("style.css"));
    assert_eq!((a1.ino(), a1.mtime_nsec()), (a2.ino(), a2.mtime_nsec()), "an unchanged page keeps its file");
    assert_eq!((css1.ino(), css1.mtime_nsec()), (css2.ino(), css2.mtime_nsec()), "unchanged CSS keeps its file");
    assert_ne!(b1.ino(), b2.ino(), "the edited page is rewritten");
    assert!(r.read("documents/b/index.html").contains("乙文件第二版"));
    // The result is byte-identical to a clean build.
    let clean = s.root().join("clean");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--date", "2025-01-01", "--root"])
        .arg(s.root())
        .arg("-o")
        .arg(&clean)
        .output()
        .expect("run");
    assert!(o.status.success());
    assert_eq!(differences(&snapshot(&r.out), &snapshot(&clean)), Vec::<String>::new(), "differs from a clean build");
}

#[test]
fn concurrent_builds_of_one_output_are_serialised() {
    let s = big_site(600);
    let bin = env!("CARGO_BIN_EXE_gazette");
    let kids: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(bin)
                .args(["build", "--date", "2025-01-01", "--root"])
                .arg(s.root())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let outs: Vec<_> = kids.into_iter().map(|k| k.wait_with_output().expect("wait")).collect();
    for o in &outs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let waited = outs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("waiting for another gazette build"))
        .count();
    assert!(waited >= 1, "the builds overlapped, so at least one waited for the lock");
    assert!(leftovers(s.root()).is_empty(), "{:?}", leftovers(s.root()));
    let out = s.root().join("public");
    assert!(out.join("documents/d599/index.html").is_file());
    assert_eq!(std::fs::read_dir(out.join("documents")).expect("ls").count(), 601 + 1, "600 documents + index + page/");
}

#[test]
fn a_build_killed_mid_write_leaves_the_previous_output_intact() {
    let s = big_site(1500);
    s.build(&[]).ok();
    let out = s.root().join("public");
    let before = snapshot(&out);
    s.write("content/documents/d0.md", &doc("d0", "", "改过的正文"));
    // A new site title changes every page, so the staging folder fills with all of them.
    s.write("gazette.yaml", &CONFIG.replace("测试区政府信息公开", "测试区政府信息公开（新版）"));
    let mut kid = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--date", "2025-01-01", "--root"])
        .arg(s.root())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait until the staging folder is being filled, then kill -9.
    let staging = s.root().join(format!(".public.gazette-tmp-{}", kid.id()));
    let t0 = std::time::Instant::now();
    loop {
        let written = std::fs::read_dir(staging.join("documents")).map(|d| d.count()).unwrap_or(0);
        if written > 20 {
            break;
        }
        assert!(kid.try_wait().expect("try_wait").is_none(), "build finished before it could be interrupted");
        assert!(t0.elapsed().as_secs() < 60, "no staging folder appeared");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    kid.kill().expect("SIGKILL");
    kid.wait().expect("reap");
    assert!(staging.is_dir(), "the killed build left its staging folder (and nothing else)");
    assert!(snapshot(&out) == before, "the previous output changed");
    // The next build cleans up and succeeds.
    s.build(&[]).ok();
    assert!(leftovers(s.root()).is_empty(), "{:?}", leftovers(s.root()));
    assert!(std::fs::read_to_string(out.join("documents/d0/index.html")).expect("read").contains("改过的正文"));
}

#[test]
fn a_build_killed_in_the_middle_of_its_commit_is_completed_by_the_next_one() {
    let s = big_site(300);
    s.build(&[]).ok();
    let out = s.root().join("public");
    // Every page changes, one document goes, one comes.
    s.write("gazette.yaml", &CONFIG.replace("测试区政府信息公开", "测试区政府信息公开（新版）"));
    s.remove("content/documents/d1.md");
    s.write("content/documents/new.md", &doc("new", "", "新来的文件"));
    let killed = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--date", "2025-01-01", "--root"])
        .arg(s.root())
        .env("GAZETTE_TEST_CRASH_IN_COMMIT", "100")
        .output()
        .expect("run");
    assert!(!killed.status.success(), "the build was to die in its commit");
    assert!(s.root().join(".public.gazette-journal").exists(), "it left its journal");
    // The next build completes the commit first, then builds: the output is a clean build's.
    s.build(&[]).ok();
    assert!(leftovers(s.root()).is_empty(), "{:?}", leftovers(s.root()));
    let clean = s.root().join("clean");
    s.build(&["-o", clean.to_str().expect("utf8")]).ok();
    assert_eq!(differences(&snapshot(&out), &snapshot(&clean)), Vec::<String>::new());
    assert!(!out.join("documents/d1/index.html").exists(), "a page no longer built is deleted");
    assert!(out.join("documents/new/index.html").exists());
    // And a journal alone (killed after the moves, before its removal) is harmless.
    s.write("gazette.yaml", CONFIG);
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_gazette"))
        .args(["build", "--date", "2025-01-01", "--root"])
        .arg(s.root())
        .env("GAZETTE_TEST_CRASH_IN_COMMIT", "0")
        .output()
        .expect("run");
    assert!(!again.status.success());
    s.build(&[]).ok();
    std::fs::remove_dir_all(&clean).expect("rm");
    s.build(&["-o", clean.to_str().expect("utf8")]).ok();
    assert_eq!(differences(&snapshot(&out), &snapshot(&clean)), Vec::<String>::new());
}

#[test]
fn a_heading_id_used_twice_is_reported_and_made_unique() {
    let s = Site::new();
    s.write(
        "content/documents/a.md",
        &doc("a", "", "## 一、要求 {#yq}\n\n正文。\n\n## 二、措施 {#yq}\n\n## 三、main {#main}"),
    );
    let r = s.build(&[]);
    r.ok();
    assert!(r.diag("{#yq}").starts_with("content/documents/a.md:12:1: warning:"), "{}", r.stderr);
    assert!(r.diag("{#main}").starts_with("content/documents/a.md:14:1: warning:"), "{}", r.stderr);
    let page = r.read("documents/a/index.html");
    assert_eq!(page.matches("id=\"yq\"").count(), 1, "no duplicate id in the page");
    assert_eq!(page.matches("id=\"main\"").count(), 1, "the theme's id is not taken");
    assert!(page.contains("id=\"yq-1\""));
}
