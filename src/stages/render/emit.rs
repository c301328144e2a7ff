//! Where a page meets its template: the context every page shares (`root`, `page`), the
//! build cache's key, and the theme.

use super::Renderer;
use crate::cache::{Keys, Stamp};
use crate::diag::{Diagnostic, Loc};
use crate::linkcheck::PageLinks;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::borrow::Cow;

/// A breadcrumb or any titled link (site-relative URL).
#[derive(Serialize, Clone, Copy)]
pub struct Crumb<'a> {
    pub title: &'a str,
    pub url: &'a str,
}

#[derive(Serialize)]
pub struct FeedLink {
    pub title: String,
    pub url: String,
}

#[derive(Serialize)]
pub struct Alt<'a> {
    pub lang: &'a str,
    pub url: String,
}

/// What every page tells the base template about itself.
#[derive(Serialize)]
pub struct PageMeta<'a> {
    pub title: Cow<'a, str>,
    pub kind: &'static str,
    pub section: &'static str,
    pub lang: &'a str,
    /// Absent without an absolute base_url (CONTRACT §7).
    pub canonical: Option<String>,
    pub description: Option<&'a str>,
    pub has_code: bool,
    pub feeds: Vec<FeedLink>,
    pub alternates: Vec<Alt<'a>>,
    pub breadcrumbs: Vec<Crumb<'a>>,
}

/// A page's whole context: `root` (the way back to the site root), `page`, and the
/// page kind's own view under its key (`doc`, `list`…). Serialised by hand as one map so
/// the view is not copied or flattened.
pub struct Ctx<'a, T> {
    pub root: &'a str,
    pub page: PageMeta<'a>,
    pub key: &'static str,
    pub data: Option<T>,
}

impl<T: Serialize> Serialize for Ctx<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2 + self.data.is_some() as usize))?;
        m.serialize_entry("root", self.root)?;
        m.serialize_entry("page", &self.page)?;
        if let Some(d) = &self.data {
            m.serialize_entry(self.key, d)?;
        }
        m.end()
    }
}

/// A page from the renderer, ready for the link gate and the writer.
pub enum Rendered {
    Made(Made),
    /// The previous output holds this very page (same key): take the old file over
    /// instead of writing it. The gate's view of it carries its path and blame (most pages
    /// of a rebuild are kept: 150,000 at 100,000 documents, each of whose path and blame
    /// was made twice), with the page's keys and its file's stamp.
    Kept {
        links: PageLinks,
        key: Keys,
        stamp: Stamp,
    },
}

/// A page rendered now.
pub struct Made {
    /// Output path relative to the output folder: `documents/x/index.html`.
    pub path: String,
    /// The page, UTF-8.
    pub html: Vec<u8>,
    /// Where to point a diagnostic about this page (its source file, or its template).
    pub blame: Loc,
    /// The page's cache keys (template + context; inputs), when the renderer has a cache.
    pub key: Option<Keys>,
    /// What the page pasted as it is, in order (listing rows), for the link gate.
    pub pieces: Vec<std::sync::Arc<crate::linkcheck::Piece>>,
}

impl Rendered {
    /// This page as made from `inputs` (see `deps`), so the next build can take it over
    /// by them.
    pub(super) fn with_inputs(mut self, inputs: u64) -> Rendered {
        match &mut self {
            Rendered::Made(Made { key: Some(k), .. }) | Rendered::Kept { key: k, .. } => k.inputs = inputs,
            Rendered::Made(_) => {}
        }
        self
    }

    /// This page with the rows `pieces` pasted where its template showed its
    /// `rows_html` ([`super::plan::RowsHtml::paste`]), and kept for the link gate (see
    /// [`Made::pieces`]).
    pub fn pasting(mut self, pieces: Vec<std::sync::Arc<crate::linkcheck::Piece>>) -> Self {
        if let Rendered::Made(m) = &mut self {
            if !pieces.is_empty() {
                m.html = super::plan::RowsHtml::paste(std::mem::take(&mut m.html), &pieces);
            }
            m.pieces = pieces;
        }
        self
    }

    /// The page, if it was made now (a renderer without a cache makes every page).
    pub fn made(self) -> Option<Made> {
        match self {
            Rendered::Made(m) => Some(m),
            Rendered::Kept { .. } => None,
        }
    }

    /// The page's HTML: empty for a page kept (its bytes are in the previous output).
    pub fn html(&self) -> &[u8] {
        match self {
            Rendered::Made(m) => &m.html,
            Rendered::Kept { .. } => &[],
        }
    }
}

impl<'a> Renderer<'a> {
    /// The `page` part of a context, with the site's language and the canonical URL.
    pub(super) fn meta(
        &self,
        title: impl Into<Cow<'a, str>>,
        kind: &'static str,
        section: &'static str,
        url: &str,
    ) -> PageMeta<'a> {
        PageMeta {
            title: title.into(),
            kind,
            section,
            lang: &self.cfg.language,
            canonical: self.cfg.absolute(url),
            description: None,
            has_code: false,
            feeds: Vec::new(),
            alternates: Vec::new(),
            breadcrumbs: Vec::new(),
        }
    }

    /// Render the page of folder `dir` (`documents/a/`) with `template`, its `page` meta
    /// and its view under `key`.
    pub(super) fn page<T: Serialize>(
        &self,
        template: &str,
        dir: &str,
        mut meta: PageMeta<'_>,
        key: &'static str,
        data: T,
        blame: Loc,
    ) -> Result<Rendered, Diagnostic> {
        if self.cfg.site_url.is_none() {
            meta.feeds.clear(); // not written without an absolute base_url (CONTRACT §7)
        }
        let root = crate::routes::root_of(dir);
        let ctx = Ctx { root: &root, page: meta, key, data: Some(data) };
        self.emit(template, crate::routes::file(dir), &ctx, blame)
    }

    /// Render `template` with `ctx` into the page at `path`, unless the cache says the
    /// previous output already holds exactly that page.
    pub(super) fn emit<T: Serialize>(
        &self,
        template: &str,
        path: String,
        ctx: &T,
        blame: Loc,
    ) -> Result<Rendered, Diagnostic> {
        let key = self.cache.and_then(|_| crate::cache::PageCache::key(self.theme.template_key(template), ctx));
        let key = key.map(|page| Keys { page, inputs: 0 });
        if let (Some(cache), Some(k)) = (self.cache, key) {
            if let Some((parts, stamp)) = cache.reuse(&path, k.page) {
                return Ok(Rendered::Kept { links: PageLinks::from_parts(path, blame, parts), key: k, stamp });
            }
        }
        let html = self.theme.render(template, ctx)?;
        Ok(Rendered::Made(Made { path, html, blame, key, pieces: Vec::new() }))
    }

    /// The previous output's page at `path`, when it was made from the same `inputs`
    /// (see `deps`): taken over without building its view.
    pub(super) fn reuse_inputs(&self, path: String, inputs: u64, blame: Loc) -> Option<Rendered> {
        let (page, parts, stamp) = self.cache?.reuse_inputs(&path, inputs)?;
        Some(Rendered::Kept { links: PageLinks::from_parts(path, blame, parts), key: Keys { page, inputs }, stamp })
    }

    /// Where a diagnostic about a listing or index page points: its template.
    pub(super) fn template_loc(&self, name: &str) -> Loc {
        Loc::file(format!("themes/{}/templates/{name}", self.cfg.theme))
    }
}
