//! UTF-8 checks (simdutf8) of the bytes gazette turns into text: files as editors saved
//! them, and its own records and scratch read back.
//!
//! Why not `std::str::from_utf8`: its check takes a byte at a time through anything that
//! is not ASCII, and nearly everything gazette reads is Chinese. In a build after one body
//! edit at 10,000 documents it was 260 M of 1,669 M instructions (15.6%, callgrind): the
//! search record's excerpts, the bodies record's headings and answers, read back at every
//! build. simdutf8 checks a 64-byte block at a time with SIMD and agrees with std on what
//! is UTF-8 (its tests are std's, and ours compare the two below).

/// `bytes` as a `str`, when they are UTF-8.
pub(crate) fn str(bytes: &[u8]) -> Option<&str> {
    if bytes.len() >= BLOCK {
        return simdutf8::basic::from_utf8(bytes).ok();
    }
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8. (A link or an id a page names mostly is: the link gate
        // asks for some 50 a page, where a block's copy and check cost more.)
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    // simdutf8 hands what is shorter than its block to std, and most strings of the
    // records are short (a heading, a title). Padded with zeros to a block they are
    // checked as a block: a zero is ASCII, so the padding is UTF-8, and a character cut
    // short at the end is still cut short (a zero continues none).
    let mut block = [0u8; BLOCK];
    block[..bytes.len()].copy_from_slice(bytes);
    simdutf8::basic::from_utf8(&block).ok()?;
    // SAFETY: `bytes` followed by zeros are UTF-8, so `bytes` are (see above).
    Some(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// What simdutf8 checks at a time (`SIMD_CHUNK_SIZE`).
const BLOCK: usize = 64;

/// `bytes` as a `String` (no copy), or given back when they are not UTF-8.
pub(crate) fn string(bytes: Vec<u8>) -> Result<String, Vec<u8>> {
    if str(&bytes).is_none() {
        return Err(bytes);
    }
    // SAFETY: simdutf8 has just checked that `bytes` are UTF-8.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

/// Bytes gazette made as text (JSON it wrote), as a `String` without a copy; checked,
/// not taken on trust: should any not be UTF-8, they become U+FFFD.
pub(crate) fn lossy(bytes: Vec<u8>) -> String {
    string(bytes).unwrap_or_else(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// `#[serde(deserialize_with = "crate::utf8::de_string")]`: a `String` field checked by
/// [`str`]. In postcard's records (`cache::encode`) a string is written as bytes are (a
/// length, then the bytes), so it is read as bytes and checked here; JSON hands over a
/// string instead, checked already. YAML refuses to be asked for bytes: a field read
/// from YAML (front matter, the registries) must not take this.
pub(crate) fn de_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_bytes(Text)
}

/// [`de_string`] for a `Vec<String>` field: serde's own sequence, of strings read by it.
pub(crate) fn de_strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(serde::Deserialize)]
    struct Checked(#[serde(deserialize_with = "de_string")] String);
    let checked: Vec<Checked> = serde::Deserialize::deserialize(d)?;
    Ok(checked.into_iter().map(|Checked(s)| s).collect())
}

/// The visitor of [`de_string`].
struct Text;

impl<'de> serde::de::Visitor<'de> for Text {
    type Value = String;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a UTF-8 string")
    }
    fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<String, E> {
        str(b).map(str::to_owned).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Bytes(b), &self))
    }
    fn visit_byte_buf<E: serde::de::Error>(self, b: Vec<u8>) -> Result<String, E> {
        string(b).map_err(|b| E::invalid_value(serde::de::Unexpected::Bytes(&b), &self))
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<String, E> {
        Ok(s.to_owned())
    }
    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<String, E> {
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte strings at the edges of UTF-8: every length and place of a multi-byte
    /// character, cut short, overlong, surrogates, past U+10FFFF, and longer than the
    /// 64 bytes simdutf8 takes at a time.
    fn samples() -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"ascii only".to_vec(),
            "国务院办公厅关于印发".as_bytes().to_vec(),
            "é ß € 𝄞 😀".as_bytes().to_vec(),
            vec![0xC0, 0x80],
            vec![0xE0, 0x80, 0x80],
            vec![0xED, 0xA0, 0x80],
            vec![0xF4, 0x90, 0x80, 0x80],
            vec![0xF8, 0x88, 0x80, 0x80, 0x80],
            vec![0xFF],
            vec![0x80],
        ];
        // Cut at every byte, and each byte damaged, of strings shorter than a block,
        // of a block and of several.
        for long in [
            "第一条　为了规范",
            "第一条　为了规范行政规范性文件管理，",
            &"第一条　为了规范行政规范性文件管理，".repeat(9),
        ] {
            for cut in 0..long.len() {
                out.push(long.as_bytes()[..cut].to_vec());
                for flip in [0x40, 0x80, 0xC0] {
                    let mut bad = long.as_bytes().to_vec();
                    bad[cut] ^= flip;
                    out.push(bad);
                }
            }
        }
        out
    }

    #[test]
    fn utf8_is_what_std_says_it_is() {
        for b in samples() {
            let std = std::str::from_utf8(&b);
            assert_eq!(str(&b), std.ok(), "{b:x?}");
            assert_eq!(string(b.clone()).ok().as_deref(), std.ok(), "{b:x?}");
        }
    }

    #[test]
    fn record_strings_are_read_as_written_and_refused_when_not_utf8() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Rec {
            #[serde(deserialize_with = "de_string")]
            one: String,
            #[serde(deserialize_with = "de_strings")]
            many: Vec<String>,
        }
        let rec = Rec { one: "政策解读".into(), many: vec!["问".into(), String::new(), "答 a".into()] };
        let bytes = crate::cache::encode(&rec);
        assert_eq!(crate::cache::decode::<Rec>(&bytes), Some(rec));
        // The same through JSON, which hands over strings, not bytes.
        let json = r#"{"one":"通知","many":["甲","乙"]}"#;
        let rec: Rec = serde_json::from_str(json).expect("JSON");
        assert_eq!((rec.one.as_str(), rec.many), ("通知", vec!["甲".to_string(), "乙".to_string()]));
        // A byte of 通 damaged: the record is refused, as std would refuse it.
        let mut bad = crate::cache::encode(&Rec { one: "通知".into(), many: vec![] });
        let at = bad.iter().position(|&b| b == 0xE9).expect("通's first byte");
        bad[at + 1] = b'x';
        assert_eq!(crate::cache::decode::<Rec>(&bad), None);
        let mut bad = crate::cache::encode(&Rec { one: String::new(), many: vec!["知".into()] });
        let last = bad.len() - 1;
        bad[last] = 0xFF;
        assert_eq!(crate::cache::decode::<Rec>(&bad), None);
    }
}
