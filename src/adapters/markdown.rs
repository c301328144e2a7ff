//! Markdown to HTML (pulldown-cmark), the one module that knows the Markdown library.
//!
//! On top of CommonMark it does what Chinese official text needs:
//! - a soft line break between two Chinese characters disappears (CommonMark turns it
//!   into a space, which shows as a gap in the middle of a sentence);
//! - `**加粗**` next to full-width punctuation is bold (the released pulldown-cmark
//!   applies the flanking rules to `“` and `》` as to ASCII punctuation and leaves the
//!   stars as text);
//! - every heading gets an `id` (explicit `{#id}` wins; see [`slugify`]);
//! - `doc:REF`, `service:ID` and `files/…` links are resolved through a [`LinkSink`], and a
//!   发文字号 in running text becomes a link to its document (auto-linking);
//! - fenced code is highlighted with CSS classes.

use crate::diag::Loc;
use crate::docnum;
use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// A heading of a rendered body, for the outline and for `#fragment` checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Heading {
    pub level: u8,
    #[serde(deserialize_with = "crate::utf8::de_string")]
    pub id: String,
    #[serde(deserialize_with = "crate::utf8::de_string")]
    pub text: String,
}

#[derive(Debug, Default, Clone, Hash)]
pub struct Body {
    pub html: String,
    pub headings: Vec<Heading>,
    pub has_code: bool,
}

/// Resolves the links a body makes; implemented by the render stage over the index.
/// Returned URLs are site-relative (`documents/x/`) or absolute (`https://…`). The
/// defaults resolve nothing (a body rendered on its own, as in tests and fuzzing).
pub trait LinkSink {
    /// `[t](doc:REF#frag)`. Reports unknown or hidden targets itself.
    fn doc(&mut self, _reference: &str, _fragment: Option<&str>, _loc: Loc) -> Option<String> {
        None
    }
    /// `[t](service:ID)`.
    fn service(&mut self, _id: &str, _loc: Loc) -> Option<String> {
        None
    }
    /// A relative link to a file under `content/`.
    fn file(&mut self, _path: &str, _loc: Loc) -> Option<String> {
        None
    }
    /// A canonical 发文字号 seen in running text: the URL of its published document, if any.
    fn auto(&mut self, _canonical: &str) -> Option<String> {
        None
    }
    /// Every link destination as finally written into the HTML, with its place (for the
    /// link report and external checks). Default: ignored.
    fn emitted(&mut self, _href: &str, _loc: &Loc) {}
    /// A problem in the body itself (a duplicate heading id). Default: ignored.
    fn problem(&mut self, _loc: Loc, _message: String, _help: &str) {}
    /// May a raw `<iframe src=…>` in the body stay? Reports its own refusal. Default: no.
    fn iframe(&mut self, _src: &str, _loc: Loc) -> bool {
        false
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Render a Markdown body.
///
/// `path` and `first_line` place the body in its file for diagnostics; `root` is the
/// relative prefix from the page to the site root (`../../`) for site-relative links.
pub fn render(md: &str, path: &str, first_line: usize, root: &str, sink: &mut dyn LinkSink) -> Body {
    let line_starts: Vec<usize> = std::iter::once(0).chain(md.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let loc_at = |offset: usize| {
        let line = line_starts.partition_point(|&s| s <= offset);
        let col = md[line_starts[line - 1]..offset].chars().count() + 1;
        Loc::new(path, first_line + line - 1, col)
    };
    let site_url = |u: String| {
        if is_absolute(&u) {
            u
        } else {
            format!("{root}{u}")
        }
    };

    // Pass 1: parse, resolving link destinations while byte offsets are at hand.
    let mut events: Vec<Event> = Vec::new();
    let mut unsafe_link = false;
    let mut explicit_ids: HashSet<String> = HashSet::new();
    for (ev, range) in Parser::new_ext(md, options()).into_offset_iter() {
        let ev = match ev {
            Event::Start(Tag::Heading { id: Some(ref id), .. })
                if THEME_IDS.contains(&id.as_ref()) || !explicit_ids.insert(id.to_string()) =>
            {
                sink.problem(
                    loc_at(range.start),
                    format!("heading id `{{#{id}}}` is already used on this page"),
                    "give each heading a different {#id}; links to the second one get a suffix otherwise",
                );
                ev
            }
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                let loc = loc_at(range.start);
                let dest = rewrite_dest(&dest_url, loc.clone(), sink).map(&site_url);
                let dest_url = dest.map(CowStr::from).unwrap_or(dest_url);
                sink.emitted(&dest_url, &loc);
                unsafe_link |= !safe_scheme(&dest_url);
                Event::Start(Tag::Link { link_type, dest_url, title, id })
            }
            Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                let loc = loc_at(range.start);
                let dest = rewrite_dest(&dest_url, loc.clone(), sink).map(&site_url);
                let dest_url = dest.map(CowStr::from).unwrap_or(dest_url);
                sink.emitted(&dest_url, &loc);
                unsafe_link |= !safe_scheme(&dest_url);
                Event::Start(Tag::Image { link_type, dest_url, title, id })
            }
            other => other,
        };
        events.push(ev);
    }

    // Pass 2: Chinese soft breaks, then merge text runs so later passes see whole text.
    let events = join_text(drop_cjk_soft_breaks(events));
    // Pass 3: bold that pulldown-cmark left as literal `**`.
    let events = fix_strong(events);
    // Pass 4: auto-link 发文字号 in running text.
    let events = autolink(events, sink, &site_url);
    // Pass 5: heading ids and code highlighting.
    let mut body = Body::default();
    let events = headings_and_code(events, &mut body);

    let has_raw_html = unsafe_link
        || events.iter().any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)) && !is_our_code_block(e));
    let mut html = String::with_capacity(md.len() + md.len() / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    // CSP-friendly: table alignment as classes, not inline styles the policy would block.
    if html.contains(" style=\"text-align: ") {
        html = align_classes(&html);
    }
    // Raw HTML written in a body goes through an allowlist: no script, no event handlers,
    // no javascript: URLs, iframes only from the hosts gazette.yaml lists. Bodies without
    // raw HTML (nearly all) skip the cost.
    body.html = if has_raw_html {
        let frames = allowed_iframes(md, &loc_at, sink);
        if frames.is_empty() {
            sanitize(&html)
        } else {
            sanitize_with_iframes(&html, frames)
        }
    } else {
        html
    };
    body
}

/// A link destination that is relative, or uses a scheme a government page may link to.
fn safe_scheme(dest: &str) -> bool {
    let d = dest.trim_start().to_ascii_lowercase();
    match d.split_once(':') {
        Some((scheme, _)) if !scheme.contains(['/', '?', '#']) => matches!(scheme, "http" | "https" | "mailto" | "tel"),
        _ => true,
    }
}

/// The highlighted code blocks this module emits as `Event::Html` are ours, not the author's.
fn is_our_code_block(e: &Event) -> bool {
    matches!(e, Event::Html(h) if h.starts_with("<pre class=\"code\">"))
}

/// The body allowlist: ammonia's safe defaults plus the attributes 公文 tables need.
fn allowlist() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_generic_attributes(["id", "class", "lang", "title"])
        .add_tag_attributes("td", ["colspan", "rowspan", "align"])
        .add_tag_attributes("th", ["colspan", "rowspan", "align", "scope"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .link_rel(Some("noopener"));
    b
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(allowlist)
}

/// Clean HTML with the body allowlist.
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

fn iframe_src_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r#"(?is)<iframe\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#).expect("static pattern")
    })
}

/// The `src` of every raw `<iframe>` in the Markdown that the sink accepts.
fn allowed_iframes(md: &str, loc_at: &dyn Fn(usize) -> Loc, sink: &mut dyn LinkSink) -> HashSet<String> {
    let mut ok = HashSet::new();
    for c in iframe_src_re().captures_iter(md) {
        let Some(m) = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)) else { continue };
        let src = crate::linkcheck::decode_entities(m.as_str());
        if sink.iframe(&src, loc_at(c.get(0).map_or(0, |m| m.start()))) {
            ok.insert(src.into_owned());
        }
    }
    ok
}

/// Host of an `https://` URL, lowercased; `None` for anything else (an embed over plain
/// http would be blocked as mixed content anyway).
pub fn https_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Clean HTML with the body allowlist plus `<iframe>` whose `src` is one of `allowed`.
fn sanitize_with_iframes(html: &str, allowed: HashSet<String>) -> String {
    let mut b = allowlist();
    b.add_tags(["iframe"])
        .add_tag_attributes("iframe", ["src", "title", "width", "height", "allowfullscreen"])
        .set_tag_attribute_value("iframe", "loading", "lazy")
        .set_tag_attribute_value("iframe", "referrerpolicy", "no-referrer")
        .attribute_filter(move |el, attr, value| {
            if el == "iframe" && attr == "src" && !allowed.contains(value) {
                None
            } else {
                Some(value.into())
            }
        });
    let clean = b.clean(html).to_string();
    // An iframe whose src was refused is an empty box: drop it.
    static EMPTY: OnceLock<Regex> = OnceLock::new();
    let empty = EMPTY.get_or_init(|| Regex::new(r"<iframe(?:\s+(?:title|width|height|allowfullscreen|loading|referrerpolicy)(?:=\x22[^\x22]*\x22)?)*\s*>\s*</iframe>").expect("static pattern"));
    empty.replace_all(&clean, "").into_owned()
}

/// pulldown-cmark writes table alignment as `style="text-align: …"`; a CSP without
/// `'unsafe-inline'` blocks inline styles, so they become classes the theme styles.
fn align_classes(html: &str) -> String {
    html.replace(" style=\"text-align: left\"", " class=\"al\"")
        .replace(" style=\"text-align: center\"", " class=\"ac\"")
        .replace(" style=\"text-align: right\"", " class=\"ar\"")
}

fn is_absolute(u: &str) -> bool {
    u.contains("://") || u.starts_with("mailto:") || u.starts_with("tel:") || u.starts_with('#')
}

/// Map a link destination to its final URL, or `None` to leave it as written.
fn rewrite_dest(dest: &str, loc: Loc, sink: &mut dyn LinkSink) -> Option<String> {
    if let Some(r) = dest.strip_prefix("doc:") {
        let r = crate::routes::percent_decode(r).into_owned();
        let (reference, fragment) = match r.split_once('#') {
            Some((a, b)) => (a.to_string(), Some(b.to_string())),
            None => (r, None),
        };
        let url = sink.doc(&reference, fragment.as_deref(), loc)?;
        return Some(match fragment {
            Some(f) => format!("{url}#{f}"),
            None => url,
        });
    }
    if let Some(id) = dest.strip_prefix("service:") {
        return sink.service(id, loc);
    }
    let has_scheme = dest.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if dest.is_empty() || dest.starts_with('#') || dest.starts_with('/') || dest.starts_with("//") || has_scheme {
        return None;
    }
    let path = crate::routes::percent_decode(dest.split(['#', '?']).next().unwrap_or(dest)).into_owned();
    sink.file(&path, loc)
}

/// Whether a character is Chinese text or full-width punctuation (no space around it).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x312F | 0x31A0..=0x31FF
        | 0x3200..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
        || matches!(c, '“' | '”' | '‘' | '’' | '…' | '—' | '·')
}

fn last_char(ev: Option<&Event>) -> Option<char> {
    match ev {
        Some(Event::Text(t)) | Some(Event::Code(t)) => t.chars().last(),
        _ => None,
    }
}

fn first_char(ev: Option<&Event>) -> Option<char> {
    match ev {
        Some(Event::Text(t)) | Some(Event::Code(t)) => t.chars().next(),
        _ => None,
    }
}

fn drop_cjk_soft_breaks(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut it = events.into_iter().peekable();
    while let Some(ev) = it.next() {
        if matches!(ev, Event::SoftBreak) {
            let before = last_char(out.last());
            let after = first_char(it.peek());
            if before.is_some_and(is_cjk) && after.is_some_and(is_cjk) {
                continue;
            }
        }
        out.push(ev);
    }
    out
}

/// Merge adjacent text events (outside code blocks, where text must stay line by line).
fn join_text(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut in_code = false;
    for ev in events {
        match &ev {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            _ => {}
        }
        if let (false, Event::Text(t), Some(Event::Text(prev))) = (in_code, &ev, out.last_mut()) {
            let mut s = prev.to_string();
            s.push_str(t);
            *prev = CowStr::from(s);
            continue;
        }
        out.push(ev);
    }
    out
}

fn fix_strong(events: Vec<Event>) -> Vec<Event> {
    let mut out = Vec::with_capacity(events.len());
    let mut in_code = false;
    for ev in events {
        match &ev {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(t) if !in_code && t.contains("**") => {
                split_strong(t, &mut out);
                continue;
            }
            _ => {}
        }
        out.push(ev);
    }
    out
}

/// `a**b**c` → a, <strong>b</strong>, c — for the pairs the parser did not take.
fn split_strong<'a>(t: &str, out: &mut Vec<Event<'a>>) {
    let mut rest = t;
    loop {
        let Some(open) = rest.find("**") else { break };
        let after = &rest[open + 2..];
        let Some(close) = after.find("**") else { break };
        let inner = &after[..close];
        if inner.is_empty() || inner.starts_with(char::is_whitespace) || inner.ends_with(char::is_whitespace) {
            // Not a pair: keep the first `**` as text and go on after it.
            out.push(Event::Text(CowStr::from(rest[..open + 2].to_string())));
            rest = after;
            continue;
        }
        if open > 0 {
            out.push(Event::Text(CowStr::from(rest[..open].to_string())));
        }
        out.push(Event::Start(Tag::Strong));
        out.push(Event::Text(CowStr::from(inner.to_string())));
        out.push(Event::End(TagEnd::Strong));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push(Event::Text(CowStr::from(rest.to_string())));
    }
}

/// Candidate 发文字号 in running text. The 代字 part is matched generously; the real one
/// is found by trying ever shorter prefixes against the library (see [`autolink`]).
fn number_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"[\p{Han}A-Za-z]{1,16}\s*[〔\[［(（【﹝]\s*\d{4}\s*[〕\]］)）】﹞]\s*\d{1,6}\s*[号號]|[\p{Han}]{1,16}令第\s*\d{1,6}\s*[号號]")
            .expect("static regex")
    })
}

fn autolink<'a>(
    events: Vec<Event<'a>>,
    sink: &mut dyn LinkSink,
    site_url: &dyn Fn(String) -> String,
) -> Vec<Event<'a>> {
    let mut out = Vec::with_capacity(events.len());
    let (mut in_code, mut in_link, mut in_heading) = (false, 0usize, false);
    for ev in events {
        match &ev {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::Link { .. }) | Event::Start(Tag::Image { .. }) => in_link += 1,
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => in_link = in_link.saturating_sub(1),
            Event::Start(Tag::Heading { .. }) => in_heading = true,
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) if !in_code && in_link == 0 && !in_heading && (t.contains('号') || t.contains('號')) => {
                link_numbers(t, sink, site_url, &mut out);
                continue;
            }
            _ => {}
        }
        out.push(ev);
    }
    out
}

fn link_numbers<'a>(t: &str, sink: &mut dyn LinkSink, site_url: &dyn Fn(String) -> String, out: &mut Vec<Event<'a>>) {
    let mut last = 0;
    for m in number_regex().find_iter(t) {
        let cand = m.as_str();
        // Try the longest 代字 first, then drop leading characters ("根据沪府办发…").
        let found = cand.char_indices().take(16).find_map(|(i, _)| {
            let canon = docnum::canonical(&cand[i..])?;
            sink.auto(&canon).map(|url| (i, url))
        });
        if let Some((skip, url)) = found {
            let start = m.start() + skip;
            if start > last {
                out.push(Event::Text(CowStr::from(t[last..start].to_string())));
            }
            out.push(Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url: CowStr::from(site_url(url)),
                title: CowStr::from(""),
                id: CowStr::from(""),
            }));
            out.push(Event::Text(CowStr::from(t[start..m.end()].to_string())));
            out.push(Event::End(TagEnd::Link));
            last = m.end();
        }
    }
    if last < t.len() {
        out.push(Event::Text(CowStr::from(t[last..].to_string())));
    }
}

/// Heading id from heading text: letters and digits of any script are kept (Chinese
/// included), ASCII letters lowercased, spaces and `-`/`_` runs become one `-`, other
/// punctuation is dropped; an empty result becomes `section`.
pub fn slugify(text: &str) -> String {
    let mut s = String::new();
    let mut pending_dash = false;
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            if pending_dash && !s.is_empty() {
                s.push('-');
            }
            pending_dash = false;
            s.extend(ch.to_lowercase());
        } else if ch.is_whitespace() || ch == '-' || ch == '_' {
            pending_dash = true;
        }
    }
    if s.is_empty() {
        s.push_str("section");
    }
    s
}

/// Element ids the default theme's page templates use; a heading must not take one.
pub const THEME_IDS: &[&str] = &["main", "q", "search-form", "search-results", "elder-toggle"];

fn headings_and_code<'a>(events: Vec<Event<'a>>, body: &mut Body) -> Vec<Event<'a>> {
    // Explicit ids are reserved first so a derived id never takes one of them; the theme's
    // ids are taken from the start. An id used twice gets a suffix the second time, so the
    // page never holds duplicate ids (the author is told, see pass 1).
    let explicit: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let mut used: HashSet<String> = THEME_IDS.iter().map(|s| s.to_string()).collect();
    let mut explicit_left: HashSet<&str> = explicit.iter().map(String::as_str).collect();
    used.extend(explicit.iter().cloned());
    let mut out = Vec::with_capacity(events.len());
    let mut it = events.into_iter();
    while let Some(ev) = it.next() {
        match ev {
            Event::Start(Tag::Heading { level, id, classes, attrs }) => {
                let mut inner = Vec::new();
                let mut text = String::new();
                for e in it.by_ref() {
                    if matches!(e, Event::End(TagEnd::Heading(_))) {
                        break;
                    }
                    if let Event::Text(t) | Event::Code(t) = &e {
                        text.push_str(t);
                    }
                    inner.push(e);
                }
                let id = match id {
                    // First use of an explicit id: it is the author's.
                    Some(explicit)
                        if explicit_left.remove(explicit.as_ref()) && !THEME_IDS.contains(&explicit.as_ref()) =>
                    {
                        explicit.to_string()
                    }
                    other => {
                        let base = match other {
                            Some(explicit) => explicit.to_string(),
                            None => slugify(&text),
                        };
                        let mut candidate = base.clone();
                        let mut n = 1;
                        while used.contains(&candidate) {
                            candidate = format!("{base}-{n}");
                            n += 1;
                        }
                        used.insert(candidate.clone());
                        candidate
                    }
                };
                body.headings.push(Heading {
                    level: heading_level(level),
                    id: id.clone(),
                    text: text.trim().to_string(),
                });
                out.push(Event::Start(Tag::Heading { level, id: Some(CowStr::from(id)), classes, attrs }));
                out.extend(inner);
                out.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(l) => l.split_whitespace().next().unwrap_or("").to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let mut code = String::new();
                for e in it.by_ref() {
                    match e {
                        Event::End(TagEnd::CodeBlock) => break,
                        Event::Text(t) => code.push_str(&t),
                        _ => {}
                    }
                }
                body.has_code = true;
                let inner = if lang.is_empty() { escape(&code) } else { crate::highlight::highlight(&code, &lang) };
                let class =
                    if lang.is_empty() { String::new() } else { format!(" class=\"language-{}\"", escape(&lang)) };
                out.push(Event::Html(CowStr::from(format!("<pre class=\"code\"><code{class}>{inner}</code></pre>\n"))));
            }
            other => out.push(other),
        }
    }
    out
}

fn heading_level(l: HeadingLevel) -> u8 {
    l as u8
}

/// HTML-escape text (the one escaping routine used by code outside templates).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    pulldown_cmark_escape::escape_html(&mut out, s).ok();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoLinks;
    impl LinkSink for NoLinks {
        fn auto(&mut self, c: &str) -> Option<String> {
            (c == "沪府办发〔2023〕5号").then(|| "documents/a/".to_string())
        }
    }

    fn html(md: &str) -> String {
        render(md, "x.md", 1, "../../", &mut NoLinks).html
    }

    #[test]
    fn cjk_soft_break_disappears() {
        assert_eq!(html("第一行\n第二行"), "<p>第一行第二行</p>\n");
        assert_eq!(html("English\nwords"), "<p>English\nwords</p>\n");
    }

    #[test]
    fn bold_next_to_fullwidth_punctuation() {
        assert_eq!(html("这是**“重点”**内容"), "<p>这是<strong>“重点”</strong>内容</p>\n");
        assert_eq!(html("**《办法》**自发布之日起施行。"), "<p><strong>《办法》</strong>自发布之日起施行。</p>\n");
        assert_eq!(html("a ** b ** c"), "<p>a ** b ** c</p>\n");
    }

    #[test]
    fn autolinks_numbers_but_not_in_code_or_links() {
        let h = html("根据沪府办发[2023]5号精神，`沪府办发〔2023〕5号`，[沪府办发〔2023〕5号](https://x.example/)");
        assert!(h.contains("根据<a href=\"../../documents/a/\">沪府办发[2023]5号</a>精神"), "{h}");
        assert_eq!(h.matches("documents/a/").count(), 1, "{h}");
    }

    #[test]
    fn raw_html_is_sanitized() {
        let payloads = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=\"https://evil.example/\"></iframe>",
            "<svg><script>alert(1)</script></svg>",
            "<p style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">x</p>",
            "[x](javascript:alert(1))",
            "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
            "<object data=\"x.swf\"></object><embed src=x.swf>",
            "<form action=\"https://evil.example/\"><input name=a></form>",
            "<meta http-equiv=refresh content=\"0;url=https://evil.example/\">",
            "<details open ontoggle=alert(1)>",
        ];
        for p in payloads {
            let h = html(&format!("正文\n\n{p}\n\n<span lang=\"en\">ok</span> <sup>1</sup>"));
            let lower = h.to_lowercase();
            for bad in [
                "<script",
                "onerror",
                "onclick",
                "ontoggle",
                "javascript:",
                "<iframe",
                "<object",
                "<embed",
                "<form",
                "<meta",
                "style=",
            ] {
                assert!(!lower.contains(bad), "{p} left {bad}: {h}");
            }
            assert!(h.contains("<sup>1</sup>") && h.contains("ok"), "harmless markup kept: {h}");
        }
    }

    /// Accepts embeds from one host, like a site listing it in `iframe_hosts`.
    struct Frames(Vec<String>);
    impl LinkSink for Frames {
        fn iframe(&mut self, src: &str, _: Loc) -> bool {
            self.0.push(src.to_string());
            https_host(src).as_deref() == Some("v.example.gov.cn")
        }
    }

    #[test]
    fn iframes_only_from_listed_hosts() {
        let md = "视频：\n\n<iframe src=\"https://v.example.gov.cn/p?id=1&amp;a=2\" title=\"解读视频\" onload=\"x()\"></iframe>\n\n<iframe src=\"https://evil.example/\"></iframe><IFRAME SRC='https://v.example.gov.cn.evil.example/'></IFRAME><iframe src=\"javascript:alert(1)\"></iframe>";
        let mut sink = Frames(Vec::new());
        let h = render(md, "x", 1, "", &mut sink).html;
        assert_eq!(sink.0.len(), 4, "every iframe was asked about: {:?}", sink.0);
        assert_eq!(h.matches("<iframe").count(), 1, "{h}");
        assert!(h.contains("src=\"https://v.example.gov.cn/p?id=1&amp;a=2\""), "{h}");
        assert!(h.contains("title=\"解读视频\"") && h.contains("loading=\"lazy\""), "{h}");
        assert!(!h.contains("onload") && !h.contains("evil") && !h.contains("javascript"), "{h}");
        // Without the host listed, nothing survives.
        assert!(!html(md).contains("<iframe"));
    }

    #[test]
    fn table_alignment_uses_classes_not_inline_styles() {
        let h = html("| a | b | c |\n|:-|:-:|-:|\n| 1 | 2 | 3 |");
        assert!(!h.contains("style="), "{h}");
        assert!(
            h.contains("<th class=\"al\">a</th>")
                && h.contains("<td class=\"ac\">2</td>")
                && h.contains("<td class=\"ar\">3</td>"),
            "{h}"
        );
    }

    #[test]
    fn dangerous_link_schemes_are_removed_without_any_raw_html() {
        for p in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "![x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
        ] {
            let h = html(p).to_lowercase();
            assert!(!h.contains("javascript:") && !h.contains("data:") && !h.contains("vbscript:"), "{p}: {h}");
        }
        assert!(html("[ok](https://www.example.gov.cn/)").contains("href=\"https://www.example.gov.cn/\""));
    }

    #[test]
    fn duplicate_and_theme_ids_are_made_unique() {
        let b = render("## A {#a}\n\n## B {#a}\n\n## Main\n\n## M {#main}", "x", 1, "", &mut NoLinks);
        let ids: Vec<_> = b.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["a", "a-1", "main-1", "main-2"]);
    }

    #[test]
    fn heading_ids() {
        let b = render(
            "## 一、总体要求\n\n## 一、总体要求\n\n## Intro {#intro}\n\n## （二）Work Plan",
            "x",
            1,
            "",
            &mut NoLinks,
        );
        let ids: Vec<_> = b.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["一总体要求", "一总体要求-1", "intro", "二work-plan"]);
    }
}
