//! Metadata that is valid but probably wrong: warnings at the line, with help.
//!
//! Nothing here fails a build (except under `--deny-warnings`): each check finds a value
//! an editor most likely mistyped — a 成文日期 after the 发布日期, a 发文字号 of another year,
//! a `2099` that hides a document for decades. Runs after resolve, on the resolved index,
//! so relations (a 解读 and its document) are known.

use crate::date::Date;
use crate::diag::{did_you_mean, Diagnostic, Diagnostics};
use crate::docnum;
use crate::model::{Document, DOC_TYPES};
use crate::resolve::Index;
use std::hash::Hash;

/// An embargo further ahead than this many days is probably a typo (`2099` for `2025`).
const FAR_EMBARGO_DAYS: i64 = 366;

/// What the checks of one document said, kept by serve for its next build: by a key of
/// everything they read (the document's path and front matter, the build date).
pub type Memo = crate::render::KeptByInputs<Vec<Diagnostic>>;

/// Run every check on the loaded library; warnings go to `diags`. With a `memo`, a
/// document's own checks are not run again while their key is one it kept (most of a
/// title edit's checks at 10,000 documents were locating the same warnings again).
pub fn check(ix: &Index, diags: &Diagnostics, memo: Option<&Memo>) {
    let c = &ix.content;
    let key = |d: &std::sync::Arc<Document>| {
        let mut h = crate::hash::Hasher::new();
        h.update(&d.src.path_key().to_le_bytes());
        (d.src.yaml_hash, d.src.yaml_line, ix.date).hash(&mut h);
        h.digest()
    };
    let said = crate::render::made_or_kept(memo, &c.documents, key, |d| {
        let mine = Diagnostics::default();
        check_dates(d, ix.date, &mine);
        check_doc_type(d, &mine);
        mine.into_sorted()
    });
    diags.extend(said.into_iter().flatten());
    for (k, it) in c.interpretations.iter().enumerate() {
        let (Some(j), Some(p)) = (ix.interp_of[k], it.published) else { continue };
        let doc = &c.documents[j.0];
        if p < doc.published {
            diags.push(
                Diagnostic::warning(
                    &it.src.key("published"),
                    format!("this 解读 is published ({p}) before its document ({})", doc.published),
                )
                .help(format!(
                    "a 解读 appears with or after the document it explains; check this date and `published` in {}",
                    doc.src.path
                )),
            );
        }
    }
    for (j, r) in ix.rel.iter().enumerate() {
        let d = &c.documents[j];
        let sets = r.faq_sets.len() + usize::from(!d.faq.is_empty());
        if sets < 2 {
            continue;
        }
        // Point at every set after the first: the inline `faq:` counts as the first.
        let skip = usize::from(d.faq.is_empty());
        for f in r.faq_sets.iter().skip(skip) {
            let f = &c.faqs[f.0];
            diags.push(Diagnostic::warning(&f.src.key("for"), format!("a second FAQ set for `{}`", d.id)).help(
                format!(
                    "{} already has 常见问题与解答; merge the questions into one set so readers find them together",
                    d.src.path
                ),
            ));
        }
    }
}

fn check_dates(d: &Document, today: Date, diags: &Diagnostics) {
    if let Some(w) = d.written {
        if d.published < w {
            diags.push(
                Diagnostic::warning(
                    &d.src.key("published"),
                    format!("发布日期 {} is before 成文日期 {w}", d.published),
                )
                .help("a document is published on or after the day it is written; check both dates"),
            );
        }
        if w > today {
            diags.push(
                Diagnostic::warning(&d.src.key("written"), format!("成文日期 {w} is after the build date {today}"))
                    .help("成文日期 is the day the document was signed; a future date is probably a typo"),
            );
        }
        if let Some(y) = d.doc_number.as_deref().and_then(docnum::year) {
            if y != w.year {
                diags.push(
                    Diagnostic::warning(
                        &d.src.key("doc_number"),
                        format!("发文字号 year {y} differs from the 成文日期 year {}", w.year),
                    )
                    .help("the year in 〔〕 is the year the document was written; check `doc_number` and `written`"),
                );
            }
        }
    }
    if let (Some(e), Some(x)) = (d.effective, d.expires) {
        if x < e {
            diags.push(
                Diagnostic::warning(&d.src.key("expires"), format!("有效期至 {x} is before 施行日期 {e}"))
                    .help("the document would never be in force; check `effective` and `expires`"),
            );
        }
    }
    if days_between(today, d.published) > FAR_EMBARGO_DAYS {
        diags.push(
            Diagnostic::warning(
                &d.src.key("published"),
                format!("发布日期 {} is more than a year ahead: the document stays hidden until then", d.published),
            )
            .help("a future 发布日期 embargoes the document; if this is a typo, write the real date"),
        );
    }
}

fn check_doc_type(d: &Document, diags: &Diagnostics) {
    let Some(t) = d.doc_type.as_deref() else { return };
    if DOC_TYPES.contains(&t) {
        return;
    }
    let help = match did_you_mean(t, DOC_TYPES.iter().copied()) {
        Some(near) => format!("did you mean {near}?"),
        None => format!("文种 of GB/T 9704 and common ones: {}", DOC_TYPES.join("、")),
    };
    diags.push(Diagnostic::warning(&d.src.key("doc_type"), format!("文种 `{t}` is not a known 文种")).help(help));
}

/// Days from `a` to `b` (negative when `b` is earlier).
fn days_between(a: Date, b: Date) -> i64 {
    let t = |d: Date| {
        time::Month::try_from(d.month)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(i32::from(d.year), m, d.day).ok())
    };
    match (t(a), t(b)) {
        (Some(a), Some(b)) => (b - a).whole_days(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts() {
        let d = |s| Date::parse(s).expect("date");
        assert_eq!(days_between(d("2024-01-01"), d("2025-01-01")), 366);
        assert_eq!(days_between(d("2025-03-01"), d("2025-02-28")), -1);
    }
}
