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

use crate::date::Date;
use crate::diag::{Diagnostic, Loc};
use crate::docnum::{self, DocNumber};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What the importer read from one source file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub title: String,
    pub attached_title: Option<String>,
    pub doc_number: Option<String>,
    pub index_number: Option<String>,
    pub issuer: Option<String>,
    pub written: Option<Date>,
    pub published: Option<Date>,
    pub disclosure: String,
    /// Set when a value that decides publication is unclear: held back until reviewed.
    pub draft: bool,
    pub doc_type: Option<String>,
    pub body: String,
    /// Notes for the editor, one per unsure value (also reported as warnings).
    pub review: Vec<String>,
}

struct Line {
    no: usize,
    text: String,
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("static regex"))
}

fn cn_date(s: &str) -> Option<Date> {
    static R: OnceLock<Regex> = OnceLock::new();
    let c = re(&R, r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$").captures(s.trim())?;
    Date::parse(&format!("{}-{:0>2}-{:0>2}", &c[1], &c[2], &c[3]))
}

fn any_date(s: &str) -> Option<Date> {
    let s = s.trim();
    Date::parse(s).or_else(|| cn_date(s)).or_else(|| {
        let p: Vec<&str> = s.split(['-', '/', '.']).collect();
        (p.len() == 3).then(|| Date::parse(&format!("{}-{:0>2}-{:0>2}", p[0], p[1], p[2]))).flatten()
    })
}

/// "2024513" and the like: a date whose separators were lost. Returns the one reading that
/// is a real date, or `None` when there is none or more than one.
fn garbled_date(s: &str) -> Option<Date> {
    let s = s.trim();
    if !(s.len() == 6 || s.len() == 7) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, rest) = s.split_at(4);
    let mut found = Vec::new();
    for cut in 1..rest.len() {
        let (m, d) = rest.split_at(cut);
        if let Some(date) = Date::parse(&format!("{y}-{m:0>2}-{d:0>2}")) {
            if m.len() <= 2 && d.len() <= 2 {
                found.push(date);
            }
        }
    }
    (found.len() == 1).then(|| found[0])
}

fn is_han(c: char) -> bool {
    crate::markdown::is_cjk(c)
}

/// Remove spaces between Chinese characters and make half-width punctuation next to
/// Chinese full-width.
fn tidy(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    // Whether a full-width （ was written: a later ) closes it as ）.
    let mut opened = false;
    for (i, &c) in chars.iter().enumerate() {
        let prev = out.chars().last();
        let next = chars[i + 1..].iter().copied().find(|c| !c.is_whitespace());
        let near_han = prev.is_some_and(is_han) || next.is_some_and(is_han);
        match c {
            ' ' | '\u{3000}' | '\u{a0}' if prev.is_some_and(is_han) && next.is_some_and(is_han) => {}
            ' ' | '\u{3000}' | '\u{a0}' if prev.is_some_and(is_han) && next.is_some_and(|n| "（(《“".contains(n)) =>
                {}
            ',' if near_han => out.push('，'),
            ':' if near_han && !next.is_some_and(|n| n == '/') => out.push('：'),
            ';' if near_han => out.push('；'),
            '(' if near_han => out.push('（'),
            ')' if near_han || opened => out.push('）'),
            '?' if near_han => out.push('？'),
            '!' if near_han => out.push('！'),
            c => out.push(c),
        }
        opened |= out.ends_with('（');
    }
    out
}

/// Escape what Markdown would read as markup in plain official text.
fn md_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '|' | '\\') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

const CHROME_START: &[&str] = &["分享到", "打印 关闭", "【打印】", "【关闭】", "政策性文件留言咨询"];
const CHROME_LINE: &[&str] = &["打印", "关闭", "image.png", "打印本页", "关闭窗口"];
const HEADER_KEYS: &[&str] = &[
    "发布时间",
    "发布日期",
    "索取号",
    "索引号",
    "发布机构",
    "发文机关",
    "文件编号",
    "发文字号",
    "公开类别",
    "主题分类",
    "成文日期",
];

fn doc_type_of(title: &str) -> Option<String> {
    crate::model::DOC_TYPES.iter().filter(|t| title.ends_with(*t)).max_by_key(|t| t.len()).map(|t| t.to_string())
}

fn looks_like_organ(s: &str) -> bool {
    s.chars().count() <= 30
        && ["政府", "办公室", "办公厅", "委员会", "局", "委", "厅", "办"].iter().any(|e| s.ends_with(e))
        && !s.contains(['，', '。', ','])
}

/// Read a plain-text document. `src` names the file in warnings.
pub fn parse(src: &str, text: &str) -> (Parsed, Vec<Diagnostic>) {
    static NUM_HEAD: OnceLock<Regex> = OnceLock::new();
    static TOP: OnceLock<Regex> = OnceLock::new();
    static SUB: OnceLock<Regex> = OnceLock::new();
    static ITEM: OnceLock<Regex> = OnceLock::new();
    static ATTACHED: OnceLock<Regex> = OnceLock::new();
    static QUOTED: OnceLock<Regex> = OnceLock::new();
    static NUM_IN_TEXT: OnceLock<Regex> = OnceLock::new();
    let mut warns = Vec::new();
    let mut p = Parsed { disclosure: "主动公开".into(), ..Default::default() };
    let warn = |warns: &mut Vec<Diagnostic>, p: &mut Parsed, line: usize, msg: String| {
        p.review.push(format!("{msg} (source line {line})"));
        warns.push(Diagnostic::warning(&Loc::new(src, line, 1), msg));
    };

    // 1. Lines, trimmed, chrome dropped (everything after 分享到 is page furniture).
    let mut lines: Vec<Line> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        // Control characters and Unicode line/paragraph separators come with text copied
        // from web pages; YAML would read them as line breaks or refuse them (found by the
        // importer fuzzer), and a reader cannot see them. They go.
        let raw: String =
            raw.chars().filter(|&c| (!c.is_control() || c == '\t') && !matches!(c, '\u{2028}' | '\u{2029}')).collect();
        let t = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}' || c == '\u{feff}');
        if CHROME_START.iter().any(|c| t.starts_with(c)) {
            break;
        }
        if t.is_empty() || CHROME_LINE.contains(&t) {
            continue;
        }
        lines.push(Line { no: i + 1, text: t.to_string() });
    }

    // 2. Header block fields copied from a web page: `发布机构:… 索取号:…` on any line.
    let keys = HEADER_KEYS.join("|");
    let header_re = re(&NUM_HEAD, &format!(r"({keys})\s*[:：]\s*"));
    let mut kept = Vec::new();
    let mut raw_number: Option<(String, usize)> = None;
    for l in lines.drain(..) {
        let marks: Vec<(usize, usize, String)> = header_re
            .captures_iter(&l.text)
            .map(|c| {
                let m = c.get(0).expect("match");
                (m.start(), m.end(), c[1].to_string())
            })
            .collect();
        if marks.is_empty() || marks[0].0 > 0 {
            kept.push(l);
            continue;
        }
        for (k, (_, end, key)) in marks.iter().enumerate() {
            let stop = marks.get(k + 1).map_or(l.text.len(), |m| m.0);
            let v = l.text[*end..stop].trim().to_string();
            match key.as_str() {
                "发布时间" | "发布日期" => p.published = any_date(&v),
                "成文日期" => p.written = any_date(&v),
                "索取号" | "索引号" => p.index_number = Some(v),
                "发布机构" | "发文机关" => p.issuer = Some(tidy(&v)),
                "文件编号" | "发文字号" => raw_number = Some((v, l.no)),
                "公开类别" => match crate::model::Disclosure::parse(&v) {
                    Some(_) => p.disclosure = v,
                    None => {
                        // Publishing is the one thing not to guess: hold it back.
                        let msg = format!("unknown 公开类别 `{v}`; imported as `draft: true` until someone checks it");
                        warn(&mut warns, &mut p, l.no, msg);
                        p.draft = true;
                    }
                },
                _ => {}
            }
        }
    }
    let mut lines = kept;

    // 3. 红头, standalone 发文字号, title: before the 主送 line.
    let salute = lines
        .iter()
        .position(|l| (l.text.ends_with('：') || l.text.ends_with(':')) && l.text.contains('各'))
        .unwrap_or(0);
    let mut drop = Vec::new();
    for (k, l) in lines.iter().enumerate().take(salute) {
        let t = tidy(&l.text);
        if let Some(organ) = t.strip_suffix("文件").filter(|o| looks_like_organ(o)) {
            p.issuer.get_or_insert(organ.to_string());
            drop.push(k);
        } else if !matches!(docnum::parse(&t), DocNumber::Invalid) && t.chars().count() < 30 {
            raw_number.get_or_insert((t, l.no));
            drop.push(k);
        } else if t.contains("关于") || doc_type_of(&t).is_some() {
            p.title = t;
            drop.push(k);
        }
    }
    for k in drop.into_iter().rev() {
        lines.remove(k);
    }
    if let Some((raw, line)) = raw_number {
        match docnum::parse(&raw) {
            DocNumber::Canonical(c) => p.doc_number = Some(c),
            DocNumber::Variant(c) => {
                if raw.replace([' ', '\u{3000}'], "") != c {
                    warn(&mut warns, &mut p, line, format!("发文字号 `{raw}` written as `{c}`"));
                }
                p.doc_number = Some(c);
            }
            DocNumber::Invalid => {
                warn(&mut warns, &mut p, line, format!("发文字号 `{raw}` is not a valid 发文字号; left out"))
            }
        }
    }

    // 4. Dates, signature, 印发 line, (此件公开发布), attached document's title.
    let attached_re = re(&ATTACHED, r"^\d{4}年.{2,40}(要点|方案|办法|规定|细则|意见|计划|规划|措施|指引|清单)$");
    let mut body_lines: Vec<Line> = Vec::new();
    for l in lines {
        let t = tidy(&l.text);
        if let Some(d) = cn_date(&t) {
            if p.written.is_none() {
                p.written = Some(d);
                if let Some(prev) = body_lines.last() {
                    if looks_like_organ(&prev.text) {
                        p.issuer.get_or_insert(prev.text.clone());
                    }
                }
            }
            body_lines.push(Line { no: l.no, text: t });
            continue;
        }
        if let Some(d) = garbled_date(&t) {
            warn(&mut warns, &mut p, l.no, format!("成文日期 `{t}` is garbled; read as {d}"));
            if p.written.is_none() {
                p.written = Some(d);
            }
            body_lines.push(Line { no: l.no, text: d.chinese() });
            continue;
        }
        if t == "（此件公开发布）" || t == "(此件公开发布)" {
            p.disclosure = "主动公开".into();
            continue;
        }
        if p.attached_title.is_none() && attached_re.is_match(&t) {
            p.attached_title = Some(t.clone());
        }
        body_lines.push(Line { no: l.no, text: t });
    }

    // 5. Titles: the notice's, derived from the attached document when the source has none.
    let quoted = re(&QUOTED, r"《([^《》]{4,60})》");
    if p.attached_title.is_none() {
        p.attached_title = body_lines.iter().take(6).find_map(|l| quoted.captures(&l.text).map(|c| c[1].to_string()));
    }
    if p.title.is_empty() {
        match &p.attached_title {
            Some(a) => {
                let line = body_lines.first().map_or(1, |l| l.no);
                p.title = format!("关于印发《{a}》的通知");
                let msg = format!("the source has no title; using `{}`", p.title);
                warn(&mut warns, &mut p, line, msg);
            }
            None => {
                let first = body_lines
                    .first()
                    .map(|l| (l.no, l.text.chars().take(40).collect::<String>()))
                    .unwrap_or((1, "未命名文件".into()));
                p.title = first.1.clone();
                let msg = format!("no title found; using the first line `{}`", p.title);
                warn(&mut warns, &mut p, first.0, msg);
            }
        }
    }
    p.doc_type = doc_type_of(&p.title);
    if p.issuer.is_none() {
        static REGION: OnceLock<Regex> = OnceLock::new();
        let region = p
            .attached_title
            .as_deref()
            .and_then(|a| re(&REGION, r"年(.{2,4}?[区县市])").captures(a).map(|c| c[1].to_string()));
        let line = body_lines.first().map_or(1, |l| l.no);
        match region {
            Some(r) => {
                let organ = format!("{r}人民政府");
                warn(&mut warns, &mut p, line, format!("发文机关 not stated; inferred `{organ}` from the title"));
                p.issuer = Some(organ);
            }
            None => warn(&mut warns, &mut p, line, "发文机关 not found; set `issuer`".into()),
        }
    }
    if p.published.is_none() {
        p.published = p.written;
    }

    // 6. References in the text that are broken 发文字号 (e.g. 沪府办字〔20245号).
    let num_re = re(&NUM_IN_TEXT, r"[\p{Han}]{1,12}[〔\[［(（【﹝][0-9]{1,8}[〕\]］)）】﹞]?[0-9]*\s*号");
    for l in &body_lines {
        for m in num_re.find_iter(&l.text) {
            let s = m.as_str();
            if s.contains(['〔', '[', '［', '【', '﹝']) && docnum::canonical(s).is_none() && !s.contains(['(', '（'])
            {
                warn(&mut warns, &mut p, l.no, format!("broken 发文字号 `{s}` in the text; kept as written"));
            }
        }
    }

    for l in &body_lines {
        if l.text.matches('《').count() != l.text.matches('》').count() {
            warn(&mut warns, &mut p, l.no, "unbalanced 《》 in the text; kept as written".into());
        }
    }

    // 7. Body: rejoin wrapped lines, then structure.
    let top = re(&TOP, r"^[一二三四五六七八九十]+、");
    let sub = re(&SUB, r"^[（(][一二三四五六七八九十]+[）)]");
    let item = re(&ITEM, r"^(\d{1,3})[.．、](\S)");
    let structural = |t: &str| top.is_match(t) || sub.is_match(t) || item.is_match(t) || cn_date(t).is_some();
    let mut paras: Vec<String> = Vec::new();
    for l in body_lines {
        let t = l.text;
        if let Some(prev) = paras.last_mut() {
            let ends = prev.ends_with(['。', '；', '：', '！', '？', '…', '”', '）', ')', '」', '』']);
            let prev_structural =
                structural(prev) || p.attached_title.as_deref() == Some(prev.as_str()) || looks_like_organ(prev);
            if !ends
                && !prev_structural
                && !structural(&t)
                && p.attached_title.as_deref() != Some(t.as_str())
                && prev.chars().count() > 20
            {
                prev.push_str(&t);
                continue;
            }
        }
        paras.push(t);
    }
    let mut md = String::new();
    let mut in_list = false;
    for t in paras {
        let is_item = item.is_match(&t);
        if in_list && !is_item {
            md.push('\n');
        }
        in_list = is_item;
        if p.attached_title.as_deref() == Some(t.as_str()) {
            md.push_str(&format!("## {}\n\n", md_escape(&t)));
        } else if top.is_match(&t) && t.chars().count() <= 40 && !t.ends_with('。') {
            md.push_str(&format!("## {}\n\n", md_escape(&t)));
        } else if sub.is_match(&t) {
            match t.find('。') {
                Some(i) if t[..i].chars().count() <= 40 => {
                    md.push_str(&format!("### {}\n\n", md_escape(&t[..i])));
                    let rest = t[i + '。'.len_utf8()..].trim();
                    if !rest.is_empty() {
                        md.push_str(&format!("{}\n\n", md_escape(rest)));
                    }
                }
                _ if t.chars().count() <= 40 => md.push_str(&format!("### {}\n\n", md_escape(&t))),
                _ => md.push_str(&format!("{}\n\n", md_escape(&t))),
            }
        } else if let Some(c) = item.captures(&t) {
            let n = c[1].to_string();
            let rest = &t[c.get(2).expect("group").start()..];
            md.push_str(&format!("{n}. {}\n", md_escape(rest)));
        } else {
            md.push_str(&format!("{}\n\n", md_escape(&t)));
        }
    }
    p.body = md.trim_end().to_string() + "\n";
    (p, warns)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn garbled_dates_have_one_reading_or_none() {
        assert_eq!(garbled_date("2024513").map(|d| d.to_string()), Some("2024-05-13".into()));
        assert_eq!(garbled_date("2024111"), None, "2024-1-11 or 2024-11-1");
        assert_eq!(garbled_date("abc"), None);
    }
    #[test]
    fn tidies_chinese_text() {
        assert_eq!(
            tidy("上海市静安区人民政府办公室 关于印发《2023年静安区政务公开 工作要点》的通知"),
            "上海市静安区人民政府办公室关于印发《2023年静安区政务公开工作要点》的通知"
        );
        assert_eq!(tidy("各镇人民政府,街道办事处:"), "各镇人民政府，街道办事处：");
        assert_eq!(tidy("(责任单位:区政府办)"), "（责任单位：区政府办）");
    }
}
