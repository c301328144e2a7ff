//! Site-wide machine-readable outputs: Atom feeds, sitemap, robots.txt, and the open-data
//! catalog (`api/documents.json` and `.csv`). Built from the index, never from pages, so
//! they list exactly what is published (CONTRACT §5, §8).

use crate::config::Config;
use crate::output::Data;
use crate::render::{issue_label, issue_url, Renderer};
use crate::resolve::{Index, ItemId};
use crate::routes;
use rayon::prelude::*;
use serde_json::json;
use std::sync::Arc;

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

/// Sitemap files: one `sitemap.xml`, or past 50,000 URLs an index over `sitemap-N.xml`.
/// None without an absolute base_url (CONTRACT §7).
pub fn sitemaps(cfg: &Config, urls: &[(String, Option<String>)]) -> Vec<(String, String)> {
    if cfg.site_url.is_none() {
        return Vec::new();
    }
    // The site URL escaped once: an encoded path needs no escaping (`encode_path_into`).
    let site = xml_escape(cfg.site_url.as_deref().unwrap_or_default());
    let urlset = |chunk: &[(String, Option<String>)]| {
        let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        x.reserve(chunk.len() * (site.len() + 80));
        for (u, lastmod) in chunk {
            x.push_str("<url><loc>");
            x.push_str(&site);
            crate::routes::encode_path_into(&mut x, u);
            x.push_str("</loc>");
            if let Some(l) = lastmod {
                x.push_str("<lastmod>");
                x.push_str(l);
                x.push_str("</lastmod>");
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
type CatalogEntry = Arc<(String, Vec<u8>)>;

fn catalog_entry(r: &Renderer, i: usize) -> CatalogEntry {
    Arc::new((catalog_record_json(&catalog_record(r, i)), write_csv(Vec::new(), [csv_row(r, i)])))
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
/// - the two buffers it put the files together in, so the next build writes into memory
///   already mapped (fresh, the ~130 MB at 100,000 documents were faulted in page by page
///   on every rebuild); shared with serve's in-place commit, which writes them as they
///   are (`output::Data::Shared`), and the memo's alone again once it is over.
#[derive(Default)]
pub struct Memo {
    entries: crate::render::KeptByInputs<CatalogEntry>,
    buffers: std::sync::Mutex<Buffers>,
}

/// The catalogue's JSON and CSV buffers, shared with the commit that writes them.
type Buffers = (Arc<Vec<u8>>, Arc<Vec<u8>>);

/// Documents whose catalogue entries a one-off build makes at a time (see [`catalog`]).
const CATALOG_CHUNK: usize = 4096;

/// `api/documents.json` (HTML-safe) and `api/documents.csv`: every published document,
/// handed to `write` (then the buffers go back to the memo). Each document's entry is
/// made on its own (in parallel, or taken from `memo`) and the files are put together
/// around them, as `serde_json`'s pretty printer writes the [`Catalog`] (the tests
/// compare the two). Without a memo, entries are made a chunk at
/// a time and dropped once copied: held all at once beside the two files (~130 MB at
/// 100,000 documents), they raised the site files' peak by ~100 MB. Then the entries of
/// documents whose inputs key is the one they had in `previous` (the last build's
/// catalogue, still in the output; a one-off build's, serve passes none) are copied from its files instead, each run of
/// consecutive ones at once: after one document is published at 100,000 documents,
/// making every entry again was ~0.9 s of CPU.
///
/// Returns where each entry sits in the files (see [`Placed`]), for the next build (none
/// with a memo: serve's next build has the entries in memory).
pub fn catalog(
    r: &Renderer,
    memo: Option<&Memo>,
    previous: Option<&crate::cache::Carried>,
    write: impl FnOnce(Data, Data),
) -> Vec<u8> {
    let ix: &Index = r.ix;
    let cfg = r.cfg;
    let docs = ix.published_documents();
    // (Held by the last build's commit no longer: it is over.)
    let reuse = |b: Arc<Vec<u8>>| Arc::try_unwrap(b).unwrap_or_default();
    let (mut json, mut csv) = memo
        .map(|m| std::mem::take(&mut *m.buffers.lock().unwrap_or_else(|e| e.into_inner())))
        .map(|(json, csv)| (reuse(json), reuse(csv)))
        .unwrap_or_default();
    json.clear();
    csv.clear();
    let old = previous.and_then(OldCatalog::open);
    let mut out = CatalogWriter::new(json, cfg.site_url.as_deref(), &ix.date.to_string(), docs.len());
    if let Some(old) = &old {
        out.json.0.reserve(old.json_len + old.json_len / 8);
        csv.reserve(old.csv_len + old.csv_len / 8);
    }
    // UTF-8 with a BOM so Excel opens it in Chinese; CRLF records (RFC 4180).
    csv.extend_from_slice(b"\xEF\xBB\xBF");
    let csv = write_csv(csv, [csv_header(cfg)]);
    let mut a = Assembly { out, csv, placed: Vec::new() };
    match memo {
        // (serve's next build has the entries in memory: none is placed.)
        Some(m) => {
            let entries =
                crate::render::made_or_kept(Some(&m.entries), docs, |&i| r.catalog_inputs(i), |&i| catalog_entry(r, i));
            for e in entries {
                a.push(&e);
            }
        }
        None => {
            a.placed.reserve(docs.len());
            let keys: Vec<u64> = docs.par_iter().map(|&i| r.catalog_inputs(i)).collect();
            // Per document, its entry's place in the previous catalogue.
            let was: Vec<Option<usize>> = match &old {
                Some(old) => keys.iter().map(|k| old.at.get(k).filter(|_| *k != 0).copied()).collect(),
                None => vec![None; docs.len()],
            };
            for start in (0..docs.len()).step_by(CATALOG_CHUNK) {
                let end = (start + CATALOG_CHUNK).min(docs.len());
                let made: Vec<Option<CatalogEntry>> =
                    (start..end).into_par_iter().map(|n| was[n].is_none().then(|| catalog_entry(r, docs[n]))).collect();
                let mut n = start;
                while n < end {
                    let (Some(o), Some(old)) = (was[n], &old) else {
                        if let Some(e) = &made[n - start] {
                            a.put(keys[n], e);
                        }
                        n += 1;
                        continue;
                    };
                    // The run of documents whose entries follow each other there too.
                    let run = (n..end).take_while(|&m| was[m] == Some(o + (m - n))).count();
                    match old.copy(o, run, &mut a) {
                        Ok(()) => {}
                        // (Not as recorded after all: made, as without a record.)
                        Err(_) => (n..n + run).for_each(|m| a.put(keys[m], &catalog_entry(r, docs[m]))),
                    }
                    n += run;
                }
            }
        }
    }
    let (json, csv) = (a.out.finish(&cfg.title), a.csv);
    match memo {
        // Shared with the commit that writes them, then filled again by the next build.
        Some(m) => {
            let (json, csv) = (Arc::new(json), Arc::new(csv));
            write(Data::Shared(json.clone()), Data::Shared(csv.clone()));
            *m.buffers.lock().unwrap_or_else(|e| e.into_inner()) = (json, csv);
        }
        None => write(json.into(), csv.into()),
    }
    Placed::encode(&a.placed)
}

/// The catalogue being put together: its two files, and where each entry went.
struct Assembly {
    out: CatalogWriter,
    csv: Vec<u8>,
    placed: Vec<Placed>,
}

impl Assembly {
    /// The next entry; where its record and its row start.
    fn push(&mut self, e: &CatalogEntry) -> (u64, u64) {
        let json = self.out.record(&e.0) as u64;
        let csv = self.csv.len() as u64;
        self.csv.extend_from_slice(&e.1);
        (json, csv)
    }

    /// The next entry, placed with its document's inputs key.
    fn put(&mut self, key: u64, e: &CatalogEntry) {
        let (json, csv) = self.push(e);
        self.placed.push(Placed { key, json: (json, e.0.len() as u32), csv: (csv, e.1.len() as u32) });
    }
}

/// Where one document's catalogue entry sits in the two files: its inputs key (see
/// `render::deps`), and the offset and length of its record in `documents.json` and of
/// its row in `documents.csv`.
struct Placed {
    key: u64,
    json: (u64, u32),
    csv: (u64, u32),
}

impl Placed {
    const SIZE: usize = 32;

    fn encode(placed: &[Placed]) -> Vec<u8> {
        let mut b = Vec::with_capacity(placed.len() * Placed::SIZE);
        for p in placed {
            b.extend_from_slice(&p.key.to_le_bytes());
            b.extend_from_slice(&p.json.0.to_le_bytes());
            b.extend_from_slice(&p.json.1.to_le_bytes());
            b.extend_from_slice(&p.csv.0.to_le_bytes());
            b.extend_from_slice(&p.csv.1.to_le_bytes());
        }
        b
    }

    fn decode(b: &[u8]) -> Vec<Placed> {
        let u64_at = |c: &[u8], at: usize| u64::from_le_bytes(c[at..at + 8].try_into().unwrap_or_default());
        let u32_at = |c: &[u8], at: usize| u32::from_le_bytes(c[at..at + 4].try_into().unwrap_or_default());
        let entry = |c: &[u8]| Placed {
            key: u64_at(c, 0),
            json: (u64_at(c, 8), u32_at(c, 16)),
            csv: (u64_at(c, 20), u32_at(c, 28)),
        };
        b.chunks_exact(Placed::SIZE).map(entry).collect()
    }
}

/// The previous build's catalogue, still in the output: its two files, open, and where
/// each entry sits in them, found by inputs key.
struct OldCatalog {
    placed: Vec<Placed>,
    at: crate::hash::FastMap<u64, usize>,
    json: std::fs::File,
    csv: std::fs::File,
    json_len: usize,
    csv_len: usize,
}

impl OldCatalog {
    fn open(previous: &crate::cache::Carried) -> Option<OldCatalog> {
        let json = previous.open(routes::CATALOG_JSON)?;
        let csv = previous.open(routes::CATALOG_CSV)?;
        let len = |f: &std::fs::File| f.metadata().ok().map(|m| m.len() as usize);
        let (json_len, csv_len) = (len(&json)?, len(&csv)?);
        let placed = Placed::decode(&previous.extra);
        // Entries one after another in both files, within them, or no record of them (a
        // run's span and each entry's new place are then plain differences).
        let ends = |p: &Placed| (p.json.0.saturating_add(p.json.1.into()), p.csv.0.saturating_add(p.csv.1.into()));
        let in_order = placed.windows(2).all(|w| {
            let (json_end, csv_end) = ends(&w[0]);
            json_end <= w[1].json.0 && csv_end <= w[1].csv.0
        });
        let within = placed.last().is_none_or(|p| ends(p).0 <= json_len as u64 && ends(p).1 <= csv_len as u64);
        if !in_order || !within {
            return None;
        }
        let mut at = crate::hash::FastMap::default();
        at.reserve(placed.len());
        for (n, p) in placed.iter().enumerate() {
            at.insert(p.key, n);
        }
        Some(OldCatalog { placed, at, json, csv, json_len, csv_len })
    }

    /// Copy the `run` entries from `o` on, which follow each other in both files, into
    /// the catalogue being written, each placed.
    fn copy(&self, o: usize, run: usize, a: &mut Assembly) -> std::io::Result<()> {
        let Assembly { out, csv, placed } = a;
        let entries = &self.placed[o..o + run];
        let span = |first: (u64, u32), last: (u64, u32)| (first.0, last.0 + u64::from(last.1) - first.0);
        let (first, last) = (&entries[0], &entries[run - 1]);
        let (json_at, json_len) = span(first.json, last.json);
        let (csv_at, csv_len) = span(first.csv, last.csv);
        let json_start = out.records(run, |buf| read_at(&self.json, json_at, json_len, buf))?;
        let csv_start = csv.len();
        // (Rows end with CRLF, or these are not rows.)
        let rows = read_at(&self.csv, csv_at, csv_len, csv).and_then(|()| match csv.ends_with(b"\r\n") {
            true => Ok(()),
            false => {
                csv.truncate(csv_start);
                Err(std::io::ErrorKind::InvalidData.into())
            }
        });
        if let Err(e) = rows {
            out.undo(run, json_start);
            return Err(e);
        }
        placed.extend(entries.iter().map(|p| Placed {
            key: p.key,
            json: ((json_start as u64) + (p.json.0 - json_at), p.json.1),
            csv: ((csv_start as u64) + (p.csv.0 - csv_at), p.csv.1),
        }));
        Ok(())
    }
}

/// Append `len` bytes of `file` from offset `at` to `buf`; an error, with `buf` as it
/// was, when the file does not have them.
fn read_at(file: &std::fs::File, at: u64, len: u64, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::{Read, Seek};
    let before = buf.len();
    let mut f = file;
    let read = f.seek(std::io::SeekFrom::Start(at)).and_then(|_| f.take(len).read_to_end(buf));
    match read {
        Ok(n) if n as u64 == len => Ok(()),
        other => {
            buf.truncate(before);
            Err(other.err().unwrap_or_else(|| std::io::ErrorKind::UnexpectedEof.into()))
        }
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
    /// is: already HTML-safe). Returns where it starts.
    fn record(&mut self, record: &str) -> usize {
        if self.written == 1 {
            // One record's size says about what the rest need, a quarter more for records
            // longer than it (capacity never written to costs no memory): no regrowing a
            // 100 MB file.
            self.json.0.reserve((self.json.0.len() + 8) * self.count / 4 * 5);
        }
        let start = self.json.0.len() + 4;
        self.written += 1;
        let json = &mut self.json.0;
        json.extend_from_slice(b"    ");
        json.extend_from_slice(record.as_bytes());
        json.extend_from_slice(if self.written < self.count { b",\n" } else { b"\n" });
        start
    }

    /// The next `n` records, appended by `fill` as a catalogue written by this writer holds
    /// them (each but the last followed by `,` and a new line indented as [`Self::record`]
    /// does): a run copied from the previous build's file. Returns where they start.
    fn records(&mut self, n: usize, fill: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> std::io::Result<usize> {
        let json = &mut self.json.0;
        let before = json.len();
        json.extend_from_slice(b"    ");
        let start = json.len();
        // A run of records starts with `{` and ends with `}`, or it is not one.
        match fill(json) {
            Ok(()) if json.get(start) == Some(&b'{') && json.last() == Some(&b'}') => {}
            Ok(()) => {
                json.truncate(before);
                return Err(std::io::ErrorKind::InvalidData.into());
            }
            Err(e) => {
                json.truncate(before);
                return Err(e);
            }
        }
        self.written += n;
        json.extend_from_slice(if self.written < self.count { b",\n" } else { b"\n" });
        Ok(start)
    }

    /// Take back the `n` records [`Self::records`] appended at `start`.
    fn undo(&mut self, n: usize, start: usize) {
        self.written -= n;
        self.json.0.truncate(start - 4);
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
    fn sitemap_urls_are_encoded_and_escaped() {
        let (cfg, _) =
            crate::config::parse("title: t\nbase_url: \"https://example.gov.cn/a&b/\"\n", None).expect("config");
        let files =
            super::sitemaps(&cfg, &[("files/附件 1.pdf".into(), Some("2024-01-02".into())), ("x/".into(), None)]);
        assert_eq!(files.len(), 1);
        assert!(files[0].1.contains(
            "<url><loc>https://example.gov.cn/a&amp;b/files/%E9%99%84%E4%BB%B6%201.pdf</loc><lastmod>2024-01-02</lastmod></url>\n\
             <url><loc>https://example.gov.cn/a&amp;b/x/</loc></url>\n</urlset>"
        ));
    }

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
    fn records_copied_as_a_run_make_the_bytes_written_one_by_one() {
        let records = ["{\"id\": \"a\"}", "{\"id\": \"b\",\n      \"x\": 1}", "{\"id\": \"c\"}", "{\"id\": \"d\"}"];
        // What `fill` appends: `bytes`, as a read of the previous file would.
        let bytes = |b: &[u8]| {
            let b = b.to_vec();
            move |buf: &mut Vec<u8>| {
                buf.extend_from_slice(&b);
                Ok(())
            }
        };
        let mut one_by_one = super::CatalogWriter::new(Vec::new(), None, "2026-01-01", records.len());
        let starts: Vec<usize> = records.iter().map(|r| one_by_one.record(r)).collect();
        let whole = one_by_one.finish("区");
        // Records 1 and 2 as a run, from the bytes the first writer wrote.
        let run = &whole[starts[1]..starts[2] + records[2].len()];
        let mut copied = super::CatalogWriter::new(Vec::new(), None, "2026-01-01", records.len());
        copied.record(records[0]);
        let at = copied.records(2, bytes(run)).expect("a run");
        assert_eq!(at, starts[1], "the run starts where its first record did");
        // A run that is not whole records is taken back, as is one taken back by hand.
        assert!(copied.records(1, bytes(&run[1..])).is_err());
        let again = copied.records(1, bytes(records[3].as_bytes())).expect("a record");
        copied.undo(1, again);
        // The last record as a run of its own: no comma after it.
        copied.records(1, bytes(records[3].as_bytes())).expect("the last record");
        assert_eq!(String::from_utf8(copied.finish("区")).expect("utf-8"), String::from_utf8(whole).expect("utf-8"));
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
