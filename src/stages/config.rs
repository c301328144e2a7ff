//! `gazette.yaml`: the site configuration. A bad config is a usage problem (exit 2),
//! not a content problem, because nothing can be built without it.

use crate::diag::{Diagnostic, Loc};
use crate::yaml::{self, Seg};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub title: String,
    /// Always ends with `/`; `/` when none is set.
    pub base_url: String,
    /// `base_url` when it is an absolute http(s) URL: the only base for the URLs of
    /// feeds, sitemaps, canonical links, JSON-LD and the catalog (CONTRACT §7). `None`
    /// (no base_url, or a path only) leaves those out rather than writing relative ones.
    pub site_url: Option<String>,
    pub language: String,
    pub theme: String,
    pub description: String,
    pub footer: Footer,
    /// The local 主题分类 scheme; empty means any value is accepted.
    pub topics: Vec<String>,
    pub per_page: usize,
    pub minify: bool,
    /// Hosts whose `<iframe>` embeds (video players, maps) may appear in bodies.
    pub iframe_hosts: Vec<String>,
    pub limits: Limits,
    /// 标签目录 (`tag_catalog`): demand-side tag dimensions and their values, in the
    /// order written. Empty: tags are free text.
    pub tag_catalog: Vec<TagDimension>,
    /// The 公报's name (`示例区人民政府公报`), in its issues' titles and its feed.
    pub gazette_name: String,
}

/// One dimension of the 标签目录 (`适用对象: [企业, 个人]`).
#[derive(Debug, Clone, Serialize)]
pub struct TagDimension {
    pub name: String,
    pub values: Vec<String>,
}

impl Config {
    /// `tags` split by the catalogue's dimensions, in its order: (dimension, its tags).
    pub fn tags_by_dimension<'a>(&'a self, tags: &'a [String]) -> impl Iterator<Item = (&'a str, Vec<&'a str>)> {
        self.tag_catalog.iter().map(move |dim| {
            (dim.name.as_str(), tags.iter().filter(|t| dim.values.contains(t)).map(String::as_str).collect())
        })
    }

    /// The dimension a catalogue value belongs to, if the catalogue has it.
    pub fn tag_dimension(&self, value: &str) -> Option<&str> {
        self.tag_catalog.iter().find(|d| d.values.iter().any(|v| v == value)).map(|d| d.name.as_str())
    }
}

/// File size limits, so one runaway file cannot exhaust memory or the host's disk quota.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest file under `content/files/`, in MB.
    pub attachment_mb: u64,
    /// Largest Markdown or YAML file, in MB.
    pub text_mb: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { attachment_mb: 50, text_mb: 5 }
    }
}

impl Limits {
    pub fn attachment_bytes(&self) -> u64 {
        self.attachment_mb.saturating_mul(1024 * 1024)
    }
    pub fn text_bytes(&self) -> u64 {
        self.text_mb.saturating_mul(1024 * 1024)
    }
}

/// The identification fields every Chinese government site shows in its footer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Footer {
    /// 主办单位
    pub organizer: String,
    /// 网站标识码
    pub site_code: String,
    /// ICP备案号
    pub icp: String,
    /// 公安机关备案号
    pub public_security: String,
    /// 联系方式
    pub contact: String,
}

#[derive(Deserialize)]
struct Raw {
    title: Option<String>,
    base_url: Option<String>,
    language: Option<String>,
    theme: Option<String>,
    description: Option<String>,
    #[serde(default)]
    footer: Footer,
    #[serde(default)]
    topics: Vec<String>,
    per_page: Option<usize>,
    minify: Option<bool>,
    #[serde(default)]
    iframe_hosts: Vec<String>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    tag_catalog: indexmap::IndexMap<String, Vec<String>>,
    gazette_name: Option<String>,
}

const KEYS: &[&str] = &[
    "title",
    "base_url",
    "language",
    "theme",
    "description",
    "footer",
    "topics",
    "per_page",
    "minify",
    "iframe_hosts",
    "limits",
    "tag_catalog",
    "gazette_name",
];

pub const FILE: &str = "gazette.yaml";

/// Read and check `gazette.yaml`. Errors are returned as diagnostics (exit 2 by the caller);
/// warnings are returned beside a usable config.
pub fn load(root: &Path, base_url_override: Option<&str>) -> Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>> {
    let file = Loc::file(FILE);
    let text = match std::fs::read(root.join(FILE)) {
        Ok(b) => match crate::text::decode_text(&b) {
            Some(t) => t,
            None => {
                return Err(vec![
                    Diagnostic::error(&file, "gazette.yaml is not valid UTF-8").help("save the file as UTF-8")
                ])
            }
        },
        Err(e) => {
            return Err(vec![Diagnostic::error(&file, format!("cannot read site config: {e}"))
                .help(format!("is `{}` a gazette site? `gazette init DIR` creates one", root.display()))])
        }
    };
    parse(&text, base_url_override)
}

/// Check config text (the content of `gazette.yaml`).
pub fn parse(text: &str, base_url_override: Option<&str>) -> Result<(Config, Vec<Diagnostic>), Vec<Diagnostic>> {
    let value = yaml::parse(text)
        .map_err(|e| vec![Diagnostic::error(&Loc::new(FILE, e.line, e.col), format!("invalid YAML: {}", e.message))])?;
    let mut warnings = Vec::new();
    for k in yaml::mapping_keys(&value) {
        if !KEYS.contains(&k.as_str()) {
            let (l, c) = yaml::locate(text, &[Seg::Key(k.clone())]);
            let help = match crate::diag::did_you_mean(&k, KEYS.iter().copied()) {
                Some(known) => format!("did you mean `{known}`?"),
                None => format!("known keys: {}", KEYS.join(", ")),
            };
            warnings.push(
                Diagnostic::warning(&Loc::new(FILE, l, c), format!("unknown key `{k}` in site config")).help(help),
            );
        }
    }
    let raw: Raw = yaml::from_value(value).map_err(|e| {
        let (l, c) = yaml::locate(text, &e.path);
        let d = Diagnostic::error(&Loc::new(FILE, l, c), format!("`{}`: {}", yaml::path_string(&e.path), e.message));
        let help = yaml::type_help(&e.message);
        vec![if help.is_empty() { d } else { d.help(help) }]
    })?;
    let at = |k: &str| {
        let (l, c) = yaml::locate(text, &[Seg::Key(k.into())]);
        Loc::new(FILE, l, c)
    };
    let mut errors = Vec::new();
    let title = raw.title.unwrap_or_default();
    if title.trim().is_empty() {
        errors.push(
            Diagnostic::error(&at("title"), "site `title` is missing").help("add `title: 某某区人民政府 政府信息公开`"),
        );
    }
    let base_url = base_url_override.map(str::to_string).or(raw.base_url).unwrap_or_else(|| "/".into());
    let base_url = match normalize_base_url(&base_url) {
        Some(u) => u,
        None => {
            errors.push(
                Diagnostic::error(
                    &at("base_url"),
                    format!("`base_url` `{base_url}` is not an absolute http(s) URL or a path starting with `/`"),
                )
                .help("write e.g. `base_url: https://www.example.gov.cn/xxgk/`"),
            );
            "/".into()
        }
    };
    let site_url = (base_url.starts_with("https://") || base_url.starts_with("http://")).then(|| base_url.clone());
    if site_url.is_none() {
        let loc = if text.contains("base_url") { at("base_url") } else { Loc::file(FILE) };
        warnings.push(
            Diagnostic::warning(
                &loc,
                "no absolute `base_url`: Atom feeds, sitemaps, canonical links and the URLs in JSON-LD \
                 and the catalog are not written (they must be absolute)",
            )
            .help("set the address the site is served at, e.g. `base_url: https://www.example.gov.cn/xxgk/`"),
        );
    }
    let per_page = raw.per_page.unwrap_or(50);
    if per_page == 0 {
        errors.push(Diagnostic::error(&at("per_page"), "`per_page` must be at least 1"));
    }
    let theme = raw.theme.unwrap_or_else(|| "default".into());
    if theme.is_empty() || theme.contains(['/', '\\']) || theme.starts_with('.') {
        errors.push(Diagnostic::error(&at("theme"), format!("`theme` `{theme}` is not a folder name under themes/")));
    }
    for (i, h) in raw.iframe_hosts.iter().enumerate() {
        if h.is_empty() || !h.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') {
            let (l, c) = yaml::locate(text, &[Seg::Key("iframe_hosts".into()), Seg::Index(i)]);
            errors.push(
                Diagnostic::error(&Loc::new(FILE, l, c), format!("`iframe_hosts` entry `{h}` is not a host name"))
                    .help("write the bare host, e.g. `- player.example.gov.cn` (no https://, no path)"),
            );
        }
    }
    let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    for (dim, values) in &raw.tag_catalog {
        let at_dim = || {
            let (l, c) = yaml::locate(text, &[Seg::Key("tag_catalog".into()), Seg::Key(dim.clone())]);
            Loc::new(FILE, l, c)
        };
        if dim.trim().is_empty() || values.is_empty() {
            errors.push(
                Diagnostic::error(&at_dim(), format!("tag dimension `{dim}` needs a name and at least one value"))
                    .help("write e.g. `适用对象: [企业, 个人, 社会组织]`"),
            );
        }
        for (i, v) in values.iter().enumerate() {
            let (l, c) = yaml::locate(text, &[Seg::Key("tag_catalog".into()), Seg::Key(dim.clone()), Seg::Index(i)]);
            let at = Loc::new(FILE, l, c);
            if v.trim().is_empty() {
                errors.push(Diagnostic::error(&at, format!("empty tag value in `{dim}`")));
            } else if let Some(other) = seen.insert(v.as_str(), dim.as_str()) {
                errors.push(
                    Diagnostic::error(&at, format!("tag `{v}` is in two dimensions: `{other}` and `{dim}`"))
                        .help("a value may sit in one dimension only, so a tag says one thing; rename one of them"),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        Config {
            title,
            base_url,
            site_url,
            language: raw.language.unwrap_or_else(|| "zh-CN".into()),
            theme,
            description: raw.description.unwrap_or_default(),
            footer: raw.footer,
            topics: raw.topics,
            per_page,
            minify: raw.minify.unwrap_or(false),
            iframe_hosts: raw.iframe_hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
            limits: raw.limits,
            gazette_name: raw.gazette_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "政府公报".into()),
            tag_catalog: raw
                .tag_catalog
                .into_iter()
                .map(|(name, values)| TagDimension {
                    name,
                    values: values.into_iter().map(|v| v.trim().to_string()).collect(),
                })
                .collect(),
        },
        warnings,
    ))
}

/// `https://host/path` or `/path`, always ending in `/`.
pub fn normalize_base_url(u: &str) -> Option<String> {
    let u = u.trim();
    let ok = u.starts_with('/')
        || ((u.starts_with("https://") || u.starts_with("http://"))
            && u.split("://").nth(1).is_some_and(|r| !r.is_empty()));
    if !ok || u.contains(char::is_whitespace) {
        return None;
    }
    Some(if u.ends_with('/') { u.to_string() } else { format!("{u}/") })
}

impl Config {
    /// Absolute URL of a site-relative path, for feeds, sitemaps, canonical links,
    /// JSON-LD and the catalog; `None` without an absolute base_url (see `site_url`).
    pub fn absolute(&self, rel: &str) -> Option<String> {
        self.site_url.as_ref().map(|base| format!("{base}{rel}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_catalog_keeps_its_order_and_a_value_sits_in_one_dimension() {
        let (cfg, _) = parse(
            "title: t\nbase_url: https://x.gov.cn/\ntag_catalog:\n  行业: [制造业, 批发零售]\n  适用对象: [企业]\n",
            None,
        )
        .expect("config");
        let names: Vec<&str> = cfg.tag_catalog.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["行业", "适用对象"], "the order written, not sorted");
        assert_eq!(cfg.tag_dimension("企业"), Some("适用对象"));
        assert_eq!(cfg.tag_dimension("个人"), None);
        let e = parse("title: t\ntag_catalog:\n  甲: [企业]\n  乙: [企业]\n", None).err().expect("error");
        assert!(e[0].message.contains("two dimensions") && e[0].path == FILE && e[0].line == 4, "{e:?}");
    }
}
