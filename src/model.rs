//! The content model: plain data, as loaded and checked from the site's files.
//!
//! Nothing here knows about YAML, Markdown or templates. Every value that came from a
//! file keeps a [`Loc`] so later stages (reference resolution, link checks) can point
//! at the exact line.

use crate::date::Date;
use crate::diag::Loc;
use crate::yaml::{self, Seg};

/// Where an item came from: its file, and its front matter text for locating keys later.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// Relative to the site root, `/`-separated: `content/documents/2024/a.md`.
    pub path: String,
    /// The YAML text (front matter, or the whole file for YAML content).
    pub yaml: String,
    /// Line in the file where `yaml` starts (2 for front matter after `---`).
    pub yaml_line: usize,
    /// Line in the file where the Markdown body starts (0 when none).
    pub body_line: usize,
    /// `allow_personal_info: true`: the privacy lint skips this item (see `privacy`).
    pub allow_personal_info: bool,
}

impl Source {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub raw: String,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Organ {
    pub id: String,
    pub name: String,
    pub short_name: Option<String>,
    pub code: Option<String>,
    pub parent: Option<String>,
    pub url: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub url: String,
    pub organ: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
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

#[derive(Debug, Clone)]
pub struct Attachment {
    pub title: String,
    /// Relative to `content/`, normalised: `files/附件1.pdf`.
    pub path: String,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Qa {
    pub q: String,
    /// Markdown.
    pub a: String,
    pub updated: Option<Date>,
}

/// A 公文.
#[derive(Debug, Clone)]
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
    pub body: String,
}

pub const INTERPRETATION_FORMS: &[&str] = &["文字", "图解", "视频", "音频", "问答", "专家解读", "媒体解读"];

/// A 政策解读.
#[derive(Debug, Clone)]
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
    pub body: String,
}

/// A 常见问题与解答 set attached to one item.
#[derive(Debug, Clone)]
pub struct FaqSet {
    pub src: Source,
    pub for_ref: Ref,
    pub items: Vec<Qa>,
    pub draft: bool,
}

#[derive(Debug, Clone)]
pub struct IssueSection {
    pub title: String,
    pub items: Vec<Ref>,
}

/// A 政府公报 issue.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub struct Topic {
    pub src: Source,
    pub id: String,
    pub title: String,
    pub documents: Vec<Ref>,
    pub match_tags: Vec<String>,
    pub match_topics: Vec<String>,
    pub draft: bool,
    pub body: String,
}

pub const DECISION_STAGES: &[&str] =
    &["草案", "起草说明", "草案解读", "意见征集", "意见采纳情况", "公众代表列席", "决策结果", "执行情况"];
pub const DECISION_STATUSES: &[&str] = &["拟决策", "征求意见", "已决策"];

#[derive(Debug, Clone)]
pub struct Stage {
    pub stage: String,
    pub reference: Option<Ref>,
    pub url: Option<String>,
    pub date: Option<Date>,
}

/// A 重大行政决策事项.
#[derive(Debug, Clone)]
pub struct Decision {
    pub src: Source,
    pub id: String,
    pub title: String,
    pub organ: String,
    pub year: u16,
    pub status: String,
    pub stages: Vec<Stage>,
    pub draft: bool,
    pub body: String,
}

/// A free page (公开指南, 年度报告…).
#[derive(Debug, Clone)]
pub struct Page {
    pub src: Source,
    pub id: String,
    pub title: String,
    pub published: Option<Date>,
    pub draft: bool,
    pub body: String,
}

/// Everything loaded from a site, before references are resolved.
#[derive(Debug, Default)]
pub struct Content {
    pub organs: Vec<Organ>,
    pub services: Vec<Service>,
    pub documents: Vec<Document>,
    pub interpretations: Vec<Interpretation>,
    pub faqs: Vec<FaqSet>,
    pub issues: Vec<GazetteIssue>,
    pub topics: Vec<Topic>,
    pub decisions: Vec<Decision>,
    pub pages: Vec<Page>,
    /// Files under `content/files/`, relative to `content/` (`files/附件1.pdf`).
    pub files: std::collections::BTreeSet<String>,
}
