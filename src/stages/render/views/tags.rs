//! 需求侧标签: the 标签目录 page (`tags/`, every dimension with its values and counts) and
//! the 政策找人 finder (`finder/`). A tag value's own page is a listing (`listing.rs`);
//! the finder's data files are written by `stages::finder`.

use super::Counted;
use crate::diag::Diagnostic;
use crate::render::emit::Rendered;
use crate::render::plan::{Listing, ListingKind};
use crate::render::Renderer;
use crate::routes;
use serde::Serialize;

/// One dimension of the catalogue as a page shows it: its name and its values.
#[derive(Serialize)]
pub(super) struct TagDimensionView<'a> {
    pub name: &'a str,
    /// The query parameter the finder uses for it (`finder/?适用对象=企业`).
    pub key: &'a str,
    pub values: Vec<Counted<'a>>,
}

#[derive(Serialize)]
struct FinderView<'a> {
    dimensions: Vec<TagDimensionView<'a>>,
    /// Whether any document has a tag: without, the finder has nothing to find.
    any: bool,
}

impl<'a> Renderer<'a> {
    /// The tag listings grouped by dimension, in catalogue order (one group named 标签
    /// when tags are free text).
    pub(super) fn tag_dimensions(&self) -> Vec<TagDimensionView<'_>> {
        let tag_listings = || self.plan.listings.iter().filter(|l| matches!(l.kind, ListingKind::Tag(_)));
        fn counted(l: &Listing) -> Counted<'_> {
            Counted { title: &l.value, url: l.dir.clone(), count: l.docs.len() }
        }
        if self.cfg.tag_catalog.is_empty() {
            let values: Vec<Counted> = tag_listings().map(counted).collect();
            if values.is_empty() {
                return Vec::new();
            }
            return vec![TagDimensionView { name: "标签", key: "标签", values }];
        }
        self.cfg
            .tag_catalog
            .iter()
            .enumerate()
            .map(|(d, dim)| TagDimensionView {
                name: &dim.name,
                key: &dim.name,
                values: tag_listings().filter(|l| l.kind == ListingKind::Tag(Some(d))).map(counted).collect(),
            })
            .collect()
    }

    pub(in crate::stages::render) fn tag_index(&self) -> Result<Rendered, Diagnostic> {
        let dir = routes::TAGS;
        let meta = self.meta("标签", "tags", "tags", dir);
        self.page("tags.html", dir, meta, "dimensions", self.tag_dimensions(), self.template_loc("tags.html"))
    }

    pub(in crate::stages::render) fn finder_page(&self) -> Result<Rendered, Diagnostic> {
        let dimensions = self.tag_dimensions();
        let any = dimensions.iter().any(|d| d.values.iter().any(|v| v.count > 0));
        let dir = routes::FINDER;
        let meta = self.meta("政策找人", "finder", "finder", dir);
        self.page("finder.html", dir, meta, "finder", FinderView { dimensions, any }, self.template_loc("finder.html"))
    }
}
