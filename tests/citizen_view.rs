//! The citizen's view (issue 19), in Chromium on the demo library (tests/browser/citizen.mjs):
//! a search box on the home page that works without JavaScript, search filters whose labels
//! stand with their controls on a phone, a long document whose text starts within 1.5
//! screens on a phone, listing values that never break, print as a 公文 (FAQ answers open,
//! web-only parts hidden, the 红头), the footer on a phone, the 公报's own name and the
//! whole-issue view. Screenshots at 375 and 1280 px in tests/artifacts/citizen/.

mod common;
use common::{browser_tools_available, built_demo};
use std::path::Path;
use std::process::Command;

#[test]
fn the_demo_as_a_citizen_sees_it() {
    if !browser_tools_available() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_tmp, out) = built_demo();
    let artifacts = root.join("tests/artifacts/citizen");
    let o = Command::new("node")
        .arg(root.join("tests/browser/citizen.mjs"))
        .arg(&out)
        .arg(&artifacts)
        .args(["documents/jaqb-2023-5/", "documents/jtw-2024-323/", "gazette/2024/1/"])
        .output()
        .expect("node");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["errors"], serde_json::json!([]), "script errors");

    assert_eq!(v["home_box"], true, "a search box on the home page");
    assert_eq!(v["home_target"], "/search/index.html?q=政务公开", "it works without JavaScript");

    for l in v["labels"].as_array().expect("labels") {
        assert!(
            l["above"] == true && l["aligned"] == true && l["oneLine"] == true,
            "label stands with its control: {l}"
        );
    }

    let phone = &v["doc_375"];
    let first = phone["firstTop"].as_f64().expect("first paragraph");
    assert!(first < 1.5 * 667.0, "the text starts within 1.5 screens on a phone: at {first} px");
    assert_eq!(phone["tocOpen"], false, "the outline is collapsed");
    assert_eq!(phone["tocNumbered"], false, "the outline adds no numbers of its own");
    assert_eq!(phone["overflow"], false);

    let wide = &v["normative_1280"];
    assert!(wide["rows"].as_u64() >= Some(1), "the demo carries 规范性文件: {wide}");
    assert_eq!(wide["broken"], serde_json::json!([]), "no 发文字号, date or status breaks inside");
    let narrow = &v["normative_375"];
    assert_eq!(narrow["hidden"], 0, "every column shows on a phone");
    assert_eq!(narrow["overflow"], false);

    let p = &v["print"];
    assert!(
        p["answers"].as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|x| x == true)),
        "FAQ answers print open: {p}"
    );
    for (part, shown) in p["webOnly"].as_object().expect("parts") {
        assert_eq!(shown, false, "{part} is for the screen, not print");
    }
    let red = &p["redhead"];
    assert_eq!(red["shown"], true, "the 红头 prints");
    assert_eq!(red["color"], "rgb(204, 0, 0)", "in red");
    assert!(red["text"].as_str().unwrap_or("").contains("上海市交通委员会文件"), "{red}");
    assert_eq!(p["body"], true);

    assert_eq!(v["footer"], serde_json::json!([]), "footer labels do not break on a phone");

    for width in ["issue_375", "issue_1280"] {
        let i = &v[width];
        assert!(i["h1"].as_str().unwrap_or("").starts_with("政务公开演示公报"), "the 公报's own name: {i}");
        let toc = i["toc"].as_array().expect("toc");
        assert!(!toc.is_empty() && toc.iter().all(|t| t[1] == true), "every 目录 entry leads to its article: {i}");
        assert_eq!(toc.len(), i["articles"].as_array().expect("articles").len());
        assert!(i["bodies"].as_array().expect("bodies").iter().all(|n| n.as_u64() > Some(100)), "each article's text");
        assert_eq!(i["overflow"], false);
    }
    assert_eq!(v["issue_page"]["whole"], true, "the issue page links its whole-issue view");
    let ip = &v["issue_print"];
    assert_eq!(ip["toc"], true, "the whole issue prints with its 目录: {ip}");
    assert!(
        ip["breaks"].as_array().is_some_and(|b| !b.is_empty() && b.iter().all(|x| x == "page")),
        "each article on a new page: {ip}"
    );
    assert_eq!(ip["nav"], 0.0, "no navigation in print");
    assert!(
        v["issue_page"]["h1"].as_str().unwrap_or("").starts_with("政务公开演示公报 2024年第1期"),
        "{}",
        v["issue_page"]
    );
    // Print font stacks name the 仿宋/宋体/楷体 of Windows, macOS and common Linux packages.
    let print = std::fs::read_to_string(out.join("print.css")).expect("print.css");
    for family in [
        "FangSong",
        "STFangsong",
        "Fandol Fang",
        "SimSun",
        "Songti SC",
        "Noto Serif CJK SC",
        "KaiTi",
        "STKaiti",
        "AR PL UKai CN",
    ] {
        assert!(print.contains(&format!("\"{family}\"")), "print.css names {family}");
    }
    for name in [
        "home-375",
        "home-1280",
        "document-375",
        "document-1280",
        "normative-375",
        "normative-1280",
        "issue-all-375",
        "issue-all-1280",
    ] {
        assert!(artifacts.join(format!("{name}.png")).exists(), "{name} screenshot");
    }
}
