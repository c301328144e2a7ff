//! A free page (公开指南, 年度报告…).

use crate::diag::Diagnostic;
use crate::render::emit::Rendered;
use crate::render::Renderer;
use crate::resolve::ItemId;
use serde::Serialize;

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    body: &'a str,
}

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn free_page(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let p = &self.ix.content.pages[k];
        let dir = self.ix.url(ItemId::Page(k));
        let b = self.bodies.body(ItemId::Page(k));
        let mut meta = self.meta(p.title.as_str(), "page", "pages", &dir);
        meta.has_code = b.is_some_and(|b| b.has_code);
        let html = self.bodies.html(self.ix, ItemId::Page(k));
        let view = PageView { title: &p.title, body: super::html_of(&html) };
        self.page("page.html", &dir, meta, "pg", view, p.src.file())
    }
}
