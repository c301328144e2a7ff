//! Text files as editors save them, for every reader of the site's files (config,
//! content, templates, import): UTF-8 with or without a byte-order mark, any line ends.

/// Decode file bytes as UTF-8 text: strip a BOM, turn CRLF/CR into LF. `None` if not UTF-8.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let s = crate::utf8::str(bytes)?;
    Some(if s.contains('\r') { s.replace("\r\n", "\n").replace('\r', "\n") } else { s.to_string() })
}
