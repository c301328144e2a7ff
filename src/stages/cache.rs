//! The incremental build cache (`.gazette-cache/pages-*.bin`): what each page of the
//! last build was rendered from, so the next build renders only the pages whose inputs
//! changed and takes the others over from the previous output.
//!
//! A page is a pure function of its template set, the site configuration (Tera's
//! `site` global) and its own context: the small per-page value the render stage builds
//! (`render::Renderer`). The cache keeps, per output path, a 64-bit XXH3 hash of the
//! context (postcard bytes) with its template's key (the text of the template and of every
//! template it may use, `theme::Theme::template_key`), and the file as it was written
//! (length and modification time). A page is reused when its key is the same and the
//! previous output still holds that very file; anything else renders it again. The config
//! (`site`), `minify` and the gazette binary make up a fingerprint in the header: when it
//! differs, the whole cache is ignored. So a reused page is byte-identical to what a clean
//! build writes, which `tests/build_cache.rs` checks on a generated corpus.
//!
//! The link gate needs each page's targets and ids (`linkcheck::PageLinks`); they are
//! cached with the page, so a reused page is neither rendered nor scanned.
//!
//! The file format is private and versioned: unreadable, truncated or foreign files are
//! ignored (a cold build), never an error.

use crate::hash::FastMap;
use crate::hash::Hasher as Xxh3;
use crate::linkcheck::{PageLinks, Parts};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

const MAGIC: &[u8] = b"gazette-page-cache-4\n";

/// A file as written: length and modification time, to recognise it in the next build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: u128,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        Stamp::from_metadata(&std::fs::symlink_metadata(path).ok()?)
    }

    /// The stamp of a file whose metadata is at hand (a file just written).
    pub fn from_metadata(m: &std::fs::Metadata) -> Option<Stamp> {
        let mtime_ns = m.modified().ok()?.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_nanos();
        m.is_file().then_some(Stamp { len: m.len(), mtime_ns })
    }

    /// Whether this stamp, seen when a file was read at `read_at_ns`, can vouch for the
    /// bytes read then: the file had not been modified for a while. A file saved again
    /// within its file system's time resolution (a second or two on some) with the same
    /// length keeps its stamp; so, as git does for its index, a stamp too close to the
    /// moment of reading is not trusted and the file is read again next time.
    pub fn settled(&self, read_at_ns: u128) -> bool {
        settled(self.mtime_ns, read_at_ns)
    }
}

/// Whether a modification time seen at `seen_at_ns` is far enough before it to be
/// trusted (see [`Stamp::settled`]; also folders' times, `output::Folders`).
pub fn settled(mtime_ns: u128, seen_at_ns: u128) -> bool {
    const RACY_NS: u128 = 3_000_000_000;
    mtime_ns + RACY_NS < seen_at_ns
}

/// Now, in nanoseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ns() -> u128 {
    ns_of(SystemTime::now())
}

/// A time in nanoseconds since the Unix epoch (0 if it is before it).
pub fn ns_of(t: SystemTime) -> u128 {
    t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// What a page was rendered from, for the next build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keys {
    /// Its template and context: equal keys, equal pages.
    pub page: u64,
    /// A hash of what its context is made from (`render::deps`), for the page kinds that
    /// have one: equal inputs, equal context, so the page is taken over without building
    /// its context at all. 0: none.
    pub inputs: u64,
}

/// One page of the previous build: its keys, its file, and where the gate's view of it
/// starts in the cache file (decoded only for pages that are reused).
struct Entry {
    key: u64,
    inputs: u64,
    stamp: Stamp,
    links_at: usize,
}

/// The previous build's cache file, indexed.
#[derive(Default)]
struct Old {
    data: std::sync::Arc<Vec<u8>>,
    /// By the page's path as `output::Known` knows files (`Known::key`): not a copy of
    /// every path (150,000 at 100,000 documents) made on each rebuild.
    entries: FastMap<u64, Entry>,
}

/// A group of site files made together from one key (see [`PageCache::reuse_group`]):
/// the key, each file with the stamp it was written with, and what their maker keeps for
/// the next build beside them (`extra`: where the catalogue's entries sit in its files,
/// see `feeds::catalog`).
struct Group {
    key: u64,
    files: Vec<(String, Stamp)>,
    extra: std::sync::Arc<Vec<u8>>,
}

/// A group the previous build made, whose files are still the ones it wrote (see
/// [`PageCache::previous_group`]).
pub struct Carried {
    files: Vec<(String, Stamp)>,
    pub extra: std::sync::Arc<Vec<u8>>,
    output: PathBuf,
}

impl Carried {
    /// The previous output's file `path` of the group, open for reading.
    pub fn open(&self, path: &str) -> Option<std::fs::File> {
        if !self.files.iter().any(|(p, _)| p == path) {
            return None;
        }
        std::fs::File::open(self.output.join(path)).ok()
    }
}

/// A group's files, each with the stamp it was written with.
pub type GroupFiles = Vec<(String, Stamp)>;

/// The previous build's groups by name, and this build's.
type Groups = (FastMap<String, Group>, Vec<(String, Group)>);

/// The previous build's pages (read at the start of the render stage) and the fingerprint
/// of this build's theme and configuration.
pub struct PageCache {
    file: PathBuf,
    fingerprint: u64,
    previous_output: PathBuf,
    old: RwLock<Old>,
    /// The output's files as this process last left them (`serve`), to look a page's
    /// stamp up instead of asking the file system.
    listing: Option<std::sync::Arc<crate::output::Known>>,
    /// Groups of site files by name: the previous build's (kept past [`PageCache::release`]:
    /// site files are written after the pages) and this build's.
    groups: Mutex<Groups>,
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

/// postcard output fed into the hasher, small pieces (varints, short strings) gathered
/// in a buffer first: a streaming hasher's per-call cost outweighs hashing a few bytes.
struct HashFlavor {
    h: Xxh3,
    buf: [u8; 256],
    len: usize,
}

impl HashFlavor {
    fn new(h: Xxh3) -> Self {
        HashFlavor { h, buf: [0; 256], len: 0 }
    }
    fn flush(&mut self) {
        self.h.update(&self.buf[..self.len]);
        self.len = 0;
    }
}

impl postcard::ser_flavors::Flavor for HashFlavor {
    type Output = u64;
    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        if self.len == self.buf.len() {
            self.flush();
        }
        self.buf[self.len] = b;
        self.len += 1;
        Ok(())
    }
    fn try_extend(&mut self, b: &[u8]) -> postcard::Result<()> {
        if self.len + b.len() > self.buf.len() {
            self.flush();
        }
        if b.len() > self.buf.len() / 2 {
            self.h.update(b);
        } else {
            self.buf[self.len..self.len + b.len()].copy_from_slice(b);
            self.len += b.len();
        }
        Ok(())
    }
    fn finalize(mut self) -> postcard::Result<u64> {
        self.flush();
        Ok(self.h.digest())
    }
}

/// The cache folder: `--cache-dir` / `GAZETTE_CACHE_DIR` when given (CI layouts keep
/// caches outside the checkout), else `.gazette-cache/` in the site root.
pub fn folder(root: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(|| root.join(".gazette-cache"), Path::to_path_buf)
}

impl PageCache {
    /// The cache in folder `dir` (see [`folder`]) for building into `out`. `fingerprint` covers everything all pages
    /// share (see `build`). The cache file is named after `name`, or the output folder
    /// when `None`, so two outputs never mix (`serve` names its throw-away folders
    /// `serve`; it reads the file of its output, if any, for its first build, then hands
    /// each build's cache to the next in memory and writes none).
    ///
    /// `kept`: the bytes the last build in this process made of it (`serve`), instead of
    /// reading the file.
    pub fn open(
        dir: &Path,
        out: &Path,
        name: Option<&str>,
        fingerprint: u64,
        kept: Option<std::sync::Arc<Vec<u8>>>,
    ) -> PageCache {
        let file = dir.join(format!("pages-{:016x}.bin", output_id(out, name)));
        let (old, groups) = kept
            .or_else(|| std::fs::read(&file).ok().map(std::sync::Arc::new))
            .and_then(|data| {
                let (entries, groups) = index(&data, fingerprint)?;
                Some((Old { entries, data }, groups))
            })
            .unwrap_or_default();
        PageCache {
            file,
            fingerprint,
            previous_output: out.to_path_buf(),
            old: RwLock::new(old),
            listing: None,
            groups: Mutex::new((groups, Vec::new())),
        }
    }

    /// The files of site-file group `name` (the catalogue, the finder: files made
    /// together from the whole library), when the previous build made them from `key`
    /// (0: none) and each is still the file it wrote: their paths and stamps, to be kept
    /// as they are instead of made again. A key covers everything the files are made
    /// from; the cache's fingerprint covers the binary and the configuration.
    /// With them, what their maker kept beside them.
    pub fn reuse_group(&self, name: &str, key: u64) -> Option<(GroupFiles, std::sync::Arc<Vec<u8>>)> {
        let same = |g: &Group| key != 0 && g.key == key;
        if !self.groups.lock().unwrap_or_else(|e| e.into_inner()).0.get(name).is_some_and(same) {
            return None;
        }
        self.previous_group(name).map(|carried| (carried.files, carried.extra))
    }

    /// Group `name` as the previous build made it, whatever it was made from, when each of
    /// its files is still the file it wrote: a maker may take parts of them over.
    pub fn previous_group(&self, name: &str) -> Option<Carried> {
        let groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let g = groups.0.get(name)?;
        g.files.iter().all(|(path, stamp)| self.stamp_now(path) == Some(*stamp)).then(|| Carried {
            files: g.files.clone(),
            extra: g.extra.clone(),
            output: self.previous_output.clone(),
        })
    }

    /// The stamp of the previous output's `path` now (`output::stamp_now`).
    fn stamp_now(&self, path: &str) -> Option<Stamp> {
        crate::output::stamp_now(self.listing.as_deref(), Some(&self.previous_output), path)
    }

    /// Record that this build's group `name` was made from `key` into `files` (with
    /// `extra`, its maker's own), for the next build.
    pub fn made_group(&self, name: &str, key: u64, files: Vec<(String, Stamp)>, extra: std::sync::Arc<Vec<u8>>) {
        let group = Group { key, files, extra };
        self.groups.lock().unwrap_or_else(|e| e.into_inner()).1.push((name.to_string(), group));
    }

    /// Take the stamps of the previous output's files from `listing` (see
    /// `output::Staging::listing`).
    pub fn with_listing(mut self, listing: Option<std::sync::Arc<crate::output::Known>>) -> Self {
        self.listing = listing;
        self
    }

    fn old(&self) -> std::sync::RwLockReadGuard<'_, Old> {
        self.old.read().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.old().entries.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forget the previous build once the render stage is over (at 100,000 documents the
    /// file is a hundred megabytes); later lookups find nothing.
    pub fn release(&self) {
        *self.old.write().unwrap_or_else(|e| e.into_inner()) = Old::default();
    }

    /// The key of a page: its template and context. The context is hashed in postcard's
    /// compact binary form (length-prefixed strings, no escaping): a page's body is hashed
    /// as it is, three times faster than as JSON text.
    pub fn key<T: serde::Serialize>(template: u64, ctx: &T) -> Option<u64> {
        let mut h = Xxh3::new();
        h.update(&template.to_le_bytes());
        postcard::serialize_with_flavor(ctx, HashFlavor::new(h)).ok()
    }

    /// The previous output's `path`, when it was rendered from `key` and is still the file
    /// the last build wrote: the gate's view of it (`PageLinks::from_parts`, with the
    /// caller's path and blame) and its file's stamp (a reused page keeps its file).
    /// `None` means render the page: a new key, a changed or missing file, or an entry
    /// that cannot be decoded.
    pub fn reuse(&self, path: &str, key: u64) -> Option<(Parts, Stamp)> {
        self.reuse_if(path, |e| e.key == key).map(|(_, parts, stamp)| (parts, stamp))
    }

    /// Like [`PageCache::reuse`], for a page whose context was made from `inputs` (see
    /// [`Keys::inputs`]); also returns the page's key, for the next build.
    pub fn reuse_inputs(&self, path: &str, inputs: u64) -> Option<(u64, Parts, Stamp)> {
        self.reuse_if(path, |e| inputs != 0 && e.inputs == inputs)
    }

    fn reuse_if(&self, path: &str, same: impl Fn(&Entry) -> bool) -> Option<(u64, Parts, Stamp)> {
        let old = self.old();
        let e = old.entries.get(&crate::output::Known::key(path)).filter(|e| same(e))?;
        if self.stamp_now(path) != Some(e.stamp) {
            return None;
        }
        Some((e.key, links_at(&old.data, e.links_at)?, e.stamp))
    }

    /// Whether the previous build wrote a page at `path` and every element id it had is
    /// still among `ids` (the page's ids now, sorted): no link to it that passed the last
    /// build's gate can fail for want of an id (see `linkcheck::check`). `false` for a
    /// page it did not write, or an entry that cannot be decoded.
    pub fn kept_ids(&self, path: &str, ids: &[u64]) -> bool {
        let old = self.old();
        let before = old.entries.get(&crate::output::Known::key(path)).and_then(|e| links_at(&old.data, e.links_at));
        before.is_some_and(|parts| crate::linkcheck::keeps_ids(parts.ids, ids))
    }

    /// Write the cache for the build just committed, as [`PageCache::encode`] makes it,
    /// straight to its file: held whole (some 80 MB at 100,000 documents) beside the
    /// finished site, it was a build's peak of memory. Best effort: a cache that cannot
    /// be written only makes the next build slower.
    pub fn save(&self, pages: &[PageLinks], meta: &[Option<(Keys, Stamp)>]) {
        write_atomically_with(&self.file, |w| self.encode_into(w, pages, meta));
    }

    /// The cache for the build just committed, as [`PageCache::save`] writes it (serve
    /// hands the bytes to its next build): each page with its keys and the stamp of its
    /// file (`None` for a page that cannot be cached), and the groups of site files; put
    /// together in `b` (emptied first: serve hands back the last build's, whose memory is
    /// mapped already; fresh, the ~80 MB at 100,000 documents were faulted in, and copied
    /// once as the vector grew, on every rebuild).
    pub fn encode(&self, pages: &[PageLinks], meta: &[Option<(Keys, Stamp)>], mut b: Vec<u8>) -> Vec<u8> {
        b.clear();
        b.reserve(64 + pages.len() * 512);
        // (Writing to a vector cannot fail.)
        self.encode_into(&mut b, pages, meta).ok();
        b
    }

    fn encode_into(
        &self,
        w: &mut dyn std::io::Write,
        pages: &[PageLinks],
        meta: &[Option<(Keys, Stamp)>],
    ) -> std::io::Result<()> {
        // Each page's bytes are put together here, then written at once.
        let mut b = Vec::with_capacity(4096);
        let n = meta.iter().flatten().count();
        b.extend_from_slice(MAGIC);
        b.extend_from_slice(&self.fingerprint.to_le_bytes());
        b.extend_from_slice(&(n as u64).to_le_bytes());
        for (p, m) in pages.iter().zip(meta) {
            let Some((keys, stamp)) = m else { continue };
            let (targets, frags, ids) = p.parts();
            b.extend_from_slice(&(p.path.len() as u64).to_le_bytes());
            b.extend_from_slice(p.path.as_bytes());
            b.extend_from_slice(&keys.page.to_le_bytes());
            b.extend_from_slice(&keys.inputs.to_le_bytes());
            b.extend_from_slice(&stamp.len.to_le_bytes());
            b.extend_from_slice(&stamp.mtime_ns.to_le_bytes());
            b.extend_from_slice(&(targets.len() as u64).to_le_bytes());
            for t in targets {
                b.extend_from_slice(&t.to_le_bytes());
            }
            b.extend_from_slice(&(frags.len() as u64).to_le_bytes());
            for (t, f) in frags {
                b.extend_from_slice(&t.to_le_bytes());
                b.extend_from_slice(&f.to_le_bytes());
            }
            b.extend_from_slice(&(ids.len() as u64).to_le_bytes());
            for i in ids {
                b.extend_from_slice(&i.to_le_bytes());
            }
            w.write_all(&b)?;
            b.clear();
        }
        let groups = std::mem::take(&mut self.groups.lock().unwrap_or_else(|e| e.into_inner()).1);
        let str = |b: &mut Vec<u8>, s: &str| {
            b.extend_from_slice(&(s.len() as u64).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
        };
        b.extend_from_slice(&(groups.len() as u64).to_le_bytes());
        for (name, g) in &groups {
            str(&mut b, name);
            b.extend_from_slice(&g.key.to_le_bytes());
            b.extend_from_slice(&(g.files.len() as u64).to_le_bytes());
            for (path, stamp) in &g.files {
                str(&mut b, path);
                b.extend_from_slice(&stamp.len.to_le_bytes());
                b.extend_from_slice(&stamp.mtime_ns.to_le_bytes());
            }
            b.extend_from_slice(&(g.extra.len() as u64).to_le_bytes());
            b.extend_from_slice(&g.extra);
        }
        w.write_all(&b)
    }
}

/// Write a cache file whole or not at all (a temporary file renamed over it), the bytes
/// written by `write` through a buffer, so a large record need not be held whole in
/// memory first. Best effort: a cache that cannot be written only makes the next build
/// slower.
pub fn write_atomically_with(file: &Path, write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) {
    let Some(dir) = file.parent() else { return };
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}-{}.tmp", std::process::id()));
    remove_leftovers(file, &format!(".{name}-"), ".tmp", &tmp);
    let written = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&tmp, file)
    };
    if written().is_err() {
        std::fs::remove_file(&tmp).ok();
    }
}

/// A cache record of many entries, spread over [`SHARDS`] files by each entry's key, each
/// file behind a fingerprint of what its entries are valid for (the binary, and whatever
/// else the caller says) and closed by their count. A build that changed a few entries
/// writes the few shards that hold them, not the whole record (at 100,000 documents the
/// content record is 106 MB). The shards are read in parallel.
///
/// For records of inputs, not of the output (`load::Record`, `bodies::Record`): every
/// entry is valid on its own, so shards of different builds mix safely, and a shard is
/// written whole, beside the old one, renamed over it: on a thread of its own while the
/// build goes on ([`RecordFile::save`]; dropping the record waits for that write), or on
/// the thread pool, encoded as it is written ([`RecordFile::save_encoding`]).
pub struct RecordFile {
    /// The shards are `<base>-NN.bin`.
    base: PathBuf,
    fingerprint: u64,
    /// Entries each shard held when read (0 when missing or not whole).
    counts: std::sync::Mutex<Vec<usize>>,
    saving: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Shards of a [`RecordFile`].
pub const SHARDS: usize = 64;

/// The shards of a [`RecordFile`] as read, each (when whole) with the fingerprint it was
/// written for and its entries.
pub type ReadShards<T> = Vec<Option<(u64, Vec<T>)>>;

/// Shard `s` of the record at `base`: `<base>-NN.bin`.
fn shard_path(base: &Path, s: usize) -> PathBuf {
    let mut name = base.file_name().unwrap_or_default().to_os_string();
    name.push(format!("-{s:02}.bin"));
    base.with_file_name(name)
}

/// A shard's fingerprint and entries; `None` when it is missing, not whole or, when
/// `want` says which, of another fingerprint (then its entries are not decoded).
fn read_shard<T: serde::de::DeserializeOwned>(path: &Path, want: Option<u64>) -> Option<(u64, Vec<T>)> {
    let data = std::fs::read(path).ok()?;
    let (head, rest) = data.split_first_chunk::<8>()?;
    let (mut rest, tail) = rest.split_last_chunk::<8>()?;
    if want.is_some_and(|fp| fp != u64::from_le_bytes(*head)) {
        return None;
    }
    let mut entries = Vec::new();
    while !rest.is_empty() {
        let (entry, after) = decode_first(rest)?;
        entries.push(entry);
        rest = after;
    }
    (entries.len() as u64 == u64::from_le_bytes(*tail)).then_some((u64::from_le_bytes(*head), entries))
}

impl RecordFile {
    /// The record whose shards are `<base>-NN.bin`.
    pub fn new(base: PathBuf, fingerprint: u64) -> RecordFile {
        RecordFile { base, fingerprint, counts: Default::default(), saving: Default::default() }
    }

    /// The shard an entry with this key lives in.
    pub fn shard(key: u64) -> usize {
        (key % SHARDS as u64) as usize
    }

    /// Every entry of every whole shard of this fingerprint, handed to `each` (shard by
    /// shard); a shard missing, of another fingerprint or not whole hands over nothing.
    pub fn read<T: serde::de::DeserializeOwned + Send>(&self, each: impl FnMut(T)) {
        use rayon::prelude::*;
        let want = Some(self.fingerprint);
        let shards = (0..SHARDS).into_par_iter().map(|s| read_shard(&shard_path(&self.base, s), want)).collect();
        self.read_from(shards, each)
    }

    /// Every whole shard of the record at `base`, with the fingerprint it was written
    /// for, whatever that is, one after another on the calling thread: for a caller that
    /// knows the fingerprint only later and reads ahead on a thread of its own (see
    /// `load::Record::read_ahead`), then [`RecordFile::read_from`]. (Not on the thread
    /// pool, whose threads the build's own stages need meanwhile.)
    pub fn read_any<T: serde::de::DeserializeOwned>(base: &Path) -> ReadShards<T> {
        (0..SHARDS).map(|s| read_shard(&shard_path(base, s), None)).collect()
    }

    /// [`RecordFile::read`] of shards read already ([`RecordFile::read_any`]).
    pub fn read_from<T>(&self, shards: ReadShards<T>, mut each: impl FnMut(T)) {
        let shards: Vec<Vec<T>> = shards
            .into_iter()
            .map(|s| s.filter(|(fingerprint, _)| *fingerprint == self.fingerprint).map(|s| s.1).unwrap_or_default())
            .collect();
        *self.counts.lock().unwrap_or_else(|e| e.into_inner()) = shards.iter().map(Vec::len).collect();
        shards.into_iter().flatten().for_each(&mut each);
    }

    /// Which shards must be written for a build whose entries are `entries` (each
    /// entry's key, and whether it is the entry read back unchanged): a shard with a new
    /// or changed entry, or with another number of entries than was read.
    pub fn changed(&self, entries: impl Iterator<Item = (u64, bool)>) -> Shards {
        let read = self.counts.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut count = vec![0usize; SHARDS];
        let mut changed = vec![false; SHARDS];
        for (key, same) in entries {
            let s = Self::shard(key);
            count[s] += 1;
            changed[s] |= !same;
        }
        for s in 0..SHARDS {
            changed[s] |= count[s] != read.get(s).copied().unwrap_or(0);
        }
        Shards(changed)
    }

    /// Write the shards in `changed`, from `entries` (key and [`encode`]d entry; those of
    /// other shards are passed over: callers encode only what [`Shards::holds`]), on a
    /// thread of its own.
    pub fn save(&self, changed: Shards, entries: impl Iterator<Item = (u64, Vec<u8>)> + Send + 'static) {
        let Shards(changed) = changed;
        if !changed.contains(&true) {
            return;
        }
        let paths: Vec<PathBuf> = (0..SHARDS).map(|s| shard_path(&self.base, s)).collect();
        let fingerprint = self.fingerprint;
        let write = move || {
            for (s, entries) in by_shard(&changed, entries) {
                write_shard(&paths[s], fingerprint, &entries);
            }
        };
        // Best effort, as every cache: without the thread, the next build does more.
        if let Ok(handle) = std::thread::Builder::new().name("cache-record".into()).spawn(write) {
            let mut saving = self.saving.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(earlier) = saving.replace(handle) {
                earlier.join().ok();
            }
        }
    }

    /// Write the shards in `changed` now, on the thread pool: `entries` are each entry's
    /// key and its number for `encode`, and each shard's entries are encoded as the shard
    /// is written. For the content record, whose entries are every file's front matter
    /// parsed (106 MB at 100,000 documents): encoded all at once for [`RecordFile::save`]
    /// they were held beside every loaded item and its Markdown, a cold build's peak of
    /// memory; here two shards at a time are (2 × 1.7 MB).
    pub fn save_encoding(
        &self,
        changed: Shards,
        entries: impl Iterator<Item = (u64, usize)>,
        encode: impl Fn(usize) -> Vec<u8> + Sync,
    ) {
        use rayon::prelude::*;
        let Shards(changed) = changed;
        by_shard(&changed, entries).into_par_iter().for_each(|(s, numbers)| {
            let entries: Vec<Vec<u8>> = numbers.into_iter().map(&encode).collect();
            write_shard(&shard_path(&self.base, s), self.fingerprint, &entries);
        });
    }
}

/// The entries of each shard to be written (`changed`), by their keys, with the shard's
/// number; those of other shards are passed over.
fn by_shard<T>(changed: &[bool], entries: impl Iterator<Item = (u64, T)>) -> Vec<(usize, Vec<T>)> {
    let mut shards: Vec<Vec<T>> = (0..SHARDS).map(|_| Vec::new()).collect();
    for (key, entry) in entries {
        let s = RecordFile::shard(key);
        if changed[s] {
            shards[s].push(entry);
        }
    }
    shards.into_iter().enumerate().filter(|(s, _)| changed[*s]).collect()
}

/// Write one shard of a [`RecordFile`] whole: beside it, then renamed over it; with no
/// entries, no file (nor what a killed build left beside it).
fn write_shard(path: &Path, fingerprint: u64, entries: &[Vec<u8>]) {
    if entries.is_empty() {
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        remove_leftovers(path, &format!(".{name}-"), ".tmp", Path::new(""));
        std::fs::remove_file(path).ok();
        return;
    }
    write_atomically_with(path, |w| {
        w.write_all(&fingerprint.to_le_bytes())?;
        for e in entries {
            w.write_all(e)?;
        }
        w.write_all(&(entries.len() as u64).to_le_bytes())
    });
}

/// The shards of a [`RecordFile`] a build writes ([`RecordFile::changed`]).
#[derive(Clone)]
pub struct Shards(Vec<bool>);

impl Shards {
    /// Whether the entry with this key is in a shard to be written (only those entries
    /// need encoding).
    pub fn holds(&self, key: u64) -> bool {
        self.0[RecordFile::shard(key)]
    }
}

impl Drop for RecordFile {
    fn drop(&mut self) {
        if let Some(handle) = self.saving.lock().unwrap_or_else(|e| e.into_inner()).take() {
            handle.join().ok();
        }
    }
}

/// Remove what killed builds left beside cache file `file` while writing it: files
/// named `prefix…suffix` other than `ours`. Without this, every build killed while
/// writing a record would leave up to a hundred megabytes behind for good. A cache file
/// is named after its output, so such a file is a dead build's, or, if two builds of one
/// output run at once (only their commits take turns, under `output::OutputLock`), the
/// other's, whose write then fails: as every cache write, best effort.
pub fn remove_leftovers(file: &Path, prefix: &str, suffix: &str, ours: &Path) {
    let Some(dir) = file.parent() else { return };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(suffix) && e.path() != ours {
            std::fs::remove_file(e.path()).ok();
        }
    }
}

/// A cache record in postcard's binary form.
pub fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).unwrap_or_default()
}

/// [`encode`], written to `w` as it is made.
pub fn encode_to<T: serde::Serialize>(value: &T, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    postcard::to_io(value, w).map(drop).map_err(std::io::Error::other)
}

/// A cache record back; `None` for anything that is not a whole record of this shape.
pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

/// The first of records written one after another ([`encode`]d each), and the bytes after it.
pub fn decode_first<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<(T, &[u8])> {
    postcard::take_from_bytes(bytes).ok()
}

/// What names one output's cache files: its given name (`serve`), else a hash of the
/// output folder's absolute path, so two outputs never mix.
pub fn output_id(out: &Path, name: Option<&str>) -> u64 {
    let abs = absolute(out);
    crate::hash::of(name.map_or_else(|| abs.to_string_lossy(), |n| n.into()).as_bytes())
}

/// What identifies this gazette binary for the build cache: a hash of its own executable
/// file. Pages cached by another build of gazette (a changed filter, template helper or
/// rendering rule, even with the same version number) are then never reused. When the
/// executable cannot be read, a value unique to this process: nothing is reused.
pub fn binary_fingerprint() -> u64 {
    static FP: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *FP.get_or_init(|| {
        // Streamed in chunks: the executable is tens of megabytes.
        let hash_file = |path: PathBuf| -> std::io::Result<u64> {
            use std::io::Read;
            let mut f = std::fs::File::open(path)?;
            let mut h = Xxh3::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    return Ok(h.digest());
                }
                h.update(&buf[..n]);
            }
        };
        match std::env::current_exe().and_then(hash_file) {
            Ok(fp) => fp,
            Err(_) => crate::hash::of(format!("{}:{}", std::process::id(), now_ns()).as_bytes()),
        }
    })
}

/// A cache record being read on a thread of its own, for a later stage: at 100,000
/// documents each of the bodies, page and search records takes 0.1–0.2 s to read, and
/// `resolve`, which runs before the stages that need them, is mostly serial.
pub struct Ahead<T>(Mutex<Option<std::thread::JoinHandle<T>>>);

impl<T: Send + 'static> Ahead<T> {
    /// Start `read` now (nothing, should no thread start: `take` then finds nothing and
    /// its caller reads the record itself).
    pub fn start(read: impl FnOnce() -> T + Send + 'static) -> Ahead<T> {
        Ahead(Mutex::new(std::thread::Builder::new().name("cache-read".into()).spawn(read).ok()))
    }

    pub fn none() -> Ahead<T> {
        Ahead(Mutex::new(None))
    }

    /// What the thread read, waiting for it; once.
    pub fn take(&self) -> Option<T> {
        let handle = self.0.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        handle.join().ok()
    }
}

/// Start computing [`binary_fingerprint`] on a thread of its own, so reading the
/// executable overlaps with loading the site instead of delaying the render stage.
pub fn warm_binary_fingerprint() {
    std::thread::spawn(binary_fingerprint);
}

/// The output folder as one absolute, canonical path, whether or not it exists yet (a
/// first build into `public/` and the next one must name the same cache file).
fn absolute(out: &Path) -> PathBuf {
    if let Ok(p) = out.canonicalize() {
        return p;
    }
    let abs = if out.is_absolute() { out.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(out) };
    match (abs.parent().and_then(|p| p.canonicalize().ok()), abs.file_name()) {
        (Some(parent), Some(name)) => parent.join(name),
        _ => abs,
    }
}

/// Index a cache file: each page's key, stamp and where its links start. `None` when it is
/// not one of ours, of another fingerprint, or cut short.
fn index(b: &[u8], fingerprint: u64) -> Option<(FastMap<u64, Entry>, FastMap<String, Group>)> {
    let mut r = Reader { b, pos: 0 };
    if r.take(MAGIC.len())? != MAGIC || r.u64()? != fingerprint {
        return None;
    }
    let n = r.u64()? as usize;
    let mut map = FastMap::with_capacity_and_hasher(n.min(b.len() / 32), Default::default());
    for _ in 0..n {
        let path = crate::output::Known::key(r.str_ref()?);
        let key = r.u64()?;
        let inputs = r.u64()?;
        let stamp = Stamp { len: r.u64()?, mtime_ns: r.u128()? };
        let links_at = r.pos;
        for width in [8, 16, 8] {
            let count = r.u64()? as usize;
            r.take(count.checked_mul(width)?)?;
        }
        map.insert(path, Entry { key, inputs, stamp, links_at });
    }
    let mut groups = FastMap::default();
    for _ in 0..r.u64()? {
        let name = r.str()?;
        let key = r.u64()?;
        let count = r.u64()? as usize;
        let mut files = Vec::with_capacity(count.min(b.len() / 32));
        for _ in 0..count {
            files.push((r.str()?, Stamp { len: r.u64()?, mtime_ns: r.u128()? }));
        }
        let extra = r.u64()? as usize;
        let extra = std::sync::Arc::new(r.take(extra)?.to_vec());
        groups.insert(name, Group { key, files, extra });
    }
    (r.pos == b.len()).then_some((map, groups))
}

/// Decode the links of one page (checked by `index` already). Each list is made at its
/// size: collected through `Option`, a list grew by doubling from nothing and was cut
/// to size again (`PageLinks` boxes it), some twenty allocations a page, for every page
/// a rebuild takes over (150,000 at 100,000 documents).
fn links_at(b: &[u8], at: usize) -> Option<Parts> {
    let mut r = Reader { b, pos: at };
    let targets = r.list(|r| r.u64())?;
    let frags = r.list(|r| Some((r.u64()?, r.u64()?)))?;
    let ids = r.list(|r| r.u64())?;
    Some(Parts { targets, frags, ids })
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
    /// A count, then that many items, each read by `item`. (The count is checked against
    /// the bytes left before anything is allocated for it: each item is 8 bytes or more.)
    fn list<T>(&mut self, item: impl Fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let n = usize::try_from(self.u64()?).ok()?;
        if n > self.b.len().saturating_sub(self.pos) / 8 {
            return None;
        }
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(item(self)?);
        }
        Some(v)
    }
    fn str(&mut self) -> Option<String> {
        self.str_ref().map(str::to_string)
    }
    fn str_ref(&mut self) -> Option<&'a str> {
        let len = self.u64()? as usize;
        crate::utf8::str(self.take(len)?)
    }
    fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str) -> PageLinks {
        let parts = Parts { targets: vec![1, 3], frags: vec![(2, 5)], ids: vec![9] };
        PageLinks::from_parts(path.into(), crate::diag::Loc::file("t"), parts)
    }

    #[test]
    fn round_trips_and_rejects_other_fingerprints_and_damage() {
        let d = tempfile::tempdir().expect("tmp");
        let out = d.path().join("public");
        std::fs::create_dir_all(out.join("a")).expect("mkdir");
        std::fs::write(out.join("a/index.html"), "aaa").expect("write");
        std::fs::write(out.join("b.html"), "bbb").expect("write");
        let (sa, sb) = (Stamp::of(&out.join("a/index.html")).expect("a"), Stamp::of(&out.join("b.html")).expect("b"));
        let loc = || crate::diag::Loc::file("t");
        let c = PageCache::open(&d.path().join(".gazette-cache"), &out, None, 42, None);
        assert!(c.is_empty());
        let keys = |page, inputs| Keys { page, inputs };
        let pages = [page("a/index.html"), page("x.html"), page("b.html")];
        let meta = [Some((keys(1, 5), sa)), None, Some((keys(2, 0), sb))];
        c.save(&pages, &meta);
        let encoded = c.encode(&pages, &meta, Vec::new());
        assert_eq!(std::fs::read(&c.file).expect("saved"), encoded, "written as encoded");
        let again = PageCache::open(&d.path().join(".gazette-cache"), &out, None, 42, None);
        assert_eq!(again.len(), 2);
        // serve hands the bytes over instead of the file: the same cache.
        let kept = PageCache::open(&d.path().join("nowhere"), &out, None, 42, Some(std::sync::Arc::new(encoded)));
        assert_eq!(kept.reuse("a/index.html", 1).map(|(_, s)| s), Some(sa));
        let (parts, s) = again.reuse("a/index.html", 1).expect("cached");
        let links = PageLinks::from_parts("a/index.html".into(), loc(), parts);
        assert_eq!((links.parts(), s), ((&[1, 3][..], &[(2, 5)][..], &[9][..]), sa));
        assert!(again.reuse("a/index.html", 7).is_none(), "another key");
        assert!(again.reuse("x.html", 1).is_none(), "not cacheable, not cached");
        let (key, parts, s) = again.reuse_inputs("a/index.html", 5).expect("same inputs");
        assert_eq!((key, &parts.targets[..], s), (1, &[1, 3][..], sa), "the page's key comes back for the next build");
        assert!(again.reuse_inputs("a/index.html", 6).is_none(), "other inputs");
        assert!(again.reuse_inputs("b.html", 0).is_none(), "a page without inputs key is never taken by it");
        std::fs::write(out.join("b.html"), "changed").expect("write");
        assert!(again.reuse("b.html", 2).is_none(), "the file was changed by hand");
        again.release();
        assert!(again.is_empty() && again.reuse("a/index.html", 1).is_none());
        assert!(
            PageCache::open(&d.path().join(".gazette-cache"), &out, None, 43, None).is_empty(),
            "other theme or config"
        );
        assert!(
            PageCache::open(&d.path().join(".gazette-cache"), &d.path().join("other"), None, 42, None).is_empty(),
            "other output folder"
        );
        let bytes = std::fs::read(&c.file).expect("read");
        for cut in [0, MAGIC.len(), bytes.len() / 2, bytes.len() - 1] {
            assert!(index(&bytes[..cut], 42).is_none(), "cut at {cut}");
        }
        // An entry whose links cannot be decoded: the page is rendered, not a panic.
        let entries: FastMap<u64, Entry> =
            [(crate::output::Known::key("a/index.html"), Entry { key: 1, inputs: 0, stamp: sa, links_at: 999 })]
                .into_iter()
                .collect();
        *again.old.write().expect("lock") = Old { data: std::sync::Arc::new(vec![0; 4]), entries };
        assert!(again.reuse("a/index.html", 1).is_none());
    }

    #[test]
    fn the_binary_has_one_fingerprint() {
        assert_eq!(binary_fingerprint(), binary_fingerprint());
        let exe = std::fs::read(std::env::current_exe().expect("exe")).expect("read");
        assert_eq!(binary_fingerprint(), crate::hash::of(&exe));
    }

    #[test]
    fn keys_follow_the_context_and_template() {
        let a = PageCache::key(1, &serde_json::json!({"title": "甲", "n": 1}));
        assert_eq!(a, PageCache::key(1, &serde_json::json!({"title": "甲", "n": 1})));
        assert_ne!(a, PageCache::key(1, &serde_json::json!({"title": "乙", "n": 1})));
        assert_ne!(a, PageCache::key(2, &serde_json::json!({"title": "甲", "n": 1})));
    }

    #[test]
    fn a_record_file_writes_only_the_shards_that_changed_and_never_reads_a_damaged_one() {
        let d = tempfile::tempdir().expect("tmp");
        let base = d.path().join("r");
        let entries: Vec<(u64, String)> = (0..20_000u64).map(|i| (i, "记录".repeat((i % 50) as usize))).collect();
        let save = |file: &RecordFile, entries: &[(u64, String)], same: &dyn Fn(u64) -> bool| {
            let changed = file.changed(entries.iter().map(|(k, _)| (*k, same(*k))));
            let encoded: Vec<(u64, Vec<u8>)> = entries.iter().map(|e| (e.0, encode(e))).collect();
            file.save(changed, encoded.into_iter());
        };
        let read = |fingerprint| {
            let file = RecordFile::new(base.clone(), fingerprint);
            let mut got: Vec<(u64, String)> = Vec::new();
            file.read(|e| got.push(e));
            got.sort();
            (file, got)
        };
        {
            let (file, got) = read(42);
            assert!(got.is_empty());
            save(&file, &entries, &|_| false);
        } // dropped: the write is done
        let (file, got) = read(42);
        assert!(got == entries, "read back whole");
        assert!(read(43).1.is_empty(), "another fingerprint");

        // One entry changed: its shard alone is written again.
        let shard_of_7 = d.path().join(format!("r-{:02}.bin", RecordFile::shard(7)));
        let other = d.path().join(format!("r-{:02}.bin", RecordFile::shard(8)));
        let mtime = |p: &std::path::Path| std::fs::metadata(p).expect("meta").modified().expect("mtime");
        let (before7, before8) = (mtime(&shard_of_7), mtime(&other));
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut edited = entries.clone();
        edited[7].1 = "改过".into();
        save(&file, &edited, &|k| k != 7);
        drop(file);
        assert!(mtime(&shard_of_7) > before7 && mtime(&other) == before8);
        assert!(read(42).1 == edited);
        // One entry gone: its shard is written without it.
        let fewer: Vec<_> = edited.iter().filter(|e| e.0 != 8).cloned().collect();
        let (file, _) = read(42);
        save(&file, &fewer, &|_| true);
        drop(file);
        assert!(read(42).1 == fewer);

        // A shard cut short or with a wrong count hands over nothing; the others do.
        let bytes = std::fs::read(&shard_of_7).expect("read");
        let in_shard = fewer.iter().filter(|e| RecordFile::shard(e.0) == RecordFile::shard(7)).count();
        for damaged in [bytes[..bytes.len() - 1].to_vec(), bytes[..bytes.len() / 2].to_vec(), bytes[..4].to_vec()] {
            std::fs::write(&shard_of_7, &damaged).expect("write");
            assert_eq!(read(42).1.len(), fewer.len() - in_shard);
        }
    }
}
