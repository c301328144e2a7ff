//! The one module that knows the YAML library (serde_yaml, served by `yaml_serde`).
//!
//! Swapping YAML crates touches this file only. Besides parsing, it maps a path in the
//! parsed data (`basis[2]`, `items[0].q`) back to a line of the source text, because the
//! YAML value tree carries no positions and every diagnostic must name a line.

use serde::de::DeserializeOwned;

pub use serde_yaml::Value;

/// A syntax error with its 1-based position in the parsed text.
#[derive(Debug)]
pub struct SyntaxError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Parse YAML text into a value tree.
pub fn parse(text: &str) -> Result<Value, SyntaxError> {
    serde_yaml::from_str::<Value>(text).map_err(|e| {
        let (line, col) = e.location().map(|l| (editor_line(text, l.line()), l.column())).unwrap_or((1, 1));
        let msg = e.to_string();
        // The library appends " at line X column Y"; we print the position ourselves.
        let message = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        SyntaxError { line, col, message }
    })
}

/// The YAML library counts U+0085, U+2028 and U+2029 as line breaks (YAML 1.1); editors
/// and our diagnostics count `\n` only. Map the library's line to ours, so a diagnostic
/// never points past the end of the file (found by the front_matter fuzzer).
fn editor_line(text: &str, yaml_line: usize) -> usize {
    let (mut yaml, mut ours) = (1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if yaml >= yaml_line {
            break;
        }
        let crlf = c == '\r' && chars.peek() == Some(&'\n');
        if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') && !crlf {
            yaml += 1;
        }
        if c == '\n' {
            ours += 1;
        }
    }
    ours
}

/// One step of a path into a YAML tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A typed-conversion error: where in the tree, and what was wrong.
#[derive(Debug)]
pub struct ShapeError {
    pub path: Vec<Seg>,
    pub message: String,
}

/// Convert a value tree into a typed struct, keeping the path of the first bad value.
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, ShapeError> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let path = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                _ => None,
            })
            .collect();
        ShapeError { path, message: e.into_inner().to_string() }
    })
}

/// What to write instead, for a [`ShapeError`]'s message (serde's "expected …"), so an
/// editor who wrote `normative: 是` learns the YAML for it. Empty when there is no advice.
pub fn type_help(message: &str) -> &'static str {
    let expected = message.rsplit("expected ").next().unwrap_or("");
    if expected.starts_with("a boolean") {
        "write `true` or `false` (是/否 and yes/no are text, not a yes-or-no value)"
    } else if expected.starts_with("a sequence") {
        "write a list: `[a, b]` on the same line, or one `- item` per line below the key"
    } else if expected.starts_with("a string") {
        "write text; put it in quotes if it looks like a number, date or list: `\"2024\"`"
    } else if expected.starts_with("a map") || expected.starts_with("struct") {
        "write `key: value` lines indented below this key"
    } else if expected.starts_with('u') || expected.starts_with('i') || expected.contains("integer") {
        "write a whole number without quotes, e.g. `5`"
    } else {
        ""
    }
}

/// Keys of a mapping value, in order (for unknown-key warnings).
pub fn mapping_keys(v: &Value) -> Vec<String> {
    match v {
        Value::Mapping(m) => m.keys().filter_map(|k| k.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// A top-level scalar of a mapping, as text (`true`, `3`, `理由` alike); `None` when absent
/// or not a scalar.
pub fn scalar(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Finds the line (1-based) and column of a path in block-style YAML text.
///
/// An indentation scan, not a parser: good enough to point an editor at the right line
/// in the front matter and registry files people write by hand. Falls back to the
/// nearest enclosing line it did find.
pub fn locate(text: &str, path: &[Seg]) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let (mut start, mut end) = (0usize, lines.len());
    let mut found = (1usize, 1usize);
    let mut inline = false;
    for seg in path {
        if inline || start >= end {
            break;
        }
        match seg {
            Seg::Key(k) => {
                let entries: Vec<(usize, usize, &str)> =
                    (start..end).filter_map(|i| effective(lines[i]).map(|(c, t)| (i, c, t))).collect();
                let Some(min_col) = entries.iter().map(|e| e.1).min() else {
                    break;
                };
                let hit = entries.iter().find(|(_, c, t)| *c == min_col && key_matches(t, k));
                let Some(&(i, col, t)) = hit else { break };
                found = (i + 1, col + 1);
                let after = t[t.find(':').map_or(t.len(), |p| p + 1)..].trim();
                if !after.is_empty() && !after.starts_with('#') && !after.starts_with('|') && !after.starts_with('>') {
                    inline = true;
                    continue;
                }
                let mut j = i + 1;
                while j < end {
                    match effective(lines[j]) {
                        None => j += 1,
                        Some((c, t2)) => {
                            let raw_indent = indent_of(lines[j]);
                            if c > col || (raw_indent == col && t2 != lines[j].trim_start()) {
                                j += 1
                            } else {
                                break;
                            }
                        }
                    }
                }
                start = i + 1;
                end = j;
            }
            Seg::Index(n) => {
                let Some((items, min_indent)) = list_items(&lines[..end], start) else {
                    break;
                };
                let Some(&i) = items.get(*n) else { break };
                found = (i + 1, min_indent + 1);
                let next = items.get(n + 1).copied().unwrap_or(end);
                start = i;
                end = next;
            }
        }
    }
    found
}

/// Where each item of a top-level list starts, as (line, column), 1-based, in order:
/// what [`locate`] finds for `[Seg::Index(n)]`, all in one pass over the text (a
/// registry places every entry: one `locate` each read the whole file again, 200 times
/// for a `services.yaml` of 200 entries).
pub fn locate_items(text: &str) -> Vec<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let Some((items, indent)) = list_items(&lines, 0) else { return Vec::new() };
    items.into_iter().map(|i| (i + 1, indent + 1)).collect()
}

/// The lines (0-based) from `start` on that begin the items of the outermost list there,
/// and the indentation of their dashes; `None` without a list.
fn list_items(lines: &[&str], start: usize) -> Option<(Vec<usize>, usize)> {
    let dashes: Vec<usize> = (start..lines.len()).filter(|&i| lines[i].trim_start().starts_with('-')).collect();
    let min_indent = dashes.iter().map(|&i| indent_of(lines[i])).min()?;
    Some((dashes.into_iter().filter(|&i| indent_of(lines[i]) == min_indent).collect(), min_indent))
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Column and text of a line's content, looking through one list dash (`- key: v`).
/// Blank and comment lines have none.
fn effective(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_start();
    if t.is_empty() || t.starts_with('#') || t == "---" {
        return None;
    }
    let col = indent_of(line);
    if let Some(rest) = t.strip_prefix("- ") {
        let r = rest.trim_start();
        if r.is_empty() {
            return Some((col, t));
        }
        return Some((col + 2 + (rest.len() - r.len()), r));
    }
    Some((col, t))
}

fn key_matches(t: &str, k: &str) -> bool {
    for q in ["", "\"", "'"] {
        if let Some(rest) = t.strip_prefix(q).and_then(|r| r.strip_prefix(k)).and_then(|r| r.strip_prefix(q)) {
            if rest.starts_with(':') {
                return true;
            }
        }
    }
    false
}

/// Render a path for messages: `basis[1]`, `items[0].q`.
pub fn path_string(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    fn k(s: &str) -> Seg {
        Seg::Key(s.into())
    }

    #[test]
    fn locates_keys_items_and_nested_fields() {
        let text = "id: a\ntitle: T\nbasis:\n  - x\n  - y\nattachments:\n- title: A\n  path: p1\n- title: B\n  path: p2\nfaq: [1, 2]\n";
        assert_eq!(locate(text, &[k("title")]).0, 2);
        assert_eq!(locate(text, &[k("basis"), Seg::Index(1)]).0, 5);
        assert_eq!(locate(text, &[k("attachments"), Seg::Index(1), k("path")]).0, 10);
        assert_eq!(locate(text, &[k("attachments"), Seg::Index(0), k("title")]).0, 7);
        assert_eq!(locate(text, &[k("faq"), Seg::Index(1)]).0, 11);
        assert_eq!(locate(text, &[k("missing")]).0, 1);
    }

    /// A registry's entries placed in one pass are where `locate` finds each one.
    #[test]
    fn list_items_are_where_locate_finds_them() {
        let text = "# organs\n- id: a\n  name: A\n  parts:\n    - x\n    - y\n\n-   id: b\n  name: B\n- id: c\n";
        let all = locate_items(text);
        assert_eq!(all, vec![(2, 1), (8, 1), (10, 1)]);
        for (n, at) in all.iter().enumerate() {
            assert_eq!(locate(text, &[Seg::Index(n)]), *at, "item {n}");
        }
        assert_eq!(locate(text, &[Seg::Index(0), k("parts"), Seg::Index(1)]).0, 6);
        assert_eq!(locate_items("a: 1\n"), vec![]);
    }

    #[test]
    fn syntax_errors_count_lines_as_editors_do() {
        let e = parse("a: 1\u{85}b: 2\u{2028}c: [\n").expect_err("bad");
        assert_eq!(e.line, 2, "NEL and LS are not line breaks in an editor");
        assert_eq!(parse("a: 1\nb: [\n").expect_err("bad").line, 3);
    }

    #[test]
    fn locates_in_top_level_lists() {
        let text = "- id: a\n  name: A\n- id: b\n  name: B\n  url: u\n";
        assert_eq!(locate(text, &[Seg::Index(1), k("url")]).0, 5);
        assert_eq!(locate(text, &[Seg::Index(1)]).0, 3);
    }
}
