//! The two pages that are files of their own: 404 (served for any missing URL) and the
//! redirect page of each alias (an old URL of a document).

use crate::diag::Diagnostic;
use crate::render::emit::{Ctx, Rendered};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

/// The context of an alias's redirect page (a page of its own: no `root`, no `page`).
#[derive(Serialize)]
struct RedirectView<'a> {
    target: String,
    title: &'a str,
    canonical: Option<String>,
}

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn not_found(&self) -> Result<Rendered, Diagnostic> {
        let mut meta = self.meta("页面不存在", "error", "", routes::NOT_FOUND);
        meta.canonical = None;
        // Served for any missing URL, so its links are rooted at the site's base path.
        let root = routes::base_path(&self.cfg.base_url);
        let ctx: Ctx<()> = Ctx { root: &root, page: meta, key: "", data: None };
        self.emit("404.html", routes::NOT_FOUND.into(), &ctx, self.template_loc("404.html"))
    }

    pub(in crate::stages::render) fn alias(&self, i: usize, a: usize) -> Result<Rendered, Diagnostic> {
        let d = &self.ix.content.documents[i];
        let path = routes::alias_file(&d.aliases[a]);
        let url = self.ix.url(ItemId::Doc(i));
        let view = RedirectView {
            target: format!("{}{url}", "../".repeat(path.matches('/').count())),
            title: &d.title,
            canonical: self.cfg.absolute(&url),
        };
        self.emit("redirect.html", path, &view, d.src.item("aliases", a))
    }
}
