//! Code highlighting (syntect), the one module that knows it. Highlighting emits CSS
//! classes, not inline colours, so the theme's stylesheet decides and a strict CSP holds.
//! The syntax set (a few MB of regexes) is loaded on first use only: most government
//! documents contain no code, and a build with none never pays for it.

use std::sync::OnceLock;
use syntect::highlighting::ThemeSet;
use syntect::html::{css_for_theme_with_class_style, ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Highlight `code` as `lang` into the inside of a `<code>` element. Falls back to plain
/// escaped text for unknown languages or on a highlighter error.
pub fn highlight(code: &str, lang: &str) -> String {
    let ss = syntaxes();
    let syntax = ss.find_syntax_by_token(lang);
    if let Some(syntax) = syntax {
        let mut gen = ClassedHTMLGenerator::new_with_class_style(syntax, ss, STYLE);
        let ok = LinesWithEndings::from(code).all(|line| gen.parse_html_for_line_which_includes_newline(line).is_ok());
        if ok {
            return gen.finalize();
        }
    }
    let mut out = String::with_capacity(code.len());
    pulldown_cmark_escape::escape_html_body_text(&mut out, code).ok();
    out
}

/// The stylesheet for the classes above, written to `syntax.css` when a page has code.
pub fn stylesheet() -> String {
    let themes = ThemeSet::load_defaults();
    themes.themes.get("InspiredGitHub").and_then(|t| css_for_theme_with_class_style(t, STYLE).ok()).unwrap_or_default()
}
