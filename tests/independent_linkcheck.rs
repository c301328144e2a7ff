//! A site where every kind of relation appears has zero broken links by an independent
//! checker: LinkChecker (PyPI `linkchecker`, installed by .ci/run), crawling the output
//! through a real HTTP server (python3 -m http.server) on 127.0.0.1.

mod common;
use common::*;
use std::process::{Command, Stdio};

fn relation_site() -> Site {
    let s = Site::new();
    s.write("gazette.yaml", &format!("{CONFIG}per_page: 2\n"));
    s.write("content/files/附件 一.pdf", "%PDF-1.4");
    s.write(
        "content/documents/old.md",
        &doc("old", "doc_number: 测府发〔2020〕1号\naliases: [/xxgk/old.html]\n", "## 一、旧规定\n\n旧文。"),
    );
    s.write("content/documents/amended.md", &doc("amended", "doc_number: 测府发〔2021〕2号\n", "## 一、条款\n"));
    s.write(
        "content/documents/main.md",
        &doc(
            "main",
            "doc_number: 测府发〔2024〕3号\nbasis: [old]\nsupporting: [sup]\namends: [amended]\nrepeals: [测府发(2020)1号]\nrelated: [guide, t]\nservices: [sq]\nnormative: true\nregistration: 测府规〔2024〕1号\nattachments:\n  - title: 附件一\n    path: files/附件 一.pdf\nfaq:\n  - q: 问？\n    a: 答，见[条款](doc:amended#一条款)。\n",
            "## 一、总则\n\n依据测府发〔2020〕1号，参见[旧规定](doc:old#一旧规定)与[附件](files/附件 一.pdf)，[办理](service:sq)。\n\n## 二、细则\n\n```sh\necho hi\n```\n",
        ),
    );
    s.write("content/documents/sup.md", &doc("sup", "", "配套。"));
    s.write("content/documents/en.md", &doc("main-en", "lang: en\ntranslation_of: main\n", "English version."));
    s.write("content/interpretations/jd.md", "---\ntitle: 解读\ninterprets: main\nform: 视频\nvideo: https://video.example.gov.cn/v1\npublished: 2024-05-02\n---\n见[细则](doc:main#二细则)。\n");
    s.write("content/faqs/main.yaml", "for: main\nitems:\n  - q: 集中问？\n    a: 集中答。\n");
    s.write(
        "content/gazette/1.yaml",
        "year: 2024\nnumber: 1\npublished: 2024-05-10\nsections:\n  - title: 文件\n    items: [main, old]\n",
    );
    s.write(
        "content/gazette/2.yaml",
        "year: 2024\nnumber: 2\npublished: 2024-06-10\nsections:\n  - title: 文件\n    items: [sup]\n",
    );
    s.write("content/topics/t.md", "---\nid: t\ntitle: 主题\ndocuments: [main]\nmatch:\n  tags: [企业]\n---\n主题。\n");
    s.write("content/decisions/d.md", "---\nid: d\ntitle: 决策\norgan: qzf\nyear: 2024\nstatus: 征求意见\nstages:\n  - stage: 草案\n    ref: main\n  - stage: 意见征集\n    url: https://www.example.gov.cn/zqyj\n---\n");
    s.write("content/pages/guide.md", "---\nid: guide\ntitle: 指南\n---\n见[总则](doc:main#一总则)。\n");
    s
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

#[test]
fn linkchecker_finds_no_broken_link() {
    if Command::new("linkchecker").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        assert!(std::env::var_os("CI").is_none(), "linkchecker must be installed in CI (.ci/run does it)");
        eprintln!("skipping: linkchecker not installed (pip install linkchecker)");
        return;
    }
    let s = relation_site();
    s.build(&["--base-url", "https://www.example.gov.cn/gb/"]).ok();
    let out = s.root().join("public");
    // linkchecker drops root privileges to `nobody`: let it read the output.
    Command::new("chmod").args(["-R", "a+rX"]).arg(s.root()).status().ok();
    let port = free_port();
    let mut server = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 http.server");
    let url = format!("http://127.0.0.1:{port}/");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let o = Command::new("linkchecker")
        .args([
            "--no-status",
            "-o",
            "text",
            "--ignore-url",
            r"^https?://(?!127\.0\.0\.1)",
            "--ignore-url",
            "^mailto:",
            "-t",
            "4",
        ])
        .arg(&url)
        .output()
        .expect("linkchecker");
    server.kill().ok();
    server.wait().ok();
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(report.contains("0 errors found"), "{report}");
    let checked: usize = report
        .lines()
        .find(|l| l.contains("links in"))
        .and_then(|l| l.split_whitespace().find_map(|w| w.parse().ok()))
        .unwrap_or(0);
    assert!(checked > 40, "the crawl reached the site ({checked} links):\n{report}");
}
