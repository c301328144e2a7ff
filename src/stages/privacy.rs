//! Privacy lint (加强对个人隐私的保护): personal numbers must not be published by accident.
//!
//! A published item whose text holds an 18-digit 居民身份证号码 (with a valid GB 11643
//! check digit), a mainland mobile number, or a bank card number (Luhn-valid) is an error
//! at the exact line, unless its front matter says `allow_personal_info: true` (with a
//! `personal_info_reason:`). The checks are strict on purpose: a number that fails the
//! check digit or Luhn test is not reported, so 索引号, 发文字号, amounts and dates in
//! ordinary 公文 do not trip it. Diagnostics mask the number: the CI log must not become
//! the leak.

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::model::Source;
use crate::resolve::Index;
use regex::Regex;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    IdNumber,
    Mobile,
    BankCard,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::IdNumber => "居民身份证号码 (resident ID number)",
            Kind::Mobile => "手机号码 (mobile number)",
            Kind::BankCard => "银行卡号 (bank card number)",
        }
    }
}

/// One personal number found in a text: its kind, byte offset and masked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub kind: Kind,
    pub offset: usize,
    pub masked: String,
}

fn patterns() -> &'static [(Kind, Regex); 3] {
    static P: OnceLock<[(Kind, Regex); 3]> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static pattern");
        [
            (Kind::IdNumber, re(r"[1-9][0-9]{16}[0-9Xx]")),
            // +86 / 86 prefixes and 3-4-4 groups written with spaces or hyphens.
            (Kind::Mobile, re(r"(?:\+?86[ -]?)?1[3-9][0-9](?:[0-9]{8}|[ -][0-9]{4}[ -][0-9]{4})")),
            (Kind::BankCard, re(r"[3-6][0-9]{15,18}|[3-6][0-9]{3}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?")),
        ]
    })
}

/// Every personal number in `text`, in order of appearance.
pub fn scan(text: &str) -> Vec<Hit> {
    let bytes = text.as_bytes();
    let mut hits: Vec<Hit> = Vec::new();
    for (kind, re) in patterns() {
        for m in re.find_iter(text) {
            // Standalone numbers only: not part of a longer run of digits or letters
            // (索引号 like `11310000002421191K/2024-00025` must not match inside).
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            if before.is_some_and(|b| b.is_ascii_alphanumeric()) || after.is_some_and(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            let digits: String = m.as_str().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let ok = match kind {
                Kind::IdNumber => valid_id_number(&digits),
                Kind::Mobile => true,
                Kind::BankCard => luhn(&digits) && !valid_id_number(&digits),
            };
            if ok && !hits.iter().any(|h| h.offset == m.start()) {
                hits.push(Hit { kind: *kind, offset: m.start(), masked: mask(&digits) });
            }
        }
    }
    hits.sort_by_key(|h| h.offset);
    hits
}

/// GB 11643-1999: a plausible birth date and the ISO 7064 MOD 11-2 check character.
pub fn valid_id_number(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..17].iter().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    b[17].to_ascii_uppercase() == check
}

/// The Luhn checksum used by bank card numbers.
pub fn luhn(s: &str) -> bool {
    let mut sum = 0;
    for (i, c) in s.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// `13812345678` → `138****5678`: enough to find it in the file, not enough to leak it.
fn mask(digits: &str) -> String {
    let n = digits.chars().count();
    digits.chars().enumerate().map(|(i, c)| if i < 3 || i + 4 >= n { c } else { '*' }).collect()
}

/// Report what the privacy lint found in every published item of the site (found when
/// its file was parsed: [`findings`], kept in its `Source`). Hidden items are skipped:
/// they are never written, and 依申请公开 files legitimately hold personal data.
pub fn check_site(ix: &Index, diags: &Diagnostics) {
    let c = &ix.content;
    for t in c.items().filter(|&t| ix.visible(t)) {
        diags.extend(ix.source(t).personal_info.iter().cloned());
    }
    for (i, f) in c.faqs.iter().enumerate() {
        if ix.faq_visible(i) {
            diags.extend(f.src.personal_info.iter().cloned());
        }
    }
    for (i, g) in c.issues.iter().enumerate() {
        if ix.issue_visible(i) {
            diags.extend(g.src.personal_info.iter().cloned());
        }
    }
}

/// Check one published item: its front matter and its Markdown body.
pub fn check(src: &Source, body: &str, diags: &Diagnostics) {
    diags.extend(findings(src, body));
}

/// Personal information in a file's front matter and Markdown body, as errors at their
/// lines; none when the file says `allow_personal_info: true`.
pub fn findings(src: &Source, body: &str) -> Vec<Diagnostic> {
    if src.allow_personal_info {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (text, first_line) in [(src.yaml.as_str(), src.yaml_line), (body, src.body_line)] {
        for h in scan(text) {
            let line = first_line + text[..h.offset].matches('\n').count();
            let line_start = text[..h.offset].rfind('\n').map_or(0, |i| i + 1);
            let col = text[line_start..h.offset].chars().count() + 1;
            found.push(
                Diagnostic::error(
                    &Loc::new(src.path.clone(), line, col),
                    format!("personal information in published content: {} `{}`", h.kind.label(), h.masked),
                )
                .help("remove or mask it (e.g. 138****5678); if publishing it is lawful, set `allow_personal_info: true` and `personal_info_reason: …` in the front matter"),
            );
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<Kind> {
        scan(t).into_iter().map(|h| h.kind).collect()
    }

    #[test]
    fn id_numbers_need_a_valid_check_digit() {
        assert!(valid_id_number("11010519491231002X"));
        assert!(!valid_id_number("440524188001010014")); // born 1880: not a live ID
        assert_eq!(kinds("身份证号11010519491231002X。"), [Kind::IdNumber]);
        assert_eq!(kinds("身份证号110105194912310021。"), []); // wrong check digit
        assert_eq!(scan("11010519491231002x")[0].masked, "110***********002x");
    }

    #[test]
    fn mobiles_in_common_spellings() {
        for t in ["电话13812345678", "电话：138-1234-5678。", "+86 138 1234 5678", "联系人王某（15900001111）"]
        {
            assert_eq!(kinds(t), [Kind::Mobile], "{t}");
        }
        assert_eq!(scan("电话13812345678")[0].masked, "138****5678");
        // Landlines, hotlines, 索引号, dates and amounts are not mobiles.
        for t in ["021-23456789", "12345热线", "002421191K/2024-00025", "2024-05-13", "共计10000000000元", "1381234567"]
        {
            assert_eq!(kinds(t), [], "{t}");
        }
    }

    #[test]
    fn bank_cards_pass_luhn() {
        assert!(luhn("6222020200112233446") && !luhn("6222020200112233440"));
        assert_eq!(kinds("账号 6225 8812 3456 7898"), [Kind::BankCard]);
        assert_eq!(kinds("卡号6222020200112233446。"), [Kind::BankCard]);
        assert_eq!(kinds("账号 4111111111111111"), [Kind::BankCard]);
        assert_eq!(kinds("账号 4111111111111112"), []); // Luhn fails
        assert_eq!(kinds("统一社会信用代码 11310000002421191K"), []);
    }
}
