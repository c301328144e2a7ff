//! The home page: latest documents, the latest gazette issue, topics, interpretations.

use super::{Counted, IssueLink};
use crate::diag::Diagnostic;
use crate::render::emit::Rendered;
use crate::render::plan::{issue_label, issue_url, RowView};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

#[derive(Serialize)]
struct HomeView<'a> {
    latest: Vec<RowView<'a>>,
    issue: Option<IssueLink>,
    topics: Vec<Counted<'a>>,
    interpretations: Vec<Titled<'a>>,
}

#[derive(Serialize)]
struct Titled<'a> {
    title: &'a str,
    url: String,
}

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn home(&self) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let latest: Vec<usize> = self.plan.all.iter().copied().take(10).collect();
        let view = HomeView {
            latest: self.rows(&latest),
            issue: self
                .plan
                .issues
                .last()
                .map(|&k| IssueLink { url: issue_url(&c.issues[k]), label: issue_label(&c.issues[k]) }),
            topics: self.visible_topics(),
            interpretations: self
                .ix
                .published_interpretations()
                .iter()
                .take(6)
                .map(|&k| Titled { title: &c.interpretations[k].title, url: self.ix.url(ItemId::Interp(k)) })
                .collect(),
        };
        let mut meta = self.meta(self.cfg.title.as_str(), "home", "home", routes::HOME);
        meta.description = (!self.cfg.description.is_empty()).then_some(self.cfg.description.as_str());
        self.page("index.html", routes::HOME, meta, "home", view, self.template_loc("index.html"))
    }
}
