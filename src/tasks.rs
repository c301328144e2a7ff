//! 任务分解: the （责任单位：…） parentheticals of work plans (工作要点, 实施方案) as data.
//!
//! Each paragraph or list item of a document body that names its responsible units
//! becomes a task (its section heading, its text, its units), shown as a table on the
//! document page and listed in the catalog, so an office can track who does what.

use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
pub fn extract(md: &str) -> Vec<Task> {
    let mut out = Vec::new();
    // Every task names its 责任单位/责任部门: most documents have none, so skip the
    // line-by-line pattern search (run for every document page and catalogue record).
    static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    let finder = FINDER.get_or_init(|| memchr::memmem::Finder::new("责任"));
    if finder.find(md.as_bytes()).is_none() {
        return out;
    }
    let mut section = String::new();
    for line in md.lines() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix('#') {
            section = h.trim_start_matches('#').trim().split(" {#").next().unwrap_or("").to_string();
            continue;
        }
        if finder.find(t.as_bytes()).is_none() {
            continue; // the pattern needs it: skip the regex on most lines
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
        out.push(Task { section: section.clone(), text, units });
    }
    out
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
    }
}
