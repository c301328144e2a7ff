//! Paginated listings: 公文库 (with the browse facets on its first page), 行政规范性文件库,
//! each organ's documents, each browse facet value, each 需求侧标签 value.

use super::indexes::Facet;
use crate::diag::Diagnostic;
use crate::render::emit::{Crumb, FeedLink, Rendered};
use crate::render::plan::{page_count, Listed, ListingKind, RowView, RowsHtml};
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
    /// The rows as `doc_row.html` wrote them, when the renderer has them.
    rows_html: RowsHtml<'a>,
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

/// One numbered link of the pager.
#[derive(Serialize)]
struct PageLink {
    n: usize,
    url: String,
    current: bool,
    /// Pages are left out just before this one (the theme shows `…`).
    gap_before: bool,
}

const TEMPLATE: &str = "list.html";

/// Pages around the current one that the pager numbers, on either side.
const PAGER_AROUND: usize = 2;

/// The page numbers the pager shows of `pages`, on page `n`: the first, the last, and
/// [`PAGER_AROUND`] either side of `n`. A listing of 100,000 documents has 2,000 pages:
/// numbering all of them on every page made each page 140 KB of links (and the listings
/// a third of the site), unusable on a phone; every page is still reached by 上一页/下一页.
fn pager(n: usize, pages: usize) -> impl Iterator<Item = usize> {
    let (lo, hi) = (n.saturating_sub(PAGER_AROUND).max(1), (n + PAGER_AROUND).min(pages));
    let first = (lo > 1).then_some(1);
    let last = (hi < pages).then_some(pages);
    first.into_iter().chain(lo..=hi).chain(last)
}

impl<'a> Renderer<'a> {
    /// The inputs key of page `n` of listing `l` (see `deps`).
    pub(in crate::stages::render) fn listing_page_inputs(&self, l: usize, n: usize) -> u64 {
        self.listing_inputs(l, n, TEMPLATE)
    }

    pub(in crate::stages::render) fn listing(&self, l: usize, n: usize) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let listing = &self.plan.listings[l];
        let per = self.cfg.per_page;
        let pages = page_count(listing.docs.len(), per);
        let url_of = |p: usize| routes::listing_page(&listing.dir, p);
        let dir = url_of(n);
        let inputs = self.listing_page_inputs(l, n);
        if let Some(page) = self.reuse_inputs(routes::file(&dir), inputs, self.template_loc(TEMPLATE)) {
            return Ok(page);
        }
        let slice = listing.page(n, per);
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
        // (The 规范性文件库 shows its table, not the rows: none are written for it.)
        let Listed { rows, pieces } = match normative {
            Some(_) => Listed::plain(self.rows(slice)),
            None => self.listed(slice, &routes::root_of(&dir), TEMPLATE)?,
        };
        let view = ListView {
            heading: &listing.heading,
            organ,
            total: listing.docs.len(),
            normative,
            facets: (listing.kind == ListingKind::All && n == 1).then(|| self.facets()),
            rows,
            rows_html: RowsHtml(pieces.as_deref()),
            feed: (has_feed && self.cfg.site_url.is_some()).then(|| routes::feed(&listing.dir)),
            pages: {
                let mut last = 0;
                pager(n, pages)
                    .map(|p| {
                        let gap_before = p > last + 1;
                        last = p;
                        PageLink { n: p, url: url_of(p), current: p == n, gap_before }
                    })
                    .collect()
            },
            prev: (n > 1).then(|| url_of(n - 1)),
            next: (n < pages).then(|| url_of(n + 1)),
        };
        self.page(TEMPLATE, &dir, meta, "list", view, self.template_loc(TEMPLATE))
            .map(|page| page.with_inputs(inputs).pasting(pieces.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::pager;

    #[test]
    fn the_pager_numbers_the_ends_and_the_pages_near_the_current_one() {
        let shown = |n, pages| pager(n, pages).collect::<Vec<_>>();
        assert_eq!(shown(1, 1), [1]);
        assert_eq!(shown(3, 6), [1, 2, 3, 4, 5, 6]);
        assert_eq!(shown(1, 2000), [1, 2, 3, 2000]);
        assert_eq!(shown(1000, 2000), [1, 998, 999, 1000, 1001, 1002, 2000]);
        assert_eq!(shown(2000, 2000), [1, 1998, 1999, 2000]);
    }
}
