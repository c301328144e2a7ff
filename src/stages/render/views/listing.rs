//! Paginated listings: 公文库 (with the browse facets on its first page), 行政规范性文件库,
//! each organ's documents, each browse facet value, each 需求侧标签 value.

use super::indexes::Facet;
use crate::diag::Diagnostic;
use crate::render::emit::{Crumb, FeedLink, Rendered};
use crate::render::plan::{page_count, ListingKind, RowView};
use crate::render::Renderer;
use crate::routes;
use serde::Serialize;
use std::borrow::Cow;

#[derive(Serialize)]
struct ListView<'a> {
    heading: &'a str,
    /// The organ of an organ's listing.
    organ: Option<OrganInfo<'a>>,
    total: usize,
    /// The 规范性文件库 table's rows (登记号, 有效期), instead of `rows`.
    normative: Option<Vec<NormativeRow<'a>>>,
    /// The browse facets, on the 公文库's first page.
    facets: Option<Vec<Facet<'a>>>,
    rows: Vec<RowView<'a>>,
    /// The listing's Atom feed (organs, tags), for a visible 订阅 link; none without an
    /// absolute base_url (no feeds are written then).
    feed: Option<String>,
    pages: Vec<PageLink>,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Serialize)]
struct OrganInfo<'a> {
    short_name: Option<&'a str>,
    code: Option<&'a str>,
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct NormativeRow<'a> {
    row: RowView<'a>,
    registration: Option<&'a str>,
    expires: Option<String>,
}

#[derive(Serialize)]
struct PageLink {
    n: usize,
    url: String,
    current: bool,
}

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn listing(&self, l: usize, n: usize) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let listing = &self.plan.listings[l];
        let per = self.cfg.per_page;
        let pages = page_count(listing.docs.len(), per);
        let url_of = |p: usize| routes::listing_page(&listing.dir, p);
        let dir = url_of(n);
        let slice = &listing.docs[((n - 1) * per).min(listing.docs.len())..(n * per).min(listing.docs.len())];
        let title: Cow<str> =
            if n == 1 { listing.heading.as_str().into() } else { format!("{}（第{n}页）", listing.heading).into() };
        let mut meta = self.meta(title, "list", listing.section, &dir);
        meta.breadcrumbs = listing.crumbs.iter().map(|&(title, url)| Crumb { title, url }).collect();
        let has_feed = matches!(listing.kind, ListingKind::Organ(_) | ListingKind::Tag(_));
        if has_feed {
            meta.feeds
                .push(FeedLink { title: format!("{}（订阅）", listing.heading), url: routes::feed(&listing.dir) });
        }
        let organ = match listing.kind {
            ListingKind::Organ(o) => {
                let o = &c.organs[o];
                Some(OrganInfo { short_name: o.short_name.as_deref(), code: o.code.as_deref(), url: o.url.as_deref() })
            }
            _ => None,
        };
        let normative = (listing.kind == ListingKind::Normative).then(|| {
            slice
                .iter()
                .map(|&i| {
                    let d = &c.documents[i];
                    NormativeRow {
                        row: self.row(i),
                        registration: d.registration.as_deref(),
                        expires: d.expires.map(|x| x.to_string()),
                    }
                })
                .collect()
        });
        let view = ListView {
            heading: &listing.heading,
            organ,
            total: listing.docs.len(),
            normative,
            facets: (listing.kind == ListingKind::All && n == 1).then(|| self.facets()),
            rows: self.rows(slice),
            feed: (has_feed && self.cfg.site_url.is_some()).then(|| routes::feed(&listing.dir)),
            pages: (1..=pages).map(|p| PageLink { n: p, url: url_of(p), current: p == n }).collect(),
            prev: (n > 1).then(|| url_of(n - 1)),
            next: (n < pages).then(|| url_of(n + 1)),
        };
        self.page("list.html", &dir, meta, "list", view, self.template_loc("list.html"))
    }
}
