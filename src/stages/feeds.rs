//! Site-wide machine-readable outputs: Atom feeds, sitemap, robots.txt, and the open-data
//! catalog (`api/documents.json` and `.csv`). Built from the index, never from pages, so
//! they list exactly what is published (CONTRACT §5, §8).

use crate::config::Config;
use crate::render::{issue_label, issue_url, Renderer};
use crate::resolve::{Index, ItemId};
use crate::routes;
use rayon::prelude::*;
use serde_json::json;

/// Entries in a feed: subscribers want what is new, not the archive.
const FEED_ENTRIES: usize = 50;
/// Sitemap protocol limit per file.
pub const SITEMAP_MAX: usize = 50_000;

pub fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped rather than breaking the feed.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

/// The absolute URL of a site-relative path in a feed or sitemap. Feeds and sitemaps are
/// only made when the site has an absolute base_url ([`feeds`] and [`sitemaps`] return
/// nothing otherwise), so the base is never empty here.
fn abs(cfg: &Config, rel: &str) -> String {
    format!("{}{rel}", cfg.site_url.as_deref().unwrap_or_default())
}

/// One Atom entry.
pub struct Entry {
    pub title: String,
    pub url: String,
    pub updated: String,
    pub summary: String,
    pub categories: Vec<String>,
}

/// An Atom feed document at `feed_path`, about the page at `page_url` (site-relative).
pub fn atom(cfg: &Config, title: &str, feed_path: &str, page_url: &str, entries: &[Entry]) -> String {
    let updated = entries.iter().map(|e| e.updated.as_str()).max().unwrap_or("1970-01-01T00:00:00+08:00");
    let mut x = String::with_capacity(1024 + entries.len() * 512);
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    x.push_str(&format!("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n", xml_escape(&cfg.language)));
    x.push_str(&format!("<title>{}</title>\n", xml_escape(title)));
    x.push_str(&format!("<id>{}</id>\n", xml_escape(&abs(cfg, feed_path))));
    x.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml_escape(&abs(cfg, feed_path))
    ));
    x.push_str(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", xml_escape(&abs(cfg, page_url))));
    x.push_str(&format!("<updated>{updated}</updated>\n"));
    x.push_str(&format!("<author><name>{}</name></author>\n", xml_escape(&cfg.title)));
    x.push_str("<generator>gazette</generator>\n");
    for e in entries {
        let url = xml_escape(&abs(cfg, &e.url));
        x.push_str("<entry>\n");
        x.push_str(&format!("<title>{}</title>\n", xml_escape(&e.title)));
        x.push_str(&format!("<id>{url}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n"));
        x.push_str(&format!("<updated>{}</updated>\n<published>{}</published>\n", e.updated, e.updated));
        if !e.summary.is_empty() {
            x.push_str(&format!("<summary>{}</summary>\n", xml_escape(&e.summary)));
        }
        for c in &e.categories {
            x.push_str(&format!("<category term=\"{}\"/>\n", xml_escape(c)));
        }
        x.push_str("</entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

fn doc_entry(r: &Renderer, i: usize) -> Entry {
    let d = &r.ix.content.documents[i];
    let mut summary = Vec::new();
    if let Some(n) = &d.doc_number {
        summary.push(n.clone());
    }
    summary.push(r.ix.issuer_names(i).into_owned());
    summary.push(format!("有效性：{}", r.ix.rel[i].validity.label()));
    Entry {
        title: d.title.clone(),
        url: r.ix.url(ItemId::Doc(i)),
        updated: d.published.rfc3339(),
        summary: summary.join(" · "),
        categories: d.topics.clone(),
    }
}

/// One Atom feed as [`listed`] finds it: where it goes, what it is called, the page it
/// is about, and what it lists (newest first, at most [`FEED_ENTRIES`]).
pub struct Feed {
    pub path: String,
    title: String,
    page: String,
    entries: Listed,
}

/// What a feed lists: documents, or gazette issues.
enum Listed {
    Documents(Vec<usize>),
    Issues(Vec<usize>),
}

/// Every Atom feed the site has, without its XML; none without an absolute base_url
/// (CONTRACT §7). The XML ([`atom_of`]) is made only for feeds whose entries changed.
pub fn listed(r: &Renderer) -> Vec<Feed> {
    let ix = r.ix;
    let c = &ix.content;
    let cfg = r.cfg;
    if cfg.site_url.is_none() {
        return Vec::new();
    }
    let newest = |docs: &mut dyn Iterator<Item = usize>| Listed::Documents(docs.take(FEED_ENTRIES).collect());
    let all = ix.published_documents();
    let mut out = vec![Feed {
        path: routes::FEED.to_string(),
        title: cfg.title.clone(),
        page: routes::HOME.to_string(),
        entries: newest(&mut all.iter().copied()),
    }];
    // Each organ's documents as its listing has them (not one pass over the library per organ).
    for (k, docs) in r.organ_listings() {
        let o = &c.organs[k];
        let dir = routes::organ(&o.id);
        let path = routes::feed(&dir);
        let entries = newest(&mut docs.iter().copied());
        out.push(Feed { path, title: format!("{} - {}", o.name, cfg.title), page: dir, entries });
    }
    for (k, t) in c.topics.iter().enumerate() {
        if !ix.visible(ItemId::Topic(k)) {
            continue;
        }
        let dir = routes::topic(&t.id);
        let path = routes::feed(&dir);
        let entries = newest(&mut ix.topic_docs[k].iter().copied());
        out.push(Feed { path, title: format!("{} - {}", t.title, cfg.title), page: dir, entries });
    }
    // 订阅 by 需求侧标签: one feed per tag value (CONTRACT §8).
    for (value, dir, docs) in r.tag_listings() {
        let path = routes::feed(dir);
        let entries = newest(&mut docs.iter().copied());
        out.push(Feed { path, title: format!("标签：{value} - {}", cfg.title), page: dir.to_string(), entries });
    }
    let mut issues: Vec<usize> = (0..c.issues.len()).filter(|&k| ix.issue_visible(k)).collect();
    issues.sort_by_key(|&k| std::cmp::Reverse((c.issues[k].year, c.issues[k].number)));
    issues.truncate(FEED_ENTRIES);
    out.push(Feed {
        path: routes::feed(routes::GAZETTE),
        title: format!("{} - {}", cfg.gazette_name, cfg.title),
        page: routes::GAZETTE.to_string(),
        entries: Listed::Issues(issues),
    });
    out
}

/// The XML of feed `f`.
pub fn atom_of(r: &Renderer, f: &Feed) -> String {
    let c = &r.ix.content;
    let cfg = r.cfg;
    let entries: Vec<Entry> = match &f.entries {
        Listed::Documents(docs) => docs.iter().map(|&i| doc_entry(r, i)).collect(),
        Listed::Issues(issues) => issues
            .iter()
            .map(|&k| {
                let iss = &c.issues[k];
                Entry {
                    title: iss.title.clone().unwrap_or_else(|| format!("{} {}", cfg.gazette_name, issue_label(iss))),
                    url: issue_url(iss),
                    updated: iss.published.rfc3339(),
                    summary: issue_label(iss),
                    categories: vec![],
                }
            })
            .collect(),
    };
    atom(cfg, &f.title, &f.path, &f.page, &entries)
}

/// The inputs key of feed `f` (see `build::write_group`), or 0 without a cache: its
/// path, title and page, and what its entries are made from.
pub fn feed_key(r: &Renderer, f: &Feed) -> u64 {
    use std::hash::{Hash, Hasher};
    const FEED: u64 = 0xfeed_5000_e27c_0001;
    let (docs, issues): (&[usize], &[usize]) = match &f.entries {
        Listed::Documents(d) => (d, &[]),
        Listed::Issues(k) => (&[], k),
    };
    match r.listed_key(FEED, docs, issues) {
        0 => 0,
        listed => {
            let mut h = crate::hash::Hasher::with_seed(listed);
            (&f.path, &f.title, &f.page).hash(&mut h);
            h.finish()
        }
    }
}

/// The inputs key of the sitemaps (see `build::write_group`): every URL with its date, and
/// the base URL they are made absolute with (all [`sitemaps`] reads).
pub fn sitemaps_key(cfg: &Config, urls: &[(String, Option<String>)]) -> u64 {
    use std::hash::{Hash, Hasher};
    const SITEMAPS: u64 = 0x517e_3a95_0000_0001;
    let mut h = crate::hash::Hasher::with_seed(SITEMAPS);
    (&cfg.site_url, urls).hash(&mut h);
    h.finish()
}

/// Sitemap files: one `sitemap.xml`, or past 50,000 URLs an index over `sitemap-N.xml`.
/// None without an absolute base_url (CONTRACT §7).
pub fn sitemaps(cfg: &Config, urls: &[(String, Option<String>)]) -> Vec<(String, String)> {
    if cfg.site_url.is_none() {
        return Vec::new();
    }
    let urlset = |chunk: &[(String, Option<String>)]| {
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        for (u, lastmod) in chunk {
            x.push_str(&format!("<url><loc>{}</loc>", xml_escape(&abs(cfg, &crate::routes::encode_path(u)))));
            if let Some(l) = lastmod {
                x.push_str(&format!("<lastmod>{l}</lastmod>"));
            }
            x.push_str("</url>\n");
        }
        x.push_str("</urlset>\n");
        x
    };
    if urls.len() <= SITEMAP_MAX {
        return vec![(routes::SITEMAP.into(), urlset(urls))];
    }
    let mut out = Vec::new();
    let mut index = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (n, chunk) in urls.chunks(SITEMAP_MAX).enumerate() {
        let name = routes::sitemap_part(n + 1);
        index.push_str(&format!("<sitemap><loc>{}</loc></sitemap>\n", xml_escape(&abs(cfg, &name))));
        out.push((name, urlset(chunk)));
    }
    index.push_str("</sitemapindex>\n");
    out.push((routes::SITEMAP.into(), index));
    out
}

/// robots.txt, naming the sitemap when there is one.
pub fn robots(cfg: &Config) -> String {
    match cfg.site_url {
        Some(_) => format!("User-agent: *\nAllow: /\nSitemap: {}\n", abs(cfg, routes::SITEMAP)),
        None => "User-agent: *\nAllow: /\n".into(),
    }
}

/// The Content-Security-Policy the default theme satisfies: no inline script or style, no
/// third-party script; images and media may come from https hosts (bodies link them);
/// frames only from the hosts `iframe_hosts` lists.
pub fn content_security_policy(cfg: &Config) -> String {
    let frames = if cfg.iframe_hosts.is_empty() {
        "'none'".to_string()
    } else {
        cfg.iframe_hosts.iter().map(|h| format!("https://{h}")).collect::<Vec<_>>().join(" ")
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
         media-src 'self' https:; font-src 'self'; connect-src 'self'; frame-src {frames}; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    )
}

/// `_headers` (Netlify, Cloudflare Pages and other hosts that read one): security headers
/// for every page under the base path. DEPLOYMENT.md gives the same for nginx and Apache.
pub fn headers_file(cfg: &Config) -> String {
    let base = crate::routes::base_path(&cfg.base_url);
    format!(
        "# Security headers, written by `gazette build`. The default theme satisfies this CSP.\n\
         {base}*\n  Content-Security-Policy: {}\n  X-Content-Type-Options: nosniff\n  \
         Referrer-Policy: strict-origin-when-cross-origin\n  X-Frame-Options: SAMEORIGIN\n  \
         Permissions-Policy: camera=(), microphone=(), geolocation=(), interest-cohort=()\n",
        content_security_policy(cfg)
    )
}

/// The open-data catalog of every published document: JSON and CSV (UTF-8 with BOM so
/// Excel opens it in Chinese).
/// One document's catalogue record.
fn catalog_record(r: &Renderer, i: usize) -> serde_json::Value {
    let ix: &Index = r.ix;
    let c = &ix.content;
    let cfg = r.cfg;
    let d = &c.documents[i];
    let rel = &ix.rel[i];
    // Option: without an absolute base_url the catalogue carries no URLs (CONTRACT §7).
    let url = cfg.absolute(&ix.url(ItemId::Doc(i)));
    let organs: Vec<_> = ix.issuers(i).iter().map(|o| json!({"id": o.id, "name": o.name})).collect();
    let faq_count = d.faq.len() + rel.faq_sets.iter().map(|&k| c.faqs[k].items.len()).sum::<usize>();
    let mut record = json!({
        "id": d.id, "title": d.title, "doc_number": d.doc_number, "index_number": d.index_number,
        "issuer": organs, "doc_type": d.doc_type,
        "written": d.written.map(|x| x.to_string()), "published": d.published.to_string(),
        "effective": d.effective.map(|x| x.to_string()), "expires": d.expires.map(|x| x.to_string()),
        "validity": rel.validity.label(), "normative": d.normative, "registration": d.registration,
        "topics": d.topics, "tags": d.tags, "lang": d.lang.clone().unwrap_or_else(|| cfg.language.clone()),
        "interpretations": rel.interpretations.iter().map(|&k| json!({"title": c.interpretations[k].title, "form": c.interpretations[k].form, "url": cfg.absolute(&ix.url(k.into()))})).collect::<Vec<_>>(),
        "faq_url": url.as_ref().filter(|_| faq_count > 0).map(|u| format!("{u}#h-faq")),
        "faq_count": faq_count,
        "tasks": &*r.tasks(i),
        "gazette_issues": rel.issues.iter().map(|&k| json!({"label": issue_label(&c.issues[k]), "url": cfg.absolute(&issue_url(&c.issues[k]))})).collect::<Vec<_>>(),
        "url": url,
    });
    // With a 标签目录, the tags also by dimension: {"适用对象": ["企业"], "行业": []}.
    if !cfg.tag_catalog.is_empty() {
        let by_dim: serde_json::Map<String, serde_json::Value> =
            cfg.tags_by_dimension(&d.tags).map(|(dim, tags)| (dim.to_string(), json!(tags))).collect();
        record["tag_dimensions"] = serde_json::Value::Object(by_dim);
    }
    record
}

/// Writes JSON with `<` and `>` as `\u003c`/`\u003e` (see `search::json_html_safe`).
struct HtmlSafe(Vec<u8>);

impl std::io::Write for HtmlSafe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        crate::search::push_html_safe(&mut self.0, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The catalogue's CSV columns; with a 标签目录, one more per dimension (`标签：适用对象`).
fn csv_header(cfg: &Config) -> Vec<String> {
    let mut header: Vec<String> = [
        "id",
        "标题",
        "发文字号",
        "索引号",
        "发文机关",
        "文种",
        "成文日期",
        "发布日期",
        "施行日期",
        "有效期至",
        "有效性",
        "规范性文件",
        "登记号",
        "主题分类",
        "网址",
        "标签",
    ]
    .map(String::from)
    .to_vec();
    header.extend(cfg.tag_catalog.iter().map(|dim| format!("标签：{}", dim.name)));
    header
}

/// One document's CSV row.
fn csv_row(r: &Renderer, i: usize) -> Vec<String> {
    let (ix, cfg) = (r.ix, r.cfg);
    let d = &ix.content.documents[i];
    let rel = &ix.rel[i];
    let date = |x: Option<crate::date::Date>| x.map(|x| x.to_string()).unwrap_or_default();
    let fields = [
        d.id.clone(),
        d.title.clone(),
        d.doc_number.clone().unwrap_or_default(),
        d.index_number.clone().unwrap_or_default(),
        ix.issuer_names(i).into_owned(),
        d.doc_type.clone().unwrap_or_default(),
        date(d.written),
        d.published.to_string(),
        date(d.effective),
        date(d.expires),
        rel.validity.label().to_string(),
        if d.normative { "是".into() } else { "否".into() },
        d.registration.clone().unwrap_or_default(),
        d.topics.join(";"),
        cfg.absolute(&ix.url(ItemId::Doc(i))).unwrap_or_default(),
        d.tags.join(";"),
    ];
    let dims = cfg.tags_by_dimension(&d.tags).map(|(_, tags)| tags.join(";"));
    fields.into_iter().chain(dims).map(|f| formula_safe(&f).into_owned()).collect()
}

/// CSV records (RFC 4180: CRLF) written one after another into `out`.
fn write_csv<I: IntoIterator<Item = String>>(out: Vec<u8>, rows: impl IntoIterator<Item = I>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out);
    for row in rows {
        w.write_record(row).ok();
    }
    w.into_inner().unwrap_or_default()
}

/// One document in the catalogue: its JSON record as it sits in the `documents` array
/// ([`catalog_record_json`]) and its CSV row.
type CatalogEntry = std::sync::Arc<(String, Vec<u8>)>;

fn catalog_entry(r: &Renderer, i: usize) -> CatalogEntry {
    std::sync::Arc::new((catalog_record_json(&catalog_record(r, i)), write_csv(Vec::new(), [csv_row(r, i)])))
}

/// A record as it sits in the catalogue's `documents` array: pretty, indented two levels,
/// HTML-safe. (Made safe once, when made: serve keeps it, and scanning every record
/// again was a tenth of a rebuild's catalogue at 100,000 documents.)
fn catalog_record_json(record: &impl serde::Serialize) -> String {
    let json = serde_json::to_string_pretty(record).unwrap_or_default().replace('\n', "\n    ");
    // (Nearly every record has no `<` or `>`: kept as it is, not copied.)
    match crate::search::json_html_safe(&json) {
        std::borrow::Cow::Borrowed(_) => json,
        std::borrow::Cow::Owned(safe) => safe,
    }
}

/// What the previous build in this process (`serve --watch`) made of the catalogue:
/// - its entries, by the inputs key of their document (`render::deps`): an edit makes
///   only the entries of the documents it changed (holds one build's worth);
/// - the two buffers it put the files together in, emptied, so the next build writes
///   into memory already mapped (fresh, the ~130 MB at 100,000 documents were faulted
///   in page by page on every rebuild).
#[derive(Default)]
pub struct Memo {
    entries: crate::render::KeptByInputs<CatalogEntry>,
    buffers: std::sync::Mutex<(Vec<u8>, Vec<u8>)>,
}

/// Documents whose catalogue entries a one-off build makes at a time (see [`catalog`]).
const CATALOG_CHUNK: usize = 4096;

/// `api/documents.json` (HTML-safe) and `api/documents.csv`: every published document,
/// handed to `write` (then the buffers go back to the memo). Each document's entry is
/// made on its own (in parallel, or taken from `memo`) and the files are put together
/// around them, as `serde_json`'s pretty printer writes the [`Catalog`] (the tests
/// compare the two). Without a memo, entries are made a chunk at
/// a time and dropped once copied: held all at once beside the two files (~130 MB at
/// 100,000 documents), they raised the site files' peak by ~100 MB.
pub fn catalog(r: &Renderer, memo: Option<&Memo>, write: impl FnOnce(&[u8], &[u8])) {
    let ix: &Index = r.ix;
    let cfg = r.cfg;
    let docs = ix.published_documents();
    let (mut json, mut csv) =
        memo.map(|m| std::mem::take(&mut *m.buffers.lock().unwrap_or_else(|e| e.into_inner()))).unwrap_or_default();
    json.clear();
    csv.clear();
    let mut out = CatalogWriter::new(json, cfg.site_url.as_deref(), &ix.date.to_string(), docs.len());
    // UTF-8 with a BOM so Excel opens it in Chinese; CRLF records (RFC 4180).
    csv.extend_from_slice(b"\xEF\xBB\xBF");
    let mut csv = write_csv(csv, [csv_header(cfg)]);
    let mut put = |entries: Vec<CatalogEntry>| {
        for e in entries {
            out.record(&e.0);
            csv.extend_from_slice(&e.1);
        }
    };
    match memo {
        Some(m) => {
            put(crate::render::made_or_kept(Some(&m.entries), docs, |&i| r.catalog_inputs(i), |&i| catalog_entry(r, i)))
        }
        None => {
            for chunk in docs.chunks(CATALOG_CHUNK) {
                put(chunk.par_iter().map(|&i| catalog_entry(r, i)).collect());
            }
        }
    }
    let json = out.finish(&cfg.title);
    write(&json, &csv);
    if let Some(m) = memo {
        *m.buffers.lock().unwrap_or_else(|e| e.into_inner()) = (json, csv);
    }
}

/// `api/documents.json` written around its records (each as [`catalog_entry`] makes it),
/// one after another, byte for byte as `serde_json`'s pretty printer writes [`Catalog`],
/// HTML-safe.
struct CatalogWriter {
    json: HtmlSafe,
    count: usize,
    written: usize,
}

impl CatalogWriter {
    /// The writer, putting the file together in `buffer` (empty).
    fn new(buffer: Vec<u8>, base_url: Option<&str>, build_date: &str, count: usize) -> CatalogWriter {
        use std::io::Write;
        let mut json = HtmlSafe(buffer);
        json.0.extend_from_slice(b"{\n");
        if let Some(base) = base_url {
            writeln!(json, "  \"base_url\": {},", json_str(base)).ok();
        }
        writeln!(json, "  \"build_date\": {},\n  \"count\": {},", json_str(build_date), count).ok();
        json.0.extend_from_slice(if count == 0 { b"  \"documents\": [],\n" } else { b"  \"documents\": [\n" });
        CatalogWriter { json, count, written: 0 }
    }

    /// The next of the `count` records, as [`catalog_record_json`] makes it (copied as it
    /// is: already HTML-safe).
    fn record(&mut self, record: &str) {
        if self.written == 1 {
            // One record's size says about what the rest need, a quarter more for records
            // longer than it (capacity never written to costs no memory): no regrowing a
            // 100 MB file.
            self.json.0.reserve((self.json.0.len() + 8) * self.count / 4 * 5);
        }
        self.written += 1;
        let json = &mut self.json.0;
        json.extend_from_slice(b"    ");
        json.extend_from_slice(record.as_bytes());
        json.extend_from_slice(if self.written < self.count { b",\n" } else { b"\n" });
    }

    fn finish(mut self, site: &str) -> Vec<u8> {
        use std::io::Write;
        if self.count > 0 {
            self.json.write_all(b"  ],\n").ok();
        }
        write!(self.json, "  \"site\": {}\n}}", json_str(site)).ok();
        self.json.0
    }
}

fn json_str(v: &str) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `api/documents.json` around `records`, at once (what the tests compare).
#[cfg(test)]
fn catalog_json(base_url: Option<&str>, build_date: &str, records: &[&str], site: &str) -> Vec<u8> {
    let mut out = CatalogWriter::new(Vec::new(), base_url, build_date, records.len());
    for r in records {
        out.record(r);
    }
    out.finish(site)
}

/// A spreadsheet cell that cannot run as a formula: a leading = + - @ gets a `'`.
fn formula_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::HtmlSafe;
    use std::io::Write;

    #[test]
    fn catalogue_json_is_inert_in_html() {
        let mut w = HtmlSafe(Vec::new());
        w.write_all(br#"{"title":"</script><b>"#).expect("write");
        w.write_all(b"\xe9\x80\x9a\xe7\x9f\xa5>").expect("write");
        assert_eq!(String::from_utf8(w.0).expect("utf-8"), r#"{"title":"\u003c/script\u003e\u003cb\u003e通知\u003e"#);
    }

    /// The catalogue as one value, keys in the order a JSON map sorts them: what
    /// `catalog_json` must write byte for byte.
    #[derive(serde::Serialize)]
    struct Catalog<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        base_url: Option<&'a str>,
        build_date: &'a str,
        count: usize,
        documents: Vec<serde_json::Value>,
        site: &'a str,
    }

    #[test]
    fn the_catalogue_put_together_from_its_entries_is_what_serde_writes_whole() {
        let records = [
            serde_json::json!({"id": "a", "title": "关于<印发>的通知", "topics": [], "issuer": [{"id": "qzf", "name": "区政府"}], "tag_dimensions": {}}),
            serde_json::json!({"id": "b", "faq_count": 2, "tasks": [{"section": "一", "units": ["甲", "乙"]}], "url": null}),
        ];
        for (base, n) in [(Some("https://example.gov.cn/"), 2), (None, 1), (None, 0)] {
            let docs = &records[..n];
            let mut whole = HtmlSafe(Vec::new());
            let c = Catalog {
                base_url: base,
                build_date: "2026-01-01",
                count: n,
                documents: docs.to_vec(),
                site: "测试区\"政府\"",
            };
            serde_json::to_writer_pretty(&mut whole, &c).expect("json");
            let entries: Vec<String> = docs.iter().map(super::catalog_record_json).collect();
            let entries: Vec<&str> = entries.iter().map(String::as_str).collect();
            let assembled = super::catalog_json(base, "2026-01-01", &entries, "测试区\"政府\"");
            assert_eq!(String::from_utf8(assembled).expect("utf-8"), String::from_utf8(whole.0).expect("utf-8"));
        }
    }
}
