//! The topic page (政策集成主题): introduction and member documents.

use crate::diag::Diagnostic;
use crate::render::emit::{Crumb, FeedLink, Rendered};
use crate::render::plan::{Listed, RowView, RowsHtml};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

#[derive(Serialize)]
struct TopicView<'a> {
    title: &'a str,
    body: &'a str,
    rows: Vec<RowView<'a>>,
    /// The rows as `doc_row.html` wrote them, when the renderer has them.
    rows_html: RowsHtml<'a>,
}

const TEMPLATE: &str = "topic.html";

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn topic(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let t = &self.ix.content.topics[k];
        let dir = self.ix.url(ItemId::Topic(k));
        let b = self.bodies.body(ItemId::Topic(k));
        let mut meta = self.meta(t.title.as_str(), "topic", "topics", &dir);
        meta.feeds.push(FeedLink { title: format!("{}（订阅）", t.title), url: routes::feed(&dir) });
        meta.breadcrumbs.push(Crumb { title: "主题", url: routes::TOPICS_PAGE });
        meta.has_code = b.is_some_and(|b| b.has_code);
        let html = self.bodies.html(self.ix, ItemId::Topic(k));
        let Listed { rows, pieces } = self.listed(&self.ix.topic_docs[k], &routes::root_of(&dir), TEMPLATE)?;
        let rows_html = RowsHtml(pieces.as_deref());
        let view = TopicView { title: &t.title, body: super::html_of(&html).trim(), rows, rows_html };
        self.page(TEMPLATE, &dir, meta, "topic", view, t.src.file())
            .map(|page| page.pasting(pieces.unwrap_or_default()))
    }
}
