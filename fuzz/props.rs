//! The properties the fuzz targets check, shared with `tests/fuzz_regressions.rs`, which
//! replays every input in `fuzz/regressions/` through the same checks on each `cargo test`.
#![allow(dead_code)]

use gazette::diag::Loc;
use gazette::markdown::LinkSink;
use std::sync::OnceLock;

const KINDS: [&str; 7] = [
    "content/documents/x.md",
    "content/interpretations/x.md",
    "content/faqs/x.yaml",
    "content/gazette/x.yaml",
    "content/topics/x.md",
    "content/decisions/x.md",
    "content/pages/x.md",
];

fn config() -> &'static gazette::config::Config {
    static C: OnceLock<gazette::config::Config> = OnceLock::new();
    C.get_or_init(|| gazette::config::parse("title: 测试\nbase_url: /\n", None).expect("config").0)
}

/// First byte picks the kind of content file, the rest is the file: the loader answers
/// with an item or diagnostics, never a panic, and every diagnostic points inside the file.
pub fn front_matter(data: &[u8]) {
    let Some((&k, rest)) = data.split_first() else { return };
    let path = KINDS[k as usize % KINDS.len()];
    let (_, diags) = gazette::load::check_one(path, rest, config());
    let Some(text) = gazette::load::decode_text(rest) else { return };
    let lines = text.split('\n').count().max(1);
    for d in &diags {
        assert_eq!(d.path, path);
        assert!(d.line >= 1 && d.line <= lines + 1, "{d} is outside a {lines}-line file");
    }
    let _ = gazette::config::parse(&text, None);
}

/// Resolves everything, so the link rewriting and auto-linking paths run.
struct Sink;
impl LinkSink for Sink {
    fn doc(&mut self, r: &str, _: Option<&str>, _: Loc) -> Option<String> {
        (!r.is_empty()).then(|| "documents/a/".to_string())
    }
    fn service(&mut self, _: &str, _: Loc) -> Option<String> {
        Some("https://zwdt.example.gov.cn/item/1".into())
    }
    fn file(&mut self, p: &str, _: Loc) -> Option<String> {
        Some(p.to_string())
    }
    fn auto(&mut self, c: &str) -> Option<String> {
        c.contains('府').then(|| "documents/b/".to_string())
    }
}

/// Any text as a Markdown body: rendering never panics, no raw `<script>` survives, and
/// heading ids are unique.
pub fn markdown(data: &[u8]) {
    let Ok(md) = std::str::from_utf8(data) else { return };
    let body = gazette::markdown::render(md, "content/documents/x.md", 7, "../../", &mut Sink);
    assert!(!body.html.to_ascii_lowercase().contains("<script"), "script survived: {md:?}");
    let mut seen = std::collections::HashSet::new();
    for h in &body.headings {
        assert!(seen.insert(h.id.clone()), "duplicate heading id {:?}", h.id);
    }
}

/// Any text as a file to import: the importer never panics, and the file it writes has
/// front matter the loader reads, with a valid 公开类别.
pub fn importer(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (parsed, _) = gazette::import::parse("seed.txt", text);
    let file = gazette::import::render(&parsed, "x", "qzf", "seed.txt");
    let (_, diags) = gazette::load::check_one("content/documents/x.md", file.as_bytes(), config());
    for d in &diags {
        let broken = ["invalid YAML", "missing front matter", "front matter is not", "unknown 公开类别", "`"]
            .iter()
            .any(|p| d.message.starts_with(p));
        assert!(!broken, "imported file does not load: {d}\n{file}");
    }
}
