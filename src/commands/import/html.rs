//! Web pages (`.html`, `.htm`) of old portals, saved or mirrored: the one module that knows
//! the HTML parser (scraper, over html5ever).
//!
//! The 公文要素 table is read wherever it is on the page, in its common layouts (th/td
//! pairs, several pairs to a row, `key：value` cells or lines); the body comes from the
//! page's main content element (the one with the most text among the usual content
//! containers), without navigation, scripts and portal chrome. The portal's own meta tags
//! (`ArticleTitle`, `PubDate`, `ContentSource`) count as header fields. Links to
//! attachments and to 解读 are collected for the importer.

use super::recognise::{Hint, SourceLine};
use super::Extracted;
use scraper::{ElementRef, Html, Node, Selector};

/// Class or id words of page furniture around the document.
const CHROME: &[&str] = &[
    "nav",
    "menu",
    "header",
    "footer",
    "share",
    "print",
    "crumb",
    "bread",
    "position",
    "location",
    "toolbar",
    "qrcode",
    "ewm",
    "bdshare",
    "fontsize",
    "font-size",
    "sidebar",
    "related",
    "xgwj",
    "xglj",
    "copyright",
    "search",
];
/// Class or id words of the element that holds the document's text.
const CONTENT: &[&str] = &[
    "trs_editor",
    "article",
    "content",
    "zoom",
    "pages_content",
    "custom_unionstyle",
    "con",
    "main",
    "text",
    "detail",
    "zwnr",
];
const ATTACHMENT_EXT: &[&str] =
    &["pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "zip", "rar", "7z", "txt", "jpg", "png"];

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

fn words(e: &ElementRef) -> String {
    format!("{} {}", e.attr("class").unwrap_or(""), e.attr("id").unwrap_or("")).to_ascii_lowercase()
}

fn is_chrome(e: &ElementRef) -> bool {
    let name = e.value().name();
    if matches!(
        name,
        "script"
            | "style"
            | "nav"
            | "header"
            | "footer"
            | "aside"
            | "noscript"
            | "form"
            | "select"
            | "button"
            | "iframe"
    ) {
        return true;
    }
    let w = words(e);
    !w.trim().is_empty()
        && CHROME
            .iter()
            .any(|c| w.split(|ch: char| !ch.is_ascii_alphanumeric() && ch != '-').any(|x| x == *c || x.starts_with(c)))
}

fn text_of(e: &ElementRef) -> String {
    e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "tr"
            | "table"
            | "section"
            | "article"
            | "center"
            | "blockquote"
            | "pre"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "br"
            | "hr"
            | "td"
            | "th"
    )
}

fn align_hint(e: &ElementRef, hint: &mut Hint) {
    let style = e.attr("style").unwrap_or("").to_ascii_lowercase().replace(' ', "");
    let align = e.attr("align").unwrap_or("").to_ascii_lowercase();
    if align == "center" || style.contains("text-align:center") || e.value().name() == "center" {
        hint.centered = true;
    }
    if align == "right" || style.contains("text-align:right") {
        hint.right = true;
    }
    if style.contains("color:red")
        || style.contains("#ff0000")
        || style.contains("#f00;")
        || style.contains("rgb(255,0,0)")
    {
        hint.red = true;
    }
}

/// A table's rows as the texts of their cells.
fn rows_of(t: &ElementRef) -> Vec<Vec<String>> {
    t.select(&sel("tr")).map(|r| r.select(&sel("th, td")).map(|c| text_of(&c)).collect()).collect()
}

struct Walker<'a> {
    out: Vec<SourceLine>,
    no: usize,
    buf: String,
    hint: Hint,
    x: &'a mut Extracted,
}

impl Walker<'_> {
    fn flush(&mut self) {
        let t = self.buf.split_whitespace().collect::<Vec<_>>().join(" ");
        if !t.is_empty() {
            self.no += 1;
            let mut hint = self.hint;
            hint.paragraph = true;
            self.out.push(SourceLine { no: self.no, text: t, hint });
        }
        self.buf.clear();
        self.hint = Hint::default();
    }

    fn walk(&mut self, e: ElementRef) {
        if is_chrome(&e) {
            return;
        }
        let name = e.value().name();
        if name == "table" {
            self.flush();
            super::table::lines(rows_of(&e), &mut self.no, &mut self.out);
            return;
        }
        if name == "a" {
            if let Some(href) = e.attr("href") {
                let text = text_of(&e);
                let ext = href.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
                if ATTACHMENT_EXT.contains(&ext.as_str()) && !href.contains('?') {
                    self.x
                        .attachments
                        .push((if text.is_empty() { href.to_string() } else { text.clone() }, href.to_string()));
                } else if text.contains("解读") {
                    self.x.links.push((text.clone(), href.to_string()));
                }
            }
        }
        if name == "img" {
            if let Some(src) = e.attr("src").filter(|s| !s.starts_with("data:")) {
                self.flush();
                let alt = e.attr("alt").unwrap_or("图片").replace(['[', ']'], "");
                let name = super::file_name_of(src);
                self.no += 1;
                self.out.push(SourceLine {
                    no: self.no,
                    text: format!("![{alt}]({}{name})", super::FILES_MARK),
                    hint: Hint { verbatim: true, paragraph: true, ..Hint::default() },
                });
                self.x.images.push((name, src.to_string()));
            }
            return;
        }
        let is_block = block(name);
        if is_block {
            self.flush();
            align_hint(&e, &mut self.hint);
            if let Some(level) = name.strip_prefix('h').and_then(|n| n.parse::<u8>().ok()) {
                self.hint.heading = level;
                self.hint.large = level == 1;
            }
        }
        for child in e.children() {
            match child.value() {
                Node::Text(t) => self.buf.push_str(t),
                Node::Element(_) => {
                    if let Some(c) = ElementRef::wrap(child) {
                        let before = self.hint;
                        self.walk(c);
                        if !is_block {
                            self.hint = before;
                        }
                    }
                }
                _ => {}
            }
        }
        if is_block {
            self.flush();
        }
    }
}

/// Whether class/id words name a content container: a word that is one of [`CONTENT`], or
/// contains a longer one (`xxgk_content`, `ArticleContent`, `UCAP-CONTENT`).
fn is_content_container(w: &str) -> bool {
    w.split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|x| !x.is_empty())
        .any(|x| CONTENT.iter().any(|c| x == *c || (c.len() >= 4 && x.contains(c))))
}

/// The element holding the document: among the usual content containers, the one with
/// the most text; the body when there is none.
fn main_content<'a>(doc: &'a Html) -> Option<ElementRef<'a>> {
    let all = sel("div, td, article, section, main");
    let candidates: Vec<(usize, ElementRef)> = doc
        .select(&all)
        .filter(|e| is_content_container(&words(e)) && !is_chrome(e))
        .map(|e| (e.text().map(|t| t.trim().chars().count()).sum::<usize>(), e))
        .filter(|(n, _)| *n > 50)
        .collect();
    let Some(&(most, outer)) = candidates.iter().max_by_key(|(n, _)| *n) else {
        return doc.select(&sel("body")).next();
    };
    // A `main` wrapper holds the sidebar too: the innermost container that still holds
    // most of the text is the document.
    candidates
        .iter()
        .filter(|(n, e)| *n * 10 >= most * 6 && (e.id() == outer.id() || e.ancestors().any(|a| a.id() == outer.id())))
        .min_by_key(|(n, _)| *n)
        .map(|(_, e)| *e)
}

/// Number each line by the line of the page's source where its text is, so diagnostics and
/// `--report` point into the HTML file as an editor sees it: the first few characters of
/// each line's text are looked for after the previous line's place (page order is source
/// order, but for header fields gathered from anywhere, which are looked for from the top).
fn source_lines(html: &str, lines: &mut [SourceLine]) {
    let line_at = |offset: usize| html[..offset].matches('\n').count() + 1;
    let mut from = 0;
    let mut last = 1;
    for l in lines.iter_mut() {
        let probe: String = l.text.split(['：', ':']).next_back().unwrap_or("").trim().chars().take(6).collect();
        let probe = if probe.chars().count() >= 2 { probe } else { l.text.chars().take(6).collect() };
        let found = if probe.is_empty() {
            None
        } else {
            html[from..].find(&probe).map(|i| from + i).or_else(|| html.find(&probe))
        };
        match found {
            Some(i) => {
                last = line_at(i);
                if i >= from {
                    from = i;
                }
            }
            None => {}
        }
        l.no = last;
    }
}

/// Read a web page into lines for the recogniser.
pub fn read(text: &str) -> Extracted {
    let doc = Html::parse_document(text);
    let mut x = Extracted::default();
    let mut head: Vec<SourceLine> = Vec::new();
    let mut no = 0;
    // The portal's meta tags (TRS and most CMSs of Chinese government sites write them).
    for (meta, key) in [("ArticleTitle", "标题"), ("PubDate", "发布日期"), ("ContentSource", "发布机构")] {
        let s = sel(&format!("meta[name=\"{meta}\"]"));
        if let Some(v) = doc.select(&s).next().and_then(|m| m.attr("content")).map(str::trim).filter(|v| !v.is_empty())
        {
            if key == "发布机构" && !super::recognise::looks_like_organ(v) {
                continue; // often the site's name, not the issuing organ
            }
            no += 1;
            head.push(SourceLine {
                no,
                text: format!("{key}：{v}"),
                hint: Hint { paragraph: true, ..Hint::default() },
            });
        }
    }
    // 公文要素 tables anywhere on the page (often outside the content element).
    let content = main_content(&doc);
    for t in doc.select(&sel("table")) {
        let inside = content.is_some_and(|c| t.ancestors().any(|a| a.id() == c.id()));
        let rows = if inside { Vec::new() } else { rows_of(&t) };
        if super::table::is_field_table(&rows) {
            super::table::field_lines(&rows, &mut no, &mut head);
        }
    }
    // `key：value` lines of an info block outside the content element (divs, lists).
    let info = sel("div, ul, dl, p");
    for e in doc.select(&info) {
        let inside = content.is_some_and(|c| {
            e.id() == c.id() || e.ancestors().any(|a| a.id() == c.id()) || c.ancestors().any(|a| a.id() == e.id())
        });
        if inside || is_chrome(&e) || e.select(&sel("div, ul, dl, table")).next().is_some() {
            continue;
        }
        let t = text_of(&e);
        if t.chars().count() <= 200 && super::recognise::starts_with_header_field(&t) {
            no += 1;
            head.push(SourceLine { no, text: t, hint: Hint { paragraph: true, ..Hint::default() } });
        }
    }
    // The page's title element: an h1, or an h2/h3/div/p whose class says title.
    let looks_like_title = |e: &ElementRef| {
        let t = text_of(e);
        let simple = super::recognise::simplified(&t);
        (8..=100).contains(&t.chars().count())
            && (simple.contains("关于") || super::recognise::doc_type_of(&simple).is_some())
    };
    let title_el = doc
        .select(&sel("h1"))
        .next()
        .or_else(|| doc.select(&sel("h2, h3")).find(|e| !is_chrome(e) && looks_like_title(e)))
        .or_else(|| {
            doc.select(&sel("h2, h3, div, p")).find(|e| {
                let w = words(e);
                let n = text_of(e).chars().count();
                (8..=100).contains(&n)
                    && w.split(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-').any(|x| {
                        x == "title" || x == "tit" || x.ends_with("-title") || x.ends_with("_title") || x == "bt"
                    })
                    && e.select(&sel("div, p, table")).next().is_none()
            })
        });
    let mut w = Walker { out: Vec::new(), no, buf: String::new(), hint: Hint::default(), x: &mut x };
    if let Some(c) = content {
        // A title heading outside the content element still heads the document.
        if let Some(h) = title_el.filter(|h| !h.ancestors().any(|a| a.id() == c.id())) {
            let t = text_of(&h);
            if !t.is_empty() {
                w.no += 1;
                w.out.push(SourceLine {
                    no: w.no,
                    text: t,
                    hint: Hint { paragraph: true, large: true, heading: 1, ..Hint::default() },
                });
            }
        }
        w.walk(c);
        w.flush();
    }
    let mut body = std::mem::take(&mut w.out);
    head.append(&mut body);
    source_lines(text, &mut head);
    x.lines = head;
    x
}
