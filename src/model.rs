//! The content model: plain data, as loaded and checked from the site's files.
//!
//! Nothing here knows about YAML, Markdown or templates. Every value that came from a
//! file keeps a [`Loc`] so later stages (reference resolution, link checks) can point
//! at the exact line.

use crate::date::Date;
use crate::diag::Loc;
use crate::yaml::{self, Seg};

/// Where an item came from: its file, and its front matter text for locating keys later.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Source {
    /// Relative to the site root, `/`-separated: `content/documents/2024/a.md`.
    /// (Read back from the content record by `crate::utf8`, as `yaml` is: a source is
    /// made by the loader, never read from YAML.)
    #[serde(deserialize_with = "crate::utf8::de_string")]
    pub path: String,
    /// The YAML text (front matter, or the whole file for YAML content). A one-off build
    /// lets go of it once nothing will point into it ([`Content::let_go_of_yaml`]).
    #[serde(deserialize_with = "crate::utf8::de_string")]
    pub yaml: String,
    /// XXH3 of `yaml`: what a page's inputs key takes of the front matter (`render::deps`).
    pub yaml_hash: u64,
    /// Line in the file where `yaml` starts (2 for front matter after `---`).
    pub yaml_line: usize,
    /// Line in the file where the Markdown body starts (0 when none).
    pub body_line: usize,
    /// `allow_personal_info: true`: the privacy lint skips this item (see `privacy`).
    pub allow_personal_info: bool,
    /// XXH3 of the Markdown body as loaded (what the bodies stage keys a body by, so it
    /// need not hold the text).
    pub body_hash: u64,
    /// What the privacy lint found in the file, reported if the item is published
    /// (`privacy::check_site`); found when the file is parsed, so a file taken from a
    /// record is not scanned again and its findings are not lost.
    pub personal_info: Vec<crate::diag::Diagnostic>,
    /// The item's face: a hash of the fields resolving reads (`resolve::Faced`), made the
    /// first time a build with a memo asks, then kept with the item (an item serve's
    /// load memo keeps is not hashed again).
    #[serde(skip)]
    pub face: std::sync::OnceLock<u64>,
    /// A document's facets: a hash of the fields the search index's facet and number
    /// files read (`search::facets_of`), kept with the item like `face`.
    #[serde(skip)]
    pub facets: std::sync::OnceLock<u64>,
    /// A document's numbers as the search index's exact-number files key them (its
    /// canonical 发文字号 and its 索引号, `search::exact_keys`), kept with the item like `face`.
    #[serde(skip)]
    pub exact: std::sync::OnceLock<Box<[String]>>,
    /// The XXH3 of `path` ([`Source::path_key`]), kept with the item like `face`.
    #[serde(skip)]
    pub path_hash: std::sync::OnceLock<u64>,
    /// The XXH3 of the item's id ([`Item::id_key`]), kept with the item like `face`.
    #[serde(skip)]
    pub id_hash: std::sync::OnceLock<u64>,
}

impl Source {
    /// The XXH3 of the item's path, as keys name the item's file: the pages' inputs keys,
    /// the bodies' keys and faces and the lint's key each take it in every serve rebuild,
    /// of every item, and reading each path again was a cache miss of its own (the path
    /// is a string apart from the item).
    pub fn path_key(&self) -> u64 {
        *self.path_hash.get_or_init(|| crate::hash::of(self.path.as_bytes()))
    }

    /// Location of a key path in this item's YAML.
    pub fn loc(&self, path: &[Seg]) -> Loc {
        let (l, c) = yaml::locate(&self.yaml, path);
        Loc::new(self.path.clone(), l + self.yaml_line - 1, c)
    }
    pub fn key(&self, k: &str) -> Loc {
        self.loc(&[Seg::Key(k.to_string())])
    }
    pub fn item(&self, k: &str, i: usize) -> Loc {
        self.loc(&[Seg::Key(k.to_string()), Seg::Index(i)])
    }
    pub fn file(&self) -> Loc {
        Loc::file(self.path.clone())
    }
}

/// A reference to another item (REF): an id or a 发文字号, as written, with its place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ref {
    pub raw: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Organ {
    pub id: String,
    pub name: String,
    pub short_name: Option<String>,
    pub code: Option<String>,
    pub parent: Option<String>,
    pub url: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub url: String,
    pub organ: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Disclosure {
    #[serde(rename = "主动公开")]
    Active,
    #[serde(rename = "依申请公开")]
    OnRequest,
    #[serde(rename = "不予公开")]
    Withheld,
}

impl Disclosure {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "主动公开" => Some(Self::Active),
            "依申请公开" => Some(Self::OnRequest),
            "不予公开" => Some(Self::Withheld),
            _ => None,
        }
    }
}

/// 有效性. The order of variants is the order listings show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum Validity {
    #[default]
    Valid,
    NotYetEffective,
    Amended,
    Repealed,
    Expired,
}

impl Validity {
    pub const ALL: [Validity; 5] = [Self::Valid, Self::NotYetEffective, Self::Amended, Self::Repealed, Self::Expired];
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.label() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Valid => "有效",
            Self::NotYetEffective => "尚未生效",
            Self::Amended => "已修改",
            Self::Repealed => "已废止",
            Self::Expired => "失效",
        }
    }
    /// Stable ASCII key for CSS classes, URLs and search filters.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::NotYetEffective => "pending",
            Self::Amended => "amended",
            Self::Repealed => "repealed",
            Self::Expired => "expired",
        }
    }
    /// schema.org `legislationLegalForce` value.
    pub fn schema_org(self) -> &'static str {
        match self {
            Self::Valid | Self::Amended => "https://schema.org/InForce",
            Self::NotYetEffective => "https://schema.org/NotInForce",
            Self::Repealed | Self::Expired => "https://schema.org/NotInForce",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub title: String,
    /// Relative to `content/`, normalised: `files/附件1.pdf`.
    pub path: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Qa {
    pub q: String,
    /// Markdown.
    pub a: String,
    pub updated: Option<Date>,
}

/// A 公文.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Document {
    pub src: Source,
    pub id: String,
    pub title: String,
    /// Canonical 发文字号.
    pub doc_number: Option<String>,
    pub index_number: Option<String>,
    pub issuer: Vec<String>,
    pub doc_type: Option<String>,
    pub written: Option<Date>,
    pub published: Date,
    pub effective: Option<Date>,
    pub expires: Option<Date>,
    pub disclosure: Disclosure,
    pub draft: bool,
    pub normative: bool,
    pub registration: Option<String>,
    pub validity: Option<Validity>,
    pub topics: Vec<String>,
    pub tags: Vec<String>,
    pub basis: Vec<Ref>,
    pub supporting: Vec<Ref>,
    pub amends: Vec<Ref>,
    pub repeals: Vec<Ref>,
    pub related: Vec<Ref>,
    pub services: Vec<String>,
    pub attachments: Vec<Attachment>,
    pub faq: Vec<Qa>,
    pub lang: Option<String>,
    pub translation_of: Option<Ref>,
    pub consult_url: Option<String>,
    pub aliases: Vec<String>,
    /// The Markdown as loaded; empty in an item `gazette build` took from its record of
    /// the content (`load::Record`): then `src.body_hash` stands for it.
    #[serde(skip)]
    pub body: String,
}

/// 文种: the fifteen of GB/T 9704-2012 / 党政机关公文处理工作条例 (决议 … 纪要, 令 as 命令),
/// then the kinds offices commonly publish as 规范性文件 and plans. A `doc_type` outside
/// this list gets a warning with the nearest one (`通知书` → 通知).
pub const DOC_TYPES: &[&str] = &[
    "决议",
    "决定",
    "命令",
    "令",
    "公报",
    "公告",
    "通告",
    "意见",
    "通知",
    "通报",
    "报告",
    "请示",
    "批复",
    "议案",
    "函",
    "纪要",
    "规定",
    "办法",
    "细则",
    "条例",
    "规则",
    "方案",
    "要点",
    "规划",
    "计划",
    "指引",
    "指南",
    "清单",
    "目录",
    "标准",
    "预案",
    "公示",
    "实施意见",
    "实施方案",
    "实施细则",
    "指导意见",
    "工作要点",
    "工作方案",
    "复函",
    "答复",
];

pub const INTERPRETATION_FORMS: &[&str] = &["文字", "图解", "视频", "音频", "问答", "专家解读", "媒体解读"];

/// A 政策解读.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Interpretation {
    pub src: Source,
    pub id: String,
    pub title: String,
    pub interprets: Ref,
    pub form: String,
    pub published: Option<Date>,
    pub issuer: Option<String>,
    pub video: Option<String>,
    pub image: Option<String>,
    pub draft: bool,
    /// The Markdown as loaded; empty in an item `gazette build` took from its record of
    /// the content (`load::Record`): then `src.body_hash` stands for it.
    #[serde(skip)]
    pub body: String,
}

/// A 常见问题与解答 set attached to one item.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FaqSet {
    pub src: Source,
    pub for_ref: Ref,
    pub items: Vec<Qa>,
    pub draft: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IssueSection {
    pub title: String,
    pub items: Vec<Ref>,
}

/// A 政府公报 issue.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct GazetteIssue {
    pub src: Source,
    pub year: u16,
    pub number: u32,
    pub total: Option<u32>,
    pub published: Date,
    pub title: Option<String>,
    pub sections: Vec<IssueSection>,
    pub draft: bool,
}

/// A 政策集成主题.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Topic {
    pub src: Source,
    pub id: String,
    pub title: String,
    pub documents: Vec<Ref>,
    pub match_tags: Vec<String>,
    pub match_topics: Vec<String>,
    pub draft: bool,
    /// The Markdown as loaded; empty in an item `gazette build` took from its record of
    /// the content (`load::Record`): then `src.body_hash` stands for it.
    #[serde(skip)]
    pub body: String,
}

pub const DECISION_STAGES: &[&str] =
    &["草案", "起草说明", "草案解读", "意见征集", "意见采纳情况", "公众代表列席", "决策结果", "执行情况"];
pub const DECISION_STATUSES: &[&str] = &["拟决策", "征求意见", "已决策"];

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Stage {
    pub stage: String,
    pub reference: Option<Ref>,
    pub url: Option<String>,
    pub date: Option<Date>,
}

/// A 重大行政决策事项.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Decision {
    pub src: Source,
    pub id: String,
    pub title: String,
    pub organ: String,
    pub year: u16,
    pub status: String,
    pub stages: Vec<Stage>,
    pub draft: bool,
    /// The Markdown as loaded; empty in an item `gazette build` took from its record of
    /// the content (`load::Record`): then `src.body_hash` stands for it.
    #[serde(skip)]
    pub body: String,
}

/// A free page (公开指南, 年度报告…).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Page {
    pub src: Source,
    pub id: String,
    pub title: String,
    pub published: Option<Date>,
    pub draft: bool,
    /// The Markdown as loaded; empty in an item `gazette build` took from its record of
    /// the content (`load::Record`): then `src.body_hash` stands for it.
    #[serde(skip)]
    pub body: String,
}

/// One item of the five kinds a REF can name, each with a page of its own: the index
/// into its kind's list in [`Content`]. Every stage addresses items this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemId {
    Doc(usize),
    Interp(usize),
    Topic(usize),
    Page(usize),
    Decision(usize),
}

impl ItemId {
    /// The kind as diagnostics name it.
    pub fn kind_name(self) -> &'static str {
        match self {
            ItemId::Doc(_) => "document",
            ItemId::Interp(_) => "interpretation",
            ItemId::Topic(_) => "topic",
            ItemId::Page(_) => "page",
            ItemId::Decision(_) => "decision",
        }
    }

    /// The kind as pages name it (relation boxes, 被引用).
    pub fn kind_label(self) -> &'static str {
        match self {
            ItemId::Doc(_) => "公文",
            ItemId::Interp(_) => "政策解读",
            ItemId::Topic(_) => "主题",
            ItemId::Page(_) => "页面",
            ItemId::Decision(_) => "重大决策",
        }
    }

    /// The folder URL of an item with this id (CONTRACT §8).
    pub fn url(self, id: &str) -> String {
        use crate::routes;
        match self {
            ItemId::Doc(_) => routes::document(id),
            ItemId::Interp(_) => routes::interpretation(id),
            ItemId::Topic(_) => routes::topic(id),
            ItemId::Page(_) => routes::page(id),
            ItemId::Decision(_) => routes::decision(id),
        }
    }
}

macro_rules! index_type {
    ($name:ident, $kind:ty, $variant:tt, $what:literal) => {
        index_type!($name, $kind, $kind, $variant, $what);
    };
    ($name:ident, $kind:ty, $held:ty, $variant:tt, $what:literal) => {
        #[doc = concat!("The index of ", $what, " in its list in [`Content`]: relations say which kind they point to.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub usize);

        impl std::ops::Index<$name> for Vec<$held> {
            type Output = $kind;
            fn index(&self, i: $name) -> &$kind {
                &self[i.0]
            }
        }

        index_type!(@item $name, $variant);
    };
    (@item $name:ident, _) => {};
    (@item $name:ident, $variant:ident) => {
        impl From<$name> for ItemId {
            fn from(i: $name) -> ItemId {
                ItemId::$variant(i.0)
            }
        }
    };
}
index_type!(DocIx, Document, std::sync::Arc<Document>, Doc, "a document");
index_type!(InterpIx, Interpretation, std::sync::Arc<Interpretation>, Interp, "an interpretation");
index_type!(TopicIx, Topic, Topic, "a topic");
index_type!(FaqIx, FaqSet, _, "a FAQ set");
index_type!(IssueIx, GazetteIssue, _, "a gazette issue");

/// What every kind with a page shares: its file, id, title, Markdown body, `draft` and
/// publication date. Code that works on any item goes through this (one match, in
/// [`Content::item`]), so a new kind is an `impl` here, not an arm in every stage.
pub trait Item {
    fn src(&self) -> &Source;
    fn id(&self) -> &str;
    fn title(&self) -> &str;
    fn body(&self) -> &str;
    /// The Markdown body, to replace it (`serve`'s fast edits keep the site current).
    fn body_mut(&mut self) -> &mut String;
    fn src_mut(&mut self) -> &mut Source;
    fn draft(&self) -> bool;
    /// Its publication date, when the kind has one (a later date embargoes it).
    fn published(&self) -> Option<Date>;
    /// The XXH3 of its id, as keys and the bodies' lookups name it, kept with the item
    /// (see [`Source::path_key`]).
    fn id_key(&self) -> u64 {
        *self.src().id_hash.get_or_init(|| crate::hash::of(self.id().as_bytes()))
    }
}

macro_rules! item {
    ($kind:ty, |$x:ident| $published:expr) => {
        impl Item for $kind {
            fn src(&self) -> &Source {
                &self.src
            }
            fn id(&self) -> &str {
                &self.id
            }
            fn title(&self) -> &str {
                &self.title
            }
            fn body(&self) -> &str {
                &self.body
            }
            fn body_mut(&mut self) -> &mut String {
                &mut self.body
            }
            fn src_mut(&mut self) -> &mut Source {
                &mut self.src
            }
            fn draft(&self) -> bool {
                self.draft
            }
            fn published(&self) -> Option<Date> {
                let $x = self;
                $published
            }
        }
    };
}
item!(Document, |d| Some(d.published));
item!(Interpretation, |i| i.published);
item!(Topic, |_t| None);
item!(Page, |p| p.published);
item!(Decision, |_d| None);

/// One value per item, kept per kind: what a stage knows of each item (its body, why it
/// is hidden), addressed by [`ItemId`].
#[derive(Debug, Clone, Default)]
pub struct ItemMap<T> {
    docs: Vec<T>,
    interps: Vec<T>,
    topics: Vec<T>,
    pages: Vec<T>,
    decisions: Vec<T>,
}

impl<T> ItemMap<T> {
    /// A value for every item of `c`.
    pub fn new(c: &Content, mut f: impl FnMut(ItemId, &dyn Item) -> T) -> Self {
        fn all<K: Item, T>(v: &[K], id: fn(usize) -> ItemId, f: &mut impl FnMut(ItemId, &dyn Item) -> T) -> Vec<T> {
            v.iter().enumerate().map(|(i, x)| f(id(i), x)).collect()
        }
        ItemMap {
            docs: c.documents.iter().enumerate().map(|(i, d)| f(ItemId::Doc(i), &**d)).collect(),
            interps: c.interpretations.iter().enumerate().map(|(i, x)| f(ItemId::Interp(i), &**x)).collect(),
            topics: all(&c.topics, ItemId::Topic, &mut f),
            pages: all(&c.pages, ItemId::Page, &mut f),
            decisions: all(&c.decisions, ItemId::Decision, &mut f),
        }
    }

    /// [`ItemMap::new`] with the documents and interpretations (nearly every item) on
    /// every thread: for values made for the whole library on every build.
    pub fn par_new(c: &Content, f: impl Fn(ItemId, &dyn Item) -> T + Sync) -> Self
    where
        T: Send,
    {
        use rayon::prelude::*;
        let (docs, interps) = rayon::join(
            || c.documents.par_iter().enumerate().map(|(i, d)| f(ItemId::Doc(i), &**d)).collect(),
            || c.interpretations.par_iter().enumerate().map(|(i, x)| f(ItemId::Interp(i), &**x)).collect(),
        );
        ItemMap {
            docs,
            interps,
            topics: c.topics.iter().enumerate().map(|(i, x)| f(ItemId::Topic(i), x)).collect(),
            pages: c.pages.iter().enumerate().map(|(i, x)| f(ItemId::Page(i), x)).collect(),
            decisions: c.decisions.iter().enumerate().map(|(i, x)| f(ItemId::Decision(i), x)).collect(),
        }
    }

    pub fn get(&self, t: ItemId) -> &T {
        match t {
            ItemId::Doc(i) => &self.docs[i],
            ItemId::Interp(i) => &self.interps[i],
            ItemId::Topic(i) => &self.topics[i],
            ItemId::Page(i) => &self.pages[i],
            ItemId::Decision(i) => &self.decisions[i],
        }
    }

    /// The documents' values with one made by `f` put in at each of `places` (ascending
    /// places among the documents after it), the others keeping their order.
    pub fn with_docs_put_in(&mut self, places: &[usize], mut f: impl FnMut(usize) -> T) {
        let before = std::mem::take(&mut self.docs);
        self.docs = crate::model::put_in(before, places, &mut f);
    }

    pub fn get_mut(&mut self, t: ItemId) -> &mut T {
        match t {
            ItemId::Doc(i) => &mut self.docs[i],
            ItemId::Interp(i) => &mut self.interps[i],
            ItemId::Topic(i) => &mut self.topics[i],
            ItemId::Page(i) => &mut self.pages[i],
            ItemId::Decision(i) => &mut self.decisions[i],
        }
    }
}

/// `items` with the value `f` makes for each of `places` (ascending places in the list
/// made) put in there, the others after one another in their order.
pub fn put_in<T>(items: Vec<T>, places: &[usize], f: &mut impl FnMut(usize) -> T) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len() + places.len());
    let (mut old, mut places) = (items.into_iter(), places.iter().peekable());
    loop {
        let at = out.len();
        match places.next_if(|&&p| p == at) {
            Some(_) => out.push(f(at)),
            None => match old.next() {
                Some(x) => out.push(x),
                None => break,
            },
        }
    }
    out
}

/// Everything loaded from a site, before references are resolved.
#[derive(Debug, Default)]
pub struct Content {
    pub organs: Vec<Organ>,
    pub services: Vec<Service>,
    /// Shared, so `serve`'s memo hands an unchanged document or interpretation to the
    /// next build without copying it (a document is dozens of strings, and each holds
    /// its Markdown).
    pub documents: Vec<std::sync::Arc<Document>>,
    pub interpretations: Vec<std::sync::Arc<Interpretation>>,
    pub faqs: Vec<FaqSet>,
    pub issues: Vec<GazetteIssue>,
    pub topics: Vec<Topic>,
    pub decisions: Vec<Decision>,
    pub pages: Vec<Page>,
    /// Files under `content/files/`, relative to `content/` (`files/附件1.pdf`).
    pub files: std::collections::BTreeSet<String>,
    /// Content files that did not load (their error is reported), with the names a REF
    /// may use for them, so REFs to them are not reported again as unknown.
    pub unloaded: Vec<Unloaded>,
    /// services.yaml did not load: `service:` links are not checked against it.
    pub services_broken: bool,
    /// Content files read and parsed by this load, and content files in all (the others
    /// came from serve's memo or the content record): for `--timings`.
    pub parsed: (usize, usize),
}

/// A content file that did not load: its path and what REFs may call it (its `id:` line
/// or file stem, its `doc_number:` line), read from the raw text as well as can be.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Unloaded {
    pub path: String,
    pub names: Vec<String>,
}

impl Content {
    /// The item `t` names, as any kind.
    pub fn item(&self, t: ItemId) -> &dyn Item {
        match t {
            ItemId::Doc(i) => &*self.documents[i],
            ItemId::Interp(i) => &*self.interpretations[i],
            ItemId::Topic(i) => &self.topics[i],
            ItemId::Page(i) => &self.pages[i],
            ItemId::Decision(i) => &self.decisions[i],
        }
    }

    pub fn item_mut(&mut self, t: ItemId) -> &mut dyn Item {
        match t {
            ItemId::Doc(i) => std::sync::Arc::<Document>::make_mut(&mut self.documents[i]),
            ItemId::Interp(i) => std::sync::Arc::<Interpretation>::make_mut(&mut self.interpretations[i]),
            ItemId::Topic(i) => &mut self.topics[i],
            ItemId::Page(i) => &mut self.pages[i],
            ItemId::Decision(i) => &mut self.decisions[i],
        }
    }

    /// Let go of the front matter text of every item, FAQ set and gazette issue (≈50 MB at
    /// 100,000 documents) but the documents with aliases, whose redirect pages are blamed
    /// on their `aliases` line. For a one-off build once its bodies are rendered: after
    /// that stage only those pages locate a key in the front matter.
    pub fn let_go_of_yaml(&mut self) {
        let items: Vec<ItemId> = self.items().collect();
        for t in items {
            if matches!(t, ItemId::Doc(i) if !self.documents[i].aliases.is_empty()) {
                continue;
            }
            self.item_mut(t).src_mut().yaml = String::new();
        }
        for src in self.faqs.iter_mut().map(|f| &mut f.src).chain(self.issues.iter_mut().map(|i| &mut i.src)) {
            src.yaml = String::new();
        }
    }

    /// Every item of the five kinds, documents first, each kind in load order.
    pub fn items(&self) -> impl Iterator<Item = ItemId> + '_ {
        (0..self.documents.len())
            .map(ItemId::Doc)
            .chain((0..self.interpretations.len()).map(ItemId::Interp))
            .chain((0..self.topics.len()).map(ItemId::Topic))
            .chain((0..self.pages.len()).map(ItemId::Page))
            .chain((0..self.decisions.len()).map(ItemId::Decision))
    }
}
