//! Dates as the contract writes them: `YYYY-MM-DD`, nothing else.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parse `YYYY-MM-DD`, checking the day exists (2023-02-29 does not).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || y == 0 {
            return None;
        }
        Some(Date { year: y as u16, month: m as u8, day: d as u8 })
    }

    /// Today in China Standard Time (UTC+8): the publishing offices' calendar, whatever
    /// time zone the CI machine runs in.
    pub fn today() -> Date {
        let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
        Date { year: now.year() as u16, month: now.month() as u8, day: now.day() }
    }

    /// `2024年5月10日`, as Chinese documents print dates.
    pub fn chinese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }

    /// RFC 3339 timestamp at midnight China time, for Atom and sitemaps.
    pub fn rfc3339(&self) -> String {
        format!("{self}T00:00:00+08:00")
    }
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`, digits written directly: every page shows several dates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.year > 9999 {
            return write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day);
        }
        let digit = |n: u16, place: u16| b'0' + (n / place % 10) as u8;
        let (y, m, d) = (self.year, self.month as u16, self.day as u16);
        let b = [
            digit(y, 1000),
            digit(y, 100),
            digit(y, 10),
            digit(y, 1),
            b'-',
            digit(m, 10),
            digit(m, 1),
            b'-',
            digit(d, 10),
            digit(d, 1),
        ];
        f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

/// Read back as written (cache records).
impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Date, String> {
        Date::parse(&s).ok_or(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn prints_as_written() {
        for s in ["2024-05-10", "0999-01-31", "2000-12-01"] {
            assert_eq!(Date::parse(s).expect(s).to_string(), s);
        }
        assert_eq!(Date { year: 12345, month: 1, day: 2 }.to_string(), "12345-01-02");
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Date::parse("2024-05-10").map(|d| d.to_string()), Some("2024-05-10".into()));
        assert!(Date::parse("2024-02-29").is_some());
        for bad in ["2023-02-29", "2024513", "2024-13-01", "2024-5-10", "2024-05-00", "２０２４-05-10"] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
    }
}
