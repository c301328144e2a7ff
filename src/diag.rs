//! Diagnostics: every problem the build finds is a value, never a panic.
//!
//! The contract (§7) fixes the shape: `PATH:LINE:COL: error: message`, PATH relative to the
//! site root, then help lines. All problems of a build are collected and printed together,
//! so an editor fixes a whole batch per run instead of one error per CI round trip.

use std::fmt;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem, located in a file of the site.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the site root, with `/` separators.
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(loc: &Loc, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, loc, message)
    }
    pub fn warning(loc: &Loc, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, loc, message)
    }
    fn new(severity: Severity, loc: &Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            path: loc.path.clone(),
            line: loc.line.max(1),
            col: loc.col.max(1),
            message: message.into(),
            help: Vec::new(),
        }
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help.push(h.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}:{}: {}: {}", self.path, self.line, self.col, sev, self.message)?;
        for h in &self.help {
            write!(f, "\n  = help: {h}")?;
        }
        Ok(())
    }
}

/// A place in a site file: what every diagnostic points at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Loc {
    pub path: String,
    pub line: usize,
    pub col: usize,
}

impl Loc {
    pub fn new(path: impl Into<String>, line: usize, col: usize) -> Self {
        Loc { path: path.into(), line, col }
    }
    pub fn file(path: impl Into<String>) -> Self {
        Loc::new(path, 1, 1)
    }
    pub fn at_line(&self, line: usize) -> Self {
        Loc::new(self.path.clone(), line, 1)
    }
}

/// Thread-safe collector: load and render run in parallel and all push here.
#[derive(Default)]
pub struct Diagnostics {
    items: Mutex<Vec<Diagnostic>>,
}

impl Diagnostics {
    pub fn push(&self, d: Diagnostic) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).push(d);
    }
    pub fn extend(&self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).extend(ds);
    }
    /// How many have been pushed so far.
    pub fn count(&self) -> usize {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
    pub fn has_errors(&self) -> bool {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|d| d.severity == Severity::Error)
    }
    /// Sorted by path and line (parallel stages push in any order), duplicates removed.
    pub fn into_sorted(self) -> Vec<Diagnostic> {
        let mut v = self.items.into_inner().unwrap_or_else(|e| e.into_inner());
        v.sort_by(|a, b| (&a.path, a.line, a.col, &a.message).cmp(&(&b.path, b.line, b.col, &b.message)));
        v.dedup();
        v
    }
}

/// Path of `file` relative to `root`, with forward slashes, for diagnostics and URLs.
pub fn rel_path(root: &Path, file: &Path) -> String {
    match plain_rel(root, file) {
        Some(rel) => rel.to_string(),
        None => components_joined(file.strip_prefix(root).unwrap_or(file)),
    }
}

/// A path's components joined with `/`: what [`rel_path`] gives for any path.
fn components_joined(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
}

/// `file`'s path under `root` as its bytes spell it, when that is what [`rel_path`]'s
/// components would be joined into: on Unix, a path under the root whose every
/// component is spelled out (none empty, as a repeated, leading or trailing `/` makes
/// one, and none `.`), as a walk spells its entries.
/// (Builds ask for every file of `content/` and of the output folders they list; split
/// into components, each made a `String` and joined, that was a tenth of a one-off
/// build's instructions at 10,000 documents; then `str`'s split by a character and
/// std's UTF-8 check of both paths were half of what was left.)
#[cfg(unix)]
fn plain_rel<'a>(root: &Path, file: &'a Path) -> Option<&'a str> {
    use std::os::unix::ffi::OsStrExt;
    let (r, f) = (root.as_os_str().as_bytes(), file.as_os_str().as_bytes());
    let rest = f.strip_prefix(r)?.strip_prefix(b"/")?;
    let plain = !r.is_empty() && rest.split(|&b| b == b'/').all(|c| !c.is_empty() && c != b".");
    if !plain {
        return None;
    }
    crate::utf8::str(rest)
}

#[cfg(not(unix))]
fn plain_rel<'a>(_root: &Path, _file: &'a Path) -> Option<&'a str> {
    None
}

/// "Did you mean": the candidate closest to `word` by edit distance, if it is close
/// enough to be a typo (`hp-2023-03` → `hp-2023-3`, `baseurl` → `base_url`) rather than
/// another word. Ties go to the smallest candidate, so the help never depends on order.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    // One edit for short words, two from six characters on: `sq` is not a typo of `ab`.
    let limit = if len < 6 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| *c != word && c.chars().count().abs_diff(len) <= limit)
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::{components_joined, did_you_mean, rel_path};
    use std::path::Path;

    #[test]
    fn relative_paths_are_their_components_joined() {
        for root in ["/site", "/site/", "/", ".", "./site", "site", "", "/site/.", "/a//site"] {
            let root = Path::new(root);
            for file in [
                "/site/content/documents/2024/a.md",
                "/site/content/政策/解读 一.md",
                "/site/a",
                "/site/./a",
                "/site/a/./b",
                "/site/a//b",
                "/site/a/",
                "/site/a/.",
                "/site/./",
                "/site/",
                "/site",
                "/elsewhere/x.md",
                "relative/x.md",
                "./relative/x.md",
                "rel//x/../y",
                "rel/x/.",
                "rel/x/",
                "rel/./x",
                ".",
                "",
                "./x",
                "./site/x/y.md",
                "site/x",
                "sitex/y",
                "site/./x",
                "site/.",
                "/site/x/..",
                "/site/../x",
                "/a//site/x",
                "/a/site/x",
                "/site//x",
                "/site/.x/..y/z.",
            ] {
                let file = Path::new(file);
                let rel = file.strip_prefix(root).unwrap_or(file);
                assert_eq!(rel_path(root, file), components_joined(rel), "{} under {}", file.display(), root.display());
            }
        }
        let site = Path::new("/site");
        assert_eq!(rel_path(site, Path::new("/site/content/a.md")), "content/a.md");
        assert_eq!(rel_path(site, Path::new("/site/a//b/./c/")), "a/b/c");
    }

    #[test]
    fn suggests_typos_not_other_words() {
        assert_eq!(did_you_mean("hp-2023-03", ["hp-2023-3", "hp-2023-30", "jtw-2024-1"]), Some("hp-2023-3"));
        assert_eq!(did_you_mean("baseurl", ["base_url", "title"]), Some("base_url"));
        assert_eq!(did_you_mean("qzff", ["qzf", "qfb"]), Some("qzf"));
        assert_eq!(did_you_mean("sq", ["ab", "cd"]), None);
        assert_eq!(did_you_mean("完全不同", ["政务公开"]), None);
    }
}
