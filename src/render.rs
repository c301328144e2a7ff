//! Stage 4, render: build each page's small view (only what that page shows) and render
//! it with the theme. Listings and rows are computed once and shared; no page ever gets
//! the whole site in its context (the trap that makes Zola and Hugo slow on big
//! taxonomies).

use crate::bodies::{encode_path, root_of, Bodies};
use crate::cache::PageCache;
use crate::config::Config;
use crate::diag::{Diagnostic, Loc};
use crate::markdown::Heading;
use crate::model::*;
use crate::resolve::{Index, Target};
use crate::theme::Theme;
use serde::Serialize;
use serde_json::json;

/// One listing row: a document (or another item) as every list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub title: String,
    pub url: String,
    pub number: Option<String>,
    pub issuer: Option<String>,
    pub published: Option<String>,
    pub validity: Option<&'static str>,
    pub validity_slug: Option<&'static str>,
    pub kind: Option<&'static str>,
}

#[derive(Serialize, Clone)]
struct Crumb {
    title: String,
    url: String,
}

#[derive(Serialize)]
struct FeedLink {
    title: String,
    url: String,
}

#[derive(Serialize)]
struct Alt {
    lang: String,
    url: String,
}

/// What every page tells the base template about itself.
#[derive(Serialize)]
struct PageMeta {
    title: String,
    kind: &'static str,
    section: &'static str,
    lang: String,
    canonical: String,
    description: Option<String>,
    has_code: bool,
    feeds: Vec<FeedLink>,
    alternates: Vec<Alt>,
    breadcrumbs: Vec<Crumb>,
}

#[derive(Serialize)]
struct Ctx<'a, T: Serialize> {
    root: &'a str,
    page: PageMeta,
    #[serde(flatten)]
    data: T,
}

/// A rendered page, ready for the link gate and the writer.
pub struct Rendered {
    /// Output path relative to the output folder: `documents/x/index.html`.
    pub path: String,
    pub html: String,
    /// Where to point a diagnostic about this page (its source file, or its template).
    pub blame: Loc,
    /// The page's cache key (template + context), when the renderer has a cache.
    pub key: Option<u64>,
    /// The previous output holds this very page (same key): `html` is empty, take the
    /// old file over instead of writing it; here is the gate's view of it and its stamp.
    pub reused: Option<(crate::linkcheck::PageLinks, crate::cache::Stamp)>,
}

/// A listing with its own URL space: `documents/`, `organs/szf/`, `normative/`.
struct Listing {
    dir: String,
    heading: String,
    section: &'static str,
    docs: Vec<usize>,
    organ: Option<usize>,
    crumbs: Vec<Crumb>,
    /// Show the 行政规范性文件库 table (登记号, 有效期, 有效性) instead of plain rows.
    normative: bool,
    /// Which browse facet this listing belongs to (`year`, `type`, `topic`, `validity`).
    facet: Option<&'static str>,
}

/// Browse facets: (key, label of the facet, URL folder).
const FACETS: &[(&str, &str)] =
    &[("year", "发布年份"), ("type", "文种"), ("topic", "主题分类"), ("validity", "有效性")];

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

/// One page to render.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    Home,
    Doc(usize),
    Interp(usize),
    InterpIndex,
    Topic(usize),
    TopicIndex,
    Page(usize),
    Decision(usize),
    DecisionIndex,
    Issue(usize),
    GazetteIndex,
    OrganIndex,
    List(usize, usize),
    BrowseIndex,
    Search,
    NotFound,
    Alias(usize, usize),
}

pub struct Renderer<'a> {
    pub ix: &'a Index<'a>,
    pub bodies: &'a Bodies,
    pub theme: &'a Theme,
    pub cfg: &'a Config,
    /// The incremental build cache, when building (see `cache`).
    cache: Option<&'a PageCache>,
    rows: Vec<Option<Row>>,
    listings: Vec<Listing>,
    /// Published gazette issues, oldest first (for previous/next).
    issues: Vec<usize>,
}

fn date_cn(d: Option<crate::date::Date>) -> Option<String> {
    d.map(|d| d.chinese())
}

impl<'a> Renderer<'a> {
    pub fn new(ix: &'a Index<'a>, bodies: &'a Bodies, theme: &'a Theme, cfg: &'a Config) -> Self {
        let c = ix.content;
        let rows = (0..c.documents.len()).map(|i| ix.doc_visible(i).then(|| doc_row(ix, i))).collect();
        let all = ix.published_documents();
        let plain = |dir: String, heading: String, section: &'static str, docs: Vec<usize>| Listing {
            dir,
            heading,
            section,
            docs,
            organ: None,
            crumbs: vec![],
            normative: false,
            facet: None,
        };
        let mut listings = vec![plain("documents/".into(), "公文库".into(), "documents", all.clone())];
        let mut normative = plain(
            "normative/".into(),
            "行政规范性文件库".into(),
            "normative",
            all.iter().copied().filter(|&i| c.documents[i].normative).collect(),
        );
        normative.normative = true;
        listings.push(normative);
        for (k, o) in c.organs.iter().enumerate() {
            let mut l = plain(
                format!("organs/{}/", o.id),
                o.name.clone(),
                "organs",
                all.iter().copied().filter(|&i| c.documents[i].issuer.contains(&o.id)).collect(),
            );
            l.organ = Some(k);
            l.crumbs = vec![Crumb { title: "发文机关".into(), url: "organs/index.html".into() }];
            listings.push(l);
        }
        // Browse facets: every value that occurs, each a paginated listing, newest first.
        for &(facet, label) in FACETS {
            let mut groups: std::collections::BTreeMap<String, (String, Vec<usize>)> = Default::default();
            for &i in &all {
                let d = &c.documents[i];
                let values: Vec<(String, String)> = match facet {
                    "year" => vec![(format!("{:04}", d.published.year), format!("{}年", d.published.year))],
                    "type" => d.doc_type.iter().map(|t| (path_segment(t), t.clone())).collect(),
                    "topic" => d.topics.iter().map(|t| (path_segment(t), t.clone())).collect(),
                    _ => {
                        let v = ix.rel[i].validity;
                        vec![(v.slug().to_string(), v.label().to_string())]
                    }
                };
                for (seg, shown) in values {
                    groups.entry(seg).or_insert_with(|| (shown, Vec::new())).1.push(i);
                }
            }
            let ordered: Vec<(String, (String, Vec<usize>))> =
                if facet == "year" { groups.into_iter().rev().collect() } else { groups.into_iter().collect() };
            for (seg, (shown, mut docs)) in ordered {
                docs.dedup();
                let mut l = plain(format!("browse/{facet}/{seg}/"), format!("{label}：{shown}"), "documents", docs);
                l.facet = Some(facet);
                l.crumbs = vec![
                    Crumb { title: "公文库".into(), url: "documents/index.html".into() },
                    Crumb { title: "分类浏览".into(), url: "browse/index.html".into() },
                ];
                listings.push(l);
            }
        }
        let mut issues: Vec<usize> = (0..c.issues.len()).filter(|&k| !ix.hidden_issues[k]).collect();
        issues.sort_by_key(|&k| (c.issues[k].year, c.issues[k].number));
        issues.dedup_by_key(|k| (c.issues[*k].year, c.issues[*k].number));
        Renderer { ix, bodies, theme, cfg, cache: None, rows, listings, issues }
    }

    /// A renderer for item pages only (documents, interpretations, topics, pages,
    /// decisions): no listings, rows made on demand. Cheap to make, for `serve`'s fast
    /// edits; listing pages need [`Renderer::new`].
    pub fn for_items(ix: &'a Index<'a>, bodies: &'a Bodies, theme: &'a Theme, cfg: &'a Config) -> Self {
        Renderer { ix, bodies, theme, cfg, cache: None, rows: Vec::new(), listings: Vec::new(), issues: Vec::new() }
    }

    /// Skip pages the previous output already holds, as `cache` knows them.
    pub fn with_cache(mut self, cache: &'a PageCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Every page of the site.
    pub fn jobs(&self) -> Vec<Job> {
        let c = self.ix.content;
        let ix = self.ix;
        let mut jobs = vec![
            Job::Home,
            Job::InterpIndex,
            Job::TopicIndex,
            Job::DecisionIndex,
            Job::GazetteIndex,
            Job::OrganIndex,
            Job::BrowseIndex,
            Job::Search,
            Job::NotFound,
        ];
        for i in 0..c.documents.len() {
            if ix.doc_visible(i) {
                jobs.push(Job::Doc(i));
                for a in 0..c.documents[i].aliases.len() {
                    jobs.push(Job::Alias(i, a));
                }
            }
        }
        jobs.extend((0..c.interpretations.len()).filter(|&k| ix.visible(Target::Interp(k))).map(Job::Interp));
        jobs.extend((0..c.topics.len()).filter(|&k| ix.visible(Target::Topic(k))).map(Job::Topic));
        jobs.extend((0..c.pages.len()).filter(|&k| ix.visible(Target::Page(k))).map(Job::Page));
        jobs.extend((0..c.decisions.len()).filter(|&k| ix.visible(Target::Decision(k))).map(Job::Decision));
        jobs.extend(self.issues.iter().map(|&k| Job::Issue(k)));
        for (l, listing) in self.listings.iter().enumerate() {
            for p in 0..page_count(listing.docs.len(), self.cfg.per_page) {
                jobs.push(Job::List(l, p + 1));
            }
        }
        jobs
    }

    /// The output path a listing-type job renders to, without rendering it.
    pub fn render_path(&self, job: Job) -> Option<String> {
        let dir = match job {
            Job::List(l, n) if n > 1 => format!("{}page/{n}/", self.listings[l].dir),
            Job::List(l, _) => self.listings[l].dir.clone(),
            Job::InterpIndex => "interpretations/".into(),
            Job::TopicIndex => "topics/".into(),
            Job::DecisionIndex => "decisions/".into(),
            Job::GazetteIndex => "gazette/".into(),
            Job::OrganIndex => "organs/".into(),
            Job::Search => "search/".into(),
            Job::BrowseIndex => "browse/".into(),
            _ => return None,
        };
        Some(format!("{dir}index.html"))
    }

    pub fn row(&self, i: usize) -> Row {
        self.rows.get(i).cloned().flatten().unwrap_or_else(|| doc_row(self.ix, i))
    }

    fn rows(&self, docs: &[usize]) -> Vec<Row> {
        docs.iter().map(|&i| self.row(i)).collect()
    }

    fn target_row(&self, t: Target) -> Row {
        match t {
            Target::Doc(i) => self.row(i),
            other => Row {
                title: self.ix.title(other).to_string(),
                url: self.ix.url(other),
                number: None,
                issuer: None,
                published: None,
                validity: None,
                validity_slug: None,
                kind: Some(kind_label(other)),
            },
        }
    }

    fn meta(&self, title: &str, kind: &'static str, section: &'static str, url: &str) -> PageMeta {
        PageMeta {
            title: title.to_string(),
            kind,
            section,
            lang: self.cfg.language.clone(),
            canonical: self.cfg.absolute(url),
            description: None,
            has_code: false,
            feeds: Vec::new(),
            alternates: Vec::new(),
            breadcrumbs: Vec::new(),
        }
    }

    fn page<T: Serialize>(
        &self,
        template: &str,
        dir: &str,
        meta: PageMeta,
        data: T,
        blame: Loc,
    ) -> Result<Rendered, Diagnostic> {
        let root = root_of(dir);
        self.emit(template, format!("{dir}index.html"), &Ctx { root: &root, page: meta, data }, blame)
    }

    /// Render `template` with `ctx` into the page at `path`, unless the cache says the
    /// previous output already holds exactly that page.
    fn emit<T: Serialize>(&self, template: &str, path: String, ctx: &T, blame: Loc) -> Result<Rendered, Diagnostic> {
        let key = self.cache.and_then(|_| PageCache::key(template, ctx));
        if let (Some(cache), Some(k)) = (self.cache, key) {
            if let Some(found) = cache.reuse(&path, k, blame.clone()) {
                return Ok(Rendered { path, html: String::new(), blame, key, reused: Some(found) });
            }
        }
        let html = self.theme.render(template, ctx)?;
        Ok(Rendered { path, html, blame, key, reused: None })
    }

    fn template_loc(&self, name: &str) -> Loc {
        Loc::file(format!("themes/{}/templates/{name}", self.cfg.theme))
    }

    pub fn render(&self, job: Job) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        match job {
            Job::Home => self.home(),
            Job::Doc(i) => self.document(i),
            Job::Interp(k) => self.interpretation(k),
            Job::InterpIndex => {
                let items: Vec<_> = self
                    .ix
                    .published_interpretations()
                    .iter()
                    .map(|&k| {
                        let it = &c.interpretations[k];
                        json!({"title": it.title, "url": self.ix.url(Target::Interp(k)), "form": it.form, "published": it.published.map(|d| d.to_string())})
                    })
                    .collect();
                let meta = self.meta("政策解读", "interpretations", "interpretations", "interpretations/");
                self.page(
                    "interpretations.html",
                    "interpretations/",
                    meta,
                    json!({"items": items}),
                    self.template_loc("interpretations.html"),
                )
            }
            Job::Topic(k) => {
                let t = &c.topics[k];
                let dir = self.ix.url(Target::Topic(k));
                let body = self.bodies.topics[k].as_ref().map(|b| b.html.clone()).unwrap_or_default();
                let mut meta = self.meta(&t.title, "topic", "topics", &dir);
                meta.feeds.push(FeedLink { title: format!("{}（订阅）", t.title), url: format!("{dir}feed.xml") });
                meta.breadcrumbs.push(Crumb { title: "主题".into(), url: "topics/index.html".into() });
                meta.has_code = self.bodies.topics[k].as_ref().is_some_and(|b| b.has_code);
                let data = json!({"topic": {"title": t.title, "body": body.trim(), "rows": self.rows(&self.ix.topic_docs[k])}});
                self.page("topic.html", &dir, meta, data, t.src.file())
            }
            Job::TopicIndex => {
                let topics: Vec<_> = (0..c.topics.len())
                    .filter(|&k| self.ix.visible(Target::Topic(k)))
                    .map(|k| json!({"title": c.topics[k].title, "url": self.ix.url(Target::Topic(k)), "count": self.ix.topic_docs[k].len()}))
                    .collect();
                let meta = self.meta("政策集成主题", "topics", "topics", "topics/");
                self.page("topics.html", "topics/", meta, json!({"topics": topics}), self.template_loc("topics.html"))
            }
            Job::Page(k) => {
                let p = &c.pages[k];
                let dir = self.ix.url(Target::Page(k));
                let b = self.bodies.pages[k].as_ref();
                let mut meta = self.meta(&p.title, "page", "pages", &dir);
                meta.has_code = b.is_some_and(|b| b.has_code);
                let data = json!({"pg": {"title": p.title, "body": b.map(|b| b.html.as_str()).unwrap_or("")}});
                self.page("page.html", &dir, meta, data, p.src.file())
            }
            Job::Decision(k) => self.decision(k),
            Job::DecisionIndex => self.decision_index(),
            Job::Issue(k) => self.issue(k),
            Job::GazetteIndex => {
                let mut years: Vec<(u16, Vec<serde_json::Value>)> = Vec::new();
                for &k in self.issues.iter().rev() {
                    let iss = &c.issues[k];
                    let v = json!({"url": issue_url(iss), "label": issue_label(iss), "published": iss.published.to_string()});
                    match years.last_mut() {
                        Some((y, list)) if *y == iss.year => list.push(v),
                        _ => years.push((iss.year, vec![v])),
                    }
                }
                let years: Vec<_> = years.into_iter().map(|(y, l)| json!({"year": y, "issues": l})).collect();
                let mut meta = self.meta("政府公报", "gazette", "gazette", "gazette/");
                meta.feeds.push(FeedLink { title: "政府公报（订阅）".into(), url: "gazette/feed.xml".into() });
                self.page(
                    "gazette_index.html",
                    "gazette/",
                    meta,
                    json!({"years": years}),
                    self.template_loc("gazette_index.html"),
                )
            }
            Job::OrganIndex => {
                let organs: Vec<_> = self
                    .listings
                    .iter()
                    .filter_map(|l| l.organ.map(|o| (o, l.docs.len())))
                    .map(|(o, n)| json!({"name": c.organs[o].name, "url": format!("organs/{}/", c.organs[o].id), "count": n}))
                    .collect();
                let meta = self.meta("发文机关", "organs", "organs", "organs/");
                self.page("organs.html", "organs/", meta, json!({"organs": organs}), self.template_loc("organs.html"))
            }
            Job::List(l, n) => self.listing(l, n),
            Job::BrowseIndex => {
                let meta = self.meta("分类浏览", "browse", "documents", "browse/");
                self.page(
                    "browse.html",
                    "browse/",
                    meta,
                    json!({"facets": self.facets()}),
                    self.template_loc("browse.html"),
                )
            }
            Job::Search => {
                let meta = self.meta("搜索", "search", "search", "search/");
                self.page(
                    "search.html",
                    "search/",
                    meta,
                    json!({"search": self.search_filters()}),
                    self.template_loc("search.html"),
                )
            }
            Job::NotFound => {
                let mut meta = self.meta("页面不存在", "error", "", "404.html");
                meta.canonical = String::new();
                // Served for any missing URL, so its links are rooted at the site's base path.
                let root = base_path(&self.cfg.base_url);
                let ctx = Ctx { root: &root, page: meta, data: json!({}) };
                self.emit("404.html", "404.html".into(), &ctx, self.template_loc("404.html"))
            }
            Job::Alias(i, a) => {
                let d = &c.documents[i];
                let alias = d.aliases[a].trim_start_matches('/');
                let path = if alias.is_empty() || alias.ends_with('/') {
                    format!("{alias}index.html")
                } else {
                    alias.to_string()
                };
                let dir_depth = path.matches('/').count();
                let target = format!("{}{}", "../".repeat(dir_depth), self.ix.url(Target::Doc(i)));
                let ctx = json!({"target": target, "title": d.title, "canonical": self.cfg.absolute(&self.ix.url(Target::Doc(i)))});
                self.emit("redirect.html", path, &ctx, d.src.item("aliases", a))
            }
        }
    }

    fn home(&self) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        let latest: Vec<usize> = self.listings[0].docs.iter().copied().take(10).collect();
        let issue =
            self.issues.last().map(|&k| json!({"url": issue_url(&c.issues[k]), "label": issue_label(&c.issues[k])}));
        let topics: Vec<_> = (0..c.topics.len())
            .filter(|&k| self.ix.visible(Target::Topic(k)))
            .map(|k| json!({"title": c.topics[k].title, "url": self.ix.url(Target::Topic(k)), "count": self.ix.topic_docs[k].len()}))
            .collect();
        let interps: Vec<_> = self
            .ix
            .published_interpretations()
            .iter()
            .take(6)
            .map(|&k| json!({"title": c.interpretations[k].title, "url": self.ix.url(Target::Interp(k))}))
            .collect();
        let mut meta = self.meta(&self.cfg.title, "home", "home", "");
        meta.description = (!self.cfg.description.is_empty()).then(|| self.cfg.description.clone());
        let data = json!({"home": {"latest": self.rows(&latest), "issue": issue, "topics": topics, "interpretations": interps}});
        self.page("index.html", "", meta, data, self.template_loc("index.html"))
    }

    /// Facet groups with their values and counts, for the browse page and the公文库 page.
    fn facets(&self) -> Vec<serde_json::Value> {
        FACETS
            .iter()
            .map(|&(facet, label)| {
                let values: Vec<_> = self
                    .listings
                    .iter()
                    .filter(|l| l.facet == Some(facet))
                    .map(|l| json!({"title": l.heading.split_once('：').map_or(l.heading.as_str(), |x| x.1), "url": l.dir, "count": l.docs.len()}))
                    .collect();
                json!({"key": facet, "label": label, "values": values})
            })
            .collect()
    }

    /// The filter values of the search form, rendered into the page so it works before JS.
    fn search_filters(&self) -> serde_json::Value {
        let c = self.ix.content;
        let all = &self.listings[0].docs;
        let mut organs: Vec<&str> = Vec::new();
        for o in &c.organs {
            if all.iter().any(|&i| c.documents[i].issuer.contains(&o.id)) {
                organs.push(&o.name);
            }
        }
        let mut years: Vec<u16> = all.iter().map(|&i| c.documents[i].published.year).collect();
        years.sort_unstable_by(|a, b| b.cmp(a));
        years.dedup();
        let mut types: Vec<&str> = all.iter().filter_map(|&i| c.documents[i].doc_type.as_deref()).collect();
        types.sort_unstable();
        types.dedup();
        let mut topics: Vec<&str> =
            all.iter().flat_map(|&i| c.documents[i].topics.iter().map(String::as_str)).collect();
        topics.sort_unstable();
        topics.dedup();
        let validity: Vec<_> = Validity::ALL.iter().map(|v| json!({"slug": v.slug(), "label": v.label()})).collect();
        json!({"organs": organs, "years": years, "types": types, "topics": topics, "validity": validity})
    }

    fn listing(&self, l: usize, n: usize) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        let listing = &self.listings[l];
        let per = self.cfg.per_page;
        let pages = page_count(listing.docs.len(), per);
        let url_of = |p: usize| {
            if p == 1 {
                listing.dir.clone()
            } else {
                format!("{}page/{p}/", listing.dir)
            }
        };
        let dir = url_of(n);
        let slice = &listing.docs[((n - 1) * per).min(listing.docs.len())..(n * per).min(listing.docs.len())];
        let title = if n == 1 { listing.heading.clone() } else { format!("{}（第{n}页）", listing.heading) };
        let mut meta = self.meta(&title, "list", listing.section, &dir);
        meta.breadcrumbs = listing.crumbs.clone();
        let organ = listing.organ.map(|o| {
            let o = &c.organs[o];
            json!({"name": o.name, "short_name": o.short_name, "code": o.code, "url": o.url})
        });
        if listing.organ.is_some() {
            meta.feeds.push(FeedLink {
                title: format!("{}（订阅）", listing.heading),
                url: format!("{}feed.xml", listing.dir),
            });
        }
        let page_links: Vec<_> = (1..=pages).map(|p| json!({"n": p, "url": url_of(p), "current": p == n})).collect();
        let normative: Option<Vec<_>> = listing.normative.then(|| {
            slice
                .iter()
                .map(|&i| {
                    let d = &c.documents[i];
                    json!({"row": self.row(i), "registration": d.registration, "expires": d.expires.map(|x| x.to_string())})
                })
                .collect()
        });
        let facets = (l == 0 && n == 1).then(|| self.facets());
        let data = json!({"list": {
            "heading": listing.heading, "intro": null, "organ": organ, "total": listing.docs.len(),
            "normative": normative, "facets": facets,
            "rows": self.rows(slice), "pages": page_links,
            "prev": (n > 1).then(|| url_of(n - 1)), "next": (n < pages).then(|| url_of(n + 1)),
        }});
        self.page("list.html", &dir, meta, data, self.template_loc("list.html"))
    }

    fn document(&self, i: usize) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        let ix = self.ix;
        let d = &c.documents[i];
        let r = &ix.rel[i];
        let dir = ix.url(Target::Doc(i));
        let body = self.bodies.docs[i].as_ref();
        let mut faq: Vec<serde_json::Value> = d
            .faq
            .iter()
            .zip(&self.bodies.doc_faq[i])
            .map(|(q, a)| json!({"q": q.q, "a": a, "updated": q.updated.map(|u| u.to_string())}))
            .collect();
        for &k in &r.faq_sets {
            for (q, a) in c.faqs[k].items.iter().zip(&self.bodies.faq_sets[k]) {
                faq.push(json!({"q": q.q, "a": a, "updated": q.updated.map(|u| u.to_string())}));
            }
        }
        let docs_of = |v: &[Target]| -> Vec<Row> { v.iter().map(|&t| self.target_row(t)).collect() };
        let mut relations = Vec::new();
        for (label, v) in [
            ("政策依据", docs_of(&r.basis)),
            ("配套文件", docs_of(&r.supporting)),
            ("以本文件为依据", docs_of(&r.basis_of)),
            ("本文件为其配套文件", docs_of(&r.supporting_of)),
            ("本文件修改了", docs_of(&r.amends)),
            ("本文件废止了", docs_of(&r.repeals)),
            ("修改本文件的文件", docs_of(&r.amended_by)),
            ("废止本文件的文件", docs_of(&r.repealed_by)),
            ("相关文件", docs_of(&r.related)),
        ] {
            if !v.is_empty() {
                relations.push(json!({"label": label, "rows": v}));
            }
        }
        let cited_by: Vec<_> = r
            .cited_by
            .iter()
            .map(|&t| json!({"title": ix.title(t), "url": ix.url(t), "kind": (!matches!(t, Target::Doc(_))).then(|| kind_label(t))}))
            .collect();
        let interps: Vec<_> = r
            .interpretations
            .iter()
            .map(|&k| json!({"title": c.interpretations[k].title, "url": ix.url(Target::Interp(k)), "form": c.interpretations[k].form}))
            .collect();
        let lang_of = |j: usize| c.documents[j].lang.clone().unwrap_or_else(|| self.cfg.language.clone());
        let translations: Vec<_> = r
            .translations
            .iter()
            .map(|&j| json!({"lang": lang_of(j), "title": c.documents[j].title, "url": ix.url(Target::Doc(j))}))
            .collect();
        let translation_of = r
            .translation_of
            .map(|j| json!({"lang": lang_of(j), "title": c.documents[j].title, "url": ix.url(Target::Doc(j))}));
        let cause = r.validity_cause.map(|j| self.row(j));
        let cause_label = match r.validity {
            Validity::Repealed => "废止文件",
            _ => "修改文件",
        };
        let toc: Vec<&Heading> = body
            .map(|b| b.headings.iter().filter(|h| h.level <= 3).collect::<Vec<_>>())
            .filter(|h| h.len() >= 3)
            .unwrap_or_default();
        let issuers: Vec<_> =
            ix.issuers(i).iter().map(|o| json!({"name": o.name, "url": format!("organs/{}/", o.id)})).collect();
        let services: Vec<_> = d
            .services
            .iter()
            .filter_map(|s| ix.services.get(s.as_str()))
            .map(|&k| json!({"name": c.services[k].name, "url": c.services[k].url}))
            .collect();
        let attachments: Vec<_> = d
            .attachments
            .iter()
            .map(|a| {
                let ext = a.path.rsplit_once('.').map(|(_, e)| e.to_uppercase()).filter(|e| e.len() <= 5);
                json!({"title": a.title, "url": encode_path(&a.path), "ext": ext})
            })
            .collect();
        let issues: Vec<_> = r
            .issues
            .iter()
            .map(|&k| json!({"label": issue_label(&c.issues[k]), "url": issue_url(&c.issues[k])}))
            .collect();
        let topics_in: Vec<_> =
            r.topics.iter().map(|&k| json!({"title": c.topics[k].title, "url": ix.url(Target::Topic(k))})).collect();

        // 落款 (GB/T 9704): mark the body's own 发文机关署名 and 成文日期 so they sit right-
        // aligned; a body without them gets a 落款 block (shown in print) from the metadata.
        let issuer_names: Vec<&str> = ix.issuers(i).iter().map(|o| o.name.as_str()).collect();
        let (signed_body, has_sign) =
            mark_signature(body.map(|b| b.html.as_str()).unwrap_or(""), &issuer_names, d.written);
        let signature = (!has_sign).then(|| json!({"issuers": issuer_names, "date": d.written.map(|w| w.chinese())}));
        let mut meta = self.meta(&d.title, "document", "documents", &dir);
        meta.has_code = body.is_some_and(|b| b.has_code);
        meta.breadcrumbs.push(Crumb { title: "公文库".into(), url: "documents/index.html".into() });
        if let Some(lang) = &d.lang {
            meta.lang = lang.clone();
        }
        if let Some(j) = r.translation_of {
            meta.alternates.push(Alt { lang: lang_of(j), url: ix.url(Target::Doc(j)) });
        }
        for &j in &r.translations {
            meta.alternates.push(Alt { lang: lang_of(j), url: ix.url(Target::Doc(j)) });
        }
        if !meta.alternates.is_empty() {
            meta.alternates.push(Alt { lang: meta.lang.clone(), url: dir.clone() });
        }
        let data = json!({"doc": {
            "id": d.id, "title": d.title, "url": dir, "number": d.doc_number, "index_number": d.index_number,
            "issuers": issuers, "doc_type": d.doc_type,
            "written": d.written.map(|x| x.to_string()), "written_cn": date_cn(d.written),
            "published": d.published.to_string(), "published_cn": d.published.chinese(),
            "effective": d.effective.map(|x| x.to_string()), "effective_cn": date_cn(d.effective),
            "expires": d.expires.map(|x| x.to_string()), "expires_cn": date_cn(d.expires),
            "normative": d.normative, "registration": d.registration,
            "validity": r.validity.label(), "validity_slug": r.validity.slug(),
            "validity_cause": cause, "validity_cause_label": cause_label,
            "topics": d.topics, "tags": d.tags, "attachments": attachments, "services": services,
            "faq": faq, "interpretations": interps, "relations": relations, "cited_by": cited_by,
            "issues": issues, "topics_in": topics_in, "translations": translations, "translation_of": translation_of,
            "lang": d.lang, "consult_url": d.consult_url,
            "body": signed_body, "signature": signature, "toc": toc,
            "jsonld": self.jsonld(i), "tasks": crate::tasks::extract(&d.body),
        }});
        self.page("document.html", &dir, meta, data, d.src.file())
    }

    /// schema.org `Legislation` for a document, as a string safe inside `<script>`.
    fn jsonld(&self, i: usize) -> String {
        let c = self.ix.content;
        let ix = self.ix;
        let d = &c.documents[i];
        let r = &ix.rel[i];
        let abs = |t: &Target| self.cfg.absolute(&ix.url(*t));
        let mut v = json!({
            "@context": "https://schema.org",
            "@type": "Legislation",
            "@id": self.cfg.absolute(&ix.url(Target::Doc(i))),
            "url": self.cfg.absolute(&ix.url(Target::Doc(i))),
            "name": d.title,
            "inLanguage": d.lang.clone().unwrap_or_else(|| self.cfg.language.clone()),
            "datePublished": d.published.to_string(),
            "legislationLegalForce": r.validity.schema_org(),
            "legislationPassedBy": ix.issuers(i).iter().map(|o| json!({"@type": "GovernmentOrganization", "name": o.name})).collect::<Vec<_>>(),
        });
        let m = v.as_object_mut().expect("object literal");
        if let Some(n) = &d.doc_number {
            m.insert("legislationIdentifier".into(), json!(n));
        }
        if let Some(w) = d.written {
            m.insert("legislationDate".into(), json!(w.to_string()));
        }
        if let Some(e) = d.effective {
            m.insert("legislationDateVersion".into(), json!(e.to_string()));
        }
        if let Some(t) = &d.doc_type {
            m.insert("legislationType".into(), json!(t));
        }
        if !r.amends.is_empty() {
            m.insert("legislationChanges".into(), json!(r.amends.iter().map(abs).collect::<Vec<_>>()));
        }
        if !r.repeals.is_empty() {
            m.insert("legislationConsolidates".into(), json!(r.repeals.iter().map(abs).collect::<Vec<_>>()));
        }
        if !r.basis.is_empty() {
            m.insert("isBasedOn".into(), json!(r.basis.iter().map(abs).collect::<Vec<_>>()));
        }
        if !d.topics.is_empty() {
            m.insert("keywords".into(), json!(d.topics.join(",")));
        }
        v.to_string().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
    }

    fn interpretation(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        let it = &c.interpretations[k];
        let dir = self.ix.url(Target::Interp(k));
        let b = self.bodies.interps[k].as_ref();
        let doc = self.ix.interp_of[k].map(|j| self.row(j));
        let issuer = it.issuer.as_ref().and_then(|o| self.ix.organs.get(o.as_str())).map(|&o| c.organs[o].name.clone());
        let link = |v: &Option<String>| -> Option<String> {
            v.as_ref().map(|u| {
                if u.contains("://") {
                    u.clone()
                } else {
                    format!("{}{}", root_of(&dir), encode_path(u.trim_start_matches('/')))
                }
            })
        };
        let mut meta = self.meta(&it.title, "interpretation", "interpretations", &dir);
        meta.has_code = b.is_some_and(|b| b.has_code);
        meta.breadcrumbs.push(Crumb { title: "政策解读".into(), url: "interpretations/index.html".into() });
        let data = json!({"it": {
            "title": it.title, "form": it.form, "published": it.published.map(|d| d.to_string()),
            "issuer": issuer, "doc": doc, "image": link(&it.image), "video": link(&it.video),
            "body": b.map(|b| b.html.as_str()).unwrap_or(""),
        }});
        self.page("interpretation.html", &dir, meta, data, it.src.file())
    }

    fn decision(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        let d = &c.decisions[k];
        let dir = self.ix.url(Target::Decision(k));
        let mut stages: Vec<&Stage> = d.stages.iter().collect();
        stages.sort_by_key(|s| DECISION_STAGES.iter().position(|x| *x == s.stage).unwrap_or(usize::MAX));
        let stages: Vec<_> = stages
            .iter()
            .map(|s| {
                let t = s.reference.as_ref().and_then(|r| self.ix.lookup(&r.raw)).filter(|t| self.ix.visible(*t));
                json!({
                    "stage": s.stage, "date": s.date.map(|d| d.to_string()), "url": s.url,
                    "local": t.map(|t| self.ix.url(t)),
                    "title": t.map(|t| self.ix.title(t).to_string()).unwrap_or_else(|| s.stage.clone()),
                })
            })
            .collect();
        let organ = self.ix.organs.get(d.organ.as_str()).map(|&o| json!({"name": c.organs[o].name}));
        let mut meta = self.meta(&d.title, "decision", "decisions", &dir);
        meta.breadcrumbs
            .push(Crumb { title: "重大行政决策事项目录".into(), url: "decisions/index.html".into() });
        let data = json!({"dec": {
            "title": d.title, "organ": organ, "year": d.year, "status": d.status, "stages": stages,
            "body": self.bodies.decisions[k].as_ref().map(|b| b.html.as_str()).unwrap_or(""),
        }});
        self.page("decision.html", &dir, meta, data, d.src.file())
    }

    fn decision_index(&self) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        let mut ds: Vec<usize> = (0..c.decisions.len()).filter(|&k| self.ix.visible(Target::Decision(k))).collect();
        ds.sort_by(|&a, &b| {
            let (x, y) = (&c.decisions[a], &c.decisions[b]);
            y.year.cmp(&x.year).then(x.organ.cmp(&y.organ)).then(x.id.cmp(&y.id))
        });
        let mut years: Vec<serde_json::Value> = Vec::new();
        let mut cur: Option<(u16, Vec<(String, Vec<serde_json::Value>)>)> = None;
        for k in ds {
            let d = &c.decisions[k];
            let organ_name = self
                .ix
                .organs
                .get(d.organ.as_str())
                .map(|&o| c.organs[o].name.clone())
                .unwrap_or_else(|| d.organ.clone());
            let item = json!({"title": d.title, "url": self.ix.url(Target::Decision(k)), "status": d.status});
            match &mut cur {
                Some((y, organs)) if *y == d.year => match organs.last_mut() {
                    Some((n, items)) if *n == organ_name => items.push(item),
                    _ => organs.push((organ_name, vec![item])),
                },
                _ => {
                    if let Some((y, organs)) = cur.take() {
                        years.push(year_json(y, organs));
                    }
                    cur = Some((d.year, vec![(organ_name, vec![item])]));
                }
            }
        }
        if let Some((y, organs)) = cur {
            years.push(year_json(y, organs));
        }
        let meta = self.meta("重大行政决策事项目录", "decisions", "decisions", "decisions/");
        self.page("decisions.html", "decisions/", meta, json!({"years": years}), self.template_loc("decisions.html"))
    }

    fn issue(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let c = self.ix.content;
        let iss = &c.issues[k];
        let dir = issue_url(iss);
        let pos = self.issues.iter().position(|&x| x == k).unwrap_or(0);
        let nav = |p: Option<usize>| {
            p.and_then(|p| self.issues.get(p))
                .map(|&j| json!({"url": issue_url(&c.issues[j]), "label": issue_label(&c.issues[j])}))
        };
        let sections: Vec<_> = iss
            .sections
            .iter()
            .map(|s| {
                let rows: Vec<Row> = s
                    .items
                    .iter()
                    .filter_map(|r| match self.ix.lookup(&r.raw) {
                        Some(Target::Doc(j)) if self.ix.doc_visible(j) => Some(self.row(j)),
                        _ => None,
                    })
                    .collect();
                json!({"title": s.title, "rows": rows})
            })
            .collect();
        let heading = iss.title.clone().unwrap_or_else(|| format!("{}政府公报 {}", self.cfg.title, issue_label(iss)));
        let mut meta = self.meta(&heading, "gazette-issue", "gazette", &dir);
        meta.breadcrumbs.push(Crumb { title: "政府公报".into(), url: "gazette/index.html".into() });
        let data = json!({"issue": {
            "heading": heading, "year": iss.year, "number": iss.number, "total": iss.total,
            "published": iss.published.to_string(), "published_cn": iss.published.chinese(),
            "sections": sections, "prev": nav(pos.checked_sub(1)), "next": nav(Some(pos + 1)),
        }});
        self.page("gazette_issue.html", &dir, meta, data, iss.src.file())
    }
}

fn year_json(y: u16, organs: Vec<(String, Vec<serde_json::Value>)>) -> serde_json::Value {
    json!({"year": y, "organs": organs.into_iter().map(|(n, items)| json!({"name": n, "items": items})).collect::<Vec<_>>()})
}

/// Give the body's signature paragraphs (an issuer's name, the 成文日期 in Chinese) the
/// classes the stylesheets place as GB/T 9704 does. Returns the body and whether both
/// were found.
fn mark_signature(html: &str, issuers: &[&str], written: Option<crate::date::Date>) -> (String, bool) {
    let mut out = html.to_string();
    let mut found_issuer = false;
    for n in issuers {
        let plain = format!("<p>{}</p>", crate::markdown::escape(n));
        if let Some(i) = out.rfind(&plain) {
            out.replace_range(
                i..i + plain.len(),
                &format!("<p class=\"signature\">{}</p>", crate::markdown::escape(n)),
            );
            found_issuer = true;
        }
    }
    let mut found_date = false;
    if let Some(w) = written {
        let plain = format!("<p>{}</p>", w.chinese());
        if let Some(i) = out.rfind(&plain) {
            out.replace_range(i..i + plain.len(), &format!("<p class=\"sign-date\">{}</p>", w.chinese()));
            found_date = true;
        }
    }
    (out, found_issuer && found_date || (issuers.is_empty() && found_date))
}

pub fn page_count(n: usize, per: usize) -> usize {
    n.div_ceil(per.max(1)).max(1)
}

/// The path part of base_url (`/gongbao/`), for pages served at any URL (404).
pub fn base_path(base_url: &str) -> String {
    match base_url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_else(|| "/".into()),
        None => base_url.to_string(),
    }
}

pub fn issue_url(iss: &GazetteIssue) -> String {
    format!("gazette/{}/{}/", iss.year, iss.number)
}

pub fn issue_label(iss: &GazetteIssue) -> String {
    match iss.total {
        Some(t) => format!("{}年第{}期（总第{}期）", iss.year, iss.number, t),
        None => format!("{}年第{}期", iss.year, iss.number),
    }
}

fn kind_label(t: Target) -> &'static str {
    match t {
        Target::Doc(_) => "公文",
        Target::Interp(_) => "政策解读",
        Target::Topic(_) => "主题",
        Target::Page(_) => "页面",
        Target::Decision(_) => "重大决策",
    }
}

/// The listing row of a document.
pub fn doc_row(ix: &Index, i: usize) -> Row {
    let c = ix.content;
    let d = &c.documents[i];
    let v = ix.rel[i].validity;
    let issuer = ix.issuers(i).iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join("、");
    Row {
        title: d.title.clone(),
        url: ix.url(Target::Doc(i)),
        number: d.doc_number.clone(),
        issuer: Some(issuer),
        published: Some(d.published.to_string()),
        validity: Some(v.label()),
        validity_slug: Some(v.slug()),
        kind: None,
    }
}
