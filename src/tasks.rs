//! 任务分解: the （责任单位：…） parentheticals of work plans (工作要点, 实施方案) as data.
//!
//! Each paragraph or list item of a document body that names its responsible units
//! becomes a task (its section heading, its text, its units), shown as a table on the
//! document page and listed in the catalog, so an office can track who does what.

use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Task {
    pub section: String,
    pub text: String,
    pub units: Vec<String>,
}

fn units_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"[（(]\s*责任(?:单位|部门)\s*[：:]\s*([^）)]+)[）)]").expect("static regex"))
}

/// Tasks of a Markdown body, in order.
///
/// Every task names its 责任单位/责任部门, so only the lines holding "责任" are read (found
/// with memmem); each takes its section from the nearest heading line above it. Run for
/// every document page and catalogue record, this stays off the other lines.
pub fn extract(md: &str) -> Vec<Task> {
    static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new("责任"));
    let bytes = md.as_bytes();
    let mut out = Vec::new();
    let mut last_line = usize::MAX;
    for pos in finder.find_iter(bytes) {
        let start = memchr::memrchr(b'\n', &bytes[..pos]).map_or(0, |i| i + 1);
        if start == last_line {
            continue; // a second 责任 on the same line
        }
        last_line = start;
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(md.len(), |i| pos + i);
        let t = md[start..end].trim();
        if t.starts_with('#') {
            continue; // a heading names a section, not a task
        }
        let caps: Vec<_> = units_re().captures_iter(t).collect();
        if caps.is_empty() {
            continue;
        }
        let units: Vec<String> = caps
            .iter()
            .flat_map(|c| c[1].split(['、', '，', ',', '；', ';']).map(|u| u.trim().to_string()).collect::<Vec<_>>())
            .filter(|u| !u.is_empty())
            .collect();
        let text = units_re().replace_all(t, "");
        // Drop a list marker (`12. `) and Markdown escapes the importer added.
        let text =
            text.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches(['.', ' ']).replace('\\', "");
        let text: String = text.trim().trim_end_matches(['。', '；']).chars().take(120).collect();
        out.push(Task { section: section_above(md, start), text, units });
    }
    out
}

/// The text of the nearest heading line (`## 一、…`, id attribute dropped) that ends
/// before `line_start`; empty when there is none.
fn section_above(md: &str, line_start: usize) -> String {
    for line in md[..line_start].lines().rev() {
        if let Some(h) = line.trim().strip_prefix('#') {
            return h.trim_start_matches('#').trim().split(" {#").next().unwrap_or("").to_string();
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn reads_tasks_with_sections_and_units() {
        let md = "## 一、依法履职\n\n1. 严格执行审查程序。（责任单位：各有关单位）\n2. 推进平台建设。(责任单位:区政府办、区数据局)\n\n普通段落。\n";
        let t = extract(md);
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0],
            Task {
                section: "一、依法履职".into(), text: "严格执行审查程序".into(), units: vec!["各有关单位".into()]
            }
        );
        assert_eq!(t[1].units, ["区政府办", "区数据局"]);
        // Sections follow the nearest heading; a heading naming 责任 is no task.
        let md = "1. 先行任务。（责任单位：甲）\n## 二、责任落实\n\n  2. 后续任务（责任部门：乙；丙）\n";
        let t = extract(md);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].section.as_str(), t[0].text.as_str()), ("", "先行任务"));
        assert_eq!(
            (t[1].section.as_str(), t[1].units.clone()),
            ("二、责任落实", vec!["乙".to_string(), "丙".to_string()])
        );
    }
}
