//! ZIP packages (`.docx`, `.ofd`): the one module that knows the zip crate.
//!
//! Entries are read by name only, each capped in size when inflated (a zip bomb stops at
//! the cap), and names are taken as the package gives them: nothing is ever written to a
//! path from inside a package, so `..` in an entry name cannot escape.

use std::io::Read;

/// Largest inflated entry read: well above any real document part.
const MAX_ENTRY: u64 = 64 * 1024 * 1024;

pub struct Package {
    zip: zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
}

impl Package {
    pub fn open(bytes: Vec<u8>) -> Result<Package, String> {
        zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map(|zip| Package { zip })
            .map_err(|e| format!("not a ZIP package: {e}"))
    }

    /// An entry's bytes; `None` if there is no such entry (or it is over the cap).
    pub fn read(&mut self, name: &str) -> Option<Vec<u8>> {
        let name = name.trim_start_matches('/');
        let entry = self.zip.by_name(name).ok()?;
        let mut out = Vec::new();
        entry.take(MAX_ENTRY + 1).read_to_end(&mut out).ok()?;
        (out.len() as u64 <= MAX_ENTRY).then_some(out)
    }

    /// An entry's text (UTF-8, a BOM stripped).
    pub fn text(&mut self, name: &str) -> Option<String> {
        let bytes = self.read(name)?;
        crate::text::decode_text(&bytes)
    }
}

/// Join a package-relative reference to the folder of the part that makes it (ST_Loc in
/// OFD, relationship targets in Word): `/x` is from the root; `..` climbs.
pub fn join(base_dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> =
        if rel.starts_with('/') { Vec::new() } else { base_dir.split('/').filter(|p| !p.is_empty()).collect() };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// The folder of a part (`Doc_0/Document.xml` → `Doc_0`).
pub fn dir_of(part: &str) -> &str {
    part.rsplit_once('/').map_or("", |(d, _)| d)
}
