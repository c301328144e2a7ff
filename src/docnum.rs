//! 发文字号 (document numbers): parsing and the canonical form.
//!
//! Real documents write the year bracket in half a dozen ways (`[2017]`, `（2023）`,
//! `【2023】`…), with stray spaces and the traditional 號. The contract accepts them all
//! with a warning and matches them as the canonical `代字〔年〕序号号`, so a REF written
//! either way finds the same document.

/// Result of reading a 发文字号 as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocNumber {
    /// Already canonical.
    Canonical(String),
    /// Accepted variant; carries the canonical form to show in the warning.
    Variant(String),
    /// Not a recognisable 发文字号.
    Invalid,
}

const OPEN: &[char] = &['〔', '[', '［', '(', '（', '【', '﹝'];
const CLOSE: &[char] = &['〕', ']', '］', ')', '）', '】', '﹞'];

/// Read a 发文字号. Recognises `代字〔年〕序号号` in any accepted bracket form and the
/// 令 form `国令第845号`.
pub fn parse(raw: &str) -> DocNumber {
    // (Most are written without spaces or 號: then taken as they are, not copied a
    // character at a time; every build reads every document's.)
    let dropped = |c: char| c.is_whitespace() || c == '\u{3000}';
    let compact: std::borrow::Cow<str> = match raw.contains(|c| dropped(c) || c == '號') {
        false => raw.into(),
        true => {
            raw.chars().filter(|&c| !dropped(c)).map(|c| if c == '號' { '号' } else { c }).collect::<String>().into()
        }
    };
    let Some(canon) = canonical_of(&compact) else {
        return DocNumber::Invalid;
    };
    if canon == raw {
        DocNumber::Canonical(canon)
    } else {
        DocNumber::Variant(canon)
    }
}

/// The canonical form, or `None` if `raw` is no 发文字号. Used to match REFs.
pub fn canonical(raw: &str) -> Option<String> {
    match parse(raw) {
        DocNumber::Canonical(s) | DocNumber::Variant(s) => Some(s),
        DocNumber::Invalid => None,
    }
}

/// The year of a 发文字号 (`沪府发〔2024〕5号` → 2024); `None` for the 令 form or text that
/// is no 发文字号.
pub fn year(raw: &str) -> Option<u16> {
    let c = canonical(raw)?;
    let (_, rest) = c.split_once('〔')?;
    rest.split_once('〕')?.0.parse().ok()
}

fn canonical_of(s: &str) -> Option<String> {
    let body = s.strip_suffix('号')?;
    if let Some(open) = s.find(OPEN) {
        let prefix = &s[..open];
        let rest = &body[open..];
        let mut chars = rest.chars();
        chars.next(); // the opening bracket
        let rest = chars.as_str();
        let close = rest.find(CLOSE)?;
        let year = &rest[..close];
        let serial = rest[close..].chars().skip(1).collect::<String>();
        if prefix.is_empty()
            || prefix.contains(CLOSE)
            || year.len() != 4
            || !year.chars().all(|c| c.is_ascii_digit())
            || serial.is_empty()
            || !serial.chars().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let serial = serial.trim_start_matches('0');
        if serial.is_empty() {
            return None;
        }
        return Some(format!("{prefix}〔{year}〕{serial}号"));
    }
    // 令 form: 国令第845号, 上海市人民政府令第1号
    let (prefix, num) = body.rsplit_once('第')?;
    if !prefix.ends_with('令') || num.is_empty() || !num.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let num = num.trim_start_matches('0');
    if num.is_empty() {
        return None;
    }
    Some(format!("{prefix}第{num}号"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(parse("沪府办发〔2023〕5号"), DocNumber::Canonical("沪府办发〔2023〕5号".into()));
        for v in [
            "沪府办发[2023]5号",
            "沪府办发［2023］5号",
            "沪府办发(2023)5号",
            "沪府办发（2023）5号",
            "沪府办发【2023】5号",
            "沪府办发﹝2023﹞5号",
            "沪府办发 〔2023〕 5 号",
            "沪府办发〔2023〕05號",
        ] {
            assert_eq!(parse(v), DocNumber::Variant("沪府办发〔2023〕5号".into()), "{v}");
        }
        assert_eq!(parse("国令第845号"), DocNumber::Canonical("国令第845号".into()));
        assert_eq!(parse("国令第 0845 号"), DocNumber::Variant("国令第845号".into()));
    }

    #[test]
    fn invalid_forms() {
        for v in ["沪府办字〔20245号", "沪府办发〔23〕5号", "〔2023〕5号", "沪府办发〔2023〕号", "随便", "", "第5号"]
        {
            assert_eq!(parse(v), DocNumber::Invalid, "{v}");
        }
    }
}
