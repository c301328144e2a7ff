//! What `gazette build` keeps of its search index for the next build, in
//! `.gazette-cache/search-<output>.bin`: each item's text key, text file name and stamp
//! and excerpt, every term's postings, each shard file's stamp, and each chunk of result
//! lines' key and stamp.
//!
//! With it, a build after a few changes tokenizes only the items whose text changed
//! (three quarters of the search stage at 100,000 documents was tokenizing every item
//! again), keeps the text files and shard files nothing changed, and writes the rest.
//! A stamp vouches for a file the way the page cache's does: the previous output's file
//! is taken over only while it is still the file this record describes.
//!
//! The record of a build is written beside the old one while the search stage runs and
//! takes its place only once that build's output is committed ([`Pending::settle`]); a
//! build that fails, or is killed, leaves the previous record, which still describes the
//! output as it is (a file the killed commit replaced no longer has its stamp).
//!
//! The format is our own, streamed both ways so that neither side holds a second copy
//! of some hundred megabytes: little-endian integers, length-prefixed bytes.

use super::Postings;
use crate::cache::Stamp;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"gazette-search-5\n";

/// One item of the index as the previous build wrote it.
pub(super) struct SavedItem {
    /// A hash of its title terms' source and its rendered text (what its terms, excerpt
    /// and text file are made from).
    pub text_key: u64,
    /// Its `text/<name>.json`, suffix included.
    pub name: String,
    /// The stamp of that file as written.
    pub stamp: Option<Stamp>,
    /// Its result line's excerpt, as JSON: made from its HTML, which a build that took
    /// the body from the bodies record does not have at hand (`bodies::Record`).
    pub excerpt: std::sync::Arc<str>,
}

/// The previous build's index, as read back.
pub(super) struct Saved {
    pub items: Vec<SavedItem>,
    /// Every term's (title, body) postings, in no particular order.
    pub postings: Vec<(u64, Postings, Postings)>,
    /// The stamp of each `idx/<s>.json` as written.
    pub shards: Vec<Option<Stamp>>,
    /// Each `meta/<k>.json`'s key (`Lines::chunk_key`) and stamp as written.
    pub chunks: Vec<(u64, Option<Stamp>)>,
}

/// Where one output's search record lives.
pub struct Store {
    file: PathBuf,
    fingerprint: u64,
    ahead: crate::cache::Ahead<Option<Saved>>,
}

impl Store {
    /// The record in cache folder `dir` for the output named `id` (`cache::output_id`),
    /// valid for this `fingerprint` (the binary: tokenizing and formats are its code).
    pub fn open(dir: &Path, id: u64, fingerprint: u64) -> Store {
        Store { file: dir.join(format!("search-{id:016x}.bin")), fingerprint, ahead: crate::cache::Ahead::none() }
    }

    /// Start reading the record now, on a thread of its own, for the search stage.
    pub fn read_ahead(mut self) -> Store {
        let (file, fingerprint) = (self.file.clone(), self.fingerprint);
        self.ahead = crate::cache::Ahead::start(move || read(&file, fingerprint));
        self
    }

    fn pending_path(&self) -> PathBuf {
        let mut name = self.file.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}.new", std::process::id()));
        self.file.with_file_name(name)
    }

    /// The previous build's record; `None` when there is none or it is not whole and of
    /// this binary.
    pub(super) fn load(&self) -> Option<Saved> {
        self.ahead.take().unwrap_or_else(|| read(&self.file, self.fingerprint))
    }

    /// Start this build's record beside the previous one: its `item_count` items go in
    /// as the search stage indexes them ([`Writer::item`], in order, so no item's
    /// excerpt waits in memory for the rest), then its postings ([`Writer::finish`]).
    /// `None` if it cannot be written (the next build then indexes every item).
    pub(super) fn begin(&self, item_count: usize) -> Option<Writer> {
        let path = self.pending_path();
        let pending = Pending { path: path.clone(), file: self.file.clone() };
        std::fs::create_dir_all(self.file.parent()?).ok()?;
        let name = self.file.file_name()?.to_string_lossy();
        crate::cache::remove_leftovers(&self.file, &format!("{name}."), ".new", &path);
        let w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).ok()?);
        let mut writer = Writer { w, ok: true, items_left: item_count, pending, sum: crate::hash::Hasher::new() };
        writer.put(MAGIC);
        writer.put(&self.fingerprint.to_le_bytes());
        writer.put(&(item_count as u64).to_le_bytes());
        Some(writer)
    }
}

/// A build's search record being written (see [`Store::begin`]). Dropped before
/// [`Writer::finish`], its file is removed.
pub(super) struct Writer {
    w: BufWriter<std::fs::File>,
    /// Every write so far succeeded.
    ok: bool,
    /// Items announced and not yet written.
    items_left: usize,
    pending: Pending,
    /// Of every byte written, for the sum at the end.
    sum: crate::hash::Hasher,
}

impl Writer {
    fn put(&mut self, b: &[u8]) {
        self.ok = self.ok && self.w.write_all(b).is_ok();
        self.sum.update(b);
    }

    fn put_bytes(&mut self, b: &[u8]) {
        self.put(&(b.len() as u32).to_le_bytes());
        self.put(b);
    }

    fn put_stamp(&mut self, s: Option<Stamp>) {
        match s {
            Some(s) => {
                self.put(&[1]);
                self.put(&s.len.to_le_bytes());
                self.put(&s.mtime_ns.to_le_bytes());
            }
            None => self.put(&[0]),
        }
    }

    /// The next item: its text key, text file name, that file's stamp and its excerpt.
    pub(super) fn item(&mut self, text_key: u64, name: &str, stamp: Option<Stamp>, excerpt: &str) {
        // More items than announced would make the record unreadable: it is dropped.
        self.ok = self.ok && self.items_left > 0;
        self.items_left = self.items_left.saturating_sub(1);
        self.put(&text_key.to_le_bytes());
        self.put_stamp(stamp);
        self.put_bytes(name.as_bytes());
        self.put_bytes(excerpt.as_bytes());
    }

    /// The postings, each shard file's stamp and each chunk of lines' key and stamp,
    /// after every item: the record, to be settled once the output is committed; `None`
    /// if any write failed or items are missing.
    pub(super) fn finish<'p>(
        mut self,
        postings: impl Iterator<Item = (u64, &'p Postings, &'p Postings)>,
        posting_count: usize,
        shards: &[Option<Stamp>],
        chunks: &[(u64, Option<Stamp>)],
    ) -> Option<Pending> {
        self.ok = self.ok && self.items_left == 0;
        self.put(&(posting_count as u64).to_le_bytes());
        for (k, t, b) in postings {
            self.put(&k.to_le_bytes());
            for p in [t, b] {
                self.put(&p.count.to_le_bytes());
                self.put(&p.last.to_le_bytes());
                self.put_bytes(&p.bytes);
            }
        }
        self.put(&(shards.len() as u64).to_le_bytes());
        for s in shards {
            self.put_stamp(*s);
        }
        self.put(&(chunks.len() as u64).to_le_bytes());
        for (key, s) in chunks {
            self.put(&key.to_le_bytes());
            self.put_stamp(*s);
        }
        // A record cut short is never read as whole: `load` wants every byte accounted for,
        // and their sum.
        let sum = self.sum.digest();
        self.ok = self.ok && self.w.write_all(&sum.to_le_bytes()).is_ok();
        let Writer { w, ok, pending, .. } = self;
        (ok && w.into_inner().is_ok()).then_some(pending)
    }
}

/// The record in `file`, when it is whole and of this `fingerprint`.
fn read(file: &Path, fingerprint: u64) -> Option<Saved> {
    let f = std::fs::File::open(file).ok()?;
    let size = f.metadata().ok()?.len();
    let mut r = Reader { r: BufReader::with_capacity(1 << 20, f), left: size, sum: crate::hash::Hasher::new() };
    let mut magic = vec![0; MAGIC.len()];
    r.exact(&mut magic)?;
    if magic != MAGIC || r.u64()? != fingerprint {
        return None;
    }
    let n = r.count(8 + 1 + 4 + 4)?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        let text_key = r.u64()?;
        let stamp = r.stamp()?;
        let name = crate::utf8::string(r.bytes()?).ok()?;
        let excerpt = crate::utf8::str(&r.bytes()?)?.into();
        items.push(SavedItem { text_key, name, stamp, excerpt });
    }
    let n = r.count(8 + 2 * 12)?;
    let mut postings = Vec::with_capacity(n);
    for _ in 0..n {
        let k = r.u64()?;
        postings.push((k, r.postings()?, r.postings()?));
    }
    let n = r.count(1)?;
    let shards = (0..n).map(|_| r.stamp()).collect::<Option<Vec<_>>>()?;
    let n = r.count(8 + 1)?;
    let chunks = (0..n).map(|_| Some((r.u64()?, r.stamp()?))).collect::<Option<Vec<_>>>()?;
    r.sum_checked()?;
    (r.left == 0).then_some(Saved { items, postings, shards, chunks })
}

/// A build's search record written beside the previous one, waiting for the build's
/// output to be committed. Dropped without [`Pending::settle`], it is removed.
pub struct Pending {
    path: PathBuf,
    file: PathBuf,
}

impl Pending {
    /// The output it describes is in place: it becomes the record.
    pub fn settle(self) {
        if std::fs::rename(&self.path, &self.file).is_err() {
            // The old record then describes an output that is gone: better none.
            std::fs::remove_file(&self.file).ok();
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        std::fs::remove_file(&self.path).ok();
    }
}

/// A reader that knows how many bytes are left, so a damaged length cannot make it
/// allocate more than the file holds, and sums what it reads: the record ends with the
/// sum of its bytes, so a damaged one is not read (a list's or an excerpt's bytes are
/// copied into the search files as they are: damaged, they would break the client's
/// JSON).
struct Reader<R> {
    r: R,
    left: u64,
    sum: crate::hash::Hasher,
}

impl<R: Read> Reader<R> {
    fn exact(&mut self, buf: &mut [u8]) -> Option<()> {
        self.left = self.left.checked_sub(buf.len() as u64)?;
        self.r.read_exact(buf).ok()?;
        self.sum.update(buf);
        Some(())
    }

    /// The sum the record ends with is that of the bytes read.
    fn sum_checked(&mut self) -> Option<()> {
        let want = self.sum.digest();
        (self.u64()? == want).then_some(())
    }

    fn u64(&mut self) -> Option<u64> {
        let mut b = [0; 8];
        self.exact(&mut b)?;
        Some(u64::from_le_bytes(b))
    }

    fn u32(&mut self) -> Option<u32> {
        let mut b = [0; 4];
        self.exact(&mut b)?;
        Some(u32::from_le_bytes(b))
    }

    /// A count of records at least `min` bytes each, checked against what is left.
    fn count(&mut self, min: u64) -> Option<usize> {
        let n = self.u64()?;
        (n.checked_mul(min)? <= self.left).then_some(n as usize)
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = u64::from(self.u32()?);
        if n > self.left {
            return None;
        }
        let mut b = vec![0; n as usize];
        self.exact(&mut b)?;
        Some(b)
    }

    fn stamp(&mut self) -> Option<Option<Stamp>> {
        let mut flag = [0];
        self.exact(&mut flag)?;
        match flag[0] {
            0 => Some(None),
            1 => {
                let len = self.u64()?;
                let mut t = [0; 16];
                self.exact(&mut t)?;
                Some(Some(Stamp { len, mtime_ns: u128::from_le_bytes(t) }))
            }
            _ => None,
        }
    }

    fn postings(&mut self) -> Option<Postings> {
        let count = self.u32()?;
        let last = self.u32()?;
        let bytes = self.bytes()?;
        Some(Postings { last, count, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postings(numbers: &[u32]) -> Postings {
        let mut p = Postings::default();
        for &n in numbers {
            p.push(n);
        }
        p
    }

    #[test]
    fn a_record_reads_back_as_written_and_a_damaged_one_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 7, 42);
        let stamp = Some(Stamp { len: 12, mtime_ns: 1_700_000_000_123_456_789 });
        let (t, b) = (postings(&[0, 1]), postings(&[1, 300]));
        let mut writer = store.begin(2).expect("begun");
        writer.item(5, "abc", stamp, "\"摘要\"");
        writer.item(6, "def", None, "\"\"");
        let chunks = [(3u64, stamp), (4, None)];
        let pending = writer.finish([(99u64, &t, &b)].into_iter(), 1, &[stamp, None], &chunks).expect("written");
        assert!(store.load().is_none(), "nothing to read before the build commits");
        pending.settle();
        let saved = store.load().expect("read back");
        assert_eq!(saved.items.len(), 2);
        assert_eq!((saved.items[0].text_key, saved.items[0].name.as_str()), (5, "abc"));
        assert_eq!(saved.items[0].stamp, stamp);
        assert_eq!(&*saved.items[0].excerpt, "\"摘要\"");
        assert_eq!(saved.items[1].stamp, None);
        assert_eq!(saved.postings.len(), 1);
        assert_eq!(
            (saved.postings[0].0, saved.postings[0].1.numbers(), saved.postings[0].2.numbers()),
            (99, vec![0, 1], vec![1, 300])
        );
        assert_eq!(saved.shards, vec![stamp, None]);
        assert_eq!(saved.chunks, chunks);

        // Another binary, or a record cut short, is not read.
        assert!(Store::open(dir.path(), 7, 43).load().is_none());
        let file = dir.path().join(format!("search-{:016x}.bin", 7));
        let bytes = std::fs::read(&file).unwrap();
        // Nor is a damaged one (a list is copied into a shard file as it is: damaged, it
        // would break the client's JSON).
        let list = bytes.windows(6).position(|w| w == b"1,299,").expect("the body list, as written");
        for damaged in [b"1,2x9,", b"1,,99,", b"1,000,", b"1,298,", b"1,299 "] {
            let mut copy = bytes.clone();
            copy[list..list + 6].copy_from_slice(damaged);
            std::fs::write(&file, &copy).unwrap();
            assert!(store.load().is_none(), "{}", String::from_utf8_lossy(damaged));
        }
        std::fs::write(&file, &bytes).unwrap();
        assert!(store.load().is_some());
        std::fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
        assert!(store.load().is_none());
        // A pending record dropped without its commit, or a record begun and dropped,
        // leaves nothing behind; one given fewer or more items than it was begun with is
        // not a record.
        drop(store.begin(0).expect("begun").finish([].into_iter(), 0, &[], &[]));
        drop(store.begin(1).expect("begun"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(store.begin(1).expect("begun").finish([].into_iter(), 0, &[], &[]).is_none());
        let mut writer = store.begin(0).expect("begun");
        writer.item(5, "abc", None, "");
        assert!(writer.finish([].into_iter(), 0, &[], &[]).is_none());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
