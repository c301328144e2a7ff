//! Themes and the template engine (Tera 2), the one module that knows Tera.
//!
//! The default theme's files (`themes/default/`) are compiled into the binary so a site
//! with no `themes/` folder builds. A site's `themes/<name>/templates/X.html` replaces
//! the default `X.html`, one template at a time; `themes/<name>/static/**` is copied
//! over the default static files.

use crate::diag::{Diagnostic, Loc};
use serde::Serialize;
use std::path::Path;

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../themes/default/templates/", $name)))),*]
    };
}

/// The default theme's templates, by name.
pub const DEFAULT_TEMPLATES: &[(&str, &str)] = embed!(
    "base.html",
    "macros_doc_rows.html",
    "doc_row.html",
    "index.html",
    "document.html",
    "interpretation.html",
    "list.html",
    "organs.html",
    "topic.html",
    "topics.html",
    "gazette_issue.html",
    "gazette_issue_full.html",
    "gazette_index.html",
    "interpretations.html",
    "page.html",
    "decision.html",
    "decisions.html",
    "search.html",
    "browse.html",
    "tags.html",
    "finder.html",
    "404.html",
    "redirect.html",
);

/// The default theme's static files (path under `static/`, bytes).
pub const DEFAULT_STATIC: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../themes/default/static/style.css")),
    ("print.css", include_bytes!("../../themes/default/static/print.css")),
    ("gazette.js", include_bytes!("../../themes/default/static/gazette.js")),
    ("search.js", include_bytes!("../../themes/default/static/search.js")),
    ("finder.js", include_bytes!("../../themes/default/static/finder.js")),
    ("favicon.svg", include_bytes!("../../themes/default/static/favicon.svg")),
];

pub struct Theme {
    tera: tera::Tera,
    /// Where each template came from, for error messages (`themes/x/templates/a.html`).
    origin: std::collections::HashMap<String, String>,
    /// Static files of the site's theme folder that replace or add to the default ones:
    /// (path under static/, absolute source path).
    pub site_static: Vec<(String, std::path::PathBuf)>,
    /// Hash of every template's name and text, and of the globals set (`inputs`' key).
    pub fingerprint: u64,
    /// Hash of the globals set only: what every page shares whatever its template (the
    /// build cache's header; each page's key carries its own template's [`Theme::template_key`]).
    pub globals: u64,
    /// Per template, a hash of its text and of every template it may use (see
    /// [`template_keys`]): a template edit re-renders the pages that use it, not all.
    keys: std::collections::HashMap<String, u64>,
    /// Per template, the templates it may use ([`Theme::uses`]).
    reach: Reach,
    /// Every template's text by name, to point a broken link at the template line that
    /// wrote it ([`Theme::line_of`]).
    sources: Vec<(String, String)>,
}

/// A view converted to the template engine's own value once, for data that many pages
/// show (a document's listing row, on every listing, relation box and issue that
/// lists it): each page shares it instead of converting it again. Serialises as the
/// view it was made from.
#[derive(Clone)]
pub struct Prepared(tera::Value);

impl Prepared {
    pub fn new<T: Serialize>(view: &T) -> Prepared {
        Prepared(tera::Value::from_serializable(view))
    }

    /// HTML the theme already wrote, shown as it is (not escaped again).
    pub fn html(html: &str) -> Prepared {
        Prepared(tera::Value::safe_string(html))
    }
}

impl Serialize for Prepared {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A template problem: a theme bug, reported with the template's path and line.
pub type ThemeError = Diagnostic;

/// A theme's files as read, before its templates are parsed (see [`Theme::load_after`]).
struct Sources {
    sources: Vec<(String, String)>,
    origin: std::collections::HashMap<String, String>,
    site_static: Vec<(String, std::path::PathBuf)>,
}

impl Theme {
    /// Load the default theme, then the site's overrides for `name`, and set `site` as
    /// the global every page sees; or, when `last` was loaded from the same files and
    /// given the same `site`, take it as it is: parsing the templates is a few
    /// milliseconds of every serve rebuild, on one core, before anything else can start.
    pub fn load_after<T: Serialize>(
        root: &Path,
        name: &str,
        site: &T,
        last: Option<&std::sync::Arc<Theme>>,
    ) -> Result<std::sync::Arc<Theme>, Vec<ThemeError>> {
        let read = Theme::read(root, name)?;
        let globals = globals_with(0, &global_hash("site", site));
        let same = |t: &&std::sync::Arc<Theme>| {
            t.sources == read.sources && t.site_static == read.site_static && t.globals == globals
        };
        if let Some(last) = last.filter(same) {
            return Ok(last.clone());
        }
        let mut theme = Theme::parse(read)?;
        theme.set_global("site", site);
        Ok(std::sync::Arc::new(theme))
    }

    /// Read the default theme's templates, then the site's overrides for `name`.
    fn read(root: &Path, name: &str) -> Result<Sources, Vec<ThemeError>> {
        let mut sources: Vec<(String, String)> =
            DEFAULT_TEMPLATES.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect();
        let mut origin: std::collections::HashMap<String, String> =
            DEFAULT_TEMPLATES.iter().map(|(n, _)| (n.to_string(), format!("themes/default/templates/{n}"))).collect();
        let dir = root.join("themes").join(name);
        if name != "default" && !dir.is_dir() {
            return Err(vec![Diagnostic::error(&Loc::file(crate::config::FILE), format!("theme `{name}` not found"))
                .help(format!("create themes/{name}/templates/ or remove `theme:` to use the built-in theme"))]);
        }
        let mut errors = Vec::new();
        let tpl_dir = dir.join("templates");
        if tpl_dir.is_dir() {
            for e in walkdir::WalkDir::new(&tpl_dir).sort_by_file_name().into_iter().flatten() {
                if !e.file_type().is_file() {
                    continue;
                }
                let rel_name = crate::diag::rel_path(&tpl_dir, e.path());
                let shown = format!("themes/{name}/templates/{rel_name}");
                match std::fs::read(e.path()).ok().and_then(|b| crate::text::decode_text(&b)) {
                    Some(text) => {
                        sources.retain(|(n, _)| *n != rel_name);
                        sources.push((rel_name.clone(), text));
                        origin.insert(rel_name, shown);
                    }
                    None => errors.push(Diagnostic::error(&Loc::file(shown), "template is unreadable or not UTF-8")),
                }
            }
        }
        let mut site_static = Vec::new();
        let static_dir = dir.join("static");
        if static_dir.is_dir() {
            for e in walkdir::WalkDir::new(&static_dir).sort_by_file_name().into_iter().flatten() {
                if e.file_type().is_file() {
                    site_static.push((crate::diag::rel_path(&static_dir, e.path()), e.path().to_path_buf()));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Sources { sources, origin, site_static })
    }

    /// Parse the templates read.
    fn parse(read: Sources) -> Result<Theme, Vec<ThemeError>> {
        let Sources { sources, origin, site_static } = read;
        let mut tera = tera::Tera::new();
        if let Err(e) = tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.as_str()))) {
            return Err(vec![template_error(&e, &origin)]);
        }
        let mut h = crate::hash::Hasher::new();
        for (n, text) in &sources {
            for part in [n.as_bytes(), &[0], text.as_bytes(), &[0]] {
                h.update(part);
            }
        }
        let (keys, reach) = template_keys(&sources);
        Ok(Theme { tera, origin, site_static, fingerprint: h.digest(), globals: 0, keys, reach, sources })
    }

    /// Values every page sees (`site`), set once instead of per page.
    fn set_global<T: Serialize>(&mut self, key: &'static str, value: &T) {
        let value_hash = global_hash(key, value);
        for fp in [&mut self.fingerprint, &mut self.globals] {
            *fp = globals_with(*fp, &value_hash);
        }
        self.tera.global_context().insert(key, value);
    }

    /// The key of `template` for the build cache (see [`template_keys`]); an unknown name
    /// gets the hash of every template.
    pub fn template_key(&self, template: &str) -> u64 {
        self.keys.get(template).copied().unwrap_or(self.fingerprint)
    }

    /// Where a template writes `literal` (the fixed part of a link, `no-such-page/`): its
    /// file and line, when exactly one template line has it. Templates that build a link
    /// from variables only cannot be found this way; the caller falls back to the page.
    pub fn line_of(&self, literal: &str) -> Option<Loc> {
        if literal.is_empty() {
            return None;
        }
        let mut found = self.sources.iter().flat_map(|(name, text)| {
            text.lines().enumerate().filter_map(move |(n, l)| l.find(literal).map(|c| (name, n + 1, c + 1)))
        });
        let (name, line, col) = found.next()?;
        if found.next().is_some() {
            return None; // ambiguous: better the page's own file than a wrong line
        }
        let shown = self.origin.get(name).cloned().unwrap_or_else(|| format!("themes/{name}"));
        Some(Loc::new(shown, line, col))
    }

    pub fn has(&self, template: &str) -> bool {
        self.tera.contains_template(template)
    }

    /// Whether `template` may use `other` (names it in an `extends`, `include` or
    /// `import`, itself or through the templates it names; see [`template_keys`]).
    pub fn uses(&self, template: &str, other: &str) -> bool {
        self.reach.get(template).is_some_and(|r| r.contains(other))
    }

    /// Render `template` as a piece of a page (a listing row), to be shown by the pages'
    /// own templates as it is.
    pub fn render_piece<T: Serialize>(&self, template: &str, ctx: &T) -> Result<String, ThemeError> {
        let page = self.render(template, ctx)?;
        // UTF-8 by construction, as every page is (see `render`); checked once here, as
        // the piece becomes a `str` the pages share.
        String::from_utf8(page).map_err(|_| {
            Diagnostic::error(
                &Loc::file(self.origin.get(template).map_or("themes", |s| s.as_str())),
                "template wrote bytes that are not UTF-8",
            )
        })
    }

    /// Render `template` with a page's own small context. The page comes as bytes, UTF-8
    /// by construction (every input is a `str`): not validated again as a `String`.
    pub fn render<T: Serialize>(&self, template: &str, ctx: &T) -> Result<Vec<u8>, ThemeError> {
        let context = tera::Context::from_serialize(ctx).map_err(|e| template_error(&e, &self.origin))?;
        let mut out = Vec::with_capacity(16 * 1024);
        self.tera.render_to(template, &context, &mut out).map_err(|e| template_error(&e, &self.origin))?;
        Ok(out)
    }
}

/// The hash of global `key` set to `value`.
fn global_hash<T: Serialize>(key: &str, value: &T) -> [u8; 8] {
    let mut h = crate::hash::Hasher::new();
    h.update(key.as_bytes());
    crate::cache::hash_json(&mut h, value);
    h.digest().to_le_bytes()
}

/// A hash of globals (`seed`) with one more global's hash put in.
fn globals_with(seed: u64, value_hash: &[u8; 8]) -> u64 {
    let mut h = crate::hash::Hasher::with_seed(seed);
    h.update(value_hash);
    h.digest()
}

/// Per template, a hash of its name and text and of the templates it may use, so a page
/// cached under one key is rendered again exactly when a template it uses changed:
/// - those it names in `{% extends %}`, `{% include %}` and `{% import %}` (each quoted
///   name in the tag, for include lists), followed transitively;
/// - every template that defines a `{% component %}`: Tera 2's components are global,
///   usable from any template without naming its file;
/// - all templates, for a template with such a tag whose name is not a literal (it could
///   use any of them).
///
/// Also, per template, the names of those it may use ([`Theme::uses`]).
fn template_keys(sources: &[(String, String)]) -> (std::collections::HashMap<String, u64>, Reach) {
    use std::collections::{BTreeSet, HashMap};
    static TAG: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static NAME: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static COMPONENT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let tag =
        TAG.get_or_init(|| regex::Regex::new(r"\{%-?\s*(?:extends|include|import)\b(.*?)-?%\}").expect("tag pattern"));
    let name = NAME.get_or_init(|| regex::Regex::new(r#""([^"]*)"|'([^']*)'|`([^`]*)`"#).expect("name pattern"));
    let component = COMPONENT.get_or_init(|| regex::Regex::new(r"\{%-?\s*component\b").expect("component pattern"));
    let all: BTreeSet<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    let global: Vec<&str> =
        sources.iter().filter(|(_, text)| component.is_match(text)).map(|(n, _)| n.as_str()).collect();
    // What each template names directly (all of them when a name is not a literal).
    let direct: HashMap<&str, BTreeSet<&str>> = sources
        .iter()
        .map(|(n, text)| {
            let mut uses: BTreeSet<&str> = global.iter().copied().collect();
            for t in tag.captures_iter(text) {
                let args = t.get(1).map_or("", |m| m.as_str());
                let names: Vec<&str> = name
                    .captures_iter(args)
                    .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)).map(|m| m.as_str()))
                    .collect();
                if names.is_empty() {
                    uses.extend(all.iter().copied());
                }
                uses.extend(names.into_iter().filter(|u| all.contains(u)));
            }
            (n.as_str(), uses)
        })
        .collect();
    let text_of: HashMap<&str, &str> = sources.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let mut keys = HashMap::new();
    let mut reach = HashMap::new();
    for (n, _) in sources {
        // The template and everything it reaches, in name order: the key does not depend
        // on the order templates were loaded in.
        let mut reached: BTreeSet<&str> = BTreeSet::from([n.as_str()]);
        let mut todo = vec![n.as_str()];
        while let Some(t) = todo.pop() {
            for u in direct.get(t).into_iter().flatten() {
                if reached.insert(u) {
                    todo.push(u);
                }
            }
        }
        let mut h = crate::hash::Hasher::new();
        h.piece(n.as_bytes());
        for &t in &reached {
            h.piece(t.as_bytes());
            h.piece(text_of.get(t).copied().unwrap_or_default().as_bytes());
        }
        keys.insert(n.clone(), h.digest());
        reach.insert(n.clone(), reached.into_iter().map(String::from).collect());
    }
    (keys, reach)
}

/// Per template, the templates it may use, itself included (see [`template_keys`]).
type Reach = std::collections::HashMap<String, std::collections::BTreeSet<String>>;

fn template_error(e: &tera::Error, origin: &std::collections::HashMap<String, String>) -> ThemeError {
    let shown = |f: &str| origin.get(f).cloned().unwrap_or_else(|| format!("themes/{f}"));
    match e.kind() {
        tera::ErrorKind::SyntaxError(r) | tera::ErrorKind::RenderingError(r) => {
            let loc = Loc::new(shown(r.filename()), r.span().start_line, r.span().start_col + 1);
            Diagnostic::error(&loc, format!("template: {}", r.message()))
        }
        _ => {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            Diagnostic::error(&Loc::file("themes"), format!("template: {msg}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::template_keys;

    fn keys(templates: &[(&str, &str)]) -> std::collections::HashMap<String, u64> {
        template_keys(&templates.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect::<Vec<_>>()).0
    }

    #[test]
    fn a_template_key_changes_with_the_templates_it_uses_and_no_other() {
        let site = [
            ("base.html", "<html>{% block content %}{% endblock content %}</html>"),
            ("document.html", r#"{% extends "base.html" %}{% block content %}文{% endblock content %}"#),
            (
                "list.html",
                r#"{%- extends 'base.html' -%}{% block content %}{% include "rows.html" %}{% endblock content %}"#,
            ),
            ("rows.html", "<ul></ul>"),
            ("page.html", "{% extends \"base.html\" %}"),
        ];
        let before = keys(&site);
        let changed = |name: &str, text: &str| {
            let edited: Vec<(&str, &str)> = site.iter().map(|&(n, t)| (n, if n == name { text } else { t })).collect();
            let after = keys(&edited);
            let mut names: Vec<String> =
                after.iter().filter(|(n, k)| before[*n] != **k).map(|(n, _)| n.clone()).collect();
            names.sort();
            names
        };
        assert_eq!(changed("document.html", r#"{% extends "base.html" %}改"#), ["document.html"]);
        assert_eq!(changed("rows.html", "<ol></ol>"), ["list.html", "rows.html"]);
        assert_eq!(changed("base.html", "<html>改</html>"), ["base.html", "document.html", "list.html", "page.html"]);
        // A component is global in Tera 2: every template may use it.
        let with_component: Vec<(&str, &str)> =
            site.iter().copied().chain([("parts.html", "{% component badge() %}办{% endcomponent %}")]).collect();
        let a = keys(&with_component);
        let mut edited = with_component.clone();
        edited[5].1 = "{% component badge() %}阅{% endcomponent %}";
        let b = keys(&edited);
        assert!(a.iter().all(|(n, k)| b[n] != *k), "a component edit changes every key");
        // A name that is not a literal may be any template.
        let dynamic = [("a.html", "{% include name %}"), ("b.html", "乙")];
        let c = keys(&dynamic);
        assert_ne!(c["a.html"], keys(&[("a.html", "{% include name %}"), ("b.html", "丙")])["a.html"]);
        assert_eq!(c["b.html"], keys(&[("a.html", "{% include name %} "), ("b.html", "乙")])["b.html"]);
    }
}
