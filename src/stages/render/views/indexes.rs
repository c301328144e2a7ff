//! The index pages: interpretations, topics, organs, gazette issues by year, decisions by
//! year and organ, the browse page, and the search form with its filters.

use super::Counted;
use crate::diag::Diagnostic;
use crate::model::Validity;
use crate::render::emit::{FeedLink, Rendered};
use crate::render::plan::{issue_label, issue_url, ListingKind, FACETS};
use crate::render::Renderer;
use crate::resolve::ItemId;
use crate::routes;
use serde::Serialize;

/// The interpretations index's template.
const INTERPRETATIONS: &str = "interpretations.html";

#[derive(Serialize)]
pub(super) struct Facet<'a> {
    key: &'static str,
    label: &'static str,
    values: Vec<Counted<'a>>,
}

#[derive(Serialize)]
struct InterpItem<'a> {
    title: &'a str,
    url: String,
    form: &'a str,
    published: Option<String>,
}

#[derive(Serialize)]
struct OrganCount<'a> {
    name: &'a str,
    url: String,
    count: usize,
}

#[derive(Serialize)]
struct IssueYear {
    year: u16,
    issues: Vec<IssueItem>,
}

#[derive(Serialize)]
struct IssueItem {
    url: String,
    label: String,
    published: String,
}

#[derive(Serialize)]
struct DecisionYear<'a> {
    year: u16,
    organs: Vec<DecisionOrgan<'a>>,
}

#[derive(Serialize)]
struct DecisionOrgan<'a> {
    name: &'a str,
    items: Vec<DecisionItem<'a>>,
}

#[derive(Serialize)]
struct DecisionItem<'a> {
    title: &'a str,
    url: String,
    status: &'a str,
}

/// The filter values of the search form, rendered into the page so it works before JS.
#[derive(Serialize)]
struct SearchFilters<'a> {
    organs: Vec<&'a str>,
    years: &'a [u16],
    types: &'a [String],
    topics: &'a [String],
    validity: Vec<ValidityOption>,
    /// One filter per 标签目录 dimension (one 标签 filter for free tags).
    tag_dimensions: Vec<super::tags::TagDimensionView<'a>>,
}

#[derive(Serialize)]
struct ValidityOption {
    slug: &'static str,
    label: &'static str,
}

impl<'a> Renderer<'a> {
    /// Published topics with their number of documents.
    pub(super) fn visible_topics(&self) -> Vec<Counted<'a>> {
        let c = &self.ix.content;
        (0..c.topics.len())
            .filter(|&k| self.ix.visible(ItemId::Topic(k)))
            .map(|k| Counted {
                title: &c.topics[k].title,
                url: self.ix.url(ItemId::Topic(k)),
                count: self.ix.topic_docs[k].len(),
            })
            .collect()
    }

    /// Facet groups with their values and counts, for the browse page and the 公文库 page.
    pub(super) fn facets(&self) -> Vec<Facet<'_>> {
        FACETS
            .iter()
            .enumerate()
            .map(|(f, &(key, label))| Facet {
                key,
                label,
                values: self
                    .plan
                    .listings
                    .iter()
                    .filter(|l| l.kind == ListingKind::Facet(f))
                    .map(|l| Counted { title: &l.value, url: l.dir.clone(), count: l.docs.len() })
                    .collect(),
            })
            .collect()
    }

    pub(in crate::stages::render) fn interpretation_index_inputs(&self) -> u64 {
        self.interpretation_index_inputs_of(INTERPRETATIONS)
    }

    pub(in crate::stages::render) fn interpretation_index(&self) -> Result<Rendered, Diagnostic> {
        let dir = routes::INTERPRETATIONS;
        let inputs = self.interpretation_index_inputs();
        if let Some(page) = self.reuse_inputs(routes::file(dir), inputs, self.template_loc(INTERPRETATIONS)) {
            return Ok(page);
        }
        let c = &self.ix.content;
        let items: Vec<InterpItem> = self
            .ix
            .published_interpretations()
            .iter()
            .map(|&k| {
                let it = &c.interpretations[k];
                InterpItem {
                    title: &it.title,
                    url: self.ix.url(ItemId::Interp(k)),
                    form: &it.form,
                    published: it.published.map(|d| d.to_string()),
                }
            })
            .collect();
        let meta = self.meta("政策解读", "interpretations", "interpretations", dir);
        let blame = self.template_loc(INTERPRETATIONS);
        self.page(INTERPRETATIONS, dir, meta, "items", items, blame).map(|page| page.with_inputs(inputs))
    }

    pub(in crate::stages::render) fn topic_index(&self) -> Result<Rendered, Diagnostic> {
        let dir = routes::TOPICS;
        let meta = self.meta("政策集成主题", "topics", "topics", dir);
        self.page("topics.html", dir, meta, "topics", self.visible_topics(), self.template_loc("topics.html"))
    }

    pub(in crate::stages::render) fn gazette_index(&self) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let mut years: Vec<IssueYear> = Vec::new();
        for &k in self.plan.issues.iter().rev() {
            let iss = &c.issues[k];
            let item = IssueItem { url: issue_url(iss), label: issue_label(iss), published: iss.published.to_string() };
            match years.last_mut() {
                Some(y) if y.year == iss.year => y.issues.push(item),
                _ => years.push(IssueYear { year: iss.year, issues: vec![item] }),
            }
        }
        let dir = routes::GAZETTE;
        let mut meta = self.meta(self.cfg.gazette_name.as_str(), "gazette", "gazette", dir);
        meta.feeds.push(FeedLink { title: format!("{}（订阅）", self.cfg.gazette_name), url: routes::feed(dir) });
        self.page("gazette_index.html", dir, meta, "years", years, self.template_loc("gazette_index.html"))
    }

    pub(in crate::stages::render) fn organ_index(&self) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let organs: Vec<OrganCount> = self
            .plan
            .listings
            .iter()
            .filter_map(|l| match l.kind {
                ListingKind::Organ(o) => Some(OrganCount {
                    name: &c.organs[o].name,
                    url: routes::organ(&c.organs[o].id),
                    count: l.docs.len(),
                }),
                _ => None,
            })
            .collect();
        let dir = routes::ORGANS;
        let meta = self.meta("发文机关", "organs", "organs", dir);
        self.page("organs.html", dir, meta, "organs", organs, self.template_loc("organs.html"))
    }

    pub(in crate::stages::render) fn decision_index(&self) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        let mut ds: Vec<usize> = (0..c.decisions.len()).filter(|&k| self.ix.visible(ItemId::Decision(k))).collect();
        ds.sort_by(|&a, &b| {
            let (x, y) = (&c.decisions[a], &c.decisions[b]);
            y.year.cmp(&x.year).then(x.organ.cmp(&y.organ)).then(x.id.cmp(&y.id))
        });
        let mut years: Vec<DecisionYear> = Vec::new();
        for k in ds {
            let d = &c.decisions[k];
            let name = self.ix.organs.get(d.organ.as_str()).map_or(d.organ.as_str(), |&o| c.organs[o].name.as_str());
            let item = DecisionItem { title: &d.title, url: self.ix.url(ItemId::Decision(k)), status: &d.status };
            if years.last().is_none_or(|y| y.year != d.year) {
                years.push(DecisionYear { year: d.year, organs: Vec::new() });
            }
            let organs = &mut years.last_mut().expect("pushed above").organs;
            match organs.last_mut() {
                Some(o) if o.name == name => o.items.push(item),
                _ => organs.push(DecisionOrgan { name, items: vec![item] }),
            }
        }
        let dir = routes::DECISIONS;
        let meta = self.meta("重大行政决策事项目录", "decisions", "decisions", dir);
        self.page("decisions.html", dir, meta, "years", years, self.template_loc("decisions.html"))
    }

    pub(in crate::stages::render) fn browse_index(&self) -> Result<Rendered, Diagnostic> {
        let dir = routes::BROWSE;
        let meta = self.meta("分类浏览", "browse", "documents", dir);
        self.page("browse.html", dir, meta, "facets", self.facets(), self.template_loc("browse.html"))
    }

    pub(in crate::stages::render) fn search_page(&self) -> Result<Rendered, Diagnostic> {
        let c = &self.ix.content;
        // Organs with published documents, in registry order (their listings know).
        let organs: Vec<&str> = self
            .plan
            .listings
            .iter()
            .filter_map(|l| match l.kind {
                ListingKind::Organ(o) if !l.docs.is_empty() => Some(c.organs[o].name.as_str()),
                _ => None,
            })
            .collect();
        let v = &self.plan.values;
        let (years, types, topics) = (&v.years[..], &v.types[..], &v.topics[..]);
        let validity = Validity::ALL.iter().map(|v| ValidityOption { slug: v.slug(), label: v.label() }).collect();
        let mut tag_dimensions = self.tag_dimensions();
        for d in &mut tag_dimensions {
            d.values.retain(|v| v.count > 0); // a filter only offers what can be found
        }
        tag_dimensions.retain(|d| !d.values.is_empty());
        let filters = SearchFilters { organs, years, types, topics, validity, tag_dimensions };
        let dir = routes::SEARCH;
        let meta = self.meta("搜索", "search", "search", dir);
        self.page("search.html", dir, meta, "search", filters, self.template_loc("search.html"))
    }
}
