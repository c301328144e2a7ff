//! A gazette issue (政府公报): its 目录 by section, previous and next issue; and the
//! whole issue on one page (every article in order), to read or print as one document.

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
    /// The whole-issue page.
    full: String,
}

/// The whole issue: its 目录 and every article's text, in order.
#[derive(Serialize)]
struct IssueFullView<'a> {
    heading: &'a str,
    label: String,
    published_cn: String,
    issue_url: String,
    sections: Vec<FullSection<'a>>,
}

#[derive(Serialize)]
struct FullSection<'a> {
    title: &'a str,
    articles: Vec<Article<'a>>,
}

#[derive(Serialize)]
struct Article<'a> {
    anchor: String,
    title: &'a str,
    url: String,
    number: Option<&'a str>,
    issuer: String,
    published_cn: String,
    body: String,
}

/// A document's body as the whole-issue page shows it: ids and fragment links made
/// unique to the article (`a3-一总体要求`), links from the document's folder made from
/// the issue page's folder.
fn rebase_body(html: &str, anchor: &str, root: &str) -> String {
    // Bodies are rendered for documents/<id>/, two folders below the root.
    html.replace(" id=\"", &format!(" id=\"{anchor}-"))
        .replace("href=\"#", &format!("href=\"#{anchor}-"))
        .replace("href=\"../../", &format!("href=\"{root}"))
        .replace("src=\"../../", &format!("src=\"{root}"))
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
            .map(|s| IssueSection { title: &s.title, rows: ix.section_docs(s).map(|j| self.row(j)).collect() })
            .collect();
        let heading = self.issue_heading(k);
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
            full: routes::gazette_issue_full(iss.year, iss.number),
        };
        self.page("gazette_issue.html", &dir, meta, "issue", view, iss.src.file())
    }

    /// An issue's title: its own, or the 公报's name and the issue (`示例区人民政府公报
    /// 2024年第1期`).
    fn issue_heading(&self, k: usize) -> String {
        let iss = &self.ix.content.issues[k];
        iss.title.clone().unwrap_or_else(|| format!("{} {}", self.cfg.gazette_name, issue_label(iss)))
    }

    pub(in crate::stages::render) fn issue_full(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let ix = self.ix;
        let c = &ix.content;
        let iss = &c.issues[k];
        let dir = routes::gazette_issue_full(iss.year, iss.number);
        let root = routes::root_of(&dir);
        let mut n = 0;
        let sections = iss
            .sections
            .iter()
            .map(|s| FullSection {
                title: &s.title,
                articles: ix
                    .section_docs(s)
                    .map(|j| {
                        n += 1;
                        let d = &c.documents[j];
                        let anchor = format!("a{n}");
                        let body = self
                            .bodies
                            .html(ix, ItemId::Doc(j))
                            .map_or(String::new(), |html| rebase_body(&html, &anchor, &root));
                        Article {
                            anchor,
                            title: &d.title,
                            url: ix.url(ItemId::Doc(j)),
                            number: d.doc_number.as_deref(),
                            issuer: ix.issuer_names(j).into_owned(),
                            published_cn: d.published.chinese(),
                            body,
                        }
                    })
                    .collect(),
            })
            .collect();
        let heading = self.issue_heading(k);
        let mut meta = self.meta(format!("{heading}（全文）"), "gazette-full", "gazette", &dir);
        meta.breadcrumbs.push(Crumb { title: "政府公报", url: routes::GAZETTE_PAGE });
        let view = IssueFullView {
            heading: &heading,
            label: issue_label(iss),
            published_cn: iss.published.chinese(),
            issue_url: issue_url(iss),
            sections,
        };
        self.page("gazette_issue_full.html", &dir, meta, "issue", view, iss.src.file())
    }
}
