//! Word files (`.docx`, Office Open XML; WPS saves the same): paragraphs with their
//! alignment, style and run formatting, numbering, tables (a 公文要素 table as fields, any
//! other as a Markdown table), and embedded images. One of the two modules that read XML
//! with quick-xml (the other is `ofd`).

use super::package::{self, Package};
use super::recognise::{Hint, SourceLine};
use super::xml::{attr, entity};
use super::Extracted;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::HashMap;

/// The `w:val` of an element.
fn val(e: &BytesStart) -> Option<String> {
    attr(e, "val")
}

/// What a paragraph style gives its paragraphs: a heading level (`heading 1` → 1, `Title`
/// → 1), and a numbering (`List Number`: numId, level).
#[derive(Default, Clone)]
struct Style {
    heading: Option<u8>,
    num: Option<(String, String)>,
}

fn paragraph_styles(xml: &str) -> HashMap<String, Style> {
    let mut out: HashMap<String, Style> = HashMap::new();
    let mut r = Reader::from_str(xml);
    let mut id: Option<String> = None;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "style" => id = attr(&e, "styleId"),
                "numId" => {
                    if let (Some(i), Some(v)) = (&id, val(&e)) {
                        out.entry(i.clone()).or_default().num = Some((v, "0".into()));
                    }
                }
                "name" => {
                    if let (Some(i), Some(n)) = (&id, val(&e)) {
                        let n = n.to_ascii_lowercase();
                        let level = if n == "title" {
                            Some(1)
                        } else {
                            n.strip_prefix("heading ").and_then(|l| l.trim().parse::<u8>().ok())
                        };
                        if let Some(l) = level {
                            out.entry(i.clone()).or_default().heading = Some(l);
                        }
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// Numbering: per numId, per level, (numFmt, lvlText).
type Numbering = HashMap<String, HashMap<String, (String, String)>>;

fn numbering(xml: &str) -> Numbering {
    let mut abstracts: HashMap<String, HashMap<String, (String, String)>> = HashMap::new();
    let mut nums: HashMap<String, String> = HashMap::new();
    let mut r = Reader::from_str(xml);
    let (mut abs, mut lvl, mut num): (Option<String>, Option<String>, Option<String>) = (None, None, None);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "abstractNum" => abs = attr(&e, "abstractNumId"),
                "lvl" => lvl = attr(&e, "ilvl"),
                "numFmt" | "lvlText" => {
                    if let (Some(a), Some(l), Some(v)) = (&abs, &lvl, val(&e)) {
                        let entry = abstracts.entry(a.clone()).or_default().entry(l.clone()).or_default();
                        if e.local_name().as_ref() == "numFmt" {
                            entry.0 = v;
                        } else {
                            entry.1 = v;
                        }
                    }
                }
                "num" => num = attr(&e, "numId"),
                "abstractNumId" => {
                    if let (Some(n), Some(v)) = (&num, val(&e)) {
                        nums.insert(n.clone(), v);
                    }
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == "abstractNum" => abs = None,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    nums.into_iter().filter_map(|(n, a)| Some((n, abstracts.get(&a)?.clone()))).collect()
}

fn chinese_number(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].into(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n % 10]),
        20..=99 => format!("{}十{}", D[n / 10], if n % 10 == 0 { "" } else { D[n % 10] }),
        _ => n.to_string(),
    }
}

/// The label Word shows for item `n` of a level: `1.`, `一、`, `（一）`.
fn label(fmt: &str, text: &str, n: usize) -> String {
    let num = match fmt {
        "chineseCounting" | "chineseCountingThousand" | "ideographDigital" | "chineseLegalSimplified" => {
            chinese_number(n)
        }
        "bullet" | "none" => return String::new(),
        _ => n.to_string(),
    };
    let t = if text.is_empty() { "%1.".to_string() } else { text.to_string() };
    let mut l = t.replace("%1", &num);
    // Deeper placeholders (%2…) are the parents' numbers: a flat label keeps only ours.
    for k in 2..10 {
        l = l.replace(&format!("%{k}"), "");
    }
    l
}

#[derive(Default)]
struct Para {
    text: String,
    hint: Hint,
    red_chars: usize,
    large_chars: usize,
    num: Option<(String, String)>,
    images: Vec<String>,
}

/// Read a Word file into lines for the recogniser.
pub fn read(bytes: Vec<u8>) -> Result<Extracted, String> {
    let mut pkg = Package::open(bytes)?;
    let xml = pkg.text("word/document.xml").ok_or("no word/document.xml: not a Word document")?;
    let styles = pkg.text("word/styles.xml").map(|s| paragraph_styles(&s)).unwrap_or_default();
    let numbering = pkg.text("word/numbering.xml").map(|s| numbering(&s)).unwrap_or_default();
    let rels: HashMap<String, String> = pkg
        .text("word/_rels/document.xml.rels")
        .map(|x| {
            let mut m = HashMap::new();
            let mut r = Reader::from_str(&x);
            loop {
                match r.read_event() {
                    Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "Relationship" => {
                        if let (Some(id), Some(t)) = (attr(&e, "Id"), attr(&e, "Target")) {
                            m.insert(id, t);
                        }
                    }
                    Ok(Event::Eof) | Err(_) => break,
                    _ => {}
                }
            }
            m
        })
        .unwrap_or_default();

    let mut images: Vec<(String, String)> = Vec::new();
    let mut lines: Vec<SourceLine> = Vec::new();
    let mut no = 0usize;
    let mut counters: HashMap<(String, String), usize> = HashMap::new();
    let mut stack: Vec<Para> = Vec::new();
    // Tables: rows of cells of text; nested tables are read as text of their cell.
    let mut tables: Vec<Vec<Vec<String>>> = Vec::new();
    let (mut in_text, mut run_red, mut run_large) = (false, false, false);
    let mut r = Reader::from_str(&xml);
    let emit = |p: Para,
                tables: &mut Vec<Vec<Vec<String>>>,
                lines: &mut Vec<SourceLine>,
                images: &mut Vec<(String, String)>,
                no: &mut usize,
                counters: &mut HashMap<(String, String), usize>| {
        let mut text = p.text.clone();
        if let Some((id, lvl)) = &p.num {
            let n = counters.entry((id.clone(), lvl.clone())).or_insert(0);
            *n += 1;
            if let Some((fmt, t)) = numbering.get(id).and_then(|m| m.get(lvl)) {
                let l = label(fmt, t, *n);
                if !l.is_empty() && !text.starts_with(&l) {
                    text = format!("{l}{text}");
                }
            }
        }
        if let Some(table) = tables.last_mut() {
            // A paragraph of a cell: its text joins the cell's.
            if let Some(cell) = table.last_mut().and_then(|row| row.last_mut()) {
                if !cell.is_empty() && !text.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(text.trim());
            }
            return;
        }
        let count = text.chars().filter(|c| !c.is_whitespace()).count().max(1);
        let mut hint = p.hint;
        hint.paragraph = true;
        hint.red = p.red_chars * 2 >= count && p.red_chars > 0;
        hint.large |= p.large_chars * 2 >= count && p.large_chars > 0;
        for (k, part) in text.split('\n').enumerate() {
            *no += 1;
            let mut h = hint;
            if k > 0 {
                h.heading = 0;
            }
            lines.push(SourceLine { no: *no, text: part.to_string(), hint: h });
        }
        for img in p.images {
            if let Some(target) = rels.get(&img) {
                let part = package::join("word", target);
                let name = part.rsplit('/').next().unwrap_or("image").to_string();
                *no += 1;
                lines.push(SourceLine {
                    no: *no,
                    text: format!("![图片]({}{name})", super::FILES_MARK),
                    hint: Hint { verbatim: true, paragraph: true, ..Hint::default() },
                });
                images.push((name, part));
            }
        }
    };
    loop {
        let ev = match r.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err(format!("word/document.xml is not well-formed: {e}")),
        };
        let empty = matches!(ev, Event::Empty(_));
        match ev {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "p" => stack.push(Para::default()),
                "pStyle" => {
                    if let (Some(p), Some(st)) = (stack.last_mut(), val(&e).and_then(|v| styles.get(&v))) {
                        if let Some(l) = st.heading {
                            p.hint.heading = l;
                            p.hint.large |= l == 1;
                        }
                        if p.num.is_none() {
                            p.num.clone_from(&st.num);
                        }
                    }
                }
                "jc" => {
                    if let (Some(p), Some(v)) = (stack.last_mut(), val(&e)) {
                        match v.as_str() {
                            "center" => p.hint.centered = true,
                            "right" | "end" => p.hint.right = true,
                            _ => {}
                        }
                    }
                }
                "numId" => {
                    if let (Some(p), Some(v)) = (stack.last_mut(), val(&e)) {
                        let lvl = p.num.take().map(|n| n.1).unwrap_or_else(|| "0".into());
                        if v != "0" {
                            p.num = Some((v, lvl));
                        }
                    }
                }
                "ilvl" => {
                    if let (Some(p), Some(v)) = (stack.last_mut(), val(&e)) {
                        p.num = Some((p.num.take().map(|n| n.0).unwrap_or_default(), v));
                    }
                }
                "r" => (run_red, run_large) = (false, false),
                "color" => run_red = val(&e).is_some_and(|c| is_red(&c)),
                "sz" => run_large = val(&e).and_then(|s| s.parse::<u32>().ok()).is_some_and(|hp| hp >= 40),
                "t" => in_text = !empty,
                "tab" => {
                    if let Some(p) = stack.last_mut() {
                        p.text.push(' ');
                    }
                }
                "br" | "cr" => {
                    if let Some(p) = stack.last_mut() {
                        p.text.push('\n');
                    }
                }
                "blip" => {
                    if let (Some(p), Some(id)) = (stack.last_mut(), attr(&e, "embed")) {
                        p.images.push(id);
                    }
                }
                "tbl" => tables.push(Vec::new()),
                "tr" => {
                    if let Some(t) = tables.last_mut() {
                        t.push(Vec::new());
                    }
                }
                "tc" => {
                    if let Some(row) = tables.last_mut().and_then(|t| t.last_mut()) {
                        row.push(String::new());
                    }
                }
                _ => {}
            },
            Event::Text(t) if in_text => {
                if let Some(p) = stack.last_mut() {
                    let s: &str = &t;
                    let n = s.chars().filter(|c| !c.is_whitespace()).count();
                    if run_red {
                        p.red_chars += n;
                    }
                    if run_large {
                        p.large_chars += n;
                    }
                    p.text.push_str(s);
                }
            }
            Event::GeneralRef(g) if in_text => {
                if let (Some(p), Some(c)) = (stack.last_mut(), entity(&g)) {
                    p.text.push(c);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    if let Some(p) = stack.pop() {
                        emit(p, &mut tables, &mut lines, &mut images, &mut no, &mut counters);
                    }
                }
                "tbl" => {
                    if let Some(t) = tables.pop() {
                        table_lines(t, &mut tables, &mut lines, &mut no);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    // The images the paragraphs show: (name in the Markdown, part in the package).
    let embedded = images.into_iter().filter_map(|(name, part)| Some((name, pkg.read(&part)?))).collect();
    Ok(Extracted { lines, embedded, ..Default::default() })
}

fn is_red(c: &str) -> bool {
    let c = c.trim_start_matches('#');
    if c.len() != 6 {
        return false;
    }
    let ch = |i: usize| u8::from_str_radix(&c[i..i + 2], 16).unwrap_or(0);
    ch(0) >= 0xC0 && ch(2) <= 0x60 && ch(4) <= 0x60
}

/// A finished table: as lines (see `table`), or, inside a cell, that cell's text.
fn table_lines(t: Vec<Vec<String>>, outer: &mut [Vec<Vec<String>>], lines: &mut Vec<SourceLine>, no: &mut usize) {
    if let Some(cell) = outer.last_mut().and_then(|o| o.last_mut()).and_then(|r| r.last_mut()) {
        let text: Vec<String> = t.iter().map(|r| r.join(" ")).collect();
        cell.push_str(&text.join(" "));
        return;
    }
    let rows: Vec<Vec<String>> = t.into_iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
    super::table::lines(rows, no, lines);
}
