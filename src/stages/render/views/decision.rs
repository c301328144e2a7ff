//! The decision page (重大行政决策事项): the stages in order, each with its document or URL.

use crate::diag::Diagnostic;
use crate::model::DECISION_STAGES;
use crate::render::emit::{Crumb, Rendered};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

#[derive(Serialize)]
struct DecisionView<'a> {
    title: &'a str,
    organ: Option<OrganName<'a>>,
    year: u16,
    status: &'a str,
    stages: Vec<StageView<'a>>,
    body: &'a str,
}

#[derive(Serialize)]
struct OrganName<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct StageView<'a> {
    stage: &'a str,
    date: Option<String>,
    /// An outside URL for this stage.
    url: Option<&'a str>,
    /// The stage's page in the site.
    local: Option<String>,
    title: &'a str,
}

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn decision(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let ix = self.ix;
        let c = &ix.content;
        let d = &c.decisions[k];
        let dir = ix.url(ItemId::Decision(k));
        let mut stages: Vec<_> = d.stages.iter().collect();
        stages.sort_by_key(|s| DECISION_STAGES.iter().position(|x| *x == s.stage).unwrap_or(usize::MAX));
        let stages = stages
            .into_iter()
            .map(|s| {
                let t = s.reference.as_ref().and_then(|r| ix.lookup(&r.raw)).filter(|t| ix.visible(*t));
                StageView {
                    stage: &s.stage,
                    date: s.date.map(|d| d.to_string()),
                    url: s.url.as_deref(),
                    local: t.map(|t| ix.url(t)),
                    title: t.map_or(s.stage.as_str(), |t| ix.title(t)),
                }
            })
            .collect();
        let html = self.bodies.html(self.ix, ItemId::Decision(k));
        let view = DecisionView {
            title: &d.title,
            organ: ix.organs.get(d.organ.as_str()).map(|&o| OrganName { name: &c.organs[o].name }),
            year: d.year,
            status: &d.status,
            stages,
            body: super::html_of(&html),
        };
        let mut meta = self.meta(d.title.as_str(), "decision", "decisions", &dir);
        meta.breadcrumbs.push(Crumb { title: "重大行政决策事项目录", url: routes::DECISIONS_PAGE });
        self.page("decision.html", &dir, meta, "dec", view, d.src.file())
    }
}
