//! A gazette issue (政府公报): its 目录 by section, previous and next issue.

use super::IssueLink;
use crate::diag::Diagnostic;
use crate::render::emit::{Crumb, Rendered};
use crate::render::plan::{issue_label, issue_url, RowView};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

#[derive(Serialize)]
struct IssueView<'a> {
    heading: &'a str,
    year: u16,
    number: u32,
    total: Option<u32>,
    published: String,
    published_cn: String,
    sections: Vec<IssueSection<'a>>,
    prev: Option<IssueLink>,
    next: Option<IssueLink>,
}

#[derive(Serialize)]
struct IssueSection<'a> {
    title: &'a str,
    rows: Vec<RowView<'a>>,
}

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn issue(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let ix = self.ix;
        let c = &ix.content;
        let iss = &c.issues[k];
        let dir = issue_url(iss);
        let pos = self.plan.issues.iter().position(|&x| x == k).unwrap_or(0);
        let nav = |p: Option<usize>| {
            p.and_then(|p| self.plan.issues.get(p))
                .map(|&j| IssueLink { url: issue_url(&c.issues[j]), label: issue_label(&c.issues[j]) })
        };
        let sections = iss
            .sections
            .iter()
            .map(|s| IssueSection {
                title: &s.title,
                rows: s
                    .items
                    .iter()
                    .filter_map(|r| match ix.lookup(&r.raw) {
                        Some(ItemId::Doc(j)) if ix.doc_visible(j) => Some(self.row(j)),
                        _ => None,
                    })
                    .collect(),
            })
            .collect();
        let heading = iss.title.clone().unwrap_or_else(|| format!("{}政府公报 {}", self.cfg.title, issue_label(iss)));
        let mut meta = self.meta(heading.clone(), "gazette-issue", "gazette", &dir);
        meta.breadcrumbs.push(Crumb { title: "政府公报", url: routes::GAZETTE_PAGE });
        let view = IssueView {
            heading: &heading,
            year: iss.year,
            number: iss.number,
            total: iss.total,
            published: iss.published.to_string(),
            published_cn: iss.published.chinese(),
            sections,
            prev: nav(pos.checked_sub(1)),
            next: nav(Some(pos + 1)),
        };
        self.page("gazette_issue.html", &dir, meta, "issue", view, iss.src.file())
    }
}
