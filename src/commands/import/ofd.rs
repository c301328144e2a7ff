//! OFD files (GB/T 33190-2016, the format of China's 电子公文): text objects put back in
//! reading order across pages, with their layout for the recogniser; 公文 semantic tags
//! (CustomTags) used when the file carries them. See `../shared/notes/ofd.md`.
//!
//! Nothing in an OFD defines reading order (producers write text objects in any order,
//! often one character each), so it is rebuilt from geometry: every glyph's position
//! (TextCode X/Y plus DeltaX/DeltaY, `g N v` runs expanded, the object's CTM and Boundary),
//! glyphs clustered into lines by baseline, lines sorted top to bottom, runs left to right.
//! A line indented by about two characters starts a paragraph (the GB/T 9704 body indent);
//! others continue the one before. Pages follow the order of `Pages` in Document.xml.
//! Template pages (page furniture), annotations and signatures are not document text.

use super::package::{self, Package};
use super::recognise::{Hint, SourceLine};
use super::xml::{attr, entity};
use super::Extracted;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;

fn numbers(s: &str) -> Vec<f64> {
    s.split_whitespace().filter_map(|n| n.parse().ok()).collect()
}

/// DeltaX/DeltaY: numbers, with `g N v` meaning N copies of v.
fn deltas(s: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let mut it = s.split_whitespace();
    while let Some(t) = it.next() {
        if t == "g" {
            let n = it.next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0).min(10_000);
            let v = it.next().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            out.extend(std::iter::repeat_n(v, n));
        } else if let Ok(v) = t.parse() {
            out.push(v);
        }
    }
    out
}

/// One character placed on a page (mm, origin top-left, y the baseline).
#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    size: f64,
    c: char,
    red: bool,
}

/// The text objects of one page (or tag target): glyphs, and text per object ID.
#[derive(Default)]
struct PageText {
    glyphs: Vec<Glyph>,
    by_id: HashMap<String, String>,
}

fn read_page(xml: &str) -> PageText {
    let mut out = PageText::default();
    let mut r = Reader::from_str(xml);
    // The current text object: its ID, boundary origin, size, CTM, colour.
    let mut obj: Option<(String, f64, f64, f64, Option<[f64; 6]>, bool)> = None;
    // The current TextCode: X, Y, DeltaX, DeltaY, and its text.
    let mut code: Option<(Option<f64>, Option<f64>, Vec<f64>, Vec<f64>, String)> = None;
    // X/Y carry over from the previous TextCode of the same object when missing.
    let (mut last_x, mut last_y) = (0.0, 0.0);
    loop {
        let ev = match r.read_event() {
            Ok(ev) => ev,
            Err(_) => break,
        };
        match ev {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "TextObject" => {
                    let b = attr(&e, "Boundary").map(|b| numbers(&b)).unwrap_or_default();
                    let size = attr(&e, "Size").and_then(|s| s.parse().ok()).unwrap_or(3.5);
                    let ctm = attr(&e, "CTM")
                        .map(|c| numbers(&c))
                        .filter(|c| c.len() == 6)
                        .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]]);
                    let visible = attr(&e, "Visible").is_none_or(|v| v != "false");
                    let id = attr(&e, "ID").unwrap_or_default();
                    obj = visible.then(|| {
                        (id, b.first().copied().unwrap_or(0.0), b.get(1).copied().unwrap_or(0.0), size, ctm, false)
                    });
                    (last_x, last_y) = (0.0, 0.0);
                }
                "FillColor" => {
                    if let (Some(o), Some(v)) = (obj.as_mut(), attr(&e, "Value")) {
                        let c = numbers(&v);
                        o.5 = c.len() >= 3 && c[0] >= 180.0 && c[1] <= 90.0 && c[2] <= 90.0;
                    }
                }
                "TextCode" if obj.is_some() => {
                    let x = attr(&e, "X").and_then(|v| v.parse().ok());
                    let y = attr(&e, "Y").and_then(|v| v.parse().ok());
                    code = Some((
                        x,
                        y,
                        attr(&e, "DeltaX").map(|d| deltas(&d)).unwrap_or_default(),
                        attr(&e, "DeltaY").map(|d| deltas(&d)).unwrap_or_default(),
                        String::new(),
                    ));
                }
                _ => {}
            },
            Event::Text(t) => {
                if let Some(c) = code.as_mut() {
                    c.4.push_str(&t);
                }
            }
            Event::CData(t) => {
                if let Some(c) = code.as_mut() {
                    c.4.push_str(&t);
                }
            }
            Event::GeneralRef(g) => {
                if let (Some(c), Some(ch)) = (code.as_mut(), entity(&g)) {
                    c.4.push(ch);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "TextCode" => {
                    if let (Some((x, y, dx, dy, text)), Some((id, bx, by, size, ctm, red))) =
                        (code.take(), obj.as_ref())
                    {
                        let (x0, y0) = (x.unwrap_or(last_x), y.unwrap_or(last_y));
                        let (mut gx, mut gy) = (x0, y0);
                        let rotated = ctm.is_some_and(|m| m[1].abs() > 1e-6 || m[2].abs() > 1e-6);
                        let entry = out.by_id.entry(id.clone()).or_default();
                        entry.push_str(&text);
                        let step_x = dx.last().copied().unwrap_or(*size);
                        for (i, c) in text.chars().enumerate() {
                            if i > 0 {
                                gx += dx.get(i - 1).copied().unwrap_or(step_x);
                                gy += dy.get(i - 1).copied().unwrap_or(0.0);
                            }
                            if rotated || c.is_control() {
                                continue; // decoration (rotated watermarks), not text
                            }
                            let (px, py) = match ctm {
                                Some(m) => (m[0] * gx + m[2] * gy + m[4], m[1] * gx + m[3] * gy + m[5]),
                                None => (gx, gy),
                            };
                            let scale = ctm.map_or(1.0, |m| m[3].abs().max(1e-6));
                            out.glyphs.push(Glyph { x: bx + px, y: by + py, size: size * scale, c, red: *red });
                        }
                        (last_x, last_y) = (gx, gy);
                    }
                }
                "TextObject" => obj = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// A line of text on a page with its extent.
struct Line {
    y: f64,
    glyphs: Vec<Glyph>,
}

fn lines_of(mut glyphs: Vec<Glyph>) -> Vec<Line> {
    glyphs.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Line> = Vec::new();
    for g in glyphs {
        match lines.last_mut() {
            Some(l) if (g.y - l.y).abs() <= 0.5 * g.size.max(l.glyphs[0].size) => l.glyphs.push(g),
            _ => lines.push(Line { y: g.y, glyphs: vec![g] }),
        }
    }
    for l in &mut lines {
        l.glyphs.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines
}

fn line_text(l: &Line) -> String {
    let mut s = String::new();
    for (i, g) in l.glyphs.iter().enumerate() {
        if i > 0 {
            let p = &l.glyphs[i - 1];
            // Letters and digits advance by half a character or a whole one, depending on
            // the font: a space is a gap clearly wider than a whole character.
            let gap = g.x - (p.x + p.size);
            if p.c.is_ascii_alphanumeric() && g.c.is_ascii_alphanumeric() && gap > 0.3 * g.size {
                s.push(' ');
            }
        }
        s.push(g.c);
    }
    s
}

/// Read an OFD file into lines for the recogniser.
pub fn read(bytes: Vec<u8>) -> Result<Extracted, String> {
    let mut pkg = Package::open(bytes)?;
    let ofd = pkg.text("OFD.xml").ok_or("no OFD.xml: not an OFD file")?;
    let mut doc_root = None;
    {
        let mut r = Reader::from_str(&ofd);
        let mut in_root = false;
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "DocRoot" => in_root = true,
                Ok(Event::Text(t)) if in_root => {
                    doc_root = Some(t.trim().to_string());
                    break;
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    let doc_root = package::join("", &doc_root.ok_or("OFD.xml names no DocRoot")?);
    let doc_xml = pkg.text(&doc_root).ok_or_else(|| format!("{doc_root} is missing"))?;
    let base = package::dir_of(&doc_root).to_string();
    // Pages in document order, the page box, and the CustomTags index.
    let mut pages: Vec<(String, String)> = Vec::new();
    let mut width = 210.0;
    let (mut custom_tags, mut in_tags, mut in_box) = (None, false, false);
    {
        let mut r = Reader::from_str(&doc_xml);
        let mut in_common_area = false;
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                    "Page" => {
                        if let Some(loc) = attr(&e, "BaseLoc") {
                            pages.push((attr(&e, "ID").unwrap_or_default(), package::join(&base, &loc)));
                        }
                    }
                    "PageArea" => in_common_area = true,
                    "PhysicalBox" if in_common_area => in_box = true,
                    "CustomTags" => in_tags = true,
                    _ => {}
                },
                Ok(Event::Text(t)) if in_box => {
                    if let Some(w) = numbers(&t).get(2) {
                        width = *w;
                    }
                    in_box = false;
                }
                Ok(Event::Text(t)) if in_tags => {
                    custom_tags = Some(package::join(&base, t.trim()));
                    in_tags = false;
                }
                Ok(Event::End(e)) if e.local_name().as_ref() == "PageArea" => in_common_area = false,
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    if pages.is_empty() {
        return Err(format!("{doc_root} lists no pages"));
    }
    let mut x = Extracted::default();
    let mut out: Vec<SourceLine> = Vec::new();
    let mut by_id: HashMap<(String, String), String> = HashMap::new();
    let mut no = 0usize;
    let mut any_text = false;
    for (page_id, loc) in &pages {
        let Some(xml) = pkg.text(loc) else { continue };
        let page = read_page(&xml);
        for (id, t) in page.by_id {
            by_id.insert((page_id.clone(), id), t);
        }
        any_text |= !page.glyphs.is_empty();
        let lines = lines_of(page.glyphs);
        let left = lines.iter().filter_map(|l| l.glyphs.first().map(|g| g.x)).fold(f64::INFINITY, f64::min);
        for l in &lines {
            let text = line_text(l);
            let (first, last) = (&l.glyphs[0], &l.glyphs[l.glyphs.len() - 1]);
            let size = l.glyphs.iter().map(|g| g.size).fold(0.0, f64::max);
            let (xs, xe) = (first.x, last.x + last.size);
            let center = (xs + xe) / 2.0;
            let reds = l.glyphs.iter().filter(|g| g.red).count();
            let hint = Hint {
                // A first line indented by about two characters starts a paragraph.
                paragraph: xs - left >= 1.5 * size,
                centered: (center - width / 2.0).abs() < 8.0 && xe - xs < 0.75 * width,
                right: xe > width - 45.0 && xs > width / 2.0,
                red: reds * 2 > l.glyphs.len(),
                large: size >= 7.0,
                heading: 0,
                verbatim: false,
            };
            no += 1;
            out.push(SourceLine { no, text, hint });
        }
    }
    if !any_text {
        return Err("the OFD has no text layer (scanned pages?); it needs OCR first".into());
    }
    // 公文 semantic tags: fields named in Chinese (标题, 发文字号…) pointing at text objects.
    if let Some(index) = custom_tags {
        let mut head = Vec::new();
        for (field, value) in custom_tag_fields(&mut pkg, &index, &by_id) {
            let key = match field.as_str() {
                "标题" => "标题",
                "发文字号" => "发文字号",
                "成文日期" => "成文日期",
                "发文机关署名" | "发文机关" => "发文机关",
                "印发日期" => continue,
                _ => continue,
            };
            head.push(SourceLine {
                no: 0,
                text: format!("{key}：{value}"),
                hint: Hint { paragraph: true, ..Hint::default() },
            });
        }
        head.append(&mut out);
        out = head;
    }
    x.lines = out;
    Ok(x)
}

/// The fields of the file's CustomTags: (element name, text of the objects it refers to).
fn custom_tag_fields(
    pkg: &mut Package,
    index: &str,
    by_id: &HashMap<(String, String), String>,
) -> Vec<(String, String)> {
    let Some(xml) = pkg.text(index) else { return Vec::new() };
    let base = package::dir_of(index).to_string();
    let mut files = Vec::new();
    {
        let mut r = Reader::from_str(&xml);
        let mut in_loc = false;
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "FileLoc" => in_loc = true,
                Ok(Event::Text(t)) if in_loc => {
                    files.push(package::join(&base, t.trim()));
                    in_loc = false;
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for f in files {
        let Some(xml) = pkg.text(&f) else { continue };
        let mut r = Reader::from_str(&xml);
        let mut path: Vec<String> = Vec::new();
        let mut page_ref = String::new();
        let mut in_ref = false;
        loop {
            match r.read_event() {
                Ok(Event::Start(e)) => {
                    let name = e.local_name().as_ref().to_string();
                    if name == "ObjectRef" {
                        in_ref = true;
                        page_ref = attr(&e, "PageRef").unwrap_or_default();
                    } else {
                        path.push(name);
                    }
                }
                Ok(Event::Text(t)) if in_ref => {
                    if let (Some(field), Some(text)) =
                        (path.last(), by_id.get(&(page_ref.clone(), t.trim().to_string())))
                    {
                        match out.last_mut() {
                            Some((f, v)) if f == field => v.push_str(text),
                            _ => out.push((field.clone(), text.clone())),
                        }
                    }
                }
                Ok(Event::End(e)) => {
                    if e.local_name().as_ref() == "ObjectRef" {
                        in_ref = false;
                    } else {
                        path.pop();
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    out.into_iter().map(|(f, v)| (f, v.split_whitespace().collect::<Vec<_>>().join(""))).collect()
}
