//! `gazette import` on fixtures in every format and in the layouts real sources use
//! (tests/fixtures/import/, written by make.py: Word files by python-docx, OFD to GB/T
//! 33190's structure with text out of reading order, web pages in common portal layouts).
//! Each fixture's expected 公文要素 and the body's first and last paragraphs are in
//! expected.json; every fixture is imported alone, then all of them as one folder, and
//! the result must pass `gazette check`.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
}

/// Every document file under content/documents.
fn written(s: &Site) -> Vec<(PathBuf, String)> {
    let mut v = Vec::new();
    let mut stack = vec![s.root().join("content/documents")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                v.push((e.path(), std::fs::read_to_string(e.path()).expect("read")));
            }
        }
    }
    v
}

/// Front matter (as YAML) and body of a written document.
fn split(text: &str) -> (serde_yaml::Value, String) {
    let rest = text.strip_prefix("---\n").expect("front matter");
    let (fm, body) = rest.split_once("\n---\n").expect("end of front matter");
    (serde_yaml::from_str(fm).expect("YAML"), body.trim().to_string())
}

/// The body's paragraphs as a reader sees them: blocks without Markdown heading marks
/// and escapes.
fn paragraphs(body: &str) -> Vec<String> {
    body.split("\n\n")
        .map(|b| b.trim().trim_start_matches('#').trim().replace('\\', ""))
        .filter(|b| !b.is_empty())
        .collect()
}

#[test]
fn every_fixture_imports_with_its_elements_and_first_and_last_paragraphs() {
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).expect("expected.json"))
            .expect("json");
    assert!(expected.len() >= 30, "at least 30 fixtures, have {}", expected.len());
    let mut problems = Vec::new();
    for e in &expected {
        let file = e["file"].as_str().expect("file");
        let s = Site::new();
        let r = s.import(&[&fixtures().join(file)], &[]);
        if r.code != 0 {
            problems.push(format!("{file}: exit {}\n{}", r.code, r.stderr));
            continue;
        }
        let docs = written(&s);
        if docs.len() != 1 {
            problems.push(format!("{file}: {} documents written", docs.len()));
            continue;
        }
        let (fm, body) = split(&docs[0].1);
        let check = |problems: &mut Vec<String>, what: &str, got: Option<String>, want: Option<String>| {
            if got != want {
                problems.push(format!("{file}: {what}: got {got:?}, want {want:?}"));
            }
        };
        let field = |k: &str| {
            fm.get(k).and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().map(|n| n.to_string())))
        };
        for k in ["title", "doc_number", "index_number", "written", "published", "doc_type", "disclosure"] {
            check(&mut problems, k, field(k), e[k].as_str().map(str::to_string));
        }
        let organs = std::fs::read_to_string(s.root().join("content/organs.yaml")).expect("organs");
        let issuer = field("issuer").unwrap_or_default();
        let want_issuer = e["issuer"].as_str().unwrap_or_default();
        if !organs.contains(&format!("- id: {issuer}\n  name: \"{want_issuer}\"")) {
            problems.push(format!("{file}: issuer `{issuer}` is not `{want_issuer}` in organs.yaml:\n{organs}"));
        }
        if let Some(t) = e.get("topics") {
            let got: Vec<String> = fm
                .get("topics")
                .and_then(|v| v.as_sequence())
                .map(|s| s.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let want: Vec<String> =
                t.as_array().expect("topics").iter().map(|x| x.as_str().unwrap_or("").to_string()).collect();
            if got != want {
                problems.push(format!("{file}: topics {got:?}, want {want:?}"));
            }
        }
        let paras = paragraphs(&body);
        check(&mut problems, "first paragraph", paras.first().cloned(), e["first"].as_str().map(str::to_string));
        check(&mut problems, "last paragraph", paras.last().cloned(), e["last"].as_str().map(str::to_string));
        for c in e.get("contains").and_then(|c| c.as_array()).into_iter().flatten() {
            let c = c.as_str().unwrap_or_default();
            if !body.contains(c) {
                problems.push(format!("{file}: body lacks {c:?}:\n{body}"));
            }
        }
        for c in e.get("absent").and_then(|c| c.as_array()).into_iter().flatten() {
            let c = c.as_str().unwrap_or_default();
            if body.contains(c) {
                problems.push(format!("{file}: body still has {c:?}"));
            }
        }
        let title = e["title"].as_str().unwrap_or_default();
        if paras.iter().any(|p| p == title) {
            problems.push(format!("{file}: the title is repeated in the body"));
        }
        if let Some(a) = e.get("attachments").and_then(|a| a.as_array()) {
            let listed = fm.get("attachments").and_then(|v| v.as_sequence()).map_or(0, Vec::len);
            if listed != a.len() {
                problems.push(format!("{file}: {listed} attachments listed, want {}", a.len()));
            }
        }
        let built = s.run(&["check", "--date", "2025-06-01"]);
        if built.code != 0 {
            problems.push(format!("{file}: the import does not pass gazette check:\n{}", built.stderr));
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn a_folder_of_mixed_files_imports_with_a_report_and_one_bad_file_never_stops_the_rest() {
    let s = Site::new();
    let dir = s.root().join("old-portal");
    // One fixture of each document (several are one document in several layouts), in
    // every format, with the files the pages link to; plus files import cannot read: a
    // broken Word file, a PDF, a text file without any date.
    let picked = [
        "txt/gwy-header.txt",
        "txt/announcement.txt",
        "html/govcn-table.html",
        "html/xxgk-list.html",
        "html/kv-cells-attachment.html",
        "html/fj/gkbl.pdf",
        "html/table-image.html",
        "html/img/map.png",
        "docx/classic.docx",
        "docx/title-break.docx",
        "ofd/run-length.ofd",
    ];
    for f in picked {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(fixtures().join(f), to).expect("copy");
    }
    let documents = picked.iter().filter(|f| !f.ends_with(".pdf") && !f.ends_with(".png")).count();
    std::fs::write(dir.join("broken.docx"), b"PK\x03\x04 not really a zip").expect("write");
    std::fs::write(dir.join("scan.pdf"), b"%PDF-1.4").expect("write");
    std::fs::write(dir.join("nodate.txt"), "关于某事的通知\n各单位：\n请知悉。\n").expect("write");
    let report = s.root().join("report.csv");
    let r = s.import(&[&dir], &["--report", report.to_str().expect("utf8")]);
    assert_eq!(r.code, 1, "some sources failed: exit 1\n{}", r.stderr);
    assert!(r.diag("broken.docx").contains("error"), "{}", r.stderr);
    assert!(r.diag("no 发布日期").contains("nodate.txt"), "{}", r.stderr);
    assert_eq!(written(&s).len(), documents, "every good file imported:\n{}", r.stderr);
    assert!(r.stderr.contains(&format!("import: {documents} imported")), "{}", r.stderr);

    // The report: one row per value with its source line, per warning, per skipped file.
    let text = std::fs::read_to_string(&report).expect("report");
    let mut rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = rows.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(header, ["source", "status", "output", "field", "value", "line", "warning"]);
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.expect("row")).collect();
    let find = |src: &str, field: &str| {
        rows.iter().find(|r| r[0].ends_with(src) && &r[3] == field).unwrap_or_else(|| panic!("{src} {field} in report"))
    };
    let d = find("txt/gwy-header.txt", "index_number");
    assert_eq!((&d[1], &d[5]), ("imported", "1"), "the value's source line");
    assert!(d[2].starts_with("content/documents/2023/"), "the file written: {}", &d[2]);
    assert_eq!(&find("txt/gwy-header.txt", "doc_number")[5], "4");
    // A web page's values point at the line of the HTML file that holds them.
    let page = std::fs::read_to_string(fixtures().join("html/govcn-table.html")).expect("page");
    let value = &find("html/govcn-table.html", "index_number")[4];
    let line = page.lines().position(|l| l.contains(value)).expect("value in the page") + 1;
    assert_eq!(
        find("html/govcn-table.html", "index_number")[5].to_string(),
        line.to_string(),
        "source line of {value}"
    );
    assert!(rows.iter().any(|r| r[0].ends_with("scan.pdf") && &r[1] == "skipped"), "unread formats are listed");
    assert!(rows.iter().any(|r| r[0].ends_with("broken.docx") && &r[1] == "failed" && !r[6].is_empty()));
    // And as JSON.
    let json = s.root().join("report.json");
    let s2 = Site::new();
    s2.import(&[&dir], &["--report", json.to_str().expect("utf8")]);
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("json");
    let one = v
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["source"].as_str().is_some_and(|s| s.ends_with("ofd/run-length.ofd")))
        .expect("row");
    assert_eq!(one["status"], "imported");
    assert!(one["values"].as_array().expect("values").iter().any(|x| x["field"] == "title"));
    // The whole folder builds.
    let check = s.run(&["check", "--date", "2025-06-01"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    // Images and attachments came along.
    assert!(s.root().join("content/files").is_dir());
}

#[test]
fn damaged_word_ofd_and_web_files_are_reported_never_a_panic() {
    let s = Site::new();
    let dir = s.root().join("damaged");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut n = 0;
    for f in
        ["docx/classic.docx", "docx/image.docx", "ofd/custom-tags.ofd", "ofd/two-pages.ofd", "html/govcn-table.html"]
    {
        let bytes = std::fs::read(fixtures().join(f)).expect("fixture");
        let ext = f.rsplit('.').next().expect("ext");
        // Cut short at several places, and with bytes flipped through the middle.
        for cut in [10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 7] {
            n += 1;
            std::fs::write(dir.join(format!("cut-{n}.{ext}")), &bytes[..cut]).expect("write");
        }
        let mut flipped = bytes.clone();
        for i in (bytes.len() / 4..bytes.len() * 3 / 4).step_by(97) {
            flipped[i] ^= 0x5a;
        }
        n += 1;
        std::fs::write(dir.join(format!("flipped-{n}.{ext}")), &flipped).expect("write");
    }
    let r = s.import(&[&dir], &[]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    assert!(r.stderr.contains("failed"), "{}", r.stderr);
    // Whatever was imported still builds.
    let check = s.run(&["check", "--date", "2025-06-01"]);
    assert!(!check.stderr.contains("panicked"), "{}", check.stderr);
}

/// A small deterministic generator for the mutation test (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutate text as damaged or unexpected producers do: cut, duplicate, drop a span, insert
/// markup of the format or odd characters.
fn mutate(s: &str, rng: &mut Rng, pieces: &[&str]) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = chars.clone();
    for _ in 0..1 + rng.below(4) {
        let n = out.len().max(1);
        let (a, b) = {
            let a = rng.below(n);
            (a, (a + rng.below(200)).min(out.len()))
        };
        match rng.below(5) {
            0 => out.truncate(a),
            1 => {
                let span: Vec<char> = out[a..b].to_vec();
                out.splice(a..a, span);
            }
            2 => {
                out.drain(a..b);
            }
            3 => {
                let p = pieces[rng.below(pieces.len())];
                out.splice(a..a, p.chars());
            }
            _ => {
                let c = ['\u{0}', '\u{feff}', '\u{2028}', '〔', '》', '：', '\n', '<', '&', '"'][rng.below(10)];
                out.insert(a.min(out.len()), c);
            }
        }
    }
    out.into_iter().collect()
}

/// Rebuild a ZIP package with one entry's text replaced.
fn rezip(original: &[u8], entry: &str, text: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(original)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i).expect("entry");
        let name = f.name().expect("entry name").to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read");
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).expect("start");
        out.write_all(if name == entry { text.as_bytes() } else { &data }).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

#[test]
fn mutated_sources_in_every_format_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let cases: &[(&str, &str, Option<&str>, &[&str])] = &[
        ("txt/gwy-header.txt", "txt", None, &["索 引 号：", "【字号】", "二〇二四年十三月一日", "文件", "："]),
        (
            "html/govcn-table.html",
            "html",
            None,
            &[
                "<table><tr><td>",
                "</td></tr>",
                "<p>",
                "<div class=\"content\">",
                "<h1>",
                "<br>",
                "&#x0;",
                "<meta name=\"PubDate\" content=\"x\">",
            ],
        ),
        (
            "docx/body-table.docx",
            "docx",
            Some("word/document.xml"),
            &[
                "<w:p>",
                "</w:p>",
                "<w:tbl><w:tr><w:tc>",
                "</w:tc>",
                "<w:t>",
                "<w:numPr><w:numId w:val=\"9\"/></w:numPr>",
                "<a:blip r:embed=\"rIdX\"/>",
                "&amp;",
                "&#xFFFF;",
            ],
        ),
        (
            "ofd/two-pages.ofd",
            "ofd",
            Some("Doc_0/Pages/Page_0/Content.xml"),
            &[
                "<ofd:TextObject ID=\"1\" Boundary=\"x\" Size=\"-1\">",
                "<ofd:TextCode X=\"1e308\" Y=\"NaN\" DeltaX=\"g 99999999 1\">",
                "</ofd:TextCode>",
                "CTM=\"0 1 -1 0 0 0\"",
                "<![CDATA[字]]>",
            ],
        ),
        (
            "ofd/custom-tags.ofd",
            "ofd",
            Some("Doc_0/Tags/CustomTag.xml"),
            &["<od:标题>", "<od:ObjectRef PageRef=\"9\">", "</od:ObjectRef>", "99999"],
        ),
        (
            "ofd/shuffled.ofd",
            "ofd",
            Some("Doc_0/Document.xml"),
            &[
                "<ofd:Page ID=\"9\" BaseLoc=\"../../x\"/>",
                "<ofd:PhysicalBox>0 0 -1",
                "<ofd:CustomTags>/</ofd:CustomTags>",
            ],
        ),
    ];
    let mut runs = 0;
    for (file, ext, entry, pieces) in cases {
        let bytes = std::fs::read(fixtures().join(file)).expect("fixture");
        let text = match entry {
            Some(e) => {
                use std::io::Read;
                let mut z = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
                let mut s = String::new();
                z.by_name(e).expect("entry").read_to_string(&mut s).expect("utf8");
                s
            }
            None => String::from_utf8(bytes.clone()).expect("utf8"),
        };
        for _ in 0..400 {
            let m = mutate(&text, &mut rng, pieces);
            let input = match entry {
                Some(e) => rezip(&bytes, e, &m),
                None => m.into_bytes(),
            };
            // Any result is fine; a panic fails the test.
            let _ = gazette::import::read_bytes(ext, input, file);
            runs += 1;
        }
    }
    assert_eq!(runs, 2400);
}
