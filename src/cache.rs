//! The incremental build cache (`.gazette-cache/pages-*.bin`): what each page of the
//! last build was rendered from, so the next build renders only the pages whose inputs
//! changed and takes the others over from the previous output.
//!
//! A page is a pure function of its template set, the site configuration (Tera's
//! `site` global) and its own context: the small per-page value the render stage builds
//! (`render::Renderer`). The cache keeps, per output path, a 64-bit XXH3 hash of the
//! context as JSON with the template's name, and the file as it was written (length and
//! modification time). A page is reused when its key is the same and the previous output
//! still holds that very file; anything else renders it again. The theme, the config and
//! the gazette version make up a fingerprint in the header: when it differs, the whole
//! cache is ignored. So a reused page is byte-identical to what a clean build writes, which
//! `tests/build_cache.rs` checks on a generated corpus.
//!
//! The link gate needs each page's targets and ids (`linkcheck::PageLinks`); they are
//! cached with the page, so a reused page is neither rendered nor scanned.
//!
//! The file format is private and versioned: unreadable, truncated or foreign files are
//! ignored (a cold build), never an error.

use crate::linkcheck::PageLinks;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use xxhash_rust::xxh3::Xxh3;

const MAGIC: &[u8] = b"gazette-page-cache-1\n";

/// A file as written: length and modification time, to recognise it in the next build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: u128,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::symlink_metadata(path).ok().filter(|m| m.is_file())?;
        let mtime_ns = m.modified().ok()?.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_nanos();
        Some(Stamp { len: m.len(), mtime_ns })
    }
}

/// One page of a build: its key, its file, what the gate keeps of it.
struct Entry {
    key: u64,
    stamp: Stamp,
    targets: Vec<(u64, u64)>,
    ids: Vec<u64>,
}

/// The previous build's pages (read at the start of the render stage) and the fingerprint
/// of this build's theme and configuration.
pub struct PageCache {
    file: PathBuf,
    fingerprint: u64,
    previous_output: PathBuf,
    old: HashMap<String, Entry>,
}

/// Feed bytes written by `serde_json` straight into the hasher (no intermediate string).
struct HashWriter<'a>(&'a mut Xxh3);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hash of a serialisable value as JSON (the same value always hashes the same).
pub fn hash_json<T: serde::Serialize>(h: &mut Xxh3, value: &T) -> bool {
    serde_json::to_writer(HashWriter(h), value).is_ok()
}

impl PageCache {
    /// The cache for building `root` into `out`. `fingerprint` covers everything all pages
    /// share (see `build`). The cache file is named after `name`, or the output folder
    /// when `None`, so two outputs never mix (`serve` names its throw-away folders
    /// `serve`, so they share one file instead of leaving one per session).
    pub fn open(root: &Path, out: &Path, name: Option<&str>, fingerprint: u64) -> PageCache {
        let abs = out.canonicalize().unwrap_or_else(|_| out.to_path_buf());
        let name = xxhash_rust::xxh3::xxh3_64(name.map_or_else(|| abs.to_string_lossy(), |n| n.into()).as_bytes());
        let file = root.join(".gazette-cache").join(format!("pages-{name:016x}.bin"));
        let old = std::fs::read(&file).ok().and_then(|b| parse(&b, fingerprint)).unwrap_or_default();
        PageCache { file, fingerprint, previous_output: out.to_path_buf(), old }
    }

    pub fn len(&self) -> usize {
        self.old.len()
    }

    pub fn is_empty(&self) -> bool {
        self.old.is_empty()
    }

    /// The key of a page: its template and context.
    pub fn key<T: serde::Serialize>(template: &str, ctx: &T) -> Option<u64> {
        let mut h = Xxh3::new();
        h.update(template.as_bytes());
        h.update(&[0]);
        hash_json(&mut h, ctx).then(|| h.digest())
    }

    /// Whether the previous output's `path` was rendered from `key` and is still the file
    /// the last build wrote.
    pub fn reusable(&self, path: &str, key: u64) -> bool {
        self.old.get(path).is_some_and(|e| e.key == key && Stamp::of(&self.previous_output.join(path)) == Some(e.stamp))
    }

    /// The gate's view of a reused page.
    pub fn links(&self, path: &str, blame: crate::diag::Loc) -> Option<PageLinks> {
        let e = self.old.get(path)?;
        Some(PageLinks::from_parts(path.to_string(), blame, e.targets.clone(), e.ids.clone()))
    }

    /// The previous build's stamp of `path` (a reused page keeps its file, so its stamp).
    pub fn stamp(&self, path: &str) -> Option<Stamp> {
        self.old.get(path).map(|e| e.stamp)
    }

    /// Write the cache for the build just committed: each page with its key and the stamp
    /// of its file (`None` for a page that cannot be cached). Best effort: a cache that
    /// cannot be written only makes the next build slower.
    pub fn save(&self, pages: &[PageLinks], meta: &[Option<(u64, Stamp)>]) {
        let mut b = Vec::with_capacity(64 + pages.len() * 512);
        let n = meta.iter().flatten().count();
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&self.fingerprint.to_le_bytes());
        b.extend_from_slice(&(n as u64).to_le_bytes());
        for (p, m) in pages.iter().zip(meta) {
            let Some((key, stamp)) = m else { continue };
            let (targets, ids) = p.parts();
            b.extend_from_slice(&(p.path.len() as u64).to_le_bytes());
            b.extend_from_slice(p.path.as_bytes());
            b.extend_from_slice(&key.to_le_bytes());
            b.extend_from_slice(&stamp.len.to_le_bytes());
            b.extend_from_slice(&stamp.mtime_ns.to_le_bytes());
            b.extend_from_slice(&(targets.len() as u64).to_le_bytes());
            for (t, f) in targets {
                b.extend_from_slice(&t.to_le_bytes());
                b.extend_from_slice(&f.to_le_bytes());
            }
            b.extend_from_slice(&(ids.len() as u64).to_le_bytes());
            for i in ids {
                b.extend_from_slice(&i.to_le_bytes());
            }
        }
        let Some(dir) = self.file.parent() else { return };
        let tmp = dir.join(format!(".pages-{}.tmp", std::process::id()));
        let ok = std::fs::create_dir_all(dir).is_ok()
            && std::fs::write(&tmp, &b).is_ok()
            && std::fs::rename(&tmp, &self.file).is_ok();
        if !ok {
            std::fs::remove_file(&tmp).ok();
        }
    }

    /// Forget the cache (after a build whose output was not committed).
    pub fn discard(&self) {
        std::fs::remove_file(&self.file).ok();
    }
}

/// Read a cache file; `None` when it is not one of ours, of another fingerprint, or cut short.
fn parse(b: &[u8], fingerprint: u64) -> Option<HashMap<String, Entry>> {
    let mut r = Reader { b, pos: 0 };
    if r.take(MAGIC.len())? != MAGIC || r.u64()? != fingerprint {
        return None;
    }
    let n = r.u64()? as usize;
    let mut map = HashMap::with_capacity(n.min(b.len() / 32));
    for _ in 0..n {
        let len = r.u64()? as usize;
        let path = std::str::from_utf8(r.take(len)?).ok()?.to_string();
        let key = r.u64()?;
        let stamp = Stamp { len: r.u64()?, mtime_ns: r.u128()? };
        let nt = r.u64()? as usize;
        let mut targets = Vec::with_capacity(nt.min(b.len() / 16));
        for _ in 0..nt {
            targets.push((r.u64()?, r.u64()?));
        }
        let ni = r.u64()? as usize;
        let mut ids = Vec::with_capacity(ni.min(b.len() / 8));
        for _ in 0..ni {
            ids.push(r.u64()?);
        }
        map.insert(path, Entry { key, stamp, targets, ids });
    }
    (r.pos == b.len()).then_some(map)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str) -> PageLinks {
        PageLinks::from_parts(path.into(), crate::diag::Loc::file("t"), vec![(1, 0), (2, 5)], vec![9])
    }

    #[test]
    fn round_trips_and_rejects_other_fingerprints_and_damage() {
        let d = tempfile::tempdir().expect("tmp");
        let c = PageCache::open(d.path(), &d.path().join("public"), None, 42);
        assert!(c.is_empty());
        let stamp = Stamp { len: 3, mtime_ns: 7 };
        c.save(&[page("a/index.html"), page("x.html"), page("b.html")], &[Some((1, stamp)), None, Some((2, stamp))]);
        let again = PageCache::open(d.path(), &d.path().join("public"), None, 42);
        assert_eq!(again.len(), 2);
        assert_eq!(again.old["b.html"].key, 2);
        assert_eq!(again.old["a/index.html"].targets, vec![(1, 0), (2, 5)]);
        assert!(PageCache::open(d.path(), &d.path().join("public"), None, 43).is_empty(), "other theme or config");
        assert!(PageCache::open(d.path(), &d.path().join("other"), None, 42).is_empty(), "other output folder");
        let bytes = std::fs::read(&c.file).expect("read");
        for cut in [0, MAGIC.len(), bytes.len() / 2, bytes.len() - 1] {
            assert!(parse(&bytes[..cut], 42).is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn keys_follow_the_context_and_template() {
        let a = PageCache::key("document.html", &serde_json::json!({"title": "甲", "n": 1}));
        assert_eq!(a, PageCache::key("document.html", &serde_json::json!({"title": "甲", "n": 1})));
        assert_ne!(a, PageCache::key("document.html", &serde_json::json!({"title": "乙", "n": 1})));
        assert_ne!(a, PageCache::key("page.html", &serde_json::json!({"title": "甲", "n": 1})));
    }
}
