//! `gazette import FILE… --into SITE`: plain-text official documents (as offices copy them
//! from old web pages and word processors) into gazette content.
//!
//! It recognises the 公文要素 our users' documents carry: a 红头 line (…文件), a
//! standalone 发文字号, a 发布机构/索取号/公开类别 block copied from a web page, the 主送
//! line, the signature and 成文日期, 抄送 and 印发 lines, and the attached document a notice
//! wraps. The body becomes Markdown: 一、 → `##`, （一） → `###` (the heading is the
//! sentence up to the first 。), `1.` items → an ordered list; wrapped lines are rejoined,
//! stray spaces inside Chinese text removed, half-width punctuation next to Chinese made
//! full-width, web chrome (分享到, 打印, 关闭, comment-box notes) dropped.
//!
//! It never guesses silently: every unsure value is a warning naming the source file and
//! line and what was kept, and is written into the front matter as a `# REVIEW:` comment.

mod docx;
mod html;
mod ofd;
mod package;
mod recognise;
mod table;
mod xml;

use crate::diag::{Diagnostic, Loc};
pub use recognise::{parse, recognise, Hint, Parsed, SourceLine};
use std::path::{Path, PathBuf};

/// What a format reader hands the importer: the lines for the recogniser, and what the
/// document brings along.
#[derive(Debug, Default)]
pub struct Extracted {
    pub lines: Vec<SourceLine>,
    /// Images the body shows, by the name its Markdown gives them: embedded bytes (Word)…
    pub embedded: Vec<(String, Vec<u8>)>,
    /// …or a path or URL relative to the source (web pages): (name, href).
    pub images: Vec<(String, String)>,
    /// Links to attachments: (link text, href).
    pub attachments: Vec<(String, String)>,
    /// Links to 解读 pages: (link text, href).
    pub links: Vec<(String, String)>,
}

/// Where an image's Markdown says its folder is, until the document's id is known.
const FILES_MARK: &str = "\u{E000}files/";

/// The last path segment of a link, made a safe file name.
fn file_name_of(href: &str) -> String {
    let last = href.split(['?', '#']).next().unwrap_or("").rsplit('/').next().unwrap_or("");
    let last = crate::routes::percent_decode(last);
    let clean: String =
        last.chars().map(|c| if c.is_control() || "\\/:*?\"<>|".contains(c) { '_' } else { c }).collect();
    if clean.is_empty() || clean.starts_with('.') {
        "file".into()
    } else {
        clean
    }
}

fn fnv_hex(s: &str) -> String {
    format!("{:08x}", crate::search::fnv(s, crate::search::BASIS_A))
}

/// Find an organ in the site's registry by name (or a name ending with it), or plan a new
/// entry with a readable id: the pinyin initials of its name (上海市交通委员会 →
/// `shsjtwyh`), stable for the name, with `-2`, `-3`… if another organ has them.
fn organ_id(registry: &[(String, String)], name: &str) -> (String, bool) {
    if let Some((id, _)) = registry.iter().find(|(_, n)| n == name) {
        return (id.clone(), false);
    }
    if let Some((id, _)) = registry.iter().find(|(_, n)| n.ends_with(name) && name.chars().count() >= 4) {
        return (id.clone(), false);
    }
    use pinyin::ToPinyin;
    let mut base: String = name
        .chars()
        .filter_map(|c| {
            if c.is_ascii_alphanumeric() {
                Some(c.to_ascii_lowercase())
            } else {
                c.to_pinyin().map(|p| p.first_letter().chars().next().unwrap_or('x'))
            }
        })
        .collect();
    if base.is_empty() || !base.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        base = format!("org-{}", fnv_hex(name));
    }
    let taken = |id: &str| registry.iter().any(|(i, _)| i == id);
    let mut id = base.clone();
    let mut n = 2;
    while taken(&id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    (id, true)
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The Markdown file for a parsed document.
pub fn render(p: &Parsed, id: &str, issuer: &str, source: &str) -> String {
    render_with(p, id, issuer, source, &[])
}

/// [`render`], with attachments (title, path under content/).
fn render_with(p: &Parsed, id: &str, issuer: &str, source: &str, attachments: &[(String, String)]) -> String {
    let mut f = String::from("---\n");
    f.push_str(&format!("# Imported by `gazette import` from {source}\n"));
    for r in &p.review {
        f.push_str(&format!("# REVIEW: {}\n", r.replace('\n', " ")));
    }
    f.push_str(&format!("id: {id}\ntitle: {}\n", quote(&p.title)));
    if let Some(n) = &p.doc_number {
        f.push_str(&format!("doc_number: {}\n", quote(n)));
    }
    if let Some(n) = &p.index_number {
        f.push_str(&format!("index_number: {}\n", quote(n)));
    }
    f.push_str(&format!("issuer: {issuer}\n"));
    if let Some(t) = &p.doc_type {
        f.push_str(&format!("doc_type: {}\n", quote(t)));
    }
    if let Some(d) = p.written {
        f.push_str(&format!("written: {d}\n"));
    }
    if let Some(d) = p.published {
        f.push_str(&format!("published: {d}\n"));
    }
    if let Some(d) = p.effective {
        f.push_str(&format!("effective: {d}\n"));
    }
    if let Some(d) = p.expires {
        f.push_str(&format!("expires: {d}\n"));
    }
    if let Some(v) = &p.validity {
        f.push_str(&format!("validity: {}\n", quote(v)));
    }
    if !p.topics.is_empty() {
        f.push_str(&format!("topics: [{}]\n", p.topics.iter().map(|t| quote(t)).collect::<Vec<_>>().join(", ")));
    }
    // Every value taken from the source is quoted: a stray `:` must not become YAML.
    f.push_str(&format!("disclosure: {}\n", quote(&p.disclosure)));
    if p.draft {
        f.push_str("draft: true\n");
    }
    if !attachments.is_empty() {
        f.push_str("attachments:\n");
        for (t, path) in attachments {
            f.push_str(&format!("  - title: {}\n    path: {}\n", quote(t), quote(path)));
        }
    }
    f.push_str("---\n\n");
    f.push_str(&p.body);
    f
}

/// What `gazette import` was asked to do.
pub struct Options {
    pub sources: Vec<PathBuf>,
    pub into: PathBuf,
    pub force: bool,
    /// `--report FILE.csv|FILE.json`.
    pub report: Option<PathBuf>,
    pub progress: bool,
}

/// The formats `import` reads, by extension.
const FORMATS: &[&str] = &["txt", "html", "htm", "docx", "ofd"];

/// What became of one source, for the summary and `--report`.
#[derive(Debug, serde::Serialize)]
pub struct ReportRow {
    pub source: String,
    /// `imported`, `draft` (imported, held back for review), `unchanged`, `failed`,
    /// `skipped` (not a format `import` reads, met in a folder).
    pub status: &'static str,
    pub output: Option<String>,
    pub values: Vec<ReportValue>,
    pub warnings: Vec<ReportWarning>,
}

#[derive(Debug, serde::Serialize)]
pub struct ReportValue {
    pub field: &'static str,
    pub value: String,
    /// The source line (text files) or paragraph (Word, web pages, OFD) it came from.
    pub line: usize,
}

#[derive(Debug, serde::Serialize)]
pub struct ReportWarning {
    pub line: usize,
    pub message: String,
}

/// Decode a text file: UTF-8, or GB18030 (GBK, GB2312) as old systems save Chinese text.
/// Returns the text and whether it was GB18030.
fn decode(bytes: &[u8]) -> Option<(String, bool)> {
    if let Some(t) = crate::text::decode_text(bytes) {
        return Some((t, false));
    }
    let (t, _, bad) = encoding_rs::GB18030.decode(bytes);
    (!bad).then(|| (t.replace("\r\n", "\n").replace('\r', "\n"), true))
}

/// One source read and recognised (the parallel part of an import): what was read, its
/// warnings and what it brings along; or why it cannot be imported.
type Read = Result<(Parsed, Vec<Diagnostic>, Extracted), Diagnostic>;

fn read_source(path: &Path, shown: &str) -> Read {
    let bytes = std::fs::read(path).map_err(|e| Diagnostic::error(&Loc::file(shown), format!("cannot read: {e}")))?;
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    read_bytes(&ext, bytes, shown)
}

/// A warning about an imported source: a `# REVIEW:` note in its file, a line of its
/// report row, and a diagnostic.
fn review(msg: String, p: &mut Parsed, row: &mut ReportRow, diags: &mut Vec<Diagnostic>, shown: &str) {
    p.review.push(msg.clone());
    row.warnings.push(ReportWarning { line: 1, message: msg.clone() });
    diags.push(Diagnostic::warning(&Loc::file(shown), msg));
}

/// A source that could not be imported: its error in its report row and the diagnostics.
fn fail(mut row: ReportRow, d: Diagnostic, diags: &mut Vec<Diagnostic>, report: &mut Vec<ReportRow>) {
    row.status = "failed";
    row.output = None;
    row.warnings.push(ReportWarning { line: d.line, message: d.message.clone() });
    diags.push(d);
    report.push(row);
}

/// Read and recognise one source's bytes as format `ext` (`txt`, `html`, `docx`, `ofd`…);
/// `shown` names it in diagnostics. Never panics, whatever the bytes (see the mutation
/// test in tests/import_formats.rs): a source that cannot be read is an error value.
pub fn read_bytes(ext: &str, bytes: Vec<u8>, shown: &str) -> Read {
    let fail = |msg: String, help: &str| {
        let d = Diagnostic::error(&Loc::file(shown), msg);
        if help.is_empty() {
            d
        } else {
            d.help(help)
        }
    };
    let mut warns = Vec::new();
    let extracted = match ext {
        "txt" | "html" | "htm" => {
            let Some((text, gb)) = decode(&bytes) else {
                return Err(fail(
                    "neither UTF-8 nor GB18030 text".into(),
                    "save the file as UTF-8 and import it again",
                ));
            };
            if gb {
                warns.push(Diagnostic::warning(&Loc::file(shown), "read as GB18030 (GBK) text, not UTF-8"));
            }
            if ext == "txt" {
                Ok(Extracted {
                    lines: text.lines().enumerate().map(|(i, l)| SourceLine::plain(i + 1, l)).collect(),
                    ..Default::default()
                })
            } else {
                Ok(html::read(&text))
            }
        }
        "docx" => docx::read(bytes),
        "ofd" => ofd::read(bytes),
        "pdf" => Err("PDF is not read: its text layer does not keep the 公文's structure".into()),
        "doc" | "wps" => Err("the old binary Word format is not read".into()),
        _ => Err(format!("`.{ext}` is not a format gazette import reads")),
    };
    let extra = extracted.map_err(|msg| {
        fail(
            msg,
            "import reads .txt, .html/.htm, .docx and .ofd (Word/WPS: Save As .docx); a file in one of them that fails may be damaged: open it and save it again",
        )
    })?;
    let (parsed, mut w) = recognise(shown, extra.lines.clone());
    warns.append(&mut w);
    Ok((parsed, warns, extra))
}

/// Every file to import: files as given, folders walked (formats `import` reads only;
/// others are reported as skipped).
fn sources(args: &[PathBuf], skipped: &mut Vec<String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for a in args {
        if a.is_dir() {
            for e in walkdir::WalkDir::new(a).sort_by_file_name().into_iter().flatten() {
                let name = e.file_name().to_string_lossy();
                if !e.file_type().is_file() || name.starts_with('.') {
                    continue;
                }
                let ext = e.path().extension().map(|x| x.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                if FORMATS.contains(&ext.as_str()) {
                    out.push(e.into_path());
                } else {
                    skipped.push(e.path().display().to_string());
                }
            }
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// Import `opts.sources` into the site at `opts.into`. Returns diagnostics, the exit code
/// (0, or 1 when some source could not be imported, or 2 for a usage or I/O problem), and
/// what became of each source.
pub fn run(opts: &Options) -> (Vec<Diagnostic>, i32, Vec<ReportRow>) {
    use rayon::prelude::*;
    let into = &opts.into;
    let mut diags = Vec::new();
    if !into.join(crate::config::FILE).is_file() {
        diags.push(
            Diagnostic::error(&Loc::file(into.display().to_string()), "not a gazette site (no gazette.yaml)")
                .help("create one with `gazette init DIR`, or pass `--into SITE`"),
        );
        return (diags, 2, Vec::new());
    }
    let scheme: Vec<String> = crate::config::load(into, None).map(|(c, _)| c.topics).unwrap_or_default();
    let organs_path = into.join("content/organs.yaml");
    let organs_text = std::fs::read_to_string(&organs_path).unwrap_or_default();
    let mut registry: Vec<(String, String)> = crate::yaml::parse(&organs_text)
        .ok()
        .and_then(|v| v.as_sequence().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|o| Some((o.get("id")?.as_str()?.to_string(), o.get("name")?.as_str()?.to_string())))
        .collect();
    let mut skipped = Vec::new();
    let files = sources(&opts.sources, &mut skipped);
    let progress = crate::progress::Progress::new(opts.progress);
    progress.stage("reading", files.len());
    let read: Vec<Read> = files
        .par_iter()
        .map(|f| {
            let r = read_source(f, &f.display().to_string());
            progress.inc();
            r
        })
        .collect();
    progress.finish();
    let mut report: Vec<ReportRow> = skipped
        .into_iter()
        .map(|s| ReportRow { source: s, status: "skipped", output: None, values: Vec::new(), warnings: Vec::new() })
        .collect();
    let mut new_organs = String::new();
    let mut failed = false;
    for (file, r) in files.iter().zip(read) {
        let shown = file.display().to_string();
        let mut row = ReportRow {
            source: shown.clone(),
            status: "failed",
            output: None,
            values: Vec::new(),
            warnings: Vec::new(),
        };
        let (mut p, warns, extra) = match r {
            Ok(read) => read,
            Err(d) => {
                fail(row, d, &mut diags, &mut report);
                failed = true;
                continue;
            }
        };
        row.warnings.extend(warns.iter().map(|d| ReportWarning { line: d.line, message: d.message.clone() }));
        diags.extend(warns);
        let Some(published) = p.published else {
            let d = Diagnostic::error(&Loc::file(&shown), "no 发布日期 or 成文日期 found; cannot import")
                .help("add a line like `发布日期：2024-05-16` to the source");
            fail(row, d, &mut diags, &mut report);
            failed = true;
            continue;
        };
        if !scheme.is_empty() {
            let (ok, other): (Vec<String>, Vec<String>) = p.topics.drain(..).partition(|t| scheme.contains(t));
            for t in other {
                let msg = format!("主题分类 `{t}` is not in the site's `topics:`; left out");
                review(msg, &mut p, &mut row, &mut diags, &shown);
            }
            p.topics = ok;
        }
        let issuer_name = p.issuer.clone().unwrap_or_else(|| "未知机关".into());
        let (organ, is_new) = organ_id(&registry, &issuer_name);
        if is_new {
            new_organs.push_str(&format!("- id: {organ}\n  name: {}\n", quote(&issuer_name)));
            registry.push((organ.clone(), issuer_name.clone()));
        }
        let serial = p.doc_number.as_deref().and_then(|n| {
            let digits: String = n.rsplit(['〕', '第']).next()?.chars().filter(|c| c.is_ascii_digit()).collect();
            (!digits.is_empty()).then_some(digits)
        });
        let id = match serial {
            Some(s) => format!("{organ}-{}-{s}", published.year),
            None => format!("{organ}-{}-{}", published.year, &fnv_hex(&p.title)[..6]),
        };
        // Files the document brings: images (embedded or beside the page) and attachments.
        let source_dir = file.parent().unwrap_or(Path::new("."));
        let files_dir = format!("files/{id}/");
        let mut copies: Vec<(String, Vec<u8>)> = extra.embedded;
        for (name, href) in &extra.images {
            if href.starts_with("https://") {
                p.body = p.body.replace(&format!("{FILES_MARK}{name}"), href);
                continue;
            }
            match local_file(source_dir, href) {
                Some(b) => copies.push((name.clone(), b)),
                None => {
                    review(
                        format!("image `{href}` is not beside the page; left out"),
                        &mut p,
                        &mut row,
                        &mut diags,
                        &shown,
                    );
                    p.body = p
                        .body
                        .lines()
                        .filter(|l| !l.contains(&format!("{FILES_MARK}{name}")))
                        .collect::<Vec<_>>()
                        .join("\n")
                        + "\n";
                }
            }
        }
        let mut attachments = Vec::new();
        for (title, href) in &extra.attachments {
            match local_file(source_dir, href) {
                Some(b) => {
                    let name = file_name_of(href);
                    attachments.push((title.clone(), format!("{files_dir}{name}")));
                    copies.push((name, b));
                }
                None => {
                    let msg = format!("attachment `{title}` ({href}) is not beside the page; copy it into content/{files_dir} and list it under `attachments:`");
                    review(msg, &mut p, &mut row, &mut diags, &shown);
                }
            }
        }
        for (text, href) in &extra.links {
            let msg = format!("links to 解读 `{text}` at {href}: import it too and set its `interprets: {id}`");
            p.review.push(msg.clone());
            row.warnings.push(ReportWarning { line: 1, message: msg });
        }
        p.body = p.body.replace(FILES_MARK, &files_dir);
        let rel = format!("content/documents/{}/{id}.md", published.year);
        let stem = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let out = render_with(&p, &id, &organ, &stem, &attachments);
        row.values = p.found.iter().map(|(f, v, l)| ReportValue { field: f, value: v.clone(), line: *l }).collect();
        row.output = Some(rel.clone());
        let target = into.join(&rel);
        match std::fs::read_to_string(&target) {
            Ok(existing) if existing == out => {
                eprintln!("unchanged: {rel}");
                row.status = "unchanged";
                report.push(row);
                continue;
            }
            Ok(_) if !opts.force => {
                let d = Diagnostic::error(&Loc::file(&rel), "already exists with other content; not overwritten")
                    .help("pass --force to replace it");
                fail(row, d, &mut diags, &mut report);
                failed = true;
                continue;
            }
            _ => {}
        }
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(target.parent().unwrap_or(into))?;
            std::fs::write(&target, &out)?;
            for (name, bytes) in &copies {
                let f = into.join("content").join(&files_dir).join(name);
                std::fs::create_dir_all(f.parent().unwrap_or(into))?;
                std::fs::write(f, bytes)?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            diags.push(Diagnostic::error(&Loc::file(&rel), format!("cannot write: {e}")));
            return (diags, 2, report);
        }
        row.status = if p.draft { "draft" } else { "imported" };
        eprintln!("imported: {shown} -> {rel}");
        report.push(row);
    }
    if !new_organs.is_empty() {
        let mut text = organs_text;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&new_organs);
        if let Err(e) = std::fs::create_dir_all(into.join("content")).and_then(|_| std::fs::write(&organs_path, text)) {
            diags.push(Diagnostic::error(&Loc::file("content/organs.yaml"), format!("cannot write: {e}")));
            return (diags, 2, report);
        }
    }
    if let Some(path) = &opts.report {
        if let Err(e) = write_report(path, &report) {
            diags.push(Diagnostic::error(
                &Loc::file(path.display().to_string()),
                format!("cannot write the report: {e}"),
            ));
            return (diags, 2, report);
        }
    }
    (diags, i32::from(failed), report)
}

/// A file a page links to, if it is beside the page (relative links only).
fn local_file(dir: &Path, href: &str) -> Option<Vec<u8>> {
    if href.contains("://") || href.starts_with("//") || href.starts_with("data:") {
        return None;
    }
    let path = crate::routes::percent_decode(href.split(['?', '#']).next()?.trim_start_matches('/'));
    if path.split('/').any(|s| s == "..") {
        return None;
    }
    std::fs::read(dir.join(path.as_ref())).ok()
}

/// `--report`: JSON (one record per source), or CSV (one row per value and per warning,
/// for a spreadsheet), by the file's extension.
fn write_report(path: &Path, rows: &[ReportRow]) -> std::io::Result<()> {
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if json {
        let text = serde_json::to_string_pretty(rows).map_err(std::io::Error::other)?;
        return std::fs::write(path, text);
    }
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(["source", "status", "output", "field", "value", "line", "warning"])
        .map_err(std::io::Error::other)?;
    for r in rows {
        let out = r.output.clone().unwrap_or_default();
        if r.values.is_empty() && r.warnings.is_empty() {
            w.write_record([r.source.as_str(), r.status, &out, "", "", "", ""]).map_err(std::io::Error::other)?;
        }
        for v in &r.values {
            w.write_record([r.source.as_str(), r.status, &out, v.field, &v.value, &v.line.to_string(), ""])
                .map_err(std::io::Error::other)?;
        }
        for x in &r.warnings {
            w.write_record([r.source.as_str(), r.status, &out, "", "", &x.line.to_string(), &x.message])
                .map_err(std::io::Error::other)?;
        }
    }
    std::fs::write(path, w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?)
}
