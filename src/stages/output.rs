//! Writing the output. A build writes what changed (new files, and files whose bytes
//! differ from the previous output's) into a staging folder beside the output; only a build
//! with no errors applies it to the output in place, so a failed build leaves the previous
//! output exactly as it was (CONTRACT §7).
//!
//! Four more guarantees live here:
//! - **One build per output at a time.** A lock file beside the output serialises
//!   concurrent builds (two CI jobs, an editor's build while `serve` runs); the second
//!   waits, then finds the first one's output. The lock file is removed when the build
//!   ends (beside a web root it would be served); see [`OutputLock`] for why that is safe.
//! - **Only what changed is touched.** Unchanged files stay as they are (same inode and
//!   modification time, so `rsync`, `aws s3 sync` and other mtime/size syncers move only
//!   what changed); changed files are renamed over their old selves, one atomic rename
//!   each; files the build no longer produces are deleted. A one-page edit of a
//!   100,000-document library moves a handful of files instead of building and deleting
//!   a 143,000-file tree.
//! - **Interrupted builds leave no damage.** A build killed before it commits leaves only
//!   its staging folder, which the next build removes. The commit first writes a journal
//!   (`.<out>.gazette-journal`: what to move in, what to delete); a build killed while
//!   applying it leaves the journal, and the next build completes the commit before it
//!   starts. So the output is the previous build's, the new one's, or (after a kill in the
//!   middle of a commit, until the next build) a mix the journal repairs.
//! - **Nothing stays beside the output** once a build has ended: no lock, no staging
//!   folder, no journal.
//!
//! The commit deletes the files the build no longer produces. To find them it lists the
//! output, unless the last build's record of it can stand for the listing: a folder's
//! modification time changes whenever an entry is added to it, removed from it or
//! renamed in it, so a folder that has the time the last build recorded ([`Folders`])
//! holds the files that build left there (the reasoning of git's untracked cache). Only
//! the folders whose time changed are listed (and new folders inside them, whole);
//! stat-ing 150,000 folders costs a third of walking 300,000 files. As for input stamps,
//! a time within a few seconds of its recording is not trusted (a change in the same
//! clock tick would not show), so a folder the commit just changed is listed by the next
//! build. A file changed in place is found by its stamp, file by file, as before.

use crate::cache::Stamp;
use crate::hash::{FastMap, FastSet};
use rayon::prelude::*;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// What a build knows of one file it produces. Which files were staged is kept here,
/// not in a list of their paths beside the map (~20 MB of copies at 100,000 documents,
/// where every file is new).
#[derive(Clone, Copy)]
struct Produced {
    /// The stamp of the file in place and the hash of its bytes, when `known` (not an
    /// `Option`: around this 16-byte-aligned pair it would take 16 bytes more a file).
    stamp: Stamp,
    hash: u64,
    known: bool,
    /// Written into the staging folder (new or changed): the commit moves it in.
    staged: bool,
}

impl Produced {
    fn new(stamped: Option<(Stamp, u64)>) -> Produced {
        let (stamp, hash) = stamped.unwrap_or((Stamp { len: 0, mtime_ns: 0 }, 0));
        Produced { stamp, hash, known: stamped.is_some(), staged: false }
    }
}

pub struct Staging {
    /// `None` for `gazette check`: record what would be written, write nothing.
    dir: Option<PathBuf>,
    /// The output folder as it was before this build, whose unchanged files stay.
    previous: Option<PathBuf>,
    /// Every file this build produces (see [`Claims`]).
    files: Claims,
    committed: bool,
    /// Held until the staging folder is committed or dropped.
    _lock: Option<OutputLock>,
    /// How many files were left as the previous output had them (for the summary).
    reused: AtomicUsize,
    /// How many files were staged: when none, the commit has nothing to move without
    /// going through every path (300,000 at 100,000 documents).
    staged: AtomicUsize,
    /// The previous output's files as the build that wrote them recorded them.
    known: Option<std::sync::Arc<Known>>,
    /// `known` lists every file of the output (it is private to this process: `serve`),
    /// so the commit finds the files to delete there instead of walking the output.
    known_is_listing: bool,
    /// The output's folders as the last build recorded them, checked under the lock:
    /// with `known`, they stand for a listing of the output (see the module comment).
    sealed: Option<Sealed>,
    /// serve's private output: changed files wait in memory and the commit writes them in
    /// place (see [`Staging::in_place`]).
    in_place: Option<InPlace>,
}

/// Changed files held in memory until the commit writes them over their old selves, for
/// an output only this process writes and reads (`serve`'s private folder). Staged as
/// files, each changed file cost a folder made in the staging tree, a file created, a
/// rename into the output and the folder removed again; renames between two folders also
/// wait on one lock for the whole file system, so the commit's threads took turns. A
/// rebuild after a new document at 10,000 documents changes ~3,600 files: the commit was
/// a sixth of it. In place, a file costs one write; a failed build writes nothing, as
/// before.
///
/// The commit itself writes nothing: it hands the files to the server's [`Overlay`],
/// from which they are served at once, and serve writes them to disk ([`flush`]) once
/// the open pages have been told to reload. Written in the commit, they held the reload
/// back by a sixth of a rebuild that renumbers the search index at 10,000 documents
/// (~3,500 files, 30 MB: 25 ms of 175).
struct InPlace {
    /// The server's view of the output: taken for reading around each file it reads.
    readers: Arc<RwLock<Overlay>>,
    /// Every file of this build is given this modification time (the build's start), so
    /// the stamp a writer is handed now is the file's stamp once the commit has written it.
    mtime: std::time::SystemTime,
    /// Bytes still allowed in memory: past it, files are staged as files (a template edit
    /// at 100,000 documents changes every page).
    room: AtomicUsize,
    held: Mutex<Vec<(String, Arc<Vec<u8>>)>>,
}

/// A file's bytes as its writer hands them to [`Staging::write_stamped`]: borrowed, or the
/// writer's own. Only bytes held for an in-place commit ([`InPlace`]) are kept past the
/// call: borrowed ones are copied then, owned ones are held as they are (a page, a feed, a
/// sitemap), and shared ones with whoever else keeps them (the catalogue's buffers, ~100 MB
/// at 100,000 documents, which serve's memo fills again for the next build: copied, they
/// were fresh memory faulted in page by page on every rebuild).
pub enum Data<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
    Shared(Arc<Vec<u8>>),
}

impl Data<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Data::Borrowed(b) => b,
            Data::Owned(v) => v,
            Data::Shared(a) => a,
        }
    }
}

impl<'a> From<&'a [u8]> for Data<'a> {
    fn from(b: &'a [u8]) -> Self {
        Data::Borrowed(b)
    }
}

impl From<Vec<u8>> for Data<'_> {
    fn from(v: Vec<u8>) -> Self {
        Data::Owned(v)
    }
}

impl<'a> From<std::borrow::Cow<'a, [u8]>> for Data<'a> {
    fn from(c: std::borrow::Cow<'a, [u8]>) -> Self {
        match c {
            std::borrow::Cow::Borrowed(b) => Data::Borrowed(b),
            std::borrow::Cow::Owned(v) => Data::Owned(v),
        }
    }
}

impl From<String> for Data<'_> {
    fn from(s: String) -> Self {
        Data::Owned(s.into_bytes())
    }
}

/// The files of the last in-place commit ([`InPlace`]) not yet written to disk: the
/// server looks here before it looks at the output folder, under the read side of the
/// lock that holds this (the commit fills it under the write side). Empty once [`flush`]
/// has written them; kept when a write failed, so the server still serves the build
/// that passed, until the next commit replaces them.
pub struct Overlay {
    files: FastMap<String, Arc<Vec<u8>>>,
    /// The modification time the files are given on disk (their stamps' time).
    mtime: std::time::SystemTime,
}

impl Default for Overlay {
    fn default() -> Overlay {
        Overlay { files: FastMap::default(), mtime: std::time::UNIX_EPOCH }
    }
}

impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Overlay({} files)", self.files.len())
    }
}

impl Overlay {
    /// The bytes of the output's file `rel` (its path in the output, `/`-separated) if the
    /// last commit left them here.
    pub fn get(&self, rel: &str) -> Option<&[u8]> {
        self.files.get(rel).map(|b| b.as_slice())
    }

    /// Whether every file of the last commit is on disk (nothing to serve from here).
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Write the files of the last in-place commit (see [`Overlay`]) to the output `out`,
/// then let the server read them there. Serve calls it after each good build, before
/// anything else reads or writes the output; a no-op when there is nothing to write.
pub fn flush(readers: &RwLock<Overlay>, out: &Path) -> io::Result<()> {
    let overlay = readers.read().unwrap_or_else(|e| e.into_inner());
    if overlay.is_empty() {
        return Ok(());
    }
    // (Under the read side: the server goes on reading, these files from memory.)
    // On one thread: the pages told to reload are fetching now, and the server answers
    // them on the other core (written on both, the fetches that followed the reload of a
    // rebuild that renumbers the search index at 10,000 documents were served ~20 ms
    // later: the edit's latency as a browser sees it).
    let files: Vec<(&str, &[u8])> = overlay.files.iter().map(|(rel, b)| (rel.as_str(), b.as_slice())).collect();
    write_files(&files, out, overlay.mtime, false)?;
    drop(files);
    drop(overlay);
    *readers.write().unwrap_or_else(|e| e.into_inner()) = Overlay::default();
    Ok(())
}

/// Write every file over its old self (or where it goes: a new folder is made, a folder
/// or file in the way removed), with the modification time `mtime`; on every thread if
/// `parallel`.
fn write_files(files: &[(&str, &[u8])], out: &Path, mtime: std::time::SystemTime, parallel: bool) -> io::Result<()> {
    let write = |f: io::Result<File>, data: &[u8]| -> io::Result<()> {
        let mut f = f?;
        io::Write::write_all(&mut f, data)?;
        f.set_len(data.len() as u64)?;
        f.set_modified(mtime)
    };
    // Over the old bytes, then cut to length: nearly every file is there already, and
    // an open that may create takes its folder's lock (the 2,048 search shards share
    // one), where one that truncates frees pages only to take new ones. A file in a new
    // folder makes it (`create_dir_all` allows another thread to make it too); what is
    // in the way is cleared afterwards, one at a time.
    let fails = |(rel, data): &&(&str, &[u8])| {
        let path = out.join(rel);
        match File::options().write(true).open(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| write(File::create(&path), data))
                .is_err(),
            f => write(f, data).is_err(),
        }
    };
    let failed: Vec<&(&str, &[u8])> = match parallel {
        true => files.par_iter().filter(fails).collect(),
        false => files.iter().filter(fails).collect(),
    };
    for (rel, data) in failed {
        let path = out.join(rel);
        make_room(out, &path)
            .and_then(|()| write(File::create(&path), data))
            .map_err(|e| io::Error::new(e.kind(), format!("{rel}: {e}")))?;
    }
    Ok(())
}

impl InPlace {
    /// Bytes of changed files held in memory at most; a heavy content edit at 10,000
    /// documents changes ~40 MB. (Tests set less, to have a build do both.)
    fn room() -> usize {
        let test = std::env::var("GAZETTE_TEST_IN_PLACE_ROOM").ok().and_then(|n| n.parse().ok());
        test.unwrap_or(128 << 20)
    }

    /// Hold `data` for `rel` if there is room (bytes shared with their writer take none:
    /// they are in memory anyway); its stamp-to-be, or the bytes given back.
    fn hold<'a>(&self, rel: &str, data: Data<'a>) -> Result<Stamp, Data<'a>> {
        let n = data.bytes().len();
        let room = |r: usize| if matches!(data, Data::Shared(_)) { Some(r) } else { r.checked_sub(n) };
        if self.room.fetch_update(Ordering::Relaxed, Ordering::Relaxed, room).is_err() {
            return Err(data);
        }
        let held = match data {
            Data::Borrowed(b) => Arc::new(b.to_vec()),
            Data::Owned(v) => Arc::new(v),
            Data::Shared(a) => a,
        };
        self.held.lock().unwrap_or_else(|e| e.into_inner()).push((rel.to_string(), held));
        Ok(Stamp { len: n as u64, mtime_ns: crate::cache::ns_of(self.mtime) })
    }

    /// Write every held file into `dir` (a first build's staging folder, which becomes the
    /// output whole).
    fn write(&self, dir: &Path) -> io::Result<()> {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(|e| e.into_inner()));
        let files: Vec<(&str, &[u8])> = held.iter().map(|(rel, b)| (rel.as_str(), b.as_slice())).collect();
        write_files(&files, dir, self.mtime, true)
    }

    /// Hand every held file to the server's `overlay` (replacing what it held: see
    /// [`Overlay`]); their paths.
    fn hand_over(&self, overlay: &mut Overlay) -> Vec<String> {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(|e| e.into_inner()));
        let names = held.iter().map(|(rel, _)| rel.clone()).collect();
        overlay.files = held.into_iter().collect();
        overlay.mtime = self.mtime;
        names
    }
}

/// The recorded folders of an output, checked: those with their recorded time (which
/// hold the files `known` says), and the others, to be listed.
struct Sealed {
    same: crate::hash::FastMap<String, u128>,
    changed: Vec<String>,
}

/// A file of the output: relative path, stamp, XXH3 hash of its bytes (0: not known).
pub type Written = (String, Stamp, u64);

/// A file written into a committed output outside a build ([`update_in_place`]): its path,
/// its stamp (`None` when it cannot be read) and hash.
pub type Updated = (String, Option<Stamp>, u64);

/// The files of an output as the last build recorded them: path → (stamp, hash), each
/// with a place (0, 1, …; flags kept beside it in a vector stand for a set of its files).
/// A file whose stamp is still the recorded one and whose new bytes hash the same is
/// unchanged, found without reading it.
///
/// Looked up by the XXH3 hash of the path, as the link gate knows files: a build looks up
/// every file it keeps (300,000 at 100,000 documents, in no order the table's is), and
/// with the paths as keys each lookup also followed the stored path to compare it, a
/// third of the time the lookups took (an eighth of a serve rebuild's CPU at 100,000).
/// Two paths of one output with the same 64-bit hash are not expected; were there two,
/// the second would be an unlisted file: its build would write it instead of keeping it.
#[derive(Clone, Default)]
pub struct Known {
    paths: Vec<String>,
    values: Vec<(Stamp, u64)>,
    /// Path hash → place.
    places: FastMap<u64, u32>,
    /// Per place, its path's hash: a file looked for at a place it was at
    /// ([`Staging::keep_at`]) is checked by it, not by following the path stored there
    /// (a cache miss for each of the 300,000 files serve keeps at 100,000 documents).
    keys: Vec<u64>,
}

impl Known {
    /// What a file of an output is known by: the XXH3 hash of its path (the page cache
    /// indexes its pages the same way).
    pub fn key(rel: &str) -> u64 {
        crate::hash::of(rel.as_bytes())
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// `rel`'s place and (stamp, hash).
    pub fn get_full(&self, rel: &str) -> Option<(usize, (Stamp, u64))> {
        let ix = *self.places.get(&Known::key(rel))? as usize;
        Some((ix, self.values[ix]))
    }

    /// `rel`'s (stamp, hash).
    pub fn get(&self, rel: &str) -> Option<(Stamp, u64)> {
        self.get_full(rel).map(|(_, v)| v)
    }

    /// Set `rel`'s (stamp, hash): in its place if listed, else in a new last place.
    pub fn insert(&mut self, rel: String, value: (Stamp, u64)) {
        let next = self.paths.len() as u32;
        let key = Known::key(&rel);
        let ix = *self.places.entry(key).or_insert(next) as usize;
        if ix == self.paths.len() {
            self.paths.push(rel);
            self.keys.push(key);
            self.values.push(value);
        } else {
            self.values[ix] = value;
        }
    }

    /// Every file in place order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &(Stamp, u64))> {
        self.paths.iter().zip(&self.values)
    }
}

impl FromIterator<(String, (Stamp, u64))> for Known {
    fn from_iter<I: IntoIterator<Item = (String, (Stamp, u64))>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let (n, _) = iter.size_hint();
        let mut k = Known {
            paths: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
            places: FastMap::with_capacity_and_hasher(n, Default::default()),
            keys: Vec::with_capacity(n),
        };
        for (rel, value) in iter {
            k.insert(rel, value);
        }
        k
    }
}

/// Every file a build produces (relative, `/`-separated), with the stamp and hash of the
/// file in place once known (see [`Committed::stamps`]). A file of the last build's
/// record (`known`) produced as recorded there is a flag, by its place in the record;
/// any other (new, changed, or claimed without a record) is an entry of `other`, under
/// one lock. A rebuild produces mostly unchanged files (serve's, at 10,000 documents,
/// 33,000 of which a few hundred change): each put into one map under one lock, with its
/// path copied, they were a tenth of the CPU of the stages that write, two threads
/// taking turns at the lock.
struct Claims {
    /// Per entry of `known`: [`UNCLAIMED`], [`AS_KNOWN`] or [`IN_OTHER`].
    slots: Vec<AtomicU8>,
    other: Mutex<Others>,
}

/// The files of [`Claims`] not produced as `known` records them, in the order they were
/// claimed: the next build's listing puts them in that order (see [`Committed::into_known`]),
/// so that build, which looks for its files in about the order this one made them, reads
/// the listing front to back. In a hash map's order, each of the 300,000 files a rebuild
/// at 100,000 documents keeps was looked for in a place of its own, two cache misses a
/// file: keeping them was ~60 ms of CPU of every serve rebuild, ~25 in claim order.
type Others = indexmap::IndexMap<String, Produced, rustc_hash::FxBuildHasher>;

const UNCLAIMED: u8 = 0;
/// Produced with the stamp and hash `known` records.
const AS_KNOWN: u8 = 1;
/// Produced otherwise: its entry is in `Claims::other`.
const IN_OTHER: u8 = 2;

impl Claims {
    fn new(known: Option<&Known>) -> Claims {
        let slots = (0..known.map_or(0, Known::len)).map(|_| AtomicU8::new(UNCLAIMED)).collect();
        Claims { slots, other: Mutex::new(Others::default()) }
    }

    /// The claims as they stand, to be read without atomics or the lock.
    fn take(&mut self) -> Claimed {
        let slots = std::mem::take(&mut self.slots).into_iter().map(AtomicU8::into_inner).collect();
        Claimed { slots, other: std::mem::take(&mut *self.other.lock().unwrap_or_else(|e| e.into_inner())) }
    }
}

/// The entries of `known` whose flag (in `slots`, in the record's order) is `state`.
fn flagged<'a>(
    known: Option<&'a Known>,
    slots: impl Iterator<Item = u8> + 'a,
    state: u8,
) -> impl Iterator<Item = (&'a String, &'a (Stamp, u64))> + 'a {
    known.into_iter().flat_map(|k| k.iter()).zip(slots).filter(move |(_, s)| *s == state).map(|(entry, _)| entry)
}

/// A build's files against the listing of the output ([`Staging::against_listing`]).
pub struct AgainstListing<'a> {
    /// The listed files it does not produce. None: every link that named a file still
    /// names one.
    pub left_out: Vec<&'a str>,
    /// Whether it produces a file the listing does not have.
    pub new: bool,
}

impl AgainstListing<'_> {
    /// Exactly the files of the listing: none new, none left out.
    pub fn same_files(&self) -> bool {
        self.left_out.is_empty() && !self.new
    }
}

/// [`Claims`] once every file is produced: the commit's view.
struct Claimed {
    slots: Vec<u8>,
    other: Others,
}

impl Claimed {
    /// Whether the build produces `rel`.
    fn contains(&self, known: Option<&Known>, rel: &str) -> bool {
        match known.and_then(|k| k.get_full(rel)) {
            Some((ix, _)) => self.slots[ix] != UNCLAIMED,
            None => self.other.contains_key(rel),
        }
    }

    /// Every path produced, each once.
    fn paths<'a>(&'a self, known: Option<&'a Known>) -> impl Iterator<Item = &'a String> {
        flagged(known, self.slots.iter().copied(), AS_KNOWN).map(|(rel, _)| rel).chain(self.other.keys())
    }

    /// The files of `known` not produced.
    fn unclaimed(&self, known: &Known) -> Vec<String> {
        flagged(Some(known), self.slots.iter().copied(), UNCLAIMED).map(|(rel, _)| rel.clone()).collect()
    }

    /// [`Committed::stamps`]: `None` when one file's stamp is not known.
    fn stamps(self, known: Option<&Known>) -> Option<Vec<Written>> {
        let as_known = flagged(known, self.slots.iter().copied(), AS_KNOWN);
        let as_known = as_known.map(|(rel, &(stamp, hash))| Some((rel.clone(), stamp, hash)));
        as_known.chain(self.other.into_iter().map(|(rel, p)| p.known.then_some((rel, p.stamp, p.hash)))).collect()
    }
}

/// The folders of an output (relative, `/`-separated; `""` is the output itself), each
/// with its modification time in nanoseconds, as a build left them.
pub type Folders = Vec<(String, u128)>;

/// A folder's modification time, in nanoseconds since the epoch.
fn folder_time(path: &Path) -> Option<u128> {
    let m = std::fs::symlink_metadata(path).ok().filter(|m| m.is_dir())?;
    Some(m.modified().ok()?.duration_since(std::time::SystemTime::UNIX_EPOCH).ok()?.as_nanos())
}

/// Every folder that holds one of `files` (relative paths), the output's own (`""`)
/// included, each once.
fn folders_of<'a>(files: impl Iterator<Item = &'a String>) -> FastSet<String> {
    let mut folders = FastSet::default();
    folders.insert(String::new());
    for f in files {
        let mut p = f.as_str();
        while let Some(cut) = p.rfind('/') {
            p = &p[..cut];
            if !folders.insert(p.to_string()) {
                break;
            }
        }
    }
    folders
}

#[derive(Debug)]
pub enum WriteError {
    /// Two outputs want the same path (an alias over a page, an id like `index.html`).
    Collision(String),
    Io(String, io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Collision(p) => write!(f, "two outputs would be written to `{p}`"),
            WriteError::Io(p, e) => write!(f, "cannot write `{p}`: {e}"),
        }
    }
}

fn out_name(out: &Path) -> String {
    out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into())
}

fn out_parent(out: &Path) -> &Path {
    out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

fn sibling(out: &Path, tag: &str) -> PathBuf {
    out_parent(out).join(format!(".{}.gazette-{tag}-{}", out_name(out), std::process::id()))
}

/// The lock on one output folder: an exclusive `flock` on `.<out>.gazette-lock` beside
/// it, held while a build writes, and the file removed when it is released.
///
/// Removing a lock file is only safe if a waiter cannot end up holding a lock on a file
/// that is no longer the one at the path (it would then run beside the next build that
/// creates a fresh file). So the file is unlinked while the lock is still held, and a
/// process that gets the lock checks that the path still names the file it locked;
/// if not, it opens the path again and waits anew.
pub struct OutputLock {
    file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Take the output's lock, waiting (and saying so) while another build holds it.
    pub fn take(out: &Path) -> io::Result<OutputLock> {
        let path = out_parent(out).join(format!(".{}.gazette-lock", out_name(out)));
        let mut said = false;
        loop {
            let file = File::options().create(true).truncate(false).write(true).open(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    if !said {
                        eprintln!("waiting for another gazette build writing {} to finish…", out.display());
                        said = true;
                    }
                    file.lock()?;
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
            if same_file(&file, &path) {
                return Ok(OutputLock { file, path });
            }
            // The holder we waited for removed the file: ours is stale. Try again.
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Unlink first, unlock after (when `file` closes): see the type's comment.
        std::fs::remove_file(&self.path).ok();
        self.file.unlock().ok();
    }
}

/// Whether `path` still names the open `file` (same device and inode).
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// Whether a killed build left a commit half done in `out` (the next build completes it).
pub fn commit_pending(out: &Path) -> bool {
    Journal::path(out).exists()
}

/// Staging and old folders left by builds that were killed. Only called with the lock
/// held, so no live build owns them.
fn remove_leftovers(out: &Path) {
    let prefix = format!(".{}.gazette-", out_name(out));
    let Ok(rd) = std::fs::read_dir(out_parent(out)) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && !name.ends_with("-lock") && e.path().is_dir() {
            std::fs::remove_dir_all(e.path()).ok();
        }
    }
}

impl Staging {
    /// A staging folder for `out`; `known` is what the last build recorded of its files.
    pub fn create(out: &Path, known: Option<std::sync::Arc<Known>>, folders: Option<Folders>) -> io::Result<Staging> {
        use rayon::prelude::*;
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let lock = OutputLock::take(out)?;
        // A commit a killed build left half done is completed first.
        Journal::recover(out)?;
        remove_leftovers(out);
        let sealed = folders.filter(|f| known.is_some() && !f.is_empty()).map(|f| {
            let (same, changed): (Vec<_>, Vec<_>) =
                f.into_par_iter().partition(|(rel, t)| *t != 0 && folder_time(&out.join(rel)) == Some(*t));
            Sealed { same: same.into_iter().collect(), changed: changed.into_iter().map(|(rel, _)| rel).collect() }
        });
        let dir = sibling(out, "tmp");
        std::fs::create_dir_all(&dir)?;
        Ok(Staging {
            dir: Some(dir),
            previous: out.is_dir().then(|| out.to_path_buf()),
            files: Claims::new(known.as_deref()),
            committed: false,
            _lock: Some(lock),
            reused: AtomicUsize::new(0),
            staged: AtomicUsize::new(0),
            known,
            known_is_listing: false,
            sealed,
            in_place: None,
        })
    }

    pub fn dry() -> Staging {
        Staging {
            dir: None,
            previous: None,
            files: Claims::new(None),
            committed: false,
            _lock: None,
            reused: AtomicUsize::new(0),
            staged: AtomicUsize::new(0),
            known: None,
            known_is_listing: false,
            sealed: None,
            in_place: None,
        }
    }

    /// Record `rel` as produced by this build, with its stamp and hash when they are
    /// known already; `None` for a dry run.
    fn claim(&self, rel: &str, stamped: Option<(Stamp, u64)>) -> Result<Option<&Path>, WriteError> {
        self.claim_at(rel, self.recorded(rel), stamped)
    }

    /// `rel`'s place in `known` and what is recorded there, if it is.
    fn recorded(&self, rel: &str) -> Option<(usize, (Stamp, u64))> {
        self.known.as_ref()?.get_full(rel)
    }

    /// [`Staging::claim`] of a file looked up in `known` already (`recorded`).
    fn claim_at(
        &self,
        rel: &str,
        recorded: Option<(usize, (Stamp, u64))>,
        stamped: Option<(Stamp, u64)>,
    ) -> Result<Option<&Path>, WriteError> {
        let collision = || WriteError::Collision(rel.to_string());
        if let Some((ix, known)) = recorded {
            let as_known = stamped == Some(known);
            let state = if as_known { AS_KNOWN } else { IN_OTHER };
            let slot = &self.files.slots[ix];
            slot.compare_exchange(UNCLAIMED, state, Ordering::Relaxed, Ordering::Relaxed).map_err(|_| collision())?;
            if as_known {
                return Ok(self.dir.as_deref());
            }
        }
        let mut other = self.files.other.lock().unwrap_or_else(|e| e.into_inner());
        match other.entry(rel.to_string()) {
            indexmap::map::Entry::Occupied(_) => Err(collision()),
            indexmap::map::Entry::Vacant(v) => {
                v.insert(Produced::new(stamped));
                Ok(self.dir.as_deref())
            }
        }
    }

    /// The staging path for a new or changed `rel`, its folder made.
    fn stage(&self, dir: &Path, rel: &str) -> Result<PathBuf, WriteError> {
        if let Some(p) = self.files.other.lock().unwrap_or_else(|e| e.into_inner()).get_mut(rel) {
            p.staged = true;
            self.staged.fetch_add(1, Ordering::Relaxed);
        }
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            // Most pages are alone in a new folder whose parent exists: one mkdir, not the
            // stat-then-mkdir of create_dir_all.
            let made = match std::fs::create_dir(parent) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
                Err(_) => std::fs::create_dir_all(parent),
            };
            made.map_err(|e| WriteError::Io(rel.to_string(), e))?;
        }
        Ok(path)
    }

    /// The previous output's `rel`, if its bytes are `data` (hashing `hash`): it stays as
    /// it is. Returns its stamp. `recorded`: what `known` records of it.
    fn unchanged(&self, rel: &str, recorded: Option<(Stamp, u64)>, data: &[u8], hash: u64) -> Option<Stamp> {
        let recorded = recorded.filter(|(_, h)| *h != 0);
        // serve's own output between its own builds: the listing is the output, so a file
        // it lists with these bytes' hash is that file, without asking the file system
        // (a rebuild at 10,000 documents offers 33,000 files, nearly all unchanged).
        // A file it lists with other bytes is not asked about either: it changed.
        if let Some((stamp, h)) = recorded.filter(|_| self.known_is_listing) {
            if h != hash || stamp.len != data.len() as u64 {
                return None;
            }
            self.reused.fetch_add(1, Ordering::Relaxed);
            return Some(stamp);
        }
        let old = self.previous.as_ref()?.join(rel);
        // Size first: most changed files differ in length, and it costs no read.
        let meta = std::fs::symlink_metadata(&old).ok().filter(|m| m.is_file() && m.len() == data.len() as u64)?;
        // The file the last build recorded, untouched since: compare hashes, not bytes.
        let now = Stamp::from_metadata(&meta);
        let same = match recorded {
            Some((stamp, h)) if now == Some(stamp) => h == hash,
            _ => std::fs::read(&old).is_ok_and(|b| b == data),
        };
        if same {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return now;
        }
        None
    }

    pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), WriteError> {
        self.write_stamped(rel, data).map(drop)
    }

    /// [`Staging::write`], returning the stamp of the file now in place (for the build
    /// cache), read from the open file instead of by path; for a file held for an in-place
    /// commit, the stamp the commit gives it (see [`InPlace`]).
    pub fn write_stamped<'a>(&self, rel: &str, data: impl Into<Data<'a>>) -> Result<Option<Stamp>, WriteError> {
        if self.dir.is_none() {
            return self.claim(rel, None).map(|_| None);
        }
        let data = data.into();
        let hash = crate::hash::of(data.bytes());
        let recorded = self.recorded(rel);
        // An unchanged file is claimed with its stamp (as `known` records it, a flag).
        if let Some(stamp) = self.unchanged(rel, recorded.map(|r| r.1), data.bytes(), hash) {
            self.claim_at(rel, recorded, Some((stamp, hash)))?;
            return Ok(Some(stamp));
        }
        let Some(dir) = self.claim_at(rel, recorded, None)? else { return Ok(None) };
        let data = match &self.in_place {
            Some(ip) => match ip.hold(rel, data) {
                Ok(stamp) => {
                    self.stamp(rel, stamp, hash);
                    return Ok(Some(stamp));
                }
                Err(data) => data,
            },
            None => data,
        };
        let path = self.stage(dir, rel)?;
        let stamp = create_stamped(&path, data.bytes()).map_err(|e| WriteError::Io(rel.to_string(), e))?;
        if let Some(s) = stamp {
            self.stamp(rel, s, hash);
        }
        Ok(stamp)
    }

    fn stamp(&self, rel: &str, stamp: Stamp, hash: u64) {
        if let Some(v) = self.files.other.lock().unwrap_or_else(|e| e.into_inner()).get_mut(rel) {
            (v.stamp, v.hash, v.known) = (stamp, hash, true);
        }
    }

    /// Take `known` (see [`Staging::create`]) as the complete list of the output's files:
    /// for an output only this process writes (`serve`'s, between its own builds).
    pub fn known_is_listing(mut self) -> Self {
        self.known_is_listing = self.known.is_some();
        self
    }

    /// Hold changed files in memory and hand them to the server's overlay at the commit,
    /// for [`flush`] to write over their old selves (see [`InPlace`]): for an output only
    /// this process writes, and reads only under `readers` (serve's private folder).
    pub fn in_place(mut self, readers: Arc<RwLock<Overlay>>) -> Self {
        let (mtime, room) = (std::time::SystemTime::now(), AtomicUsize::new(InPlace::room()));
        self.in_place = Some(InPlace { readers, mtime, room, held: Mutex::new(Vec::new()) });
        self
    }

    /// What the last build recorded of the output, when it is the complete listing (see
    /// [`Staging::known_is_listing`]): a file's stamp there is its stamp now.
    pub fn listing(&self) -> Option<std::sync::Arc<Known>> {
        self.known.clone().filter(|_| self.known_is_listing)
    }

    /// [`Staging::listing`], borrowed (no reference count touched by every render
    /// thread for every file).
    fn listed(&self) -> Option<&Known> {
        self.known.as_deref().filter(|_| self.known_is_listing)
    }

    pub fn copy(&self, rel: &str, src: &Path) -> Result<(), WriteError> {
        if let Some(dir) = self.claim(rel, None)? {
            // Attachments can be large: compare by size and modification time instead of
            // reading both; a copy keeps the source's mtime, so an unchanged file matches.
            let src_meta = std::fs::metadata(src).map_err(|e| WriteError::Io(rel.to_string(), e))?;
            let reused = self.previous.as_ref().and_then(|prev| {
                std::fs::symlink_metadata(prev.join(rel)).ok().filter(|b| {
                    b.is_file() && src_meta.len() == b.len() && src_meta.modified().ok() == b.modified().ok()
                })
            });
            if let Some(meta) = reused {
                self.reused.fetch_add(1, Ordering::Relaxed);
                if let Some(s) = Stamp::from_metadata(&meta) {
                    self.stamp(rel, s, 0);
                }
            } else {
                let path = self.stage(dir, rel)?;
                std::fs::copy(src, &path).map_err(|e| WriteError::Io(rel.to_string(), e))?;
                if let Ok(m) = src_meta.modified() {
                    File::options().write(true).open(&path).and_then(|f| f.set_modified(m)).ok();
                }
                if let Some(s) = Stamp::of(&path) {
                    self.stamp(rel, s, 0);
                }
            }
        }
        Ok(())
    }

    /// Keep the previous output's `rel` as it is: the build cache knows it is current, and
    /// the caller has just seen it there with `stamp` (`cache::PageCache::reuse_inputs`,
    /// [`Staging::keep`]), so it is not looked up again (a stat per page was a tenth of a
    /// second of every build at 100,000 documents).
    pub fn adopt(&self, rel: &str, stamp: Stamp) -> Result<(), WriteError> {
        if self.dir.is_none() {
            return self.claim(rel, None).map(drop);
        }
        self.adopt_at(rel, self.recorded(rel), stamp)
    }

    /// [`Staging::adopt`] of a file looked up in `known` already (`recorded`).
    fn adopt_at(&self, rel: &str, recorded: Option<(usize, (Stamp, u64))>, stamp: Stamp) -> Result<(), WriteError> {
        let listed = self.known_is_listing && recorded.is_some();
        if !listed && self.previous.is_none() {
            return Err(WriteError::Io(
                rel.to_string(),
                io::Error::new(io::ErrorKind::NotFound, "not in the previous output"),
            ));
        }
        // A page the build cache vouches for: its bytes are not at hand, nor their hash.
        let hash = recorded.map(|r| r.1).filter(|(s, _)| *s == stamp).map_or(0, |(_, h)| h);
        self.claim_at(rel, recorded, Some((stamp, hash)))?;
        self.reused.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Keep the previous output's `rel` if it is still the file with `stamp` (a record of
    /// the build that wrote it vouches for its bytes); whether it was kept.
    pub fn keep(&self, rel: &str, stamp: Stamp) -> bool {
        // (One lookup in `known`: it is the listing, when there is one. A dry run has
        // neither a record nor a previous output: nothing is kept.)
        self.keep_recorded(rel, self.recorded(rel), stamp)
    }

    /// [`Staging::keep`] of a file that was at place `hint` of `known` (as this returned
    /// it when the last build kept it): the hash of the path there is compared with
    /// `rel`'s instead of being looked up among every file of the output (with the claim, a
    /// third of serve's search stage after a title edit at 100,000 documents, for the
    /// 150,000 text files it keeps). `None` when it is not kept; else its place in
    /// `known`, when it is there.
    pub fn keep_at(&self, rel: &str, hint: Option<u32>, stamp: Stamp) -> Option<Option<u32>> {
        let at_hint = hint.zip(self.known.as_deref()).and_then(|(p, known)| {
            let p = p as usize;
            (*known.keys.get(p)? == Known::key(rel)).then(|| (p, known.values[p]))
        });
        let recorded = at_hint.or_else(|| self.recorded(rel));
        self.keep_recorded(rel, recorded, stamp).then(|| recorded.map(|(p, _)| p as u32))
    }

    /// [`Staging::keep`] of `rel`, with what `known` records of it.
    fn keep_recorded(&self, rel: &str, recorded: Option<(usize, (Stamp, u64))>, stamp: Stamp) -> bool {
        let now = match self.listed() {
            Some(_) => recorded.map(|(_, (s, _))| s),
            None => stamp_now(None, self.previous.as_deref(), rel),
        };
        now == Some(stamp) && self.adopt_at(rel, recorded, stamp).is_ok()
    }

    /// Every path written so far (relative, `/`-separated), handed to `f` as they are
    /// (copying them was a few milliseconds of every serve rebuild at 10,000 documents).
    pub fn with_files<T>(&self, f: impl FnOnce(&[&str]) -> T) -> T {
        let other = self.files.other.lock().unwrap_or_else(|e| e.into_inner());
        let slots = self.files.slots.iter().map(|s| s.load(Ordering::Relaxed));
        let as_known = flagged(self.known.as_deref(), slots, AS_KNOWN).map(|(rel, _)| rel.as_str());
        let paths: Vec<&str> = as_known.chain(other.keys().map(String::as_str)).collect();
        f(&paths)
    }

    /// Whether this build produces `rel`.
    pub fn has(&self, rel: &str) -> bool {
        match self.recorded(rel) {
            Some((ix, _)) => self.files.slots[ix].load(Ordering::Relaxed) != UNCLAIMED,
            None => self.files.other.lock().unwrap_or_else(|e| e.into_inner()).contains_key(rel),
        }
    }

    /// How this build's files differ from the listing of the output (serve's own folder,
    /// see [`Staging::known_is_listing`]); `None` without a listing. A slot per file of the
    /// listing, and the few files not produced as recorded: one look at each.
    pub fn against_listing(&self) -> Option<AgainstListing<'_>> {
        let known = self.listed()?;
        let (mut left_out, mut changed) = (Vec::new(), 0);
        for ((rel, _), s) in known.iter().zip(&self.files.slots) {
            match s.load(Ordering::Relaxed) {
                UNCLAIMED => left_out.push(rel.as_str()),
                IN_OTHER => changed += 1,
                _ => {}
            }
        }
        // (Every file of `other` not new is a file of the listing produced otherwise.)
        let other = self.files.other.lock().unwrap_or_else(|e| e.into_inner());
        Some(AgainstListing { left_out, new: other.len() > changed })
    }

    /// Whether the listing of the output (serve's own folder) has `rel`.
    pub fn was_listed(&self, rel: &str) -> bool {
        self.listed().is_some_and(|known| known.get_full(rel).is_some())
    }

    /// How many files this build produces.
    pub fn count(&self) -> usize {
        let as_known = self.files.slots.iter().filter(|s| s.load(Ordering::Relaxed) == AS_KNOWN).count();
        as_known + self.files.other.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Files taken over unchanged from the previous output.
    pub fn reused(&self) -> usize {
        self.reused.load(Ordering::Relaxed)
    }

    /// Apply the staging folder to `out`: a new output is the staging folder renamed; an
    /// existing one gets the changed files renamed in and the files no longer produced
    /// deleted, under a journal (see the module comment).
    ///
    /// Returns what the records of the output need (see [`Committed`]); with `record`,
    /// the output's folders too.
    pub fn commit(mut self, out: &Path, record: bool) -> io::Result<Committed> {
        let files = self.files.take();
        // (The listing goes to the `Committed`: serve's settle updates it in place when
        // nothing else holds it.)
        let listing = self.known.take();
        let known = listing.as_deref();
        let Some(dir) = self.dir.clone() else {
            return Ok(Committed { files, known: listing, folders: None });
        };
        if !out.exists() {
            if let Some(ip) = &self.in_place {
                ip.write(&dir)?;
            }
            std::fs::rename(&dir, out)?;
            self.committed = true;
            let folders = record.then(|| folder_times(out, folders_of(files.paths(known)), |_| None));
            return Ok(Committed { files, known: listing, folders });
        }
        let sealed = self.sealed.take();
        let mut delete: Vec<String> = match (known, &sealed) {
            // The listing's files not produced again: a flag each.
            (Some(known), _) if self.known_is_listing => files.unclaimed(known),
            (Some(known), Some(sealed)) => {
                let changed: FastSet<&str> = sealed.changed.iter().map(String::as_str).collect();
                let recorded = |rel: &str| sealed.same.contains_key(rel) || changed.contains(rel);
                let listed = files_in_folders(out, &sealed.changed, &recorded);
                let listed = listed.into_iter().filter(|rel| !files.contains(Some(known), rel));
                files.unclaimed(known).into_iter().chain(listed).collect()
            }
            _ => files_in(out).into_iter().filter(|rel| !files.contains(known, rel)).collect(),
        };
        delete.sort_unstable();
        delete.dedup();
        let mut staged: Vec<String> = match self.staged.load(Ordering::Relaxed) {
            0 => Vec::new(),
            _ => files.other.iter().filter(|(_, p)| p.staged).map(|(rel, _)| rel.clone()).collect(),
        };
        staged.sort_unstable();
        let journal = Journal { staging: dir.clone(), staged, delete };
        // The server reads nothing while the output changes under it: the changed files
        // go to its overlay, the others are moved and deleted, as one change.
        let mut reading = self.in_place.as_ref().map(|ip| ip.readers.write().unwrap_or_else(|e| e.into_inner()));
        let written = match (&self.in_place, reading.as_deref_mut()) {
            (Some(ip), Some(overlay)) => ip.hand_over(overlay),
            _ => Vec::new(),
        };
        // (The folders' times below are read after the commit: a record of them is made
        // only for an output written whole by now, not serve's, whose files wait.)
        debug_assert!(!record || self.in_place.is_none(), "a folder record of an output still in memory");
        journal.write(out)?;
        journal.apply(out)?;
        Journal::remove(out);
        drop(reading);
        self.committed = true;
        if !record {
            return Ok(Committed { files, known: listing, folders: None });
        }
        // The folders' times now: a folder the commit moved a file into or out of (or
        // made, or emptied), and every folder above it, is asked again; every other one
        // has the time it had when the build began, if that was the recorded one.
        let touched = folders_of(journal.staged.iter().chain(&journal.delete).chain(&written));
        let same = sealed.map(|s| s.same).unwrap_or_default();
        let kept = |rel: &str| same.get(rel).copied().filter(|_| !touched.contains(rel));
        let folders = Some(folder_times(out, folders_of(files.paths(known)), kept));
        Ok(Committed { files, known: listing, folders })
    }
}

/// What a commit leaves for the records of the output (`inputs`, serve's memo).
pub struct Committed {
    /// The files the build produced, against the listing it started from. Not made into
    /// a list of every file here: at 100,000 documents that was 300,000 paths copied in
    /// each of serve's rebuilds before it could report (see [`Committed::into_known`]).
    files: Claimed,
    known: Option<Arc<Known>>,
    /// The output's folders with their times as the commit left them, when asked for
    /// (see the module comment).
    pub folders: Option<Folders>,
}

impl Committed {
    /// Each file of the output as the build left it, with its stamp and hash (a staged
    /// file keeps its stamp when it is renamed into place, so none is looked at again);
    /// `None` when one of them is not known (or for a dry run: none written).
    pub fn stamps(self) -> Option<Vec<Written>> {
        self.files.stamps(self.known.as_deref())
    }

    /// [`Committed::stamps`] as a [`Known`], the listing of the output for the next
    /// build. When the build produced every file of the listing it started from, that
    /// listing with the files written since: in place, and copied only if someone else
    /// still holds it (a title edit at 100,000 documents writes some twenty files of
    /// 300,000).
    pub fn into_known(self) -> Option<Known> {
        let every = self.files.slots.iter().all(|&s| s != UNCLAIMED);
        match self.known {
            Some(known) if every => {
                let mut known = Arc::unwrap_or_clone(known);
                for (rel, p) in self.files.other {
                    if !p.known {
                        return None;
                    }
                    known.insert(rel, (p.stamp, p.hash));
                }
                Some(known)
            }
            known => Committed { known, ..self }.stamps().map(|v| v.into_iter().map(|(p, s, h)| (p, (s, h))).collect()),
        }
    }
}

/// Each of `folders` of `out` with its time: `kept` when it says, else asked of the
/// file system; a time too recent to be trusted (see the module comment) is recorded
/// as 0, which no folder has, so the next build lists that folder.
fn folder_times(out: &Path, folders: FastSet<String>, kept: impl Fn(&str) -> Option<u128> + Sync) -> Folders {
    use rayon::prelude::*;
    let now = crate::cache::now_ns();
    folders
        .into_par_iter()
        .filter_map(|rel| {
            let t = match kept(&rel) {
                Some(t) => t,
                None => folder_time(&out.join(&rel))?,
            };
            Some((rel, if crate::cache::settled(t, now) { t } else { 0 }))
        })
        .collect()
}

/// The files in `folders` of `out` (relative paths), and every file under a folder in
/// them that `recorded` does not know (a folder made since, whole); folders it knows are
/// listed only if they are in `folders` themselves.
fn files_in_folders(out: &Path, folders: &[String], recorded: &(dyn Fn(&str) -> bool + Sync)) -> Vec<String> {
    use rayon::prelude::*;
    folders
        .par_iter()
        .flat_map_iter(|folder| {
            let mut found = Vec::new();
            let Ok(rd) = std::fs::read_dir(out.join(folder)) else { return found };
            for e in rd.flatten() {
                let rel = crate::diag::rel_path(out, &e.path());
                match e.file_type().is_ok_and(|t| t.is_dir()) {
                    false => found.push(rel),
                    true if recorded(&rel) => {}
                    true => found.extend(files_under(out, &e.path())),
                }
            }
            found
        })
        .collect()
}

/// Every file under `out` (relative, `/`-separated), in no particular order. The walk is
/// split at the second level and run in parallel: a large library's output is one
/// `documents/` folder of 100,000 page folders, and walking 300,000 files one `readdir`
/// at a time was a second of every `gazette build`.
fn files_in(out: &Path) -> Vec<String> {
    use rayon::prelude::*;
    let entries = |dir: &Path| -> Vec<(PathBuf, bool)> {
        let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
        rd.flatten().map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_dir()))).collect()
    };
    let mut files = Vec::new();
    let mut second = Vec::new();
    for (path, is_dir) in entries(out) {
        match is_dir {
            false => files.push(path),
            true => second.extend(entries(&path)),
        }
    }
    let deeper: Vec<Vec<String>> = second
        .par_iter()
        .map(|(path, is_dir)| match is_dir {
            false => vec![crate::diag::rel_path(out, path)],
            true => files_under(out, path).collect(),
        })
        .collect();
    files.iter().map(|p| crate::diag::rel_path(out, p)).chain(deeper.into_iter().flatten()).collect()
}

/// Create file `path` with `data`; its stamp, read from the open file instead of by path
/// (`None` when it cannot be read).
fn create_stamped(path: &Path, data: &[u8]) -> io::Result<Option<Stamp>> {
    let mut f = File::create(path)?;
    io::Write::write_all(&mut f, data)?;
    Ok(f.metadata().ok().and_then(|m| Stamp::from_metadata(&m)))
}

/// The stamp of the previous output's file `rel` now: from `listing` when there is one
/// (the output is known to hold exactly it: serve's own folder), else asked of the file
/// system in `previous` (`None`: there is no previous output).
pub fn stamp_now(listing: Option<&Known>, previous: Option<&Path>, rel: &str) -> Option<Stamp> {
    match listing {
        Some(files) => files.get(rel).map(|(s, _)| s),
        None => Stamp::of(&previous?.join(rel)),
    }
}

/// Every file under folder `dir` of `out` (relative to `out`), in no particular order.
fn files_under<'a>(out: &'a Path, dir: &Path) -> impl Iterator<Item = String> + 'a {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .map(move |e| crate::diag::rel_path(out, e.path()))
}

/// A commit in progress: what to move from the staging folder into the output, and what
/// to delete from it. Written (and synced) before the output is touched; applying it twice
/// is harmless, so a build that finds one completes it.
struct Journal {
    staging: PathBuf,
    staged: Vec<String>,
    delete: Vec<String>,
}

impl Journal {
    fn path(out: &Path) -> PathBuf {
        out_parent(out).join(format!(".{}.gazette-journal", out_name(out)))
    }

    /// One line per entry: `S <staging folder>`, `M <path>` (move in), `D <path>` (delete).
    fn write(&self, out: &Path) -> io::Result<()> {
        let mut text = format!("S {}\n", self.staging.display());
        for p in &self.staged {
            text.push_str(&format!("M {p}\n"));
        }
        for p in &self.delete {
            text.push_str(&format!("D {p}\n"));
        }
        let tmp = out_parent(out).join(format!(".{}.gazette-journal-new", out_name(out)));
        {
            let mut f = File::create(&tmp)?;
            io::Write::write_all(&mut f, text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, Self::path(out))
    }

    fn read(out: &Path) -> Option<Journal> {
        let text = std::fs::read_to_string(Self::path(out)).ok()?;
        let mut j = Journal { staging: PathBuf::new(), staged: Vec::new(), delete: Vec::new() };
        for line in text.lines() {
            match line.split_at_checked(2) {
                Some(("S ", p)) => j.staging = PathBuf::from(p),
                Some(("M ", p)) => j.staged.push(p.to_string()),
                Some(("D ", p)) => j.delete.push(p.to_string()),
                _ => {}
            }
        }
        Some(j)
    }

    /// Complete a commit a killed build left (called with the lock held).
    fn recover(out: &Path) -> io::Result<()> {
        // A journal still being written was never applied: nothing to complete.
        std::fs::remove_file(out_parent(out).join(format!(".{}.gazette-journal-new", out_name(out)))).ok();
        if let Some(j) = Self::read(out) {
            j.apply(out)?;
            Self::remove(out);
        }
        Ok(())
    }

    fn remove(out: &Path) {
        std::fs::remove_file(Self::path(out)).ok();
    }

    fn apply(&self, out: &Path) -> io::Result<()> {
        let crash_after: Option<usize> =
            std::env::var("GAZETTE_TEST_CRASH_IN_COMMIT").ok().and_then(|n| n.parse().ok());
        // Renamed first, asked about only if that fails: nearly every file goes where a
        // file of its name was or where its folder is (three `stat`s a file before, a
        // third of a template edit's commit at 10,000 documents). On every thread: pages
        // are each in a folder of their own, and renames in different folders do not wait
        // for each other (a template edit's commit at 10,000 documents, 13,000 renames,
        // was a quarter of its rebuild). Any subset moved is a state the journal
        // completes, so the order does not matter until a rename fails.
        let moved = AtomicUsize::new(0);
        let failed: Vec<&String> = self
            .staged
            .par_iter()
            .filter(|rel| {
                if crash_after.is_some_and(|n| moved.fetch_add(1, Ordering::Relaxed) == n) {
                    std::process::abort(); // tests only: a build killed in the middle of a commit
                }
                std::fs::rename(self.staging.join(rel), out.join(rel)).is_err()
            })
            .collect();
        // What failed, in order: a folder to make, or a file where a folder goes.
        for rel in failed {
            let (from, to) = (self.staging.join(rel), out.join(rel));
            if !from.exists() {
                continue; // moved by the run that was interrupted
            }
            make_room(out, &to)?;
            std::fs::rename(&from, &to)?;
        }
        for rel in &self.delete {
            match std::fs::remove_file(out.join(rel)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                // A folder on its way is a file now (a file moved in where the folder was,
                // `make_room`): the file went with its folder.
                Err(e) if e.kind() == io::ErrorKind::NotADirectory => {}
                Err(e) if out.join(rel).is_dir() => {
                    let _ = e; // a folder by now (a page where a file was): it stays
                }
                Err(e) => return Err(e),
            }
        }
        // Folders left empty, deepest first.
        for d in deepest_first(&self.delete) {
            std::fs::remove_dir(out.join(d)).ok();
        }
        // The staging folder holds only folders now, each one known from the files moved
        // out of it: removed deepest first without listing any (`remove_dir_all` opened
        // and read each one, some 48,000 calls for a template edit at 10,000 documents);
        // whatever else is left, by a listing.
        for d in deepest_first(&self.staged) {
            std::fs::remove_dir(self.staging.join(d)).ok();
        }
        if std::fs::remove_dir(&self.staging).is_err() {
            std::fs::remove_dir_all(&self.staging).ok();
        }
        Ok(())
    }
}

/// Every folder that holds one of `files` (relative paths), each once, deepest first: a
/// folder after every folder in it (a path sorts after its prefix). The root (`""`) is
/// not among them.
fn deepest_first(files: &[String]) -> Vec<String> {
    let mut folders: Vec<String> = folders_of(files.iter()).into_iter().filter(|d| !d.is_empty()).collect();
    folders.sort_unstable_by(|a, b| b.cmp(a));
    folders
}

/// Clear the way for a file at `to` inside `out`: a folder where the file goes is
/// removed, and so is a file where one of its folders goes (an alias that became a page).
fn make_room(out: &Path, to: &Path) -> io::Result<()> {
    if to.is_dir() {
        std::fs::remove_dir_all(to)?;
    }
    let mut missing = Vec::new();
    let mut p = to.parent();
    while let Some(d) = p.filter(|d| d.starts_with(out) && *d != out) {
        if d.is_dir() {
            break;
        }
        if d.exists() {
            std::fs::remove_file(d)?;
        }
        missing.push(d.to_path_buf());
        p = d.parent();
    }
    for d in missing.iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Stop using an output folder for good, when the process is asked to end (`serve` on
/// Ctrl-C or SIGTERM): wait for a build that is writing it, remove its staging folders,
/// and with `remove` the output itself (a private temporary site). The lock file goes too.
pub fn release(out: &Path, remove: bool) -> io::Result<()> {
    let lock = OutputLock::take(out)?;
    Journal::recover(out)?;
    remove_leftovers(out);
    if remove && out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    drop(lock);
    Ok(())
}

/// Replace files of a committed output in place (`serve`'s fast edits), under the build
/// lock. Each file is written beside its old self and renamed over it, so a reader sees
/// the old bytes or the new ones, never a half-written file. Files whose bytes are already
/// `data` are left alone. Returns the files changed, each with its stamp (`None` when it
/// cannot be read) and hash, for the record of the output (see `build::Memo`).
pub fn update_in_place(out: &Path, files: &[(String, Vec<u8>)]) -> io::Result<Vec<Updated>> {
    let _lock = OutputLock::take(out)?;
    let mut changed = Vec::new();
    for (rel, data) in files {
        let path = out.join(rel);
        if std::fs::read(&path).is_ok_and(|old| old == *data) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_file_name(format!(".gazette-new-{}", std::process::id()));
        // (A rename keeps the file's length and modification time: its stamp.)
        let stamp = create_stamped(&tmp, data)?;
        std::fs::rename(&tmp, &path)?;
        changed.push((rel.clone(), stamp, crate::hash::of(data)));
    }
    Ok(changed)
}

/// Remove files of a committed output (`serve`'s fast edits), under the build lock.
/// Returns them as [`update_in_place`] returns files, without a stamp: the record of the
/// output is dropped and the next build looks at the output itself.
pub fn remove_in_place(out: &Path, files: &[String]) -> io::Result<Vec<Updated>> {
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let _lock = OutputLock::take(out)?;
    for rel in files {
        match std::fs::remove_file(out.join(rel)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(files.iter().map(|rel| (rel.clone(), None, 0)).collect())
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let (false, Some(dir)) = (self.committed, &self.dir) {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serve's in-place commit puts every file where it goes, whatever is in the way: a
    /// folder where a file goes, a file where a folder goes, a new folder many files share
    /// (made by several threads at once); a shorter file leaves nothing of the longer one.
    #[test]
    fn an_in_place_commit_clears_what_is_in_the_way() {
        let d = tempfile::tempdir().expect("tmp");
        let out = d.path().join("out");
        std::fs::create_dir_all(out.join("a/b")).expect("mkdir");
        std::fs::write(out.join("a/b/old.html"), "a folder where a file goes").expect("write");
        std::fs::write(out.join("c"), "a file where a folder goes").expect("write");
        std::fs::write(out.join("long.html"), "the old text, longer than the new one").expect("write");
        std::fs::write(out.join("same.html"), "unchanged").expect("write");
        let readers = Arc::new(RwLock::new(Overlay::default()));
        let s = Staging::create(&out, None, None).expect("staging").in_place(readers.clone());
        s.write("a/b", b"file").expect("a/b");
        s.write("c/index.html", b"page").expect("c");
        for i in 0..64 {
            s.write(&format!("n/m/{i}.html"), format!("new {i}").as_bytes()).expect("n/m");
        }
        s.write("long.html", b"short").expect("long");
        s.write("same.html", b"unchanged").expect("same");
        s.commit(&out, false).expect("commit");
        let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap_or_else(|e| format!("{rel}: {e}"));
        // Committed, the new files are the server's from memory; the disk has the old.
        {
            let overlay = readers.read().expect("overlay");
            assert_eq!(overlay.get("long.html"), Some(&b"short"[..]));
            assert_eq!(overlay.get("n/m/7.html"), Some(&b"new 7"[..]));
            assert_eq!(read("long.html"), "the old text, longer than the new one");
        }
        flush(&readers, &out).expect("flush");
        assert!(readers.read().expect("overlay").get("long.html").is_none(), "flushed, read from disk");
        assert_eq!(read("a/b"), "file");
        assert_eq!(read("c/index.html"), "page");
        assert!((0..64).all(|i| read(&format!("n/m/{i}.html")) == format!("new {i}")));
        assert_eq!(read("long.html"), "short");
        assert_eq!(read("same.html"), "unchanged");
        let beside: Vec<_> = std::fs::read_dir(d.path()).expect("list").flatten().map(|e| e.file_name()).collect();
        assert_eq!(beside, vec![std::ffi::OsString::from("out")], "nothing left beside the output");
    }

    /// Bytes handed over whole are held as they are until they are written: owned ones
    /// given up, shared ones (the catalogue's buffers) the writer's alone again once they
    /// are on disk, so serve's next build fills the same memory.
    #[test]
    fn owned_and_shared_bytes_are_held_without_a_copy_until_flushed() {
        let d = tempfile::tempdir().expect("tmp");
        let out = d.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        std::fs::write(out.join("shared.json"), "the old catalogue, longer than the new one").expect("write");
        let readers = Arc::new(RwLock::new(Overlay::default()));
        let s = Staging::create(&out, None, None).expect("staging").in_place(readers.clone());
        let shared = Arc::new(b"[1, 2]".to_vec());
        let owned = b"<p>page</p>".to_vec();
        let owned_at = owned.as_ptr();
        s.write_stamped("shared.json", Data::Shared(shared.clone())).expect("shared");
        s.write_stamped("a/index.html", owned).expect("owned");
        s.write_stamped("b/index.html", &b"borrowed"[..]).expect("borrowed");
        assert_eq!(Arc::strong_count(&shared), 2, "held, not copied");
        {
            let held = s.in_place.as_ref().expect("in place").held.lock().expect("held");
            let page = held.iter().find(|(rel, _)| rel == "a/index.html").expect("page held");
            assert_eq!(page.1.as_ptr(), owned_at, "the page's own bytes are held, not a copy");
        }
        s.commit(&out, false).expect("commit");
        assert_eq!(Arc::strong_count(&shared), 2, "the server's until written");
        flush(&readers, &out).expect("flush");
        let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap_or_else(|e| format!("{rel}: {e}"));
        assert_eq!(read("shared.json"), "[1, 2]");
        assert_eq!(read("a/index.html"), "<p>page</p>");
        assert_eq!(read("b/index.html"), "borrowed");
        assert_eq!(Arc::strong_count(&shared), 1, "written, the shared buffer is let go");
    }

    /// A place remembered from an earlier listing may hold another file now (a listing
    /// made again after a file went renumbers the places). Files of one length written
    /// within one tick of the clock have the same stamp, so the stamp alone cannot tell:
    /// the file is kept at its own place, and the one at the place given is not claimed.
    #[test]
    fn a_file_looked_for_at_another_files_place_is_kept_at_its_own() {
        let d = tempfile::tempdir().expect("tmp");
        let out = d.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let files = ["a.html", "b.html", "c.html"];
        for rel in files {
            std::fs::write(out.join(rel), rel).expect("write");
        }
        let stamp = Stamp::of(&out.join("a.html")).expect("stamp");
        let known: Known =
            files.iter().map(|rel| (rel.to_string(), (stamp, crate::hash::of(rel.as_bytes())))).collect();
        let s = Staging::create(&out, Some(Arc::new(known)), None)
            .expect("staging")
            .known_is_listing()
            .in_place(Arc::new(RwLock::new(Overlay::default())));
        assert_eq!(s.keep_at("b.html", Some(0), stamp), Some(Some(1)), "kept at a.html's place");
        assert_eq!(s.keep_at("c.html", Some(2), stamp), Some(Some(2)));
        assert_eq!(s.keep_at("c.html", Some(2), stamp), None, "kept twice");
        assert_eq!(s.keep_at("d.html", Some(1), stamp), None, "not in the output");
        s.commit(&out, false).expect("commit");
        assert!(!out.join("a.html").exists(), "a file no claim took is deleted");
        assert!(out.join("b.html").exists() && out.join("c.html").exists());
    }

    /// Files of the record produced as recorded (a flag each) and the others (in a map)
    /// are one set: each claimed once, counted and listed once, and the commit deletes
    /// the record's files no claim took, and only those.
    #[test]
    fn files_claimed_as_recorded_or_not_are_produced_once_and_the_rest_deleted() {
        let d = tempfile::tempdir().expect("tmp");
        let out = d.path().join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        let old: [(&str, &[u8]); 4] =
            [("same.html", b"same"), ("changed.html", b"old"), ("gone.html", b"gone"), ("kept.html", b"kept")];
        for (rel, bytes) in old {
            std::fs::write(out.join(rel), bytes).expect("write");
        }
        let stamp = |rel: &str| Stamp::of(&out.join(rel)).expect("stamp");
        let known: Known = old.iter().map(|(rel, b)| (rel.to_string(), (stamp(rel), crate::hash::of(b)))).collect();
        let readers = Arc::new(RwLock::new(Overlay::default()));
        let s = Staging::create(&out, Some(Arc::new(known)), None)
            .expect("staging")
            .known_is_listing()
            .in_place(readers.clone());
        s.write("same.html", b"same").expect("unchanged");
        s.write("changed.html", b"new").expect("changed");
        assert!(s.keep("kept.html", stamp("kept.html")));
        s.write("new.html", b"new file").expect("new");
        for (rel, what) in [("same.html", "as recorded"), ("changed.html", "changed"), ("new.html", "new")] {
            let again = s.write(rel, b"same");
            assert!(matches!(again, Err(WriteError::Collision(_))), "{rel} ({what}) claimed twice: {again:?}");
        }
        assert!(!s.keep("kept.html", stamp("kept.html")), "kept twice");
        assert_eq!(s.count(), 4);
        assert!(["same.html", "changed.html", "kept.html", "new.html"].iter().all(|rel| s.has(rel)));
        assert!(!s.has("gone.html"));
        let mut listed = s.with_files(|f| f.iter().map(|p| p.to_string()).collect::<Vec<_>>());
        listed.sort();
        assert_eq!(listed, ["changed.html", "kept.html", "new.html", "same.html"]);
        let committed = s.commit(&out, false).expect("commit");
        flush(&readers, &out).expect("flush");
        let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap_or_else(|e| format!("{rel}: {e}"));
        assert_eq!([read("same.html"), read("changed.html"), read("kept.html")], ["same", "new", "kept"]);
        assert_eq!(read("new.html"), "new file");
        assert!(!out.join("gone.html").exists(), "a recorded file no claim took is deleted");
        let mut stamped: Vec<(String, Stamp)> =
            committed.stamps().expect("every stamp known").into_iter().map(|(rel, s, _)| (rel, s)).collect();
        stamped.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<&str> = stamped.iter().map(|(rel, _)| rel.as_str()).collect();
        assert_eq!(names, ["changed.html", "kept.html", "new.html", "same.html"]);
        assert!(
            stamped.iter().all(|(rel, s)| Stamp::of(&out.join(rel)) == Some(*s)),
            "stamps are the files': {stamped:?}"
        );
    }
}
