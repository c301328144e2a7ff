//! Item pages other than documents: interpretations, topics, free pages, decisions,
//! gazette issues; and the two pages that are files of their own, 404 and the redirects
//! of aliases.

use super::IssueLink;
use crate::diag::Diagnostic;
use crate::model::DECISION_STAGES;
use crate::render::emit::{Crumb, Ctx, FeedLink, Rendered};
use crate::render::plan::{issue_label, issue_url, RowView};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

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
}

#[derive(Serialize)]
struct TopicView<'a> {
    title: &'a str,
    body: &'a str,
    rows: Vec<RowView<'a>>,
}

#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    body: &'a str,
}

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

/// The context of an alias's redirect page (a page of its own: no `root`, no `page`).
#[derive(Serialize)]
struct RedirectView<'a> {
    target: String,
    title: &'a str,
    canonical: String,
}

impl<'a> Renderer<'a> {
    pub(in crate::stages::render) fn interpretation(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let it = &c.interpretations[k];
        let dir = self.ix.url(ItemId::Interp(k));
        let b = self.bodies.body(ItemId::Interp(k));
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
            body: b.map_or("", |b| b.html.as_str()),
        };
        let mut meta = self.meta(it.title.as_str(), "interpretation", "interpretations", &dir);
        meta.has_code = b.is_some_and(|b| b.has_code);
        meta.breadcrumbs.push(Crumb { title: "政策解读", url: routes::INTERPRETATIONS_PAGE });
        self.page("interpretation.html", &dir, meta, "it", view, it.src.file())
    }

    pub(in crate::stages::render) fn topic(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let t = &self.ix.content.topics[k];
        let dir = self.ix.url(ItemId::Topic(k));
        let b = self.bodies.body(ItemId::Topic(k));
        let mut meta = self.meta(t.title.as_str(), "topic", "topics", &dir);
        meta.feeds.push(FeedLink { title: format!("{}（订阅）", t.title), url: routes::feed(&dir) });
        meta.breadcrumbs.push(Crumb { title: "主题", url: routes::TOPICS_PAGE });
        meta.has_code = b.is_some_and(|b| b.has_code);
        let view = TopicView {
            title: &t.title,
            body: b.map_or("", |b| b.html.trim()),
            rows: self.rows(&self.ix.topic_docs[k]),
        };
        self.page("topic.html", &dir, meta, "topic", view, t.src.file())
    }

    pub(in crate::stages::render) fn free_page(&self, k: usize) -> Result<Rendered, Diagnostic> {
        let p = &self.ix.content.pages[k];
        let dir = self.ix.url(ItemId::Page(k));
        let b = self.bodies.body(ItemId::Page(k));
        let mut meta = self.meta(p.title.as_str(), "page", "pages", &dir);
        meta.has_code = b.is_some_and(|b| b.has_code);
        let view = PageView { title: &p.title, body: b.map_or("", |b| b.html.as_str()) };
        self.page("page.html", &dir, meta, "pg", view, p.src.file())
    }

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
        let view = DecisionView {
            title: &d.title,
            organ: ix.organs.get(d.organ.as_str()).map(|&o| OrganName { name: &c.organs[o].name }),
            year: d.year,
            status: &d.status,
            stages,
            body: self.bodies.body(ItemId::Decision(k)).map_or("", |b| b.html.as_str()),
        };
        let mut meta = self.meta(d.title.as_str(), "decision", "decisions", &dir);
        meta.breadcrumbs.push(Crumb { title: "重大行政决策事项目录", url: routes::DECISIONS_PAGE });
        self.page("decision.html", &dir, meta, "dec", view, d.src.file())
    }

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

    pub(in crate::stages::render) fn not_found(&self) -> Result<Rendered, Diagnostic> {
        let mut meta = self.meta("页面不存在", "error", "", routes::NOT_FOUND);
        meta.canonical = String::new();
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
