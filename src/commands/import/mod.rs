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

mod recognise;

use crate::diag::{Diagnostic, Loc};
pub use recognise::{parse, recognise, Hint, Parsed, SourceLine};
use std::path::{Path, PathBuf};

fn fnv_hex(s: &str) -> String {
    format!("{:08x}", crate::search::fnv(s, crate::search::BASIS_A))
}

/// Find an organ in the site's registry by name (or a name ending with it), or plan a new
/// entry with a stable id derived from the name.
fn organ_id(registry: &[(String, String)], name: &str) -> (String, bool) {
    if let Some((id, _)) = registry.iter().find(|(_, n)| n == name) {
        return (id.clone(), false);
    }
    if let Some((id, _)) = registry.iter().find(|(_, n)| n.ends_with(name) && name.chars().count() >= 4) {
        return (id.clone(), false);
    }
    (format!("org-{}", fnv_hex(name)), true)
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The Markdown file for a parsed document.
pub fn render(p: &Parsed, id: &str, issuer: &str, source: &str) -> String {
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
    f.push_str("---\n\n");
    f.push_str(&p.body);
    f
}

/// Import files into the site at `into`. Returns diagnostics and the exit code.
pub fn run(files: &[PathBuf], into: &Path, force: bool) -> (Vec<Diagnostic>, i32) {
    let mut diags = Vec::new();
    if !into.join(crate::config::FILE).is_file() {
        diags.push(
            Diagnostic::error(&Loc::file(into.display().to_string()), "not a gazette site (no gazette.yaml)")
                .help("create one with `gazette init DIR`, or pass `--into SITE`"),
        );
        return (diags, 2);
    }
    let organs_path = into.join("content/organs.yaml");
    let organs_text = std::fs::read_to_string(&organs_path).unwrap_or_default();
    let mut registry: Vec<(String, String)> = crate::yaml::parse(&organs_text)
        .ok()
        .and_then(|v| v.as_sequence().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|o| Some((o.get("id")?.as_str()?.to_string(), o.get("name")?.as_str()?.to_string())))
        .collect();
    let mut new_organs = String::new();
    let mut failed = false;
    for file in files {
        let shown = file.display().to_string();
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                diags.push(Diagnostic::error(&Loc::file(&shown), format!("cannot read: {e}")));
                failed = true;
                continue;
            }
        };
        let Some(text) = crate::text::decode_text(&bytes) else {
            diags.push(
                Diagnostic::error(&Loc::file(&shown), "not valid UTF-8")
                    .help("convert the file to UTF-8 first (e.g. `iconv -f GB18030 -t UTF-8`)"),
            );
            failed = true;
            continue;
        };
        let (p, warns) = parse(&shown, &text);
        diags.extend(warns);
        let Some(published) = p.published else {
            diags.push(
                Diagnostic::error(&Loc::file(&shown), "no 发布日期 or 成文日期 found; cannot import")
                    .help("add a line like `发布时间:2024-05-16` to the source"),
            );
            failed = true;
            continue;
        };
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
        let rel = format!("content/documents/{}/{id}.md", published.year);
        let stem = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let out = render(&p, &id, &organ, &stem);
        let target = into.join(&rel);
        match std::fs::read_to_string(&target) {
            Ok(existing) if existing == out => {
                eprintln!("unchanged: {rel}");
                continue;
            }
            Ok(_) if !force => {
                diags.push(
                    Diagnostic::error(&Loc::file(&rel), "already exists with other content; not overwritten")
                        .help("pass --force to replace it"),
                );
                failed = true;
                continue;
            }
            _ => {}
        }
        if let Err(e) =
            std::fs::create_dir_all(target.parent().unwrap_or(into)).and_then(|_| std::fs::write(&target, out))
        {
            diags.push(Diagnostic::error(&Loc::file(&rel), format!("cannot write: {e}")));
            return (diags, 2);
        }
        eprintln!("imported: {shown} -> {rel}");
    }
    if !new_organs.is_empty() {
        let mut text = organs_text;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&new_organs);
        if let Err(e) = std::fs::create_dir_all(into.join("content")).and_then(|_| std::fs::write(&organs_path, text)) {
            diags.push(Diagnostic::error(&Loc::file("content/organs.yaml"), format!("cannot write: {e}")));
            return (diags, 2);
        }
    }
    (diags, i32::from(failed))
}
