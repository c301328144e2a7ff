//! Every output URL of CONTRACT §8, in one place.
//!
//! URLs here are site-relative folders ending in `/` (`documents/a/`), as templates join
//! them to `root` (`../../`) and the gate resolves them; a page's file is the folder's
//! `index.html` ([`file`]). Feeds, sitemaps and the catalog make them absolute with
//! `Config::absolute`. Nothing else in the crate spells an output path.

/// The home page's folder (the site root).
pub const HOME: &str = "";
/// A section's folder and the file of its index page (what breadcrumbs link to).
macro_rules! section {
    ($(#[$doc:meta])* $dir:ident, $page:ident, $path:literal) => {
        $(#[$doc])*
        pub const $dir: &str = $path;
        #[allow(dead_code)] // not every section is linked as a page by name
        pub const $page: &str = concat!($path, "index.html");
    };
}
section!(
    /// 公文库: every published document, newest first.
    DOCUMENTS, DOCUMENTS_PAGE, "documents/"
);
section!(
    /// 行政规范性文件库.
    NORMATIVE, NORMATIVE_PAGE, "normative/"
);
section!(INTERPRETATIONS, INTERPRETATIONS_PAGE, "interpretations/");
section!(TOPICS, TOPICS_PAGE, "topics/");
section!(ORGANS, ORGANS_PAGE, "organs/");
section!(GAZETTE, GAZETTE_PAGE, "gazette/");
section!(DECISIONS, DECISIONS_PAGE, "decisions/");
section!(BROWSE, BROWSE_PAGE, "browse/");
section!(SEARCH, SEARCH_PAGE, "search/");
section!(
    /// 需求侧标签: the 标签目录 by dimension, and one listing per tag value.
    TAGS, TAGS_PAGE, "tags/"
);
section!(
    /// 政策找人: pick who you are, see the policies for you.
    FINDER, FINDER_PAGE, "finder/"
);

/// Site-wide files.
pub const SITEMAP: &str = "sitemap.xml";
pub const ROBOTS: &str = "robots.txt";
/// Security headers for hosts that read them (Netlify, Cloudflare Pages…).
pub const HEADERS: &str = "_headers";
pub const CATALOG_JSON: &str = "api/documents.json";
pub const CATALOG_CSV: &str = "api/documents.csv";
/// Code highlighting classes, written when a page has code.
pub const SYNTAX_CSS: &str = "syntax.css";

/// Part `n` (from 1) of a sitemap past 50,000 URLs.
pub fn sitemap_part(n: usize) -> String {
    format!("sitemap-{n}.xml")
}
/// Served for any missing URL, so it sits at the root whatever its links say.
pub const NOT_FOUND: &str = "404.html";
/// The site's Atom feed.
pub const FEED: &str = "feed.xml";

pub fn document(id: &str) -> String {
    format!("{DOCUMENTS}{id}/")
}

pub fn interpretation(id: &str) -> String {
    format!("{INTERPRETATIONS}{id}/")
}

pub fn topic(id: &str) -> String {
    format!("{TOPICS}{id}/")
}

pub fn page(id: &str) -> String {
    format!("pages/{id}/")
}

pub fn decision(id: &str) -> String {
    format!("{DECISIONS}{id}/")
}

pub fn organ(id: &str) -> String {
    format!("{ORGANS}{id}/")
}

pub fn gazette_issue(year: u16, number: u32) -> String {
    format!("{GAZETTE}{year}/{number}/")
}

/// A gazette issue read whole: every article in order, with the issue's 目录.
pub fn gazette_issue_full(year: u16, number: u32) -> String {
    format!("{}all/", gazette_issue(year, number))
}

/// A browse facet's value (`browse/year/2024/`); `segment` comes from [`path_segment`].
pub fn browse(facet: &str, segment: &str) -> String {
    format!("{BROWSE}{facet}/{segment}/")
}

/// A tag value's listing (`tags/企业/`); `segment` comes from [`path_segment`].
pub fn tag(segment: &str) -> String {
    format!("{TAGS}{segment}/")
}

/// Page `n` (from 1) of a paginated listing whose first page is `dir`.
pub fn listing_page(dir: &str, n: usize) -> String {
    if n <= 1 {
        dir.to_string()
    } else {
        format!("{dir}page/{n}/")
    }
}

/// The Atom feed of a listing folder (`organs/x/feed.xml`); `""` is the site's feed.
pub fn feed(dir: &str) -> String {
    format!("{dir}{FEED}")
}

/// The file a folder URL is served from.
pub fn file(dir: &str) -> String {
    format!("{dir}index.html")
}

/// The relative way back to the site root from a page in `dir` (`../../`).
pub fn root_of(dir: &str) -> String {
    "../".repeat(dir.matches('/').count())
}

/// The path part of base_url (`/gongbao/`), for pages served at any URL (404) and for
/// the gate's root-absolute links.
pub fn base_path(base_url: &str) -> String {
    match base_url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_else(|| "/".into()),
        None => base_url.to_string(),
    }
}

/// A facet value as one URL path segment: readable (Chinese kept), never a separator.
pub fn path_segment(v: &str) -> String {
    let s: String = v
        .trim()
        .chars()
        .map(|c| if c.is_control() || c.is_whitespace() || "/\\?#%<>:\"|*".contains(c) { '-' } else { c })
        .collect();
    if s.is_empty() || s == "." || s == ".." {
        "-".into()
    } else {
        s
    }
}

/// Percent-encode a site-relative path (Chinese file names), its `/`s kept as they are.
pub fn encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    encode_path_into(&mut out, p);
    out
}

/// [`encode_path`], appended to `out`: the sitemaps write every page's URL this way, one
/// buffer for all (a string per URL and per segment was most of their cost). What it
/// appends is ASCII letters, digits, `-_.~/` and `%XX`: nothing XML must escape.
pub fn encode_path_into(out: &mut String, p: &str) {
    use std::fmt::Write;
    const SET: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
    write!(out, "{}", percent_encoding::utf8_percent_encode(p, SET)).ok();
}

/// Percent-decode a URL part as links are compared (invalid UTF-8 replaced), borrowed
/// when there is nothing to decode.
pub fn percent_decode(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('%') {
        return std::borrow::Cow::Borrowed(s);
    }
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

/// The file an alias (an old URL of a document) is written to: a folder alias gets its
/// `index.html`.
pub fn alias_file(alias: &str) -> String {
    let alias = alias.trim_start_matches('/');
    if alias.is_empty() || alias.ends_with('/') {
        file(alias)
    } else {
        alias.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_urls() {
        assert_eq!(file(&document("a")), "documents/a/index.html");
        assert_eq!(gazette_issue(2024, 5), "gazette/2024/5/");
        assert_eq!(feed(&organ("szf")), "organs/szf/feed.xml");
        assert_eq!(listing_page(DOCUMENTS, 1), "documents/");
        assert_eq!(listing_page(DOCUMENTS, 3), "documents/page/3/");
        assert_eq!(root_of("documents/a/"), "../../");
        assert_eq!(base_path("https://x.gov.cn/gongbao/"), "/gongbao/");
        assert_eq!(base_path("https://x.gov.cn"), "/");
        assert_eq!(path_segment(" a/b "), "a-b");
        assert_eq!(alias_file("/old/a.html"), "old/a.html");
        assert_eq!(alias_file("old/"), "old/index.html");
        assert_eq!(encode_path("files/附件 1.pdf"), "files/%E9%99%84%E4%BB%B6%201.pdf");
    }
}
