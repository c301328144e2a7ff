//! Stage 4, render: each page's small typed view (only what that page shows), rendered
//! with the theme. Listings and rows are computed once and shared; no page ever gets the
//! whole site in its context (the trap that makes Zola and Hugo slow on big taxonomies).
//!
//! - [`plan`]: every page as a [`Job`], and what pages share (rows, listings, issues);
//! - [`views`]: one view struct per page kind, borrowing from the site — the template
//!   context a theme sees;
//! - [`emit`]: the shared context (`root`, `page`), the build cache, the theme.

mod deps;
mod emit;
mod plan;
mod views;

pub use deps::{made_or_kept, KeptByInputs, Previous};
pub use emit::Rendered;
pub use plan::{issue_label, issue_url, Job, ListingsMemo, RowMemo};

use crate::bodies::Bodies;
use crate::cache::PageCache;
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::resolve::{Index, ItemId};
use crate::theme::Theme;
use plan::Plan;

pub struct Renderer<'a> {
    pub ix: &'a Index,
    pub bodies: &'a Bodies,
    pub theme: &'a Theme,
    pub cfg: &'a Config,
    /// The incremental build cache, when building (see `cache`).
    cache: Option<&'a PageCache>,
    /// With a cache: what pages' inputs keys are made of (see `deps`).
    revisions: Option<deps::Revisions>,
    plan: Plan,
}

impl<'a> Renderer<'a> {
    /// A renderer that skips pages the previous output already holds, as `cache` knows
    /// them, and takes listing rows from `rows` and the listings from `listings` (serve's
    /// memo) where their inputs are unchanged.
    pub fn cached(
        ix: &'a Index,
        bodies: &'a Bodies,
        theme: &'a Theme,
        cfg: &'a Config,
        cache: Option<&'a PageCache>,
        rows: Option<&RowMemo>,
        listings: Option<&ListingsMemo>,
    ) -> Self {
        // (Side by side: the listings need no inputs keys, the rows do.)
        let config = deps::config_key(cfg);
        let (revisions, plan) = rayon::join(
            || cache.map(|_| deps::Revisions::new(ix, bodies, config)),
            || Plan::listings_kept(ix, cfg, config, listings),
        );
        let row_key = |i: usize| revisions.as_ref().map_or(0, |r| r.row_inputs(i));
        let plan = plan.with_rows(ix, &row_key, rows);
        Renderer { ix, bodies, theme, cfg, cache, revisions, plan }
    }

    /// A renderer for item pages only (documents, interpretations, topics, pages,
    /// decisions): no listings, rows made on demand. Cheap to make, for `serve`'s fast
    /// edits; listing pages need [`Renderer::cached`].
    pub fn for_items(ix: &'a Index, bodies: &'a Bodies, theme: &'a Theme, cfg: &'a Config) -> Self {
        Renderer { ix, bodies, theme, cfg, cache: None, revisions: None, plan: Plan::default() }
    }

    /// Every organ's listing: (its number in `organs.yaml`, its documents newest first),
    /// in that file's order, for the organ feeds.
    pub fn organ_listings(&self) -> impl Iterator<Item = (usize, &[usize])> {
        self.plan.listings.iter().filter_map(|l| match l.kind {
            plan::ListingKind::Organ(k) => Some((k, l.docs.as_slice())),
            _ => None,
        })
    }

    /// Every 需求侧标签 value's listing: (value, folder, its documents newest first), for
    /// the tag feeds.
    pub fn tag_listings(&self) -> impl Iterator<Item = (&str, &str, &[usize])> {
        self.plan
            .listings
            .iter()
            .filter(|l| matches!(l.kind, plan::ListingKind::Tag(_)))
            .map(|l| (l.value.as_str(), l.dir.as_str(), l.docs.as_slice()))
    }

    /// The inputs key of `job`'s page (see `deps`): 0 for a page made without one (its
    /// view is built and its context hashed), or without a cache.
    pub fn inputs_of(&self, job: Job) -> u64 {
        match job {
            Job::Item(ItemId::Doc(i)) => self.document_page_inputs(i),
            Job::Item(ItemId::Interp(k)) => self.interpretation_page_inputs(k),
            Job::List(l, n) => self.listing_page_inputs(l, n),
            Job::InterpIndex => self.interpretation_index_inputs(),
            _ => 0,
        }
    }

    /// Render one page (or find it unchanged in the previous output).
    pub fn render(&self, job: Job) -> Result<Rendered, Diagnostic> {
        match job {
            Job::Home => self.home(),
            Job::Item(ItemId::Doc(i)) => self.document(i),
            Job::Item(ItemId::Interp(k)) => self.interpretation(k),
            Job::Item(ItemId::Topic(k)) => self.topic(k),
            Job::Item(ItemId::Page(k)) => self.free_page(k),
            Job::Item(ItemId::Decision(k)) => self.decision(k),
            Job::InterpIndex => self.interpretation_index(),
            Job::TopicIndex => self.topic_index(),
            Job::DecisionIndex => self.decision_index(),
            Job::Issue(k) => self.issue(k),
            Job::IssueFull(k) => self.issue_full(k),
            Job::GazetteIndex => self.gazette_index(),
            Job::OrganIndex => self.organ_index(),
            Job::List(l, n) => self.listing(l, n),
            Job::BrowseIndex => self.browse_index(),
            Job::Search => self.search_page(),
            Job::TagIndex => self.tag_index(),
            Job::Finder => self.finder_page(),
            Job::NotFound => self.not_found(),
            Job::Alias(i, a) => self.alias(i, a),
        }
    }
}
