//! Stage 1, load: walk `content/`, read every file, split front matter, and turn each
//! file into a model item, checking everything that needs no other file (required keys,
//! dates, id syntax, enumerations, 发文字号 form, known organs and services, attachments).
//!
//! Files are read and parsed in parallel; problems are collected, never thrown, so one
//! build reports every broken file at once.

use crate::cache::Stamp;
use crate::config::{Config, Limits};
use crate::date::Date;
use crate::diag::{rel_path, Diagnostic, Diagnostics, Loc};
use crate::docnum::{self, DocNumber};
use crate::model::*;
use crate::yaml::{self, Seg};
use rayon::prelude::*;
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

pub use crate::text::decode_text;

/// Line (1-based) of the first invalid UTF-8 byte, for the diagnostic.
fn bad_utf8_line(bytes: &[u8]) -> usize {
    let upto = std::str::from_utf8(bytes).err().map_or(0, |e| e.valid_up_to());
    1 + bytes[..upto].iter().filter(|&&b| b == b'\n').count()
}

/// A string that YAML may have written as a number or bool (`number: 5`, `year: 2024`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `issuer: szf` or `issuer: [szf, fgw]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Text),
    Many(Vec<Text>),
}

#[derive(Deserialize)]
struct QaFront {
    q: Text,
    a: Text,
    updated: Option<Text>,
}

#[derive(Deserialize)]
struct AttachmentFront {
    title: Option<Text>,
    path: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DocFront {
    id: Option<Text>,
    title: Option<Text>,
    doc_number: Option<Text>,
    index_number: Option<Text>,
    issuer: Option<OneOrMany>,
    doc_type: Option<Text>,
    written: Option<Text>,
    published: Option<Text>,
    effective: Option<Text>,
    expires: Option<Text>,
    disclosure: Option<Text>,
    draft: Option<bool>,
    normative: Option<bool>,
    registration: Option<Text>,
    validity: Option<Text>,
    topics: Vec<Text>,
    tags: Vec<Text>,
    basis: Vec<Text>,
    supporting: Vec<Text>,
    amends: Vec<Text>,
    repeals: Vec<Text>,
    related: Vec<Text>,
    services: Vec<Text>,
    attachments: Vec<AttachmentFront>,
    faq: Vec<QaFront>,
    lang: Option<Text>,
    translation_of: Option<Text>,
    consult_url: Option<Text>,
    aliases: Vec<Text>,
}

const DOC_KEYS: &[&str] = &[
    "id",
    "title",
    "doc_number",
    "index_number",
    "issuer",
    "doc_type",
    "written",
    "published",
    "effective",
    "expires",
    "disclosure",
    "draft",
    "normative",
    "registration",
    "validity",
    "topics",
    "tags",
    "basis",
    "supporting",
    "amends",
    "repeals",
    "related",
    "services",
    "attachments",
    "faq",
    "lang",
    "translation_of",
    "consult_url",
    "aliases",
];

#[derive(Deserialize, Default)]
#[serde(default)]
struct InterpFront {
    id: Option<Text>,
    title: Option<Text>,
    interprets: Option<Text>,
    form: Option<Text>,
    published: Option<Text>,
    issuer: Option<Text>,
    video: Option<Text>,
    image: Option<Text>,
    draft: Option<bool>,
}
const INTERP_KEYS: &[&str] = &["id", "title", "interprets", "form", "published", "issuer", "video", "image", "draft"];

#[derive(Deserialize)]
struct FaqFront {
    #[serde(rename = "for")]
    for_ref: Option<Text>,
    #[serde(default)]
    items: Vec<QaFront>,
    #[serde(default)]
    draft: Option<bool>,
}
const FAQ_KEYS: &[&str] = &["for", "items", "draft"];

#[derive(Deserialize)]
struct SectionFront {
    title: Text,
    #[serde(default)]
    items: Vec<Text>,
}

#[derive(Deserialize)]
struct IssueFront {
    year: Option<u16>,
    number: Option<u32>,
    total: Option<u32>,
    published: Option<Text>,
    title: Option<Text>,
    #[serde(default)]
    sections: Vec<SectionFront>,
    #[serde(default)]
    draft: Option<bool>,
}
const ISSUE_KEYS: &[&str] = &["year", "number", "total", "published", "title", "sections", "draft"];

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchFront {
    tags: Vec<Text>,
    topics: Vec<Text>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TopicFront {
    id: Option<Text>,
    title: Option<Text>,
    documents: Vec<Text>,
    #[serde(rename = "match")]
    matches: MatchFront,
    draft: Option<bool>,
}
const TOPIC_KEYS: &[&str] = &["id", "title", "documents", "match", "draft"];

#[derive(Deserialize)]
struct StageFront {
    stage: Text,
    #[serde(rename = "ref")]
    reference: Option<Text>,
    url: Option<Text>,
    date: Option<Text>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecisionFront {
    id: Option<Text>,
    title: Option<Text>,
    organ: Option<Text>,
    year: Option<u16>,
    status: Option<Text>,
    stages: Vec<StageFront>,
    draft: Option<bool>,
}
const DECISION_KEYS: &[&str] = &["id", "title", "organ", "year", "status", "stages", "draft"];

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageFront {
    id: Option<Text>,
    title: Option<Text>,
    published: Option<Text>,
    draft: Option<bool>,
}
const PAGE_KEYS: &[&str] = &["id", "title", "published", "draft"];

#[derive(Deserialize)]
struct OrganFront {
    id: Text,
    name: Text,
    short_name: Option<Text>,
    code: Option<Text>,
    parent: Option<Text>,
    url: Option<Text>,
}

#[derive(Deserialize)]
struct ServiceFront {
    id: Text,
    name: Text,
    url: Text,
    organ: Option<Text>,
}

/// What kind of content a file under `content/` is, by its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Document,
    Interpretation,
    Faq,
    Issue,
    Topic,
    Decision,
    Page,
}

fn classify(rel_to_content: &str) -> Option<FileKind> {
    let (top, rest) = rel_to_content.split_once('/')?;
    let ext = Path::new(rest).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let md = ext == "md" || ext == "markdown";
    let yml = ext == "yaml" || ext == "yml";
    match top {
        "documents" if md => Some(FileKind::Document),
        "interpretations" if md => Some(FileKind::Interpretation),
        "faqs" if yml => Some(FileKind::Faq),
        "gazette" if yml => Some(FileKind::Issue),
        "topics" if md => Some(FileKind::Topic),
        "decisions" if md => Some(FileKind::Decision),
        "pages" if md => Some(FileKind::Page),
        _ => None,
    }
}

/// An old URL's path as an alias may give it: RFC 3986 path characters (letters, digits,
/// `-._~!$&'()*+,;=@`), non-ASCII letters and digits (Chinese file names, written
/// decoded), `/` between segments; no `:` (a scheme such as `javascript:`), `%` (a
/// server decodes it, so the file must be named decoded; `%2E%2E` would climb out), `..`,
/// query or fragment. The alias becomes a file of the output: nothing else may pass.
fn is_plain_path(a: &str) -> bool {
    let path = a.trim_start_matches('/');
    !path.is_empty()
        && path.split('/').all(|seg| seg != "." && seg != "..")
        && a.chars().all(|c| c.is_alphanumeric() || "-._~!$&'()*+,;=@/".contains(c))
}

/// Ids that would collide with generated paths (`documents/page/2/`, `organs/x/feed.xml`).
pub const RESERVED_IDS: &[&str] = &["page", "index.html", "feed.xml"];

/// Whether `id` has the contract's syntax `[A-Za-z0-9][A-Za-z0-9._-]*`.
pub fn valid_id(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_alphanumeric())
        && c.all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'))
}

/// Per-file context: the file's source info and a diagnostics sink.
struct Ctx<'a> {
    src: Source,
    diags: Vec<Diagnostic>,
    cfg: &'a Config,
    /// Known organ and service ids; `None` when the registry did not load (its own error
    /// is reported; ids are not checked against an empty list, which would fail them all).
    organs: Option<&'a HashSet<String>>,
    services: Option<&'a HashSet<String>>,
    files: &'a BTreeSet<String>,
}

impl<'a> Ctx<'a> {
    fn new(
        path: String,
        cfg: &'a Config,
        organs: Option<&'a HashSet<String>>,
        services: Option<&'a HashSet<String>>,
        files: &'a BTreeSet<String>,
    ) -> Self {
        Ctx { src: Source { path, ..Default::default() }, diags: Vec::new(), cfg, organs, services, files }
    }
    fn err(&mut self, loc: Loc, msg: impl Into<String>, help: impl Into<String>) {
        let help = help.into();
        let mut d = Diagnostic::error(&loc, msg);
        if !help.is_empty() {
            d = d.help(help);
        }
        self.diags.push(d);
    }
    fn warn(&mut self, loc: Loc, msg: impl Into<String>, help: impl Into<String>) {
        let help = help.into();
        let mut d = Diagnostic::warning(&loc, msg);
        if !help.is_empty() {
            d = d.help(help);
        }
        self.diags.push(d);
    }

    fn required(&mut self, key: &str, v: Option<Text>, example: &str) -> Option<String> {
        match v.map(|t| t.0.trim().to_string()).filter(|s| !s.is_empty()) {
            Some(s) => Some(s),
            None => {
                let loc = self.src.file();
                self.err(
                    loc,
                    format!("required key `{key}` is missing"),
                    format!("add `{key}: {example}` to the front matter"),
                );
                None
            }
        }
    }

    fn date(&mut self, key: &str, v: Option<Text>) -> Option<Date> {
        let raw = v?.0;
        match Date::parse(raw.trim()) {
            Some(d) => Some(d),
            None => {
                let loc = self.src.key(key);
                self.err(loc, format!("invalid date `{raw}` in `{key}`"), "write dates as YYYY-MM-DD, e.g. 2024-05-10");
                None
            }
        }
    }

    fn id(&mut self, v: Option<Text>) -> String {
        let stem = Path::new(&self.src.path).file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        let (id, loc) = match v {
            Some(t) => (t.0.trim().to_string(), self.src.key("id")),
            None => (stem, self.src.file()),
        };
        if RESERVED_IDS.contains(&id.as_str()) {
            self.err(
                loc.clone(),
                format!("id `{id}` is reserved"),
                format!("`{id}` collides with a generated path ({}); choose another id", RESERVED_IDS.join(", ")),
            );
        } else if !valid_id(&id) {
            let how = if loc.line == 1 { "the file name is used as the id; rename the file or " } else { "" };
            self.err(loc, format!("invalid id `{id}`"), format!("{how}use letters, digits, `.`, `_` and `-`, starting with a letter or digit (e.g. `id: shfb-2024-5`)"));
        }
        id
    }

    fn refs(&mut self, key: &str, v: Vec<Text>) -> Vec<Ref> {
        v.into_iter()
            .enumerate()
            .map(|(i, t)| Ref { raw: t.0.trim().to_string(), loc: self.src.item(key, i) })
            .collect()
    }

    fn one_ref(&mut self, key: &str, v: Option<Text>) -> Option<Ref> {
        v.map(|t| Ref { raw: t.0.trim().to_string(), loc: self.src.key(key) })
    }

    fn strings(v: Vec<Text>) -> Vec<String> {
        v.into_iter().map(|t| t.0.trim().to_string()).filter(|s| !s.is_empty()).collect()
    }

    /// Tags at `path` (`tags`, `match.tags`): with a `tag_catalog`, each must be one of its
    /// values (CONTRACT §2); without one, tags are free text.
    fn tags(&mut self, path: &[&str], v: Vec<Text>) -> Vec<String> {
        let catalog = &self.cfg.tag_catalog;
        let mut out = Vec::new();
        for (i, t) in v.into_iter().enumerate() {
            let t = t.0.trim().to_string();
            if t.is_empty() {
                continue;
            }
            if !catalog.is_empty() && self.cfg.tag_dimension(&t).is_none() {
                let mut at: Vec<Seg> = path.iter().map(|k| Seg::Key(k.to_string())).collect();
                at.push(Seg::Index(i));
                let loc = self.src.loc(&at);
                let all = catalog.iter().flat_map(|d| d.values.iter().map(String::as_str));
                let help = match crate::diag::did_you_mean(&t, all) {
                    Some(near) => {
                        format!("did you mean `{near}`? tags must be values of `tag_catalog` in gazette.yaml")
                    }
                    None => format!(
                        "tags must be values of `tag_catalog` in gazette.yaml: {}",
                        catalog
                            .iter()
                            .map(|d| format!("{}: {}", d.name, d.values.join("、")))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                };
                self.err(loc, format!("tag `{t}` is not in the 标签目录"), help);
                continue;
            }
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    fn organ(&mut self, loc: Loc, id: &str) {
        let Some(organs) = self.organs else { return };
        if !organs.contains(id) {
            let help = match crate::diag::did_you_mean(id, organs.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`? every 发文机关 must be listed in content/organs.yaml"),
                None => "every 发文机关 must be listed in content/organs.yaml with this id".into(),
            };
            self.err(loc, format!("unknown organ `{id}`"), help);
        }
    }

    fn qas(&mut self, key: &str, v: Vec<QaFront>) -> Vec<Qa> {
        v.into_iter()
            .enumerate()
            .map(|(i, qa)| {
                let updated = qa.updated.and_then(|u| {
                    let d = Date::parse(u.0.trim());
                    if d.is_none() {
                        let loc = self.src.loc(&[Seg::Key(key.into()), Seg::Index(i), Seg::Key("updated".into())]);
                        self.err(loc, format!("invalid date `{}` in `updated`", u.0), "write dates as YYYY-MM-DD");
                    }
                    d
                });
                Qa { q: qa.q.0, a: qa.a.0, updated }
            })
            .collect()
    }

    /// Resolve an attachment or file link path to its place under `content/`.
    fn attachment_path(&mut self, loc: Loc, raw: &str) -> Option<String> {
        match resolve_content_path(&self.src.path, raw) {
            Ok(p) => {
                if !self.files.contains(&p) {
                    self.err(loc, format!("attachment `{raw}` not found"), format!("expected the file at content/{p}"));
                }
                Some(p)
            }
            Err(why) => {
                self.err(
                    loc,
                    format!("attachment path `{raw}` {why}"),
                    "attachments live under content/files/, e.g. `files/附件1.pdf`",
                );
                None
            }
        }
    }

    fn unknown_keys(&mut self, value: &yaml::Value, known: &[&str]) {
        for k in yaml::mapping_keys(value) {
            if !known.contains(&k.as_str()) && !PRIVACY_KEYS.contains(&k.as_str()) {
                let loc = self.src.key(&k);
                let close = crate::diag::did_you_mean(&k, known.iter().copied());
                let help = match close {
                    Some(c) => format!("did you mean `{c}`?"),
                    None => format!("known keys: {}", known.join(", ")),
                };
                self.warn(loc, format!("unknown key `{k}` is ignored"), help);
            }
        }
    }
}

/// `52428800` → `50.0 MB`.
fn size_text(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

/// Keys every kind of content takes: the privacy lint's exception and its reason.
const PRIVACY_KEYS: &[&str] = &["allow_personal_info", "personal_info_reason"];

/// Read `allow_personal_info` (any content kind). The exception must say why, so an
/// auditor reading the file later can tell a deliberate publication from a slip.
fn personal_info_flag(ctx: &mut Ctx, value: &yaml::Value) {
    let Some(flag) = yaml::scalar(value, PRIVACY_KEYS[0]) else { return };
    let loc = ctx.src.key(PRIVACY_KEYS[0]);
    match flag.as_str() {
        "true" => ctx.src.allow_personal_info = true,
        "false" => return,
        _ => {
            ctx.err(
                loc,
                "`allow_personal_info` must be `true` or `false`",
                "write `allow_personal_info: true` and give the reason in `personal_info_reason:`",
            );
            return;
        }
    }
    if yaml::scalar(value, PRIVACY_KEYS[1]).is_none_or(|r| r.trim().is_empty()) {
        ctx.warn(
            loc,
            "`allow_personal_info: true` without a `personal_info_reason`",
            "say why publishing the personal information is lawful, e.g. `personal_info_reason: 公示获奖人员联系方式，经本人同意`",
        );
    }
}

/// Where an attachment or file link points, relative to `content/`.
///
/// `files/x.pdf` is relative to `content/`; `./x.pdf` and `../x.pdf` to the folder of the
/// file that names it. The result may not leave `content/`.
pub fn resolve_content_path(from_file: &str, raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("is empty");
    }
    if raw.starts_with('/') || raw.contains('\\') || raw.contains(':') {
        return Err("must be relative to content/ (no leading `/`, drive letter or backslash)");
    }
    let mut parts: Vec<&str> = Vec::new();
    if raw.starts_with("./") || raw.starts_with("../") {
        // from_file is `content/a/b.md`: start in its folder, below content/.
        let dir = from_file.strip_prefix("content/").unwrap_or(from_file);
        parts.extend(dir.split('/'));
        parts.pop();
    }
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("leaves content/");
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err("names no file");
    }
    Ok(parts.join("/"))
}

/// The Markdown body now in `src`'s file if only the body changed since it was loaded:
/// the same front matter text on the same lines. `None` when the front matter changed or
/// the file cannot be read as before; then the whole site must be loaded again.
pub fn body_only_edit(root: &Path, src: &Source, limits: &Limits) -> Option<String> {
    let (text, _) = read_text(&root.join(&src.path), &src.path, limits).ok()?;
    let (yaml, body, body_line) = split_front_matter(&text)?;
    // By its hash: a one-off build has let go of the text (`Content::let_go_of_yaml`).
    (crate::hash::of(yaml.as_bytes()) == src.yaml_hash && body_line == src.body_line).then(|| body.to_string())
}

/// Split `---` front matter from the body. Returns (yaml, body, body_line).
fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let rest = text.strip_prefix("---\n").or_else(|| (text == "---").then_some(""))?;
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        let l = line.trim_end_matches('\n');
        if l.trim_end() == "---" || l.trim_end() == "..." {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Some((yaml, body, i + 3));
        }
        offset += line.len();
    }
    None
}

/// What one content file made. Each kind behind a pointer: a load moves every file's
/// result through two lists (100,000 at 100,000 documents), and inline, the largest
/// kind made each of them some 300 bytes, moved and faulted into fresh memory on every
/// serve rebuild.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
enum Loaded {
    Document(std::sync::Arc<Document>),
    Interpretation(std::sync::Arc<Interpretation>),
    Faq(Box<FaqSet>),
    Issue(Box<GazetteIssue>),
    Topic(Box<Topic>),
    Decision(Box<Decision>),
    Page(Box<Page>),
}

/// Files loaded by the previous build in this process (`serve --watch`): per file, its
/// stamp, what came out and what was said. A file is taken from here when its stamp is
/// unchanged and so is everything a file is checked against (the configuration, the
/// organ and service ids, the attachments); an edit then parses only the files it
/// touched. Holds the last build's files only.
///
/// With the paths serve's watcher saw change since the last build walked `content/`
/// ([`Memo::saw`]), a build does not walk it again nor `stat` every file: it takes that
/// walk's files, updated with those paths (see [`rewalk`]), and looks only at those.
#[derive(Default)]
pub struct Memo(
    std::sync::Mutex<Memoised>,
    std::sync::Mutex<Option<Vec<PathBuf>>>,
    /// organs.yaml and services.yaml as the last build loaded them, by a hash of their
    /// bytes (parsing them was a fifth of a title edit's load stage at 10,000 documents).
    std::sync::Mutex<Option<(u64, Registries)>>,
);

impl Memo {
    /// A build just ended and every change from now on will be told ([`Memo::saw`]):
    /// the next build may take the last walk with those changes. (Events of changes made
    /// during the build come after it, as serve reads them, so none is lost.)
    pub fn watching(&self) {
        *self.1.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
    }

    /// The watcher saw `paths` change (absolute, as it reports them); `None`: it may have
    /// missed some (the next build walks `content/`).
    pub fn saw(&self, paths: Option<&[PathBuf]>) {
        let mut seen = self.1.lock().unwrap_or_else(|e| e.into_inner());
        match (seen.as_mut(), paths) {
            (Some(seen), Some(paths)) => seen.extend_from_slice(paths),
            _ => *seen = None,
        }
    }
}

#[derive(Default)]
struct Memoised {
    /// What every file was checked against, hashed.
    context: u64,
    /// When the files were read (see `Stamp::settled`).
    read_at_ns: u128,
    files: crate::hash::FastMap<String, Kept>,
    /// The files the last walk of `content/` found (as the walk lists them), with the
    /// site root's canonical path, when the walk had nothing to say (no error, no
    /// symbolic link).
    walked: Option<(PathBuf, Walk)>,
}

/// The organ and service registries as loaded (`None`: the file did not load), and what
/// loading them said.
#[derive(Clone)]
struct Registries {
    organs: Option<Vec<Organ>>,
    services: Option<Vec<Service>>,
    said: Vec<Diagnostic>,
}

impl Registries {
    /// The registries of the site at `root`, taken from `memo` when their files' bytes
    /// are the ones it loaded; the memo then holds these.
    fn load(root: &Path, memo: Option<&Memo>) -> Registries {
        let Some(m) = memo else { return Registries::parse(root) };
        let mut h = crate::hash::Hasher::new();
        for name in ["organs.yaml", "services.yaml"] {
            match std::fs::read(root.join("content").join(name)) {
                Ok(bytes) => {
                    h.update(&[1]);
                    h.piece(&bytes);
                }
                Err(e) => h.piece(e.kind().to_string().as_bytes()),
            }
        }
        let key = h.digest();
        let mut kept = m.2.lock().unwrap_or_else(|e| e.into_inner());
        match &*kept {
            Some((k, r)) if *k == key => r.clone(),
            _ => {
                let r = Registries::parse(root);
                *kept = Some((key, r.clone()));
                r
            }
        }
    }

    fn parse(root: &Path) -> Registries {
        let said = Diagnostics::default();
        let organs = load_organs(root, &said);
        let services = load_services(root, &said);
        Registries { organs, services, said: said.into_sorted() }
    }
}

/// The files a walk of `content/` found: full path, path under `content/`, in walk order.
type Walk = Vec<(PathBuf, String)>;

/// The files of the last walk of `content/` (`walk`: full path, path under `content/`,
/// in the walk's order) as they are now, given every path the watcher saw change since
/// (`seen`: absolute, under `canon_root`); and the changed files' paths (`content/…`).
/// `None` when the watcher's paths do not tell: a folder made or moved in, a symbolic
/// link, a path it cannot place. Then `content/` is walked.
fn rewalk(mut walk: Walk, seen: &[PathBuf], canon_root: &Path, content_dir: &Path) -> Option<(Walk, HashSet<String>)> {
    let mut changed = HashSet::new();
    // The walk's order: by path, component by component (siblings sorted by name).
    let find = |walk: &[(PathBuf, String)], rel: &str| walk.binary_search_by(|(_, r)| Path::new(r).cmp(Path::new(rel)));
    for p in seen {
        let rel = p.strip_prefix(canon_root).ok()?;
        let Ok(under) = rel.strip_prefix("content") else { continue }; // themes, gazette.yaml
        let under = crate::diag::rel_path(Path::new(""), under);
        if under.is_empty() {
            return None;
        }
        // (The walk skips such files, but not what is in such a folder.)
        let hidden = skipped_name(p);
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_file() => {
                if !hidden {
                    if let Err(at) = find(&walk, &under) {
                        walk.insert(at, (content_dir.join(&under), under.clone()));
                    }
                    changed.insert(format!("content/{under}"));
                }
            }
            Ok(_) => return None, // a folder (made, or moved in with its files), a link
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Gone: the file, or a folder with every file in it.
                let folder = format!("{under}/");
                walk.retain(|(_, r)| {
                    let gone = *r == under || r.starts_with(&folder);
                    if gone {
                        changed.insert(format!("content/{r}"));
                    }
                    !gone
                });
            }
            Err(_) => return None,
        }
    }
    Some((walk, changed))
}

/// `gazette build`'s record of the content files it loaded,
/// `.gazette-cache/content-<output>-NN.bin` (shards, see `cache::RecordFile`): what
/// [`Memo`] keeps in serve, on disk. Per file, the hash of the bytes it was parsed from,
/// what came out and what was said, for one binary and one context (as the memo's). A
/// file whose bytes hash the same in this build's inputs scan (which trusts a settled
/// stamp and hashes any other file, so a fresh CI checkout with new file times still
/// matches) is neither read nor parsed: loading was the largest stage of a one-edit build
/// at 100,000 documents (2.3 of 8.4 s, most of it YAML). The record holds no Markdown
/// (hundreds of megabytes at that size): an item taken from it has an empty body and its
/// `src.body_hash`, which is all the bodies stage needs of a body it does not render
/// again (`bodies::Record`); one it must render is read from its file again and checked
/// against that hash.
pub struct Record {
    /// Where its shards go (`RecordFile::new`).
    base: PathBuf,
    fingerprint: u64,
    /// Every input file's hash as the inputs scan found it (`inputs::Inputs::hashes`).
    hashes: crate::hash::FastMap<String, u64>,
    /// Its shards, read on a thread of their own from the start of the build (see
    /// [`Record::read_ahead`]).
    ahead: crate::cache::Ahead<crate::cache::ReadShards<RecordEntry>>,
    /// Opened once the context is known (it enters the fingerprint); kept so that the
    /// write started during the build is waited for when the record is dropped.
    opened: std::sync::OnceLock<crate::cache::RecordFile>,
}

/// One file in the [`Record`]: its path, the hash of its bytes, what came out, what was said.
type RecordEntry = (String, u64, Result<Loaded, Unloaded>, Vec<Diagnostic>);

impl Record {
    /// The record in cache folder `dir` for the output named `id` (`cache::output_id`),
    /// valid for this `fingerprint` (the binary). A file is taken from it when its bytes
    /// hash as they did when it was parsed (see [`Record::with_hashes`]).
    pub fn open(dir: &Path, id: u64, fingerprint: u64) -> Record {
        Record {
            base: dir.join(format!("content-{id:016x}")),
            fingerprint,
            hashes: Default::default(),
            ahead: crate::cache::Ahead::none(),
            opened: Default::default(),
        }
    }

    /// Start reading the record now, on a thread of its own, whatever the context its
    /// shards were written for: it is known only once the registries are loaded, and
    /// reading the record (0.35 s at 100,000 documents) can run while `content/` is
    /// walked and scanned, which leave a core idle.
    pub fn read_ahead(mut self) -> Record {
        let base = self.base.clone();
        self.ahead = crate::cache::Ahead::start(move || crate::cache::RecordFile::read_any(&base));
        self
    }

    /// The input files' hashes as this build's inputs scan found them (`inputs::Inputs::hashes`).
    pub fn with_hashes(mut self, hashes: crate::hash::FastMap<String, u64>) -> Record {
        self.hashes = hashes;
        self
    }

    /// Hand every entry of this context to `each`.
    fn read(&self, context: u64, each: impl FnMut(RecordEntry)) {
        let file = self.file(context);
        match self.ahead.take() {
            Some(shards) => file.read_from(shards, each),
            None => file.read(each),
        }
    }

    fn file(&self, context: u64) -> &crate::cache::RecordFile {
        self.opened.get_or_init(|| {
            let mut h = crate::hash::Hasher::new();
            h.update(&self.fingerprint.to_le_bytes());
            h.update(&context.to_le_bytes());
            crate::cache::RecordFile::new(self.base.clone(), h.digest())
        })
    }
}

/// One file as the memo keeps it: its stamp, what came out, what was said.
type Kept = (Stamp, Result<Loaded, Unloaded>, Vec<Diagnostic>);

/// Load the whole `content/` folder. Registries first (documents check against them),
/// then every content file in parallel.
pub fn load(root: &Path, cfg: &Config, diags: &Diagnostics) -> Content {
    load_with(root, cfg, diags, None, None, None)
}

/// A walk of `content/`, made once by a `gazette build` for its inputs scan (which stats
/// each file) and handed to [`load_with`] (walking it twice was 0.2 s of a one-edit build
/// at 100,000 documents).
pub struct ContentWalk {
    entries: Walk,
    /// Whether the walk had something to say (see [`walk_content`]).
    said: bool,
}

impl ContentWalk {
    /// Walk the site's `content/`, saying what it finds wrong to `diags`; `None` when
    /// there is no `content/` folder ([`load_with`] says so).
    pub fn new(root: &Path, diags: &Diagnostics) -> Option<ContentWalk> {
        let content_dir = root.join("content");
        if !content_dir.is_dir() {
            return None;
        }
        let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let (entries, said) = walk_content(root, &content_dir, &canon_root, diags);
        Some(ContentWalk { entries, said })
    }

    /// Whether the walk said anything (an error, a symbolic link): then the build must
    /// run to report it, whatever the inputs.
    pub fn said(&self) -> bool {
        self.said
    }

    /// Each file the walk found: its path under the site root (`content/…`) and its
    /// full path.
    pub fn files(&self) -> impl Iterator<Item = (String, &Path)> {
        self.entries.iter().map(|(path, under)| (format!("content/{under}"), path.as_path()))
    }
}

/// [`load`], taking unchanged files from `memo` (or, without one, `record`) and leaving
/// this build's files in it; `walk`, when given, is the walk of `content/` this build
/// made already (not used with a memo, which keeps its own).
pub fn load_with(
    root: &Path,
    cfg: &Config,
    diags: &Diagnostics,
    memo: Option<&Memo>,
    record: Option<&Record>,
    walk: Option<ContentWalk>,
) -> Content {
    let record = record.filter(|_| memo.is_none());
    let content_dir = root.join("content");
    if !content_dir.is_dir() {
        diags.push(
            Diagnostic::error(&Loc::file("content"), "the site has no content/ folder")
                .help("create content/documents/ and put Markdown documents there"),
        );
        return Content::default();
    }
    let canon_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    // serve: the last walk, and what changed since (see `Memo::saw`).
    let walked = memo.and_then(|m| {
        let walked = m.0.lock().unwrap_or_else(|e| e.into_inner()).walked.take();
        let seen = m.1.lock().unwrap_or_else(|e| e.into_inner()).take();
        let (walk_root, walk) = walked?;
        (walk_root == canon_root).then_some(())?;
        rewalk(walk, &seen?, &canon_root, &content_dir)
    });
    let (entries, changed, walk_said) = match (walked, walk.filter(|_| memo.is_none())) {
        (Some((entries, changed)), _) => (entries, Some(changed), false),
        (None, Some(ContentWalk { entries, said })) => (entries, None, said),
        (None, None) => {
            let (entries, said) = walk_content(root, &content_dir, &canon_root, diags);
            (entries, None, said)
        }
    };
    // The next build's walk: this one, with what the watcher sees once serve is back
    // to watching (`Memo::watching`).
    let keep_walk = (memo.is_some() && !walk_said).then_some(canon_root);
    load_entries(root, cfg, diags, memo, record, entries, changed, keep_walk)
}

/// Whether the walk of `content/` passes over this entry: its name starts with `.`
/// (.DS_Store, .git, editor swap files).
fn skipped_name(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Entries of one folder in the order of their names, as walkdir's `sort_by_file_name`
/// orders them (by their bytes, on Unix), each name found by a scan back to the last `/`
/// of the entry's path: `DirEntry::file_name` parses the path into components for each
/// comparison, and with some 800 documents a folder those parses were 5% of a build
/// after one edit at 10,000 documents (callgrind).
fn by_name(a: &walkdir::DirEntry, b: &walkdir::DirEntry) -> std::cmp::Ordering {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        // A child's path is its folder's joined with its name, which holds no `/`.
        fn name(e: &walkdir::DirEntry) -> &[u8] {
            let p = e.path().as_os_str().as_bytes();
            &p[memchr::memrchr(b'/', p).map_or(0, |i| i + 1)..]
        }
        name(a).cmp(name(b))
    }
    #[cfg(not(unix))]
    a.file_name().cmp(b.file_name())
}

/// Every file under `content/` (full path, path under `content/`), in walk order; and
/// whether the walk had something to say (an error, a symbolic link).
fn walk_content(root: &Path, content_dir: &Path, canon_root: &Path, diags: &Diagnostics) -> (Walk, bool) {
    let mut said = false;
    let mut entries: Walk = Vec::new();
    for entry in walkdir::WalkDir::new(content_dir).follow_links(false).sort_by(by_name) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let p = e.path().map(|p| rel_path(root, p)).unwrap_or_else(|| "content".into());
                diags.push(Diagnostic::error(&Loc::file(p), format!("cannot read: {e}")));
                said = true;
                continue;
            }
        };
        if entry.depth() > 0 && skipped_name(entry.path()) {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = rel_path(root, &path);
        let mut is_file = entry.file_type().is_file();
        if entry.path_is_symlink() {
            said = true; // (the watcher does not follow it)
            match path.canonicalize() {
                Ok(target) if target.starts_with(canon_root) => is_file = target.is_file(),
                _ => {
                    diags.push(
                        Diagnostic::error(&Loc::file(&rel), "symbolic link points outside the site")
                            .help("copy the file into the site instead of linking to it"),
                    );
                    continue;
                }
            }
        }
        if is_file {
            let under_content = rel.strip_prefix("content/").unwrap_or(&rel).to_string();
            entries.push((path, under_content));
        }
    }
    (entries, said)
}

/// [`load_with`] after the walk: `entries` as [`walk_content`] lists them; `changed`,
/// when known, the only files (`content/…`) that may differ from the memo's.
#[allow(clippy::too_many_arguments)]
fn load_entries(
    root: &Path,
    cfg: &Config,
    diags: &Diagnostics,
    memo: Option<&Memo>,
    record: Option<&Record>,
    entries: Walk,
    changed: Option<HashSet<String>>,
    keep_walk: Option<PathBuf>,
) -> Content {
    let mut content = Content::default();
    // (The files are read by the walk's paths, borrowed: the walk itself goes to the
    // memo at the end, without a copy, some 13,000 paths at 10,000 documents.)
    let mut work: Vec<(&Path, String, FileKind)> = Vec::new();
    for (path, rel) in &entries {
        if rel.starts_with("files/") {
            let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            if size > cfg.limits.attachment_bytes() {
                diags.push(
                    Diagnostic::error(
                        &Loc::file(format!("content/{rel}")),
                        format!("file is {}, over the {} MB limit for attachments", size_text(size), cfg.limits.attachment_mb),
                    )
                    .help("compress or split it, or publish it elsewhere and link to it; a site that needs larger files can raise `limits: {attachment_mb: N}` in gazette.yaml"),
                );
            }
            content.files.insert(rel.clone());
        } else if rel == "organs.yaml" || rel == "services.yaml" {
            // read below
        } else if let Some(kind) = classify(rel) {
            work.push((path.as_path(), format!("content/{rel}"), kind));
        } else if rel.ends_with(".md") || rel.ends_with(".yaml") || rel.ends_with(".yml") {
            diags.push(Diagnostic::warning(&Loc::file(format!("content/{rel}")), "file is not in a content folder and is ignored")
                .help("documents go under content/documents/, interpretations under content/interpretations/, FAQ sets under content/faqs/, gazette issues under content/gazette/, topics, decisions and pages under their folders"));
        }
    }

    let Registries { organs, services, said } = Registries::load(root, memo);
    diags.extend(said);
    // A registry that did not load is said once, here, not as an unknown id in every
    // file that uses one (its own error is already reported).
    for (name, broken) in [("organs.yaml", organs.is_none()), ("services.yaml", services.is_none())] {
        if broken {
            diags.push(
                Diagnostic::warning(&Loc::file(format!("content/{name}")), "the ids it lists could not be checked")
                    .help("it did not load (see its error); the content that uses its ids is checked once it does"),
            );
        }
    }
    let organs_loaded = organs.is_some();
    let services_loaded = services.is_some();
    content.organs = organs.unwrap_or_default();
    content.services = services.unwrap_or_default();
    content.services_broken = !services_loaded;
    let organ_ids: HashSet<String> = content.organs.iter().map(|o| o.id.clone()).collect();
    for s in &content.services {
        if let Some(o) = &s.organ {
            if organs_loaded && !organ_ids.contains(o) {
                diags.push(
                    Diagnostic::error(&s.loc, format!("service `{}` names unknown organ `{o}`", s.id))
                        .help("add the organ to content/organs.yaml or fix the id"),
                );
            }
        }
    }
    for o in &content.organs {
        if let Some(p) = &o.parent {
            if !organ_ids.contains(p) {
                diags.push(Diagnostic::error(&o.loc, format!("organ `{}` names unknown parent `{p}`", o.id)));
            }
        }
    }
    let service_ids: HashSet<String> = content.services.iter().map(|s| s.id.clone()).collect();

    let context = (memo.is_some() || record.is_some()).then(|| {
        let sorted = |ids: &HashSet<String>| {
            let mut v: Vec<&String> = ids.iter().collect();
            v.sort_unstable();
            format!("{v:?}")
        };
        let (o, sv) = (sorted(&organ_ids), sorted(&service_ids));
        let text = format!("{cfg:?}|{organs_loaded}|{services_loaded}|{o}|{sv}|{:?}", content.files);
        crate::hash::of(text.as_bytes())
    });
    let read_at_ns = crate::cache::now_ns();
    let (previous, previous_read_at) = match (memo, context) {
        (Some(m), Some(context)) => {
            let old = std::mem::take(&mut *m.0.lock().unwrap_or_else(|e| e.into_inner()));
            if old.context == context {
                (old.files, old.read_at_ns)
            } else {
                (Default::default(), 0)
            }
        }
        _ => (Default::default(), 0),
    };
    // The content record's files: by path, the hash of the bytes each was parsed from,
    // what came out and what was said.
    type Recorded = (u64, Result<Loaded, Unloaded>, Vec<Diagnostic>);
    let mut recorded: crate::hash::FastMap<String, Recorded> = Default::default();
    if let (Some(r), Some(context)) = (record, context) {
        recorded.reserve(work.len());
        r.read(context, |(rel, hash, out, said)| {
            recorded.insert(rel, (hash, out, said));
        });
    }
    // Per file: its stamp (for the memo), the hash of its bytes (for the record), what
    // came out, what was said, and whether it was taken from the memo or the record.
    type Loading = (Option<Stamp>, Option<u64>, Result<Loaded, Unloaded>, Vec<Diagnostic>, bool);
    let results: Vec<Loading> = work
        .par_iter()
        .map(|(path, rel, kind)| {
            // Not changed since the last build, by the watcher's account: as it was.
            if changed.as_ref().is_some_and(|c| !c.contains(rel)) {
                if let Some((was, out, said)) = previous.get(rel) {
                    return (Some(*was), None, out.clone(), said.clone(), true);
                }
            }
            let stamp = memo.and_then(|_| Stamp::of(path));
            if let (Some(stamp), Some((was, out, said))) = (stamp, previous.get(rel)) {
                if stamp == *was && was.settled(previous_read_at) {
                    return (Some(stamp), None, out.clone(), said.clone(), true);
                }
            }
            // The inputs scan has this file's hash (it trusts a settled stamp, as the memo
            // does, and hashes the bytes of any other file).
            if let (Some(now), Some((was, out, said))) = (record.and_then(|r| r.hashes.get(rel)), recorded.get(rel)) {
                if now == was {
                    return (None, Some(*was), out.clone(), said.clone(), true);
                }
            }
            let mut ctx = Ctx::new(
                rel.clone(),
                cfg,
                organs_loaded.then_some(&organ_ids),
                services_loaded.then_some(&service_ids),
                &content.files,
            );
            let (out, hash) = load_file(&mut ctx, path, *kind);
            (stamp, hash, out.ok_or_else(|| unloaded(path, rel)), ctx.diags, false)
        })
        .collect();
    drop(recorded);
    if let (Some(r), Some(context)) = (record, context) {
        // Files are spread over the record's shards by their path; only the shards
        // holding a file parsed anew (or fewer or more files) are encoded and written.
        let file = r.file(context);
        let key = |rel: &str| crate::hash::of(rel.as_bytes());
        // Each file the record keeps: its key, its number.
        let entries: Vec<(u64, usize)> = (work.iter().zip(&results).enumerate())
            .filter(|(_, (_, r))| r.1.is_some())
            .map(|(n, ((_, rel, _), _))| (key(rel), n))
            .collect();
        let changed = file.changed(entries.iter().map(|&(k, n)| (k, results[n].4)));
        // (Encoded shard by shard as each is written: see `RecordFile::save_encoding`.)
        file.save_encoding(changed, entries.into_iter(), |n| {
            let ((_, rel, _), (_, hash, out, said, _)) = (&work[n], &results[n]);
            crate::cache::encode(&(rel, hash.unwrap_or_default(), out, said))
        });
    }
    // The memo for the next build in this process: the last one's, where a file taken
    // from it stays as it is (at 10,000 documents, copying every entry into a new map
    // was a tenth of a title edit's load stage).
    let mut kept = previous;
    content.parsed = (results.iter().filter(|r| !r.4).count(), results.len());
    let mut loaded = Vec::with_capacity(results.len());
    let mut stamped = 0;
    for ((_, rel, _), (stamp, _, out, said, reused)) in work.iter().zip(results) {
        match (stamp, reused) {
            (Some(_), true) => stamped += 1,
            // Parsed anew: the memo needs its own copy.
            (Some(stamp), false) => {
                stamped += 1;
                kept.insert(rel.clone(), (stamp, out.clone(), said.clone()));
            }
            (None, _) => {
                kept.remove(rel);
            }
        }
        diags.extend(said);
        loaded.push(out);
    }
    if kept.len() != stamped {
        // Files gone since the last build.
        let here: HashSet<&str> = work.iter().map(|(_, rel, _)| rel.as_str()).collect();
        kept.retain(|rel, _| here.contains(rel.as_str()));
    }
    if let (Some(m), Some(context)) = (memo, context) {
        drop(work);
        let walked = keep_walk.map(|root| (root, entries));
        *m.0.lock().unwrap_or_else(|e| e.into_inner()) = Memoised { context, read_at_ns, files: kept, walked };
    }
    for l in loaded {
        let l = match l {
            Ok(l) => l,
            Err(u) => {
                content.unloaded.push(u);
                continue;
            }
        };
        match l {
            Loaded::Document(d) => content.documents.push(d),
            Loaded::Interpretation(i) => content.interpretations.push(i),
            Loaded::Faq(f) => content.faqs.push(*f),
            Loaded::Issue(i) => content.issues.push(*i),
            Loaded::Topic(t) => content.topics.push(*t),
            Loaded::Decision(d) => content.decisions.push(*d),
            Loaded::Page(p) => content.pages.push(*p),
        }
    }
    content
}

/// What REFs may call a file that did not load: its `id:` (or file stem) and
/// `doc_number:`, read line by line from the raw text, which may not even be YAML.
fn unloaded(path: &Path, rel: &str) -> Unloaded {
    let stem = Path::new(rel).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let text = std::fs::read(path).ok().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let value = |key: &str| {
        text.lines().take(200).find_map(|l| {
            let v = l.strip_prefix(key)?.strip_prefix(':')?.trim().trim_matches(['"', '\'']);
            (!v.is_empty()).then(|| v.to_string())
        })
    };
    let mut names = vec![value("id").unwrap_or(stem)];
    if let Some(n) = value("doc_number") {
        names.extend(crate::docnum::canonical(&n));
        names.push(n);
    }
    Unloaded { path: rel.to_string(), names }
}

/// Read a text file with size and encoding checks, and the hash of its bytes (as the
/// inputs record hashes them). `limits.text_mb` bounds it, so one runaway file cannot
/// exhaust memory.
fn read_text(path: &Path, rel: &str, limits: &Limits) -> Result<(String, u64), Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| Diagnostic::error(&Loc::file(rel), format!("cannot read: {e}")))?;
    if meta.len() > limits.text_bytes() {
        return Err(Diagnostic::error(
            &Loc::file(rel),
            format!("file is {}, over the {} MB limit for text files", size_text(meta.len()), limits.text_mb),
        )
        .help("split the document, or move large material into an attachment under content/files/ (the limit is `limits: {text_mb: N}` in gazette.yaml)"));
    }
    let bytes = std::fs::read(path).map_err(|e| Diagnostic::error(&Loc::file(rel), format!("cannot read: {e}")))?;
    let hash = crate::hash::of(&bytes);
    decode_text(&bytes).map(|t| (t, hash)).ok_or_else(|| not_utf8(rel, &bytes))
}

fn not_utf8(rel: &str, bytes: &[u8]) -> Diagnostic {
    Diagnostic::error(&Loc::new(rel, bad_utf8_line(bytes), 1), "file is not valid UTF-8")
        .help("save the file as UTF-8 (files from old systems are often GBK/GB18030)")
}

/// Read and parse one content file: what came out, and the hash of the bytes read.
fn load_file(ctx: &mut Ctx, path: &Path, kind: FileKind) -> (Option<Loaded>, Option<u64>) {
    match read_text(path, &ctx.src.path, &ctx.cfg.limits) {
        Ok((text, hash)) => (parse_text(ctx, &text, kind), Some(hash)),
        Err(d) => {
            ctx.diags.push(d);
            (None, None)
        }
    }
}

/// Parse and check one content file given as text, alone: no registries, no other files.
/// `rel` is its path under the site root (`content/documents/a.md`), which decides its
/// kind. The entry point of the front matter fuzz target (`fuzz/`), and a quick way to
/// see what the loader says about one file. Returns whether an item came out, and the
/// diagnostics.
pub fn check_one(rel: &str, bytes: &[u8], cfg: &Config) -> (bool, Vec<Diagnostic>) {
    let Some(text) = decode_text(bytes) else {
        return (false, vec![not_utf8(rel, bytes)]);
    };
    let Some(kind) = classify(rel.strip_prefix("content/").unwrap_or(rel)) else {
        return (false, Vec::new());
    };
    let (organs, services, files) = (HashSet::new(), HashSet::new(), BTreeSet::new());
    let mut ctx = Ctx::new(rel.to_string(), cfg, Some(&organs), Some(&services), &files);
    let item = parse_text(&mut ctx, &text, kind).is_some();
    (item, ctx.diags)
}

fn parse_text(ctx: &mut Ctx, text: &str, kind: FileKind) -> Option<Loaded> {
    let (yaml_text, body, body_line) = match kind {
        FileKind::Faq | FileKind::Issue => (text, "", 0),
        _ => match split_front_matter(text) {
            Some(parts) => parts,
            None => {
                let loc = ctx.src.file();
                ctx.err(loc, "missing front matter", "start the file with a `---` line, then YAML keys (id, title, published…), then a closing `---` line");
                return None;
            }
        },
    };
    ctx.src.yaml = yaml_text.to_string();
    ctx.src.yaml_hash = crate::hash::of(yaml_text.as_bytes());
    ctx.src.yaml_line = if matches!(kind, FileKind::Faq | FileKind::Issue) { 1 } else { 2 };
    ctx.src.body_line = body_line;
    let value = if yaml_text.trim().is_empty() {
        yaml::Value::Mapping(Default::default())
    } else {
        match yaml::parse(yaml_text) {
            Ok(v) => v,
            Err(e) => {
                let loc = Loc::new(ctx.src.path.clone(), e.line + ctx.src.yaml_line - 1, e.col);
                ctx.err(
                    loc,
                    format!("invalid YAML: {}", e.message),
                    "check indentation and quote values containing `:` or `#`",
                );
                return None;
            }
        }
    };
    if !matches!(value, yaml::Value::Mapping(_)) {
        let loc = ctx.src.file();
        ctx.err(loc, "front matter is not a set of `key: value` lines", "");
        return None;
    }
    personal_info_flag(ctx, &value);
    ctx.src.body_hash = crate::hash::of(body.as_bytes());
    ctx.src.personal_info = crate::privacy::findings(&ctx.src, body);
    macro_rules! typed {
        ($t:ty, $keys:expr) => {{
            ctx.unknown_keys(&value, $keys);
            match yaml::from_value::<$t>(value) {
                Ok(v) => v,
                Err(e) => {
                    let loc = ctx.src.loc(&e.path);
                    let help = yaml::type_help(&e.message);
                    ctx.err(loc, format!("`{}`: {}", yaml::path_string(&e.path), e.message), help);
                    return None;
                }
            }
        }};
    }
    let body = body.to_string();
    match kind {
        FileKind::Document => {
            let f = typed!(DocFront, DOC_KEYS);
            document(ctx, f, body).map(|d| Loaded::Document(std::sync::Arc::new(d)))
        }
        FileKind::Interpretation => {
            let f = typed!(InterpFront, INTERP_KEYS);
            interpretation(ctx, f, body).map(|i| Loaded::Interpretation(std::sync::Arc::new(i)))
        }
        FileKind::Faq => {
            let f = typed!(FaqFront, FAQ_KEYS);
            let for_ref = ctx.one_ref("for", f.for_ref);
            let items = ctx.qas("items", f.items);
            let Some(for_ref) = for_ref else {
                let loc = ctx.src.file();
                ctx.err(
                    loc,
                    "required key `for` is missing",
                    "name the document the questions are about: `for: DOC-ID`",
                );
                return None;
            };
            Some(Loaded::Faq(Box::new(FaqSet {
                src: ctx.src.clone(),
                for_ref,
                items,
                draft: f.draft.unwrap_or(false),
            })))
        }
        FileKind::Issue => {
            let f = typed!(IssueFront, ISSUE_KEYS);
            issue(ctx, f).map(|i| Loaded::Issue(Box::new(i)))
        }
        FileKind::Topic => {
            let f = typed!(TopicFront, TOPIC_KEYS);
            let id = ctx.id(f.id);
            let title = ctx.required("title", f.title, "标题");
            let documents = ctx.refs("documents", f.documents);
            let match_tags = ctx.tags(&["match", "tags"], f.matches.tags);
            Some(Loaded::Topic(Box::new(Topic {
                src: ctx.src.clone(),
                id,
                title: title?,
                documents,
                match_tags,
                match_topics: Ctx::strings(f.matches.topics),
                draft: f.draft.unwrap_or(false),
                body,
            })))
        }
        FileKind::Decision => {
            let f = typed!(DecisionFront, DECISION_KEYS);
            decision(ctx, f, body).map(|d| Loaded::Decision(Box::new(d)))
        }
        FileKind::Page => {
            let f = typed!(PageFront, PAGE_KEYS);
            let id = ctx.id(f.id);
            let title = ctx.required("title", f.title, "标题");
            let published = ctx.date("published", f.published);
            Some(Loaded::Page(Box::new(Page {
                src: ctx.src.clone(),
                id,
                title: title?,
                published,
                draft: f.draft.unwrap_or(false),
                body,
            })))
        }
    }
}

fn document(ctx: &mut Ctx, f: DocFront, body: String) -> Option<Document> {
    let id = ctx.id(f.id);
    let title = ctx.required("title", f.title, "关于印发《……》的通知");
    let published_raw = f.published.clone();
    let published = ctx.date("published", f.published);
    if published_raw.is_none() {
        let loc = ctx.src.file();
        ctx.err(loc, "required key `published` is missing", "add the 发布日期: `published: 2024-05-16`");
    }
    let written = ctx.date("written", f.written);
    let effective = ctx.date("effective", f.effective);
    let expires = ctx.date("expires", f.expires);

    let doc_number = f.doc_number.and_then(|t| {
        let raw = t.0.trim().to_string();
        let loc = ctx.src.key("doc_number");
        match docnum::parse(&raw) {
            DocNumber::Canonical(c) => Some(c),
            DocNumber::Variant(c) => {
                ctx.warn(loc, format!("发文字号 `{raw}` is not in canonical form"), format!("write it as `{c}`"));
                Some(c)
            }
            DocNumber::Invalid => {
                ctx.err(
                    loc,
                    format!("`{raw}` is not a valid 发文字号"),
                    "write 代字〔年〕序号号 like `沪府办发〔2023〕5号`, or the 令 form `国令第845号`",
                );
                None
            }
        }
    });

    let issuer: Vec<(String, Loc)> = match f.issuer {
        None => {
            let loc = ctx.src.file();
            ctx.err(
                loc,
                "required key `issuer` is missing",
                "add the 发文机关's id from content/organs.yaml: `issuer: szf`",
            );
            Vec::new()
        }
        Some(OneOrMany::One(t)) => vec![(t.0.trim().to_string(), ctx.src.key("issuer"))],
        Some(OneOrMany::Many(v)) => {
            v.into_iter().enumerate().map(|(i, t)| (t.0.trim().to_string(), ctx.src.item("issuer", i))).collect()
        }
    };
    for (o, loc) in &issuer {
        ctx.organ(loc.clone(), o);
    }
    if matches!(issuer.first(), None) && ctx.src.yaml.contains("issuer:") {
        let loc = ctx.src.key("issuer");
        ctx.err(loc, "`issuer` is empty", "name at least one organ id");
    }

    let disclosure = match f.disclosure {
        None => Disclosure::Active,
        Some(t) => match Disclosure::parse(t.0.trim()) {
            Some(d) => d,
            None => {
                let loc = ctx.src.key("disclosure");
                ctx.err(loc, format!("unknown 公开类别 `{}`", t.0), "use 主动公开, 依申请公开 or 不予公开");
                Disclosure::Withheld // fail closed: never publish what we could not read
            }
        },
    };
    let validity = f.validity.and_then(|t| {
        let v = Validity::parse(t.0.trim());
        if v.is_none() {
            let loc = ctx.src.key("validity");
            ctx.err(
                loc,
                format!("unknown 有效性 `{}`", t.0),
                "use 有效, 尚未生效, 已修改, 已废止 or 失效, or leave it out to derive it",
            );
        }
        v
    });
    let topics = Ctx::strings(f.topics);
    if !ctx.cfg.topics.is_empty() {
        for (i, t) in topics.iter().enumerate() {
            if !ctx.cfg.topics.contains(t) {
                let loc = ctx.src.item("topics", i);
                ctx.err(
                    loc,
                    format!("主题分类 `{t}` is not in the site's scheme"),
                    format!("gazette.yaml lists: {}", ctx.cfg.topics.join("、")),
                );
            }
        }
    }
    let services = Ctx::strings(f.services);
    for (i, s) in services.iter().enumerate() {
        let Some(known) = ctx.services else { break };
        if !known.contains(s) {
            let loc = ctx.src.item("services", i);
            let help = match crate::diag::did_you_mean(s, known.iter().map(String::as_str)) {
                Some(near) => {
                    format!("did you mean `{near}`? every 阅办联动 service must be listed in content/services.yaml")
                }
                None => "every 阅办联动 service must be listed in content/services.yaml".into(),
            };
            ctx.err(loc, format!("unknown service `{s}`"), help);
        }
    }
    let mut attachments = Vec::new();
    for (i, a) in f.attachments.into_iter().enumerate() {
        let loc = ctx.src.item("attachments", i);
        if let Some(path) = ctx.attachment_path(loc.clone(), &a.path.0) {
            let title = a.title.map(|t| t.0).unwrap_or_else(|| path.rsplit('/').next().unwrap_or(&path).to_string());
            attachments.push(Attachment { title, path, loc });
        }
    }
    let index_number = f.index_number.map(|t| t.0.trim().to_string()).filter(|s| !s.is_empty());
    let lang = f.lang.map(|t| t.0.trim().to_string());
    if let Some(l) = &lang {
        if !l.split('-').all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric())) {
            let loc = ctx.src.key("lang");
            ctx.err(loc, format!("`{l}` is not a language tag"), "use a BCP 47 tag such as `en` or `zh-Hans`");
        }
    }
    let consult_url = f.consult_url.map(|t| t.0.trim().to_string());
    if let Some(u) = &consult_url {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            let loc = ctx.src.key("consult_url");
            ctx.err(loc, format!("`consult_url` `{u}` is not an http(s) URL"), "");
        }
    }
    let aliases: Vec<String> = Ctx::strings(f.aliases);
    for (i, a) in aliases.iter().enumerate() {
        if !is_plain_path(a) {
            let loc = ctx.src.item("aliases", i);
            ctx.err(
                loc,
                format!("alias `{a}` is not a plain URL path inside the site"),
                "write the old URL's path, decoded, e.g. `/xxgk/2019/123.html` or `/旧站/通知.html`: letters, \
                 digits and `-._~`, segments separated by `/`; no scheme, query, fragment, `%`, `..` or \
                 characters such as `<>:\"`",
            );
        }
    }
    let basis = ctx.refs("basis", f.basis);
    let supporting = ctx.refs("supporting", f.supporting);
    let amends = ctx.refs("amends", f.amends);
    let repeals = ctx.refs("repeals", f.repeals);
    let related = ctx.refs("related", f.related);
    let translation_of = ctx.one_ref("translation_of", f.translation_of);
    let faq = ctx.qas("faq", f.faq);
    Some(Document {
        src: ctx.src.clone(),
        // After an error is reported the item is kept with placeholders, so the rest of
        // its checks (references, body links) still run and every problem is reported.
        title: title.unwrap_or_else(|| id.clone()),
        id,
        doc_number,
        index_number,
        issuer: issuer.into_iter().map(|(o, _)| o).collect(),
        doc_type: f.doc_type.map(|t| t.0.trim().to_string()).filter(|s| !s.is_empty()),
        written,
        published: published.unwrap_or(Date { year: 1, month: 1, day: 1 }),
        effective,
        expires,
        disclosure,
        draft: f.draft.unwrap_or(false),
        normative: f.normative.unwrap_or(false),
        registration: f.registration.map(|t| t.0.trim().to_string()),
        validity,
        topics,
        tags: ctx.tags(&["tags"], f.tags),
        basis,
        supporting,
        amends,
        repeals,
        related,
        services,
        attachments,
        faq,
        lang,
        translation_of,
        consult_url,
        aliases,
        body,
    })
}

fn interpretation(ctx: &mut Ctx, f: InterpFront, body: String) -> Option<Interpretation> {
    let id = ctx.id(f.id);
    let title = ctx.required("title", f.title, "《……》政策解读");
    let interprets = ctx.one_ref("interprets", f.interprets);
    if interprets.is_none() {
        let loc = ctx.src.file();
        ctx.err(loc, "required key `interprets` is missing", "name the document this interprets: `interprets: DOC-ID`");
    }
    let form = f.form.map(|t| t.0.trim().to_string()).unwrap_or_else(|| "文字".into());
    if !INTERPRETATION_FORMS.contains(&form.as_str()) {
        let loc = ctx.src.key("form");
        ctx.err(loc, format!("unknown 解读形式 `{form}`"), format!("use one of {}", INTERPRETATION_FORMS.join("、")));
    }
    let published = ctx.date("published", f.published);
    let issuer = f.issuer.map(|t| t.0.trim().to_string());
    if let Some(o) = &issuer {
        let loc = ctx.src.key("issuer");
        ctx.organ(loc, o);
    }
    Some(Interpretation {
        src: ctx.src.clone(),
        id,
        title: title?,
        interprets: interprets?,
        form,
        published,
        issuer,
        video: f.video.map(|t| t.0),
        image: f.image.map(|t| t.0),
        draft: f.draft.unwrap_or(false),
        body,
    })
}

fn issue(ctx: &mut Ctx, f: IssueFront) -> Option<GazetteIssue> {
    let year = f.year;
    let number = f.number;
    if year.is_none() {
        let loc = ctx.src.file();
        ctx.err(loc, "required key `year` is missing", "add `year: 2024`");
    }
    if number.is_none() || number == Some(0) {
        let loc = if number.is_none() { ctx.src.file() } else { ctx.src.key("number") };
        ctx.err(loc, "gazette issue needs a `number` of 1 or more", "add `number: 5` (the 期 of the year)");
    }
    if let Some(y) = year {
        if !(1000..=9999).contains(&y) {
            let loc = ctx.src.key("year");
            ctx.err(loc, format!("year `{y}` is not a four-digit year"), "");
        }
    }
    let published_raw = f.published.is_some();
    let published = ctx.date("published", f.published);
    if !published_raw {
        let loc = ctx.src.file();
        ctx.err(loc, "required key `published` is missing", "add `published: 2024-05-20`");
    }
    let sections = f
        .sections
        .into_iter()
        .enumerate()
        .map(|(si, s)| IssueSection {
            title: s.title.0,
            items: s
                .items
                .into_iter()
                .enumerate()
                .map(|(ii, t)| Ref {
                    raw: t.0.trim().to_string(),
                    loc: ctx.src.loc(&[
                        Seg::Key("sections".into()),
                        Seg::Index(si),
                        Seg::Key("items".into()),
                        Seg::Index(ii),
                    ]),
                })
                .collect(),
        })
        .collect();
    Some(GazetteIssue {
        src: ctx.src.clone(),
        year: year?,
        number: number.filter(|&n| n > 0)?,
        total: f.total,
        published: published?,
        title: f.title.map(|t| t.0),
        sections,
        draft: f.draft.unwrap_or(false),
    })
}

fn decision(ctx: &mut Ctx, f: DecisionFront, body: String) -> Option<Decision> {
    let id = ctx.id(f.id);
    let title = ctx.required("title", f.title, "重大行政决策事项名称");
    let organ = ctx.required("organ", f.organ, "szf");
    if let Some(o) = &organ {
        let loc = ctx.src.key("organ");
        ctx.organ(loc, o);
    }
    if f.year.is_none() {
        let loc = ctx.src.file();
        ctx.err(loc, "required key `year` is missing", "add the catalogue year: `year: 2024`");
    }
    let status = ctx.required("status", f.status, "征求意见");
    if let Some(s) = &status {
        if !DECISION_STATUSES.contains(&s.as_str()) {
            let loc = ctx.src.key("status");
            ctx.err(
                loc,
                format!("unknown decision status `{s}`"),
                format!("use one of {}", DECISION_STATUSES.join("、")),
            );
        }
    }
    let mut stages = Vec::new();
    for (i, s) in f.stages.into_iter().enumerate() {
        let at = |k: &str| vec![Seg::Key("stages".into()), Seg::Index(i), Seg::Key(k.into())];
        let name = s.stage.0.trim().to_string();
        if !DECISION_STAGES.contains(&name.as_str()) {
            let loc = ctx.src.loc(&at("stage"));
            ctx.err(
                loc,
                format!("unknown decision stage `{name}`"),
                format!("use one of {}", DECISION_STAGES.join("、")),
            );
        }
        let date = s.date.and_then(|d| {
            let p = Date::parse(d.0.trim());
            if p.is_none() {
                let loc = ctx.src.loc(&at("date"));
                ctx.err(loc, format!("invalid date `{}`", d.0), "write dates as YYYY-MM-DD");
            }
            p
        });
        let url = s.url.map(|u| u.0.trim().to_string());
        if let Some(u) = &url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                let loc = ctx.src.loc(&at("url"));
                ctx.err(
                    loc,
                    format!("stage url `{u}` is not an http(s) URL"),
                    "use `ref:` for a document of this site",
                );
            }
        }
        let reference = s.reference.map(|r| Ref { raw: r.0.trim().to_string(), loc: ctx.src.loc(&at("ref")) });
        stages.push(Stage { stage: name, reference, url, date });
    }
    Some(Decision {
        src: ctx.src.clone(),
        id,
        title: title?,
        organ: organ?,
        year: f.year?,
        status: status?,
        stages,
        draft: f.draft.unwrap_or(false),
        body,
    })
}

/// Read a registry file (a YAML list of mappings). Missing file = empty registry.
/// A registry's entries, or `None` when the file as a whole did not load (unreadable,
/// not YAML, not a list): then its ids are unknown, not absent.
fn load_registry<T: serde::de::DeserializeOwned>(
    root: &Path,
    name: &str,
    diags: &Diagnostics,
) -> Option<Vec<(T, Loc)>> {
    let rel = format!("content/{name}");
    let path = root.join(&rel);
    if !path.exists() {
        return Some(Vec::new());
    }
    let text = match read_text(&path, &rel, &Limits::default()) {
        Ok((t, _)) => t,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let value = match yaml::parse(&text) {
        Ok(yaml::Value::Null) => return Some(Vec::new()),
        Ok(v) => v,
        Err(e) => {
            diags.push(Diagnostic::error(&Loc::new(&rel, e.line, e.col), format!("invalid YAML: {}", e.message)));
            return None;
        }
    };
    let yaml::Value::Sequence(items) = value else {
        diags.push(Diagnostic::error(&Loc::file(&rel), format!("{name} must be a list of entries (`- id: …`)")));
        return None;
    };
    let mut out = Vec::new();
    let places = yaml::locate_items(&text);
    for (i, item) in items.into_iter().enumerate() {
        let (l, c) = places.get(i).copied().unwrap_or((1, 1));
        match yaml::from_value::<T>(item) {
            Ok(v) => out.push((v, Loc::new(&rel, l, c))),
            Err(e) => {
                let mut p = vec![Seg::Index(i)];
                p.extend(e.path.clone());
                let (l, c) = yaml::locate(&text, &p);
                diags.push(Diagnostic::error(&Loc::new(&rel, l, c), format!("entry {}: {}", i + 1, e.message)));
            }
        }
    }
    Some(out)
}

/// `None` when the registry did not load (see `load_registry`).
fn load_organs(root: &Path, diags: &Diagnostics) -> Option<Vec<Organ>> {
    let mut seen = HashSet::new();
    let entries = load_registry::<OrganFront>(root, "organs.yaml", diags)?;
    let list = entries
        .into_iter()
        .filter_map(|(o, loc)| {
            let id = o.id.0.trim().to_string();
            if !valid_id(&id) {
                diags.push(
                    Diagnostic::error(&loc, format!("invalid organ id `{id}`"))
                        .help("use letters, digits, `.`, `_` and `-`"),
                );
                return None;
            }
            if !seen.insert(id.clone()) {
                diags.push(Diagnostic::error(&loc, format!("duplicate organ id `{id}`")));
                return None;
            }
            Some(Organ {
                id,
                name: o.name.0,
                short_name: o.short_name.map(|t| t.0),
                code: o.code.map(|t| t.0),
                parent: o.parent.map(|t| t.0),
                url: o.url.map(|t| t.0),
                loc,
            })
        })
        .collect();
    Some(list)
}

/// `None` when the registry did not load (see `load_registry`).
fn load_services(root: &Path, diags: &Diagnostics) -> Option<Vec<Service>> {
    let mut seen = HashSet::new();
    let entries = load_registry::<ServiceFront>(root, "services.yaml", diags)?;
    let list = entries
        .into_iter()
        .filter_map(|(s, loc)| {
            let id = s.id.0.trim().to_string();
            let url = s.url.0.trim().to_string();
            if !valid_id(&id) {
                diags.push(
                    Diagnostic::error(&loc, format!("invalid service id `{id}`"))
                        .help("use letters, digits, `.`, `_` and `-`"),
                );
                return None;
            }
            if !seen.insert(id.clone()) {
                diags.push(Diagnostic::error(&loc, format!("duplicate service id `{id}`")));
                return None;
            }
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                diags.push(
                    Diagnostic::error(&loc, format!("service `{id}` url `{url}` is not an http(s) URL"))
                        .help("give the 一网通办 item's full address"),
                );
            }
            Some(Service { id, name: s.name.0, url, organ: s.organ.map(|t| t.0), loc })
        })
        .collect();
    Some(list)
}

/// Normalise a path for comparisons: drop `.` components. Used for output-folder checks.
pub fn lexical_normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_walked_in_the_order_walkdir_sorts_names_in() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["b.md", "B.md", "a-b.md", "a.md", "a b.md", "甲.md", "乙.md", "10.md", "9.md", "_x.md"];
        for folder in ["", "2024", "2024-1", "2024/sub", "甲"] {
            std::fs::create_dir_all(dir.path().join(folder)).unwrap();
            for n in names {
                std::fs::write(dir.path().join(folder).join(n), "").unwrap();
            }
        }
        let walk = |w: walkdir::WalkDir| -> Vec<PathBuf> { w.into_iter().map(|e| e.unwrap().into_path()).collect() };
        let ours = walk(walkdir::WalkDir::new(dir.path()).sort_by(by_name));
        assert_eq!(ours.len(), 1 + 4 + 5 * names.len());
        assert_eq!(ours, walk(walkdir::WalkDir::new(dir.path()).sort_by_file_name()));
    }

    #[test]
    fn content_paths() {
        let f = "content/documents/2024/a.md";
        assert_eq!(resolve_content_path(f, "files/附件1.pdf").unwrap(), "files/附件1.pdf");
        assert_eq!(resolve_content_path(f, "./x.pdf").unwrap(), "documents/2024/x.pdf");
        assert_eq!(resolve_content_path(f, "../../files/x.pdf").unwrap(), "files/x.pdf");
        assert!(resolve_content_path(f, "../../../x.pdf").is_err());
        assert!(resolve_content_path(f, "/etc/passwd").is_err());
        assert!(resolve_content_path(f, "files/../../gazette.yaml").is_err());
    }

    #[test]
    fn front_matter_split() {
        let (y, b, l) = split_front_matter("---\na: 1\n---\nbody\n").unwrap();
        assert_eq!((y, b, l), ("a: 1\n", "body\n", 4));
        assert!(split_front_matter("no front matter").is_none());
    }

    #[test]
    fn ids() {
        assert!(valid_id("shfb-2024.5_a"));
        assert!(!valid_id("-a"));
        assert!(!valid_id("中文"));
        assert!(!valid_id(""));
    }
}
