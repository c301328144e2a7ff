//! The page plan: every page of the site as a [`Job`], and what several pages share,
//! computed once (listing rows, listings with their URL spaces, the published gazette
//! issues in order).

use super::Renderer;
use crate::diag::Diagnostic;
use crate::linkcheck::Piece;
use crate::model::GazetteIssue;
use crate::resolve::{Index, ItemId};
use crate::routes;
use crate::tasks::Task;
use crate::theme::Prepared;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One listing row: a document (or another item) as every list shows it, borrowing
/// what it can from the site.
#[derive(Debug, Clone, Serialize)]
pub struct Row<'a> {
    pub title: &'a str,
    pub url: String,
    pub number: Option<&'a str>,
    pub issuer: Option<std::borrow::Cow<'a, str>>,
    pub published: Option<String>,
    pub validity: Option<&'static str>,
    pub validity_slug: Option<&'static str>,
    pub kind: Option<&'static str>,
    /// 阅办联动: the document's online services, each a "办" link in the row.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<RowService<'a>>,
}

/// A service of a listing row: its name and 一网通办 URL.
#[derive(Debug, Clone, Serialize)]
pub struct RowService<'a> {
    pub name: &'a str,
    pub url: &'a str,
}

/// One page to render.
#[derive(Debug, Clone, Copy)]
pub enum Job {
    Home,
    /// The page of a document, interpretation, topic, free page or decision.
    Item(ItemId),
    InterpIndex,
    TopicIndex,
    DecisionIndex,
    Issue(usize),
    /// A gazette issue read whole (every article in order, printable as one document).
    IssueFull(usize),
    GazetteIndex,
    OrganIndex,
    /// Page `n` (from 1) of listing `l` of [`Plan::listings`].
    List(usize, usize),
    BrowseIndex,
    Search,
    /// The 标签目录 page.
    TagIndex,
    /// The 政策找人 finder.
    Finder,
    NotFound,
    /// Alias `a` of document `i`: a redirect page at an old URL.
    Alias(usize, usize),
}

/// What a listing is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListingKind {
    /// 公文库: every published document.
    All,
    /// 行政规范性文件库: shows 登记号, 有效期 and 有效性 instead of plain rows.
    Normative,
    /// One 发文机关's documents (its index into `Content::organs`).
    Organ(usize),
    /// One value of a browse facet (its index into [`FACETS`]).
    Facet(usize),
    /// One 需求侧标签 value (`value` of the listing); its dimension when the site has a
    /// 标签目录 (an index into `Config::tag_catalog`).
    Tag(Option<usize>),
}

/// A listing with its own URL space: `documents/`, `organs/szf/`, `normative/`.
pub struct Listing {
    pub kind: ListingKind,
    pub dir: String,
    pub heading: String,
    /// A facet value as shown (`2024年`, `通知`), for the browse page.
    pub value: String,
    pub section: &'static str,
    pub docs: Vec<usize>,
    pub crumbs: &'static [(&'static str, &'static str)],
}

impl Listing {
    /// The listing without its documents.
    fn clone_empty(&self) -> Listing {
        let Listing { kind, dir, heading, value, section, crumbs, .. } = self;
        let (dir, heading, value) = (dir.clone(), heading.clone(), value.clone());
        Listing { kind: *kind, dir, heading, value, section, docs: Vec::new(), crumbs }
    }

    /// The documents on page `n` (from 1), `per` to a page.
    pub fn page(&self, n: usize, per: usize) -> &[usize] {
        let at = |k: usize| (k * per).min(self.docs.len());
        &self.docs[at(n.saturating_sub(1))..at(n)]
    }
}

/// Browse facets: (key and URL folder, label of the facet).
pub const FACETS: &[(&str, &str)] =
    &[("year", "发布年份"), ("type", "文种"), ("topic", "主题分类"), ("validity", "有效性")];

const ORGAN_CRUMBS: &[(&str, &str)] = &[("发文机关", routes::ORGANS_PAGE)];
const TAG_CRUMBS: &[(&str, &str)] = &[("标签", routes::TAGS_PAGE)];
const FACET_CRUMBS: &[(&str, &str)] = &[("公文库", routes::DOCUMENTS_PAGE), ("分类浏览", routes::BROWSE_PAGE)];

/// A listing row in a page's view: the plan's shared copy when it has one, else made
/// for this page (a one-off build, an item-only renderer, or an item that is not a
/// document).
pub enum RowView<'a> {
    /// The shared row (with the hash of its fields).
    Shared(&'a SharedRow),
    /// A document's row made for this page, and the hash of its fields: the same key as
    /// its shared row would give the page.
    Made(Row<'a>, u64),
    Own(Row<'a>),
}

/// For the template engine (a human-readable format) a row is its fields. For the build
/// cache's key (postcard, compact) a shared row is the hash of its fields, made once
/// with the row: the key still follows every field, without walking them again on every
/// page that lists the document.
impl Serialize for RowView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RowView::Shared(SharedRow { hash, .. }) | RowView::Made(_, hash) if !s.is_human_readable() => {
                s.serialize_u64(*hash)
            }
            RowView::Shared(row) => row.value.serialize(s),
            RowView::Made(r, _) => r.serialize(s),
            RowView::Own(r) => r.serialize(s),
        }
    }
}

/// Listing rows made by the previous build in this process (`serve --watch`), by their
/// document's inputs key (`render::deps`): the 公文库 lists every document, and making
/// (and converting) all their rows was the largest part of a rebuild's render stage.
pub type RowMemo = super::KeptByInputs<Arc<SharedRow>>;

/// The template that writes one row of a document list: `macros_doc_rows.html` shows
/// the list's `rows_html` when the page has them, and includes this template for each
/// row when not.
pub const ROW_TEMPLATE: &str = "doc_row.html";

/// A document list's rows as [`ROW_TEMPLATE`] wrote them for the page (its
/// `rows_html`, beside its `rows`), or none. The template sees one placeholder
/// ([`ROWS_MARK`]; an empty string when there are no rows), and the rows are pasted
/// where the page shows it once it is rendered ([`RowsHtml::paste`]): joined into one
/// string for the template, they were copied three times on the way to the page (the
/// string, the template engine's value, its output), a list page being nine tenths rows
/// (a topic's page lists every document of the topic: megabytes at 100,000 documents).
/// A theme shows `rows_html` as it is, as `macros_doc_rows.html` does; a filter on it
/// sees the placeholder (a one-off build writes each row with `doc_row.html` instead,
/// so only a theme that shows it as it is makes the same pages in both). Not part of a
/// page's cache key: it follows from the rows, the page's depth and the templates,
/// which the key has. Borrowed from the page's [`Listed::pieces`], which go to the link
/// gate after.
pub struct RowsHtml<'p>(pub Option<&'p [Arc<Piece>]>);

/// What a template sees as a page's `rows_html` (see [`RowsHtml`]): found only where the
/// template showed `rows_html`, as what else a page is made of holds no NUL (Markdown and
/// the HTML sanitiser replace it, a YAML file cannot hold one unescaped; only a quoted
/// YAML value that spells out this very text with `\0` could).
const ROWS_MARK: &str = "\u{0}gazette:rows_html\u{0}";

impl Serialize for RowsHtml<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(pieces) if s.is_human_readable() => {
                Prepared::html(if pieces.is_empty() { "" } else { ROWS_MARK }).serialize(s)
            }
            _ => s.serialize_none(),
        }
    }
}

impl RowsHtml<'_> {
    /// The page `html` its template wrote with the rows `pieces` pasted in, in order,
    /// wherever it showed `rows_html`; as it is when it did not show them.
    pub fn paste(html: Vec<u8>, pieces: &[Arc<Piece>]) -> Vec<u8> {
        let marks: Vec<usize> = memchr::memmem::find_iter(&html, ROWS_MARK).collect();
        if marks.is_empty() {
            return html;
        }
        let rows: usize = pieces.iter().map(|p| p.html.len()).sum();
        let mut out = Vec::with_capacity(html.len() + marks.len() * rows);
        let mut from = 0;
        for at in marks {
            out.extend_from_slice(&html[from..at]);
            pieces.iter().for_each(|p| out.extend_from_slice(p.html.as_bytes()));
            from = at + ROWS_MARK.len();
        }
        out.extend_from_slice(&html[from..]);
        out
    }
}

/// A document list for a page: its rows, and the same written by [`ROW_TEMPLATE`]
/// when they are (see [`Renderer::listed`]): what the page shows as its `rows_html`
/// ([`RowsHtml`]) and pastes, for the link gate (`Rendered::pasting`). None: the
/// page's template writes each row itself.
pub struct Listed<'a> {
    pub rows: Vec<RowView<'a>>,
    pub pieces: Option<Vec<Arc<Piece>>>,
}

impl<'a> Listed<'a> {
    /// Rows only: the page's template writes each row itself.
    pub fn plain(rows: Vec<RowView<'a>>) -> Listed<'a> {
        Listed { rows, pieces: None }
    }
}

/// A published document's listing row as serve's pages share it, and its next build's
/// when the document's inputs are the same ([`RowMemo`]).
pub struct SharedRow {
    /// The row as the template engine's value, converted once.
    value: Prepared,
    /// The hash of its fields (what pages' cache keys take for the row).
    hash: u64,
    /// The row as [`ROW_TEMPLATE`] writes it, by the `root` of the pages it was written
    /// for and the template's key: a 公文库 page then pastes its rows, and the link gate
    /// takes their links as resolved once. An edit that moves every listing page by one
    /// (a document added, removed or redated) re-renders ~500 pages at 10,000 documents:
    /// writing their rows through the template engine was a fifth of such a rebuild's
    /// instructions, scanning them for links another sixth. ~600 bytes for each depth a
    /// row is listed at (three to five).
    listed: std::sync::Mutex<Vec<Written>>,
}

/// A row written for the pages at one depth (see [`SharedRow::listed`]).
struct Written {
    root: Box<str>,
    /// The key of the template that wrote it, with the theme's globals.
    key: u64,
    piece: Arc<Piece>,
}

/// What [`ROW_TEMPLATE`] sees, with the theme's `site`: the row, and the way back to
/// the site root of the pages it is written for.
#[derive(Serialize)]
struct RowContext<'a> {
    root: &'a str,
    r: &'a Prepared,
}

impl SharedRow {
    fn new(row: &Row) -> SharedRow {
        SharedRow { value: Prepared::new(row), hash: row_hash(row), listed: Default::default() }
    }

    /// The row as written for pages at `root` by `write`, unless kept (under the same
    /// template `key`) from a page before.
    fn listed<E>(
        &self,
        root: &str,
        key: u64,
        write: impl FnOnce(&Prepared) -> Result<Piece, E>,
    ) -> Result<Arc<Piece>, E> {
        let lock = || self.listed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = lock().iter().find(|w| *w.root == *root && w.key == key) {
            return Ok(w.piece.clone());
        }
        // Written outside the lock: two pages that want it at once both write it.
        let piece = Arc::new(write(&self.value)?);
        let mut kept = lock();
        kept.retain(|w| w.key == key && *w.root != *root); // an edited template's rows are not kept
        kept.push(Written { root: root.into(), key, piece: piece.clone() });
        Ok(piece)
    }
}

/// The listings of the previous build in this process (`serve --watch`) with what they
/// were made from ([`ListingsKey`]): an edit that leaves every published document's
/// place, facets, validity and 规范性文件 flag, the organs, the gazette issues and the
/// configuration as they were (a title, a body, a relation, a service) takes them as
/// they were. Grouping the library by organ, year, 文种, topic, validity and tag was a
/// tenth of a title edit's rebuild at 100,000 documents. An edit that changes those of a
/// few documents (a date, a topic, a validity) has them put in their places
/// ([`Plan::patched`]): grouping again was a fifth of the CPU of a date edit's rebuild
/// at 100,000 documents.
#[derive(Default)]
pub struct ListingsMemo(std::sync::Mutex<Option<(ListingsKey, Plan)>>);

/// What the pages of one build share.
#[derive(Default, Clone)]
pub struct Plan {
    /// Per published document: its listing row as the template engine's value, shared by
    /// every page that lists the document (see `theme::Prepared`), and the hash of its
    /// fields for cache keys.
    shared: Vec<Option<Arc<SharedRow>>>,
    /// A one-off build's instead: per document, the hash of its row's fields, made the
    /// first time a page shows the row (each page makes the rows it shows, see
    /// [`Plan::with_rows`]).
    row_hashes: Vec<std::sync::OnceLock<u64>>,
    /// Every published document, newest first (the 公文库).
    pub all: Arc<Vec<usize>>,
    /// (Shared: serve keeps them for the next build, `ListingsMemo`, not a copy.)
    pub listings: Arc<Vec<Listing>>,
    /// The values the search form offers (kept with the listings, as they are).
    pub values: Arc<FacetValues>,
    /// Published gazette issues, oldest first (for previous/next).
    pub issues: Vec<usize>,
    /// Two values of a facet or tag share a listing (their URL segments are the same):
    /// which one it shows depends on the order the documents come in, so serve does not
    /// patch these listings ([`Plan::patched`]) but groups them again.
    merged: bool,
}

/// Every value the published documents take, for the search form's filters: years newest
/// first, 文种 and topics in order. Made with the listings and kept with them by serve's
/// memo: made on the search page, each build sorted every document's values again, ~55 ms
/// of CPU of every serve rebuild at 100,000 documents for a page that changes only when
/// the listings do.
#[derive(Default)]
pub struct FacetValues {
    pub years: Vec<u16>,
    pub types: Vec<String>,
    pub topics: Vec<String>,
}

impl Plan {
    /// The listing rows of a plan made by [`Plan::listings`]. `key(i)` is the inputs key
    /// of document `i`'s row (0: none); with a `memo` (serve), each row is converted to
    /// the template engine's value once, shared by every page that shows it, and rows
    /// whose key is the previous build's are taken from the memo.
    ///
    /// A one-off build keeps only the hash of each row's fields (for pages' cache keys,
    /// made when first asked: an incremental build renders few pages), and each page
    /// makes the rows it shows, borrowing from the site. Every published
    /// document's row converted and held took ~1.8 KB, ~180 MB at 100,000 documents held
    /// through the render stage, where a cold build's memory peaks (BENCHMARKS.md,
    /// session 27).
    pub fn with_rows(mut self, ix: &Index, key: &(dyn Fn(usize) -> u64 + Sync), memo: Option<&RowMemo>) -> Plan {
        let Some(memo) = memo else {
            self.row_hashes = vec![std::sync::OnceLock::new(); ix.content.documents.len()];
            return self;
        };
        let rows = super::made_or_kept(
            Some(memo),
            ix.published_documents(),
            |&i| key(i),
            |&i| Arc::new(SharedRow::new(&doc_row(ix, i))),
        );
        self.shared = vec![None; ix.content.documents.len()];
        for (&i, row) in ix.published_documents().iter().zip(rows) {
            self.shared[i] = Some(row);
        }
        self
    }

    /// [`Plan::listings`], or, with a `memo` whose listings were made from the same
    /// inputs, those. `config`: the configuration's key (`deps::config_key`).
    pub fn listings_kept(ix: &Index, cfg: &crate::config::Config, config: u64, memo: Option<&ListingsMemo>) -> Plan {
        let Some(memo) = memo else { return Plan::listings(ix, cfg) };
        let key = ListingsKey::new(ix, config);
        let mut kept = memo.0.lock().unwrap_or_else(|e| e.into_inner());
        let plan = match kept.as_ref() {
            Some((was, plan)) if *was == key => plan.clone(),
            Some((was, plan)) => match was.changed(&key).and_then(|changed| plan.patched(ix, cfg, &changed)) {
                Some(plan) => plan,
                None => Plan::listings(ix, cfg),
            },
            None => Plan::listings(ix, cfg),
        };
        *kept = Some((key, plan.clone()));
        plan
    }

    /// The listings of a build, without their rows ([`Plan::with_rows`]): made while the
    /// inputs keys the rows need are (`Renderer::cached`).
    pub fn listings(ix: &Index, cfg: &crate::config::Config) -> Plan {
        Plan::listings_of(ix, cfg, ix.published_documents().to_vec())
    }

    /// This plan's listings with the `changed` documents put where they now belong (see
    /// [`ListingsMemo`]), as [`Plan::listings`] would make them: the others keep their
    /// order among themselves (documents are ordered by date and id, both in the key),
    /// so each listing is its documents but the changed ones, merged by their place in
    /// the new order with the changed ones that belong to it. `None` when a listing would
    /// come or go (a value met for the first or last time), or a value's listing shows it
    /// as another one sharing its URL segment (`merged`): those are grouped anew.
    fn patched(&self, ix: &Index, cfg: &crate::config::Config, changed: &[usize]) -> Option<Plan> {
        if self.merged {
            return None;
        }
        let all = ix.published_documents();
        let mut place = vec![u32::MAX; ix.content.documents.len()];
        for (n, &i) in all.iter().enumerate() {
            place[i] = n as u32;
        }
        let mut is_changed = vec![false; place.len()];
        changed.iter().for_each(|&i| is_changed[i] = true);
        let mut theirs: Vec<usize> = changed.iter().copied().filter(|&i| place[i] != u32::MAX).collect();
        theirs.sort_unstable_by_key(|&i| place[i]);
        // The changed documents' own listings, as a site of only them has them.
        let few = Plan::listings_of(ix, cfg, theirs);
        if few.merged {
            return None;
        }
        let mut joining: crate::hash::FastMap<&str, &Listing> =
            few.listings.iter().filter(|l| !l.docs.is_empty()).map(|l| (l.dir.as_str(), l)).collect();
        let mut listings = Vec::with_capacity(self.listings.len());
        for l in self.listings.iter() {
            let new = joining.remove(l.dir.as_str());
            if new.is_some_and(|n| n.heading != l.heading || n.value != l.value) {
                return None;
            }
            let (mut kept, mut new) = (
                l.docs.iter().filter(|&&i| !is_changed[i]).peekable(),
                new.map_or(&[][..], |n| &n.docs).iter().peekable(),
            );
            let mut docs = Vec::with_capacity(l.docs.len() + new.len());
            // (Merged by place: no document is on both sides.)
            loop {
                let next = match (kept.peek(), new.peek()) {
                    (Some(&&a), Some(&&b)) if place[b] < place[a] => new.next(),
                    (Some(_), _) => kept.next(),
                    (None, _) => new.next(),
                };
                let Some(&i) = next else { break };
                docs.push(i);
            }
            // (Every organ, each 标签目录 value, the two libraries: listed even when empty.)
            if docs.is_empty() && matches!(l.kind, ListingKind::Facet(_) | ListingKind::Tag(None)) {
                return None;
            }
            listings.push(Listing { docs, ..l.clone_empty() });
        }
        if !joining.is_empty() {
            return None;
        }
        Some(Plan {
            all: Arc::new(all.to_vec()),
            listings: Arc::new(listings),
            values: self.values.clone(),
            issues: self.issues.clone(),
            ..Plan::default()
        })
    }

    /// The listings of `all` (published documents, newest first): the site's, or those
    /// of a few documents that [`Plan::patched`] puts in their places.
    fn listings_of(ix: &Index, cfg: &crate::config::Config, all: Vec<usize>) -> Plan {
        let c = &ix.content;
        let listing = |kind, dir: String, heading: String, section, docs, crumbs| Listing {
            kind,
            dir,
            heading,
            value: String::new(),
            section,
            docs,
            crumbs,
        };
        let mut listings = vec![
            listing(ListingKind::All, routes::DOCUMENTS.into(), "公文库".into(), "documents", all.clone(), &[][..]),
            listing(
                ListingKind::Normative,
                routes::NORMATIVE.into(),
                "行政规范性文件库".into(),
                "normative",
                all.iter().copied().filter(|&i| c.documents[i].normative).collect(),
                &[],
            ),
        ];
        // Each organ's documents, newest first, in one pass over the library.
        let mut by_organ: Vec<Vec<usize>> = vec![Vec::new(); c.organs.len()];
        for &i in &all {
            for id in &c.documents[i].issuer {
                if let Some(&k) = ix.organs.get(id) {
                    if by_organ[k].last() != Some(&i) {
                        by_organ[k].push(i);
                    }
                }
            }
        }
        for ((k, o), docs) in c.organs.iter().enumerate().zip(by_organ) {
            listings.push(listing(
                ListingKind::Organ(k),
                routes::organ(&o.id),
                o.name.clone(),
                "organs",
                docs,
                ORGAN_CRUMBS,
            ));
        }
        // Browse facets: every value that occurs, each a paginated listing, newest first.
        // Each facet's groups on its own (in parallel), appended in FACETS order.
        // (With each facet's values as the documents give them, for the search form.)
        let facet_listings: Vec<(Vec<Listing>, FacetValues, bool)> = FACETS
            .par_iter()
            .enumerate()
            .map(|(f, &(facet, label))| {
                let docs = |i: usize| &c.documents[i];
                let mut values = FacetValues::default();
                let owned = |keys: Vec<&str>| keys.into_iter().map(str::to_string).collect();
                // (Values met, against the groups made: more when two share a segment.)
                let met;
                let groups = match facet {
                    "year" => {
                        let (groups, years) = group_by(
                            &all,
                            |i, k| k.push(docs(i).published.year),
                            |y| format!("{y:04}"),
                            |y| format!("{y}年"),
                        );
                        values.years = years;
                        met = values.years.len();
                        groups
                    }
                    "type" => {
                        let (groups, types) = group_by(
                            &all,
                            |i, k| k.extend(docs(i).doc_type.as_deref()),
                            |t| routes::path_segment(t),
                            |t| t.to_string(),
                        );
                        values.types = owned(types);
                        met = values.types.len();
                        groups
                    }
                    "topic" => {
                        let (groups, topics) = group_by(
                            &all,
                            |i, k| k.extend(docs(i).topics.iter().map(String::as_str)),
                            |t| routes::path_segment(t),
                            |t| t.to_string(),
                        );
                        values.topics = owned(topics);
                        met = values.topics.len();
                        groups
                    }
                    _ => {
                        let (groups, validities) = group_by(
                            &all,
                            |i, k| k.push(ix.rel[i].validity),
                            |v| v.slug().to_string(),
                            |v| v.label().to_string(),
                        );
                        met = validities.len();
                        groups
                    }
                };
                let merged = met > groups.len();
                let ordered: Box<dyn Iterator<Item = _>> =
                    if facet == "year" { Box::new(groups.into_iter().rev()) } else { Box::new(groups.into_iter()) };
                let listings = ordered
                    .map(|(seg, shown, docs)| {
                        let mut l = listing(
                            ListingKind::Facet(f),
                            routes::browse(facet, &seg),
                            format!("{label}：{shown}"),
                            "documents",
                            docs,
                            FACET_CRUMBS,
                        );
                        l.value = shown;
                        l
                    })
                    .collect();
                (listings, values, merged)
            })
            .collect();
        let mut values = FacetValues::default();
        let mut merged = false;
        for (facet, v, m) in facet_listings {
            merged |= m;
            listings.extend(facet);
            values.years.extend(v.years);
            values.types.extend(v.types);
            values.topics.extend(v.topics);
        }
        values.years.sort_unstable_by(|a, b| b.cmp(a));
        values.types.sort_unstable();
        values.topics.sort_unstable();
        let (tags, tags_merged) = tag_listings(ix, cfg, &all);
        listings.extend(tags);
        let mut issues: Vec<usize> = (0..c.issues.len()).filter(|&k| ix.issue_visible(k)).collect();
        issues.sort_by_key(|&k| (c.issues[k].year, c.issues[k].number));
        issues.dedup_by_key(|k| (c.issues[*k].year, c.issues[*k].number));
        let values = Arc::new(values);
        Plan {
            shared: Vec::new(),
            row_hashes: Vec::new(),
            all: Arc::new(all),
            listings: Arc::new(listings),
            values,
            issues,
            merged: merged || tags_merged,
        }
    }
}

/// What [`Plan::listings`] reads: the configuration (`config`, its key; the 标签目录
/// among it), the organs in order and each gazette issue's year, number and whether it
/// is published, as one hash; and per document (in `Content::documents`' order) what
/// places it in the listings: its facets (`search::facets_of`: its issuers, date, 文种,
/// topics, tags and numbers, hashed once per loaded document), its id's hash (with its
/// date, its place in the order), and its validity, 规范性文件 flag and whether it is
/// published. (The three words kept, not hashed into one: 2.4 MB at 100,000 documents.)
#[derive(PartialEq)]
pub struct ListingsKey {
    shared: u64,
    documents: Vec<[u64; 3]>,
}

impl ListingsKey {
    fn new(ix: &Index, config: u64) -> ListingsKey {
        use std::hash::Hash;
        let c = &ix.content;
        let mut h = crate::hash::Hasher::new();
        config.hash(&mut h);
        for o in &c.organs {
            (&o.id, &o.name).hash(&mut h);
        }
        for (k, issue) in c.issues.iter().enumerate() {
            (ix.issue_visible(k), issue.year, issue.number).hash(&mut h);
        }
        let documents = (c.documents.iter().enumerate())
            .map(|(i, d)| {
                let published = ix.doc_visible(i); // (what puts it in `published_documents`)
                let flags = (ix.rel[i].validity as u64) << 2 | u64::from(d.normative) << 1 | u64::from(published);
                [crate::search::facets_of(d), crate::model::Item::id_key(&**d), flags]
            })
            .collect();
        ListingsKey { shared: h.digest(), documents }
    }

    /// The documents whose place in the listings may have changed since `self` was made,
    /// when only a few did and the rest are the same documents as they were (none was
    /// added or removed: each keeps its number).
    fn changed(&self, now: &ListingsKey) -> Option<Vec<usize>> {
        if self.shared != now.shared || self.documents.len() != now.documents.len() {
            return None;
        }
        let changed: Vec<usize> = (self.documents.iter().zip(&now.documents).enumerate())
            .filter(|(_, (a, b))| a != b)
            .map(|(i, _)| i)
            .collect();
        // (Past a few, grouping anew costs no more than putting each back.)
        (changed.len() <= 64.max(self.documents.len() / 64)).then_some(changed)
    }
}

/// One listing per 需求侧标签 value, newest first. With a 标签目录, every value of it in
/// its order (a value no document has yet gets an empty page, so the catalogue's links
/// all work); without one, every tag in use, in segment order.
fn tag_listings(ix: &Index, cfg: &crate::config::Config, all: &[usize]) -> (Vec<Listing>, bool) {
    let c = &ix.content;
    let (groups, met) = group_by(
        all,
        |i, k| k.extend(c.documents[i].tags.iter().map(String::as_str)),
        |t| routes::path_segment(t),
        |t| t.to_string(),
    );
    let listing = |dim: Option<usize>, seg: &str, value: String, docs: Vec<usize>| Listing {
        kind: ListingKind::Tag(dim),
        dir: routes::tag(seg),
        heading: format!("标签：{value}"),
        value,
        section: "tags",
        docs,
        crumbs: TAG_CRUMBS,
    };
    let merged = met.len() > groups.len();
    if cfg.tag_catalog.is_empty() {
        return (groups.into_iter().map(|(seg, shown, docs)| listing(None, &seg, shown, docs)).collect(), merged);
    }
    let mut by_value: std::collections::HashMap<String, Vec<usize>> =
        groups.into_iter().map(|(_, shown, docs)| (shown, docs)).collect();
    let mut out = Vec::new();
    for (d, dim) in cfg.tag_catalog.iter().enumerate() {
        for v in &dim.values {
            let docs = by_value.remove(v).unwrap_or_default();
            out.push(listing(Some(d), &routes::path_segment(v), v.clone(), docs));
        }
    }
    (out, merged)
}

/// One value's documents (see [`group_by`]): its URL segment, the value as shown, and the
/// documents in `all`'s order.
type Group = (String, String, Vec<usize>);

/// The documents of `all` grouped by the values `keys` gives each (a year, a 文种, a
/// topic…): per URL segment (`seg` of a value, in segment order), the value as shown (the
/// first one met, should two values share a segment) and its documents in `all`'s order.
/// Values are grouped before anything is formatted: one string per value, not per
/// document. With every value met, each once (the search form offers them).
fn group_by<K: std::hash::Hash + Eq + Clone>(
    all: &[usize],
    keys: impl Fn(usize, &mut Vec<K>),
    seg: impl Fn(&K) -> String,
    shown: impl Fn(&K) -> String,
) -> (Vec<Group>, Vec<K>) {
    let mut index: crate::hash::FastMap<K, usize> = crate::hash::FastMap::default();
    // Per value, in the order first met: the positions in `all` of its documents.
    let mut groups: Vec<(K, Vec<usize>)> = Vec::new();
    let mut buf = Vec::new();
    for (p, &i) in all.iter().enumerate() {
        keys(i, &mut buf);
        for k in buf.drain(..) {
            let g = *index.entry(k.clone()).or_insert_with(|| {
                groups.push((k, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(p);
        }
    }
    let mut by_seg: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
    let mut met = Vec::with_capacity(groups.len());
    for (k, positions) in groups {
        by_seg.entry(seg(&k)).or_insert_with(|| (shown(&k), Vec::new())).1.extend(positions);
        met.push(k);
    }
    let grouped = by_seg
        .into_iter()
        .map(|(s, (shown, mut pos))| {
            pos.sort_unstable();
            pos.dedup();
            (s, shown, pos.into_iter().map(|p| all[p]).collect())
        })
        .collect();
    (grouped, met)
}

impl Renderer<'_> {
    /// Every page of the site.
    pub fn jobs(&self) -> Vec<Job> {
        let c = &self.ix.content;
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
            Job::TagIndex,
            Job::Finder,
            Job::NotFound,
        ];
        for t in c.items().filter(|&t| ix.visible(t)) {
            jobs.push(Job::Item(t));
            if let ItemId::Doc(i) = t {
                jobs.extend((0..c.documents[i].aliases.len()).map(|a| Job::Alias(i, a)));
            }
        }
        jobs.extend(self.plan.issues.iter().flat_map(|&k| [Job::Issue(k), Job::IssueFull(k)]));
        for (l, listing) in self.plan.listings.iter().enumerate() {
            for p in 0..page_count(listing.docs.len(), self.cfg.per_page) {
                jobs.push(Job::List(l, p + 1));
            }
        }
        jobs
    }

    /// The pages that show item `t`'s body: its own, and for a document in a 公报 issue
    /// that issue's whole-issue page. (Listings, feeds and the catalogue show front matter.)
    pub fn pages_showing_body(&self, t: ItemId) -> Vec<Job> {
        let mut jobs = vec![Job::Item(t)];
        if let ItemId::Doc(j) = t {
            jobs.extend(self.ix.rel[j].issues.iter().map(|k| Job::IssueFull(k.0)));
        }
        jobs
    }

    /// What [`Renderer::url`] makes `job`'s URL of, fed to `h` without formatting it: an
    /// item's kind and id, an issue's year and number, a listing's folder and page. Equal
    /// parts, equal URL (for keys of files that list URLs: the sitemaps). A page without
    /// a URL of its own (404, redirects) adds nothing.
    pub fn url_parts(&self, job: Job, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        let c = &self.ix.content;
        match job {
            Job::NotFound | Job::Alias(..) => return,
            Job::Item(t) => (t.kind_name(), c.item(t).id()).hash(h),
            Job::Issue(k) | Job::IssueFull(k) => (c.issues[k].year, c.issues[k].number).hash(h),
            Job::List(l, n) => (&self.plan.listings[l].dir, n).hash(h),
            Job::Home
            | Job::InterpIndex
            | Job::TopicIndex
            | Job::DecisionIndex
            | Job::GazetteIndex
            | Job::OrganIndex
            | Job::Search
            | Job::BrowseIndex
            | Job::TagIndex
            | Job::Finder => {}
        }
        std::mem::discriminant(&job).hash(h);
    }

    /// The folder URL of a job's page (`documents/a/`, `organs/szf/page/2/`); `None` for
    /// the pages that are files of their own (404, redirects).
    pub fn url(&self, job: Job) -> Option<String> {
        let ix = self.ix;
        Some(match job {
            Job::Home => routes::HOME.into(),
            Job::Item(t) => ix.url(t),
            Job::Issue(k) => issue_url(&ix.content.issues[k]),
            Job::IssueFull(k) => routes::gazette_issue_full(ix.content.issues[k].year, ix.content.issues[k].number),
            Job::List(l, n) => routes::listing_page(&self.plan.listings[l].dir, n),
            Job::InterpIndex => routes::INTERPRETATIONS.into(),
            Job::TopicIndex => routes::TOPICS.into(),
            Job::DecisionIndex => routes::DECISIONS.into(),
            Job::GazetteIndex => routes::GAZETTE.into(),
            Job::OrganIndex => routes::ORGANS.into(),
            Job::Search => routes::SEARCH.into(),
            Job::BrowseIndex => routes::BROWSE.into(),
            Job::TagIndex => routes::TAGS.into(),
            Job::Finder => routes::FINDER.into(),
            Job::NotFound | Job::Alias(..) => return None,
        })
    }

    /// A published document's 任务分解 (read on demand by an item-only renderer).
    pub fn tasks(&self, i: usize) -> &[Task] {
        self.bodies.tasks.get(i).map_or(&[], Vec::as_slice)
    }

    /// A published document's listing row, for a page's view.
    pub(super) fn row(&self, i: usize) -> RowView<'_> {
        match self.plan.shared.get(i).and_then(Option::as_ref) {
            Some(p) => RowView::Shared(p),
            None => {
                let row = doc_row(self.ix, i);
                let hash = match self.plan.row_hashes.get(i) {
                    Some(hash) => *hash.get_or_init(|| row_hash(&row)),
                    None => row_hash(&row),
                };
                RowView::Made(row, hash)
            }
        }
    }

    pub(super) fn rows(&self, docs: &[usize]) -> Vec<RowView<'_>> {
        docs.iter().map(|&i| self.row(i)).collect()
    }

    /// A document list that `template` shows on a page at `root`: its rows and, when
    /// the rows are shared (serve) and `template` uses [`ROW_TEMPLATE`], the same as that
    /// template writes them, each written once per depth and kept with the shared row.
    /// Else no `html` (the page's template then writes each row itself, the same bytes).
    pub(super) fn listed(&self, docs: &[usize], root: &str, template: &str) -> Result<Listed<'_>, Diagnostic> {
        let rows = self.rows(docs);
        if self.plan.shared.is_empty() || !self.theme.uses(template, ROW_TEMPLATE) {
            return Ok(Listed::plain(rows));
        }
        let t = &self.theme;
        let key = crate::hash::of(&[t.template_key(ROW_TEMPLATE).to_le_bytes(), t.globals.to_le_bytes()].concat());
        let base = routes::base_path(&self.cfg.base_url);
        let write = |r: &Prepared| -> Result<Piece, Diagnostic> {
            Ok(Piece::new(t.render_piece(ROW_TEMPLATE, &RowContext { root, r })?, root, &base))
        };
        let mut pieces = Vec::with_capacity(docs.len());
        for &i in docs {
            // (Every published document has a shared row when any has.)
            let Some(row) = self.plan.shared.get(i).and_then(Option::as_ref) else {
                return Ok(Listed::plain(rows));
            };
            pieces.push(row.listed(root, key, write)?);
        }
        Ok(Listed { rows, pieces: Some(pieces) })
    }

    /// The row of any linkable item (relations may name topics, pages…).
    pub(super) fn target_row(&self, t: ItemId) -> RowView<'_> {
        match t {
            ItemId::Doc(i) => self.row(i),
            other => RowView::Own(Row {
                title: self.ix.title(other),
                url: self.ix.url(other),
                number: None,
                issuer: None,
                published: None,
                validity: None,
                validity_slug: None,
                kind: Some(other.kind_label()),
                services: Vec::new(),
            }),
        }
    }
}

pub fn page_count(n: usize, per: usize) -> usize {
    n.div_ceil(per.max(1)).max(1)
}

pub fn issue_url(iss: &GazetteIssue) -> String {
    routes::gazette_issue(iss.year, iss.number)
}

pub fn issue_label(iss: &GazetteIssue) -> String {
    match iss.total {
        Some(t) => format!("{}年第{}期（总第{}期）", iss.year, iss.number, t),
        None => format!("{}年第{}期", iss.year, iss.number),
    }
}

/// The hash of a row's fields, for which a page's cache key takes the row.
fn row_hash(row: &Row) -> u64 {
    crate::cache::PageCache::key(0, row).unwrap_or(0)
}

/// The listing row of a document.
pub fn doc_row(ix: &Index, i: usize) -> Row<'_> {
    let c = &ix.content;
    let d = &c.documents[i];
    let v = ix.rel[i].validity;
    Row {
        title: &d.title,
        url: ix.url(ItemId::Doc(i)),
        number: d.doc_number.as_deref(),
        issuer: Some(ix.issuer_names(i)),
        published: Some(d.published.to_string()),
        validity: Some(v.label()),
        validity_slug: Some(v.slug()),
        kind: None,
        services: d
            .services
            .iter()
            .filter_map(|s| ix.services.get(s.as_str()))
            .map(|&k| RowService { name: &c.services[k].name, url: &c.services[k].url })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::Theme;

    #[test]
    fn facet_values_group_by_segment_in_library_order() {
        // Documents 7, 3, 5, 9 in listing order; 3 and 9 have values that share a segment.
        let all = [7, 3, 5, 9];
        let values = |i: usize| -> Vec<&str> {
            match i {
                7 => vec!["乙"],
                3 => vec!["a/b", "乙"],
                5 => vec!["甲"],
                _ => vec!["a-b", "a/b"],
            }
        };
        let (groups, met) = group_by(&all, |i, k| k.extend(values(i)), |v| routes::path_segment(v), |v| v.to_string());
        // Every value met, each once, in the order met (two values of one segment both:
        // the search form offers each value the documents have).
        assert_eq!(met, ["乙", "a/b", "甲", "a-b"]);
        let got: Vec<(&str, &str, Vec<usize>)> =
            groups.iter().map(|(s, shown, d)| (s.as_str(), shown.as_str(), d.clone())).collect();
        // Segment order; the first value met names a shared segment; a document once.
        assert_eq!(got, vec![("a-b", "a/b", vec![3, 9]), ("乙", "乙", vec![7, 3]), ("甲", "甲", vec![5])]);
    }

    #[test]
    fn rows_are_pasted_wherever_a_template_shows_rows_html() {
        let site = tempfile::tempdir().expect("temp dir");
        let templates = site.path().join("themes/default/templates");
        std::fs::create_dir_all(&templates).expect("templates folder");
        let rows = r#"[{{ list.rows_html }}]{% if list.rows_html %}+{% endif %}({{ list.rows_html | safe }})"#;
        std::fs::write(templates.join("rows.html"), rows).expect("template");
        std::fs::write(templates.join("none.html"), "<p>{{ list.heading }}</p>").expect("template");
        let theme = Theme::load_after(site.path(), "default", &"site", None).unwrap_or_else(|_| panic!("theme"));
        #[derive(Serialize)]
        struct Ctx<'a> {
            list: View<'a>,
        }
        #[derive(Serialize)]
        struct View<'a> {
            heading: &'a str,
            rows_html: RowsHtml<'a>,
        }
        let piece = |html: &str| Arc::new(Piece::new(html.to_string(), "../", "/"));
        let pieces = [piece(r#"<li><a href="../a/">甲</a></li>"#), piece("<li>乙&amp;</li>")];
        let page = |template: &str, pieces: &[Arc<Piece>]| {
            let ctx = Ctx { list: View { heading: "公文库", rows_html: RowsHtml(Some(pieces)) } };
            let html = theme.render(template, &ctx).unwrap_or_else(|_| panic!("render"));
            String::from_utf8(RowsHtml::paste(html, pieces)).expect("UTF-8")
        };
        let both = r#"<li><a href="../a/">甲</a></li><li>乙&amp;</li>"#;
        // Each place that shows it, as the rows wrote themselves (not escaped again).
        assert_eq!(page("rows.html", &pieces), format!("[{both}]+({both})"));
        // No rows: an empty string, which a template tests as false.
        assert_eq!(page("rows.html", &[]), "[]()");
        // A template that does not show them: its page as it wrote it.
        assert_eq!(page("none.html", &pieces), "<p>公文库</p>");
    }
}
