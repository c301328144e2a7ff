//! The interpretation page (政策解读): its form, the document it interprets, media.

use crate::diag::Diagnostic;
use crate::render::emit::{Crumb, Rendered};
use crate::render::plan::RowView;
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

const TEMPLATE: &str = "interpretation.html";

#[derive(Serialize)]
struct InterpretationView<'a> {
    title: &'a str,
    form: &'a str,
    published: Option<String>,
    issuer: Option<&'a str>,
    /// The interpreted document.
    doc: Option<RowView<'a>>,
    image: Option<String>,
    video: Option<String>,
    body: &'a str,
    /// The interpreted document's 需求侧标签.
    tags: Vec<super::Link<'a>>,
}

impl<'a> Renderer<'a> {
    /// The inputs key of interpretation `k`'s page (see `deps`).
    pub(in crate::stages::render) fn interpretation_page_inputs(&self, k: usize) -> u64 {
        self.interpretation_inputs(k, TEMPLATE)
    }

    pub(in crate::stages::render) fn interpretation(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let it = &c.interpretations[k];
        let dir = self.ix.url(ItemId::Interp(k));
        let inputs = self.interpretation_page_inputs(k);
        if let Some(page) = self.reuse_inputs(routes::file(&dir), inputs, it.src.file()) {
            return Ok(page);
        }
        let b = self.bodies.body(ItemId::Interp(k));
        let html = self.bodies.html(self.ix, ItemId::Interp(k));
        // A media link: outside URLs as they are, files of the site relative to this page.
        let media = |v: &Option<String>| -> Option<String> {
            v.as_ref().map(|u| {
                if u.contains("://") {
                    u.clone()
                } else {
                    format!("{}{}", routes::root_of(&dir), routes::encode_path(u.trim_start_matches('/')))
                }
            })
        };
        let view = InterpretationView {
            title: &it.title,
            form: &it.form,
            published: it.published.map(|d| d.to_string()),
            issuer: it.issuer.as_ref().and_then(|o| self.ix.organs.get(o.as_str())).map(|&o| c.organs[o].name.as_str()),
            doc: self.ix.interp_of[k].map(|j| self.row(j.0)),
            image: media(&it.image),
            video: media(&it.video),
            body: super::html_of(&html),
            tags: self.ix.interp_of[k].map(|j| super::tag_links(&c.documents[j.0].tags)).unwrap_or_default(),
        };
        let mut meta = self.meta(it.title.as_str(), "interpretation", "interpretations", &dir);
        meta.has_code = b.is_some_and(|b| b.has_code);
        meta.breadcrumbs.push(Crumb { title: "政策解读", url: routes::INTERPRETATIONS_PAGE });
        self.page(TEMPLATE, &dir, meta, "it", view, it.src.file()).map(|page| page.with_inputs(inputs))
    }
}
