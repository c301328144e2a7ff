//! `gazette import` on the five real documents of ../shared/seeds: the 公文要素 recognised
//! (values checked against the seed text), the garbled values warned with file and line,
//! the output passing `gazette check`, and re-imports idempotent.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn seeds() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    if !d.exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must have ../shared/seeds");
        return None;
    }
    Some(d)
}

fn seed(name: &str) -> String {
    seeds().expect("seeds").join(name).to_string_lossy().into_owned()
}

fn imported(s: &Site, year: &str) -> Vec<String> {
    let dir = s.root().join("content/documents").join(year);
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .collect();
    v.sort();
    v
}

fn front(text: &str, key: &str) -> Option<String> {
    let fm = text.split("---\n").nth(1)?;
    fm.lines().find_map(|l| l.strip_prefix(&format!("{key}: ")).map(|v| v.trim_matches('"').to_string()))
}

#[test]
fn web_page_copy_with_header_block_and_garbled_values() {
    if seeds().is_none() {
        return;
    }
    let s = Site::new();
    let r = s.import(&[&seed("004_566bb029906badb2.txt")], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = &imported(&s, "2024")[0];
    assert_eq!(
        front(doc, "title").as_deref(),
        Some("上海市交通委员会关于印发《2024年市交通委政务公开工作要点》的通知")
    );
    assert_eq!(front(doc, "doc_number").as_deref(), Some("沪交办〔2024〕323号"), "文件编号 with a stray space");
    assert_eq!(front(doc, "index_number").as_deref(), Some("002421191K/2024-00025"), "索取号");
    assert_eq!(front(doc, "published").as_deref(), Some("2024-05-16"), "发布时间");
    assert_eq!(front(doc, "written").as_deref(), Some("2024-05-13"), "garbled 2024513 read as the one real date");
    assert_eq!(front(doc, "disclosure").as_deref(), Some("主动公开"));
    assert_eq!(front(doc, "doc_type").as_deref(), Some("通知"));
    let organs = std::fs::read_to_string(s.root().join("content/organs.yaml")).expect("organs");
    assert!(organs.contains("上海市交通委员会"), "new organ added to organs.yaml");
    let garbled = r.diag("`2024513` is garbled");
    assert!(garbled.contains("004_566bb029906badb2.txt:21:") && garbled.contains("warning"), "{garbled}");
    let broken = r.diag("沪府办字〔20245号");
    assert!(broken.contains("004_566bb029906badb2.txt:29:"), "{broken}");
    assert!(doc.contains("# REVIEW: 成文日期 `2024513`"), "marked for review in the file");
    for chrome in ["分享到", "打印", "关闭", "留言咨询", "只接收"] {
        assert!(!doc.contains(chrome), "web chrome `{chrome}` stripped");
    }
    assert!(
        doc.contains("## 一、深化重点领域政府信息公开")
            && doc.contains("### （一）围绕国家重大战略任务落实做好信息公开"),
        "一、/（一） become headings"
    );
    assert_eq!(s.run(&["check"]).code, 0, "output passes gazette check");
}

#[test]
fn red_header_document_with_number_signature_and_cc_block() {
    if seeds().is_none() {
        return;
    }
    let s = Site::new();
    let r = s.import(&[&seed("001_120d19dd6bcb8579.txt")], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = &imported(&s, "2023")[0];
    assert_eq!(
        front(doc, "title").as_deref(),
        Some("上海市静安区人民政府办公室关于印发《2023年静安区政务公开工作要点》的通知"),
        "stray spaces removed"
    );
    assert_eq!(front(doc, "doc_number").as_deref(), Some("静府办发〔2023〕5号"));
    assert_eq!(front(doc, "written").as_deref(), Some("2023-04-23"));
    let organs = std::fs::read_to_string(s.root().join("content/organs.yaml")).expect("organs");
    assert!(organs.contains("上海市静安区人民政府办公室"), "红头 organ");
    assert!(doc.contains("抄送："), "抄送 block kept");
    assert!(!doc.contains("办公室文件\n"), "红头 line is not body text");
    assert!(!r.stderr.contains("warning"), "nothing unsure in this one:\n{}", r.stderr);
}

#[test]
fn notices_without_title_infer_with_warnings_and_all_seeds_pass_check() {
    if seeds().is_none() {
        return;
    }
    let s = Site::new();
    let all: Vec<String> = [
        "000_92f06658f295ce3b.txt",
        "001_120d19dd6bcb8579.txt",
        "002_7279a3ddecec9e39.txt",
        "003_e870eed0bd2ba771.txt",
        "004_566bb029906badb2.txt",
    ]
    .iter()
    .map(|f| seed(f))
    .collect();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let r = s.import(&refs, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let songjiang = &imported(&s, "2024").into_iter().find(|d| d.contains("松江")).expect("000");
    assert_eq!(front(songjiang, "title").as_deref(), Some("关于印发《2024年松江区政务公开工作要点》的通知"));
    assert_eq!(front(songjiang, "written").as_deref(), Some("2024-05-10"));
    assert!(r.diag("000_92f06658f295ce3b.txt:1:").contains("warning: the source has no title"));
    assert!(r.stderr.contains("inferred `松江区人民政府`"), "an inferred issuer is a warning");
    assert!(songjiang.contains("（区政府办公室、区政府各部门、各街镇）"), "a line wrapped mid-word is rejoined");
    let fengxian = &imported(&s, "2025")[0];
    assert!(
        fengxian.contains("（责任单位：区政府办、区委宣传部、区融媒体中心，各有关单位）"),
        "(责任单位:…) kept, full-width"
    );
    assert!(fengxian.contains("\n1. 围绕本区经济社会发展主要任务"), "1. items become a list");
    let jiading = &imported(&s, "2018")[0];
    assert_eq!(front(jiading, "written").as_deref(), Some("2018-05-30"));
    assert!(
        std::fs::read_to_string(s.root().join("content/organs.yaml")).expect("o").contains("上海市嘉定区人民政府"),
        "signature before the date"
    );
    let check = s.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);

    // Re-importing the same sources changes nothing; other content is not overwritten.
    let again = s.import(&refs, &[]);
    assert_eq!(again.code, 0);
    assert_eq!(again.stderr.matches("unchanged:").count(), 5, "{}", again.stderr);
    let path =
        std::fs::read_dir(s.root().join("content/documents/2023")).expect("d").flatten().next().expect("f").path();
    std::fs::write(&path, "edited by hand").expect("write");
    let clash = s.import(&[&seed("001_120d19dd6bcb8579.txt")], &[]);
    assert_eq!(clash.code, 1);
    assert!(clash.stderr.contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).expect("r"), "edited by hand", "never overwritten without --force");
    assert_eq!(s.import(&[&seed("001_120d19dd6bcb8579.txt")], &["--force"]).code, 0);
    assert_ne!(std::fs::read_to_string(&path).expect("r"), "edited by hand");
}

#[test]
fn cross_references_between_imported_documents_become_links() {
    let s = Site::new();
    std::fs::write(s.root().join("a.txt"), "测试区人民政府文件\n测府发〔2024〕1号\n关于开展试点的通知\n各街镇：\n现开展试点。\n测试区人民政府\n2024年3月1日\n").expect("w");
    std::fs::write(s.root().join("b.txt"), "测试区人民政府文件\n测府发〔2024〕2号\n关于试点后续工作的通知\n各街镇：\n根据《关于开展试点的通知》（测府发[2024]1号），做好后续工作。\n测试区人民政府\n2024年4月1日\n").expect("w");
    let a = s.root().join("a.txt").to_string_lossy().into_owned();
    let b = s.root().join("b.txt").to_string_lossy().into_owned();
    let r = s.import(&[&a, &b], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let built = s.build(&[]);
    built.ok();
    let page = built.read("documents/qzf-2024-2/index.html");
    assert!(links(&page).contains(&"../../documents/qzf-2024-1/".to_string()), "auto-linked: {:?}", links(&page));
}

#[test]
fn responsible_units_become_a_task_table_and_catalog_data() {
    if seeds().is_none() {
        return;
    }
    let s = Site::new();
    assert_eq!(s.import(&[&seed("002_7279a3ddecec9e39.txt")], &[]).code, 0);
    let r = s.build(&["--date", "2026-01-01"]);
    r.ok();
    let id = std::fs::read_dir(s.root().join("content/documents/2025")).expect("d").flatten().next().expect("f").path();
    let id = id.file_stem().expect("stem").to_string_lossy().into_owned();
    let page = text(&r.read(&format!("documents/{id}/index.html")));
    assert!(page.contains("任务分解") && page.contains("区融媒体中心"), "task table on the page");
    let v: serde_json::Value = serde_json::from_str(&r.read("api/documents.json")).expect("json");
    let tasks = v["documents"][0]["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 30, "the 30 numbered tasks of the seed");
    let t29 = &tasks[28];
    assert!(t29["text"].as_str().expect("t").starts_with("推进全区政务新媒体账号整合优化"));
    assert_eq!(t29["units"], serde_json::json!(["区政府办", "区委宣传部", "区融媒体中心", "各有关单位"]));
}

#[test]
fn an_unknown_disclosure_is_held_back_as_a_draft() {
    let s = Site::new();
    let src = s.root().join("in.txt");
    std::fs::write(
        &src,
        "关于做好数据开放工作的通知\n发布机构：测试区人民政府 公开类别：待定: 内部\n各单位：\n现将有关事项通知如下。\n测试区人民政府\n2024年5月1日\n",
    )
    .expect("write");
    let r = s.import(&[src.to_str().expect("path")], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("in.txt:2:1: warning: unknown 公开类别 `待定: 内部`"), "{}", r.stderr);
    let file = imported(&s, "2024").pop().expect("one file");
    assert_eq!(front(&file, "draft").as_deref(), Some("true"), "{file}");
    assert_eq!(front(&file, "disclosure").as_deref(), Some("主动公开"));
    // It loads, and it is not published until someone removes `draft: true`.
    let b = s.build(&[]);
    b.ok();
    assert!(
        !b.files().iter().any(|f| f.contains("documents/")
            && f.ends_with("index.html")
            && !f.starts_with("documents/index")
            && !f.contains("/page/")),
        "{:?}",
        b.files()
    );
}
