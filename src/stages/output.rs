//! Writing the output atomically. Everything is written into a staging folder beside the
//! output folder; only a build with no errors swaps it in, so a failed build leaves the
//! previous output exactly as it was (CONTRACT §7), and a host syncing the folder never
//! sees a half-written site.
//!
//! Three more guarantees live here:
//! - **One build per output at a time.** A lock file beside the output serialises
//!   concurrent builds (two CI jobs, an editor's build while `serve` runs); the second
//!   waits, then finds the first one's output. The lock file is removed when the build
//!   ends (beside a web root it would be served); see [`OutputLock`] for why that is safe.
//! - **Interrupted builds leave no damage.** A build killed mid-write (kill -9, power
//!   loss) leaves only its staging folder, which the next build removes. The swap itself
//!   is one `renameat2(RENAME_EXCHANGE)` on Linux: there is no instant without an output.
//! - **Unchanged files are not rewritten.** A file whose bytes equal the previous
//!   output's is hard-linked from it, keeping its inode and modification time, so
//!   `rsync`, `aws s3 sync` and other mtime/size syncers move only what changed.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct Staging {
    /// `None` for `gazette check`: record what would be written, write nothing.
    dir: Option<PathBuf>,
    /// The output folder as it was before this build, to reuse unchanged files from.
    previous: Option<PathBuf>,
    files: Mutex<HashSet<String>>,
    committed: bool,
    /// Held until the staging folder is committed or dropped.
    _lock: Option<OutputLock>,
    /// How many files were hard-linked from the previous output (for `--timings`).
    reused: AtomicUsize,
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
    pub fn create(out: &Path) -> io::Result<Staging> {
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let lock = OutputLock::take(out)?;
        remove_leftovers(out);
        let dir = sibling(out, "tmp");
        std::fs::create_dir_all(&dir)?;
        Ok(Staging {
            dir: Some(dir),
            previous: out.is_dir().then(|| out.to_path_buf()),
            files: Mutex::new(HashSet::new()),
            committed: false,
            _lock: Some(lock),
            reused: AtomicUsize::new(0),
        })
    }

    pub fn dry() -> Staging {
        Staging {
            dir: None,
            previous: None,
            files: Mutex::new(HashSet::new()),
            committed: false,
            _lock: None,
            reused: AtomicUsize::new(0),
        }
    }

    fn claim(&self, rel: &str) -> Result<Option<PathBuf>, WriteError> {
        if !self.files.lock().unwrap_or_else(|e| e.into_inner()).insert(rel.to_string()) {
            return Err(WriteError::Collision(rel.to_string()));
        }
        let Some(dir) = &self.dir else {
            return Ok(None);
        };
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
        Ok(Some(path))
    }

    /// Hard-link the previous output's `rel` to `to` if its bytes are `data`.
    fn reuse(&self, rel: &str, data: &[u8], to: &Path) -> bool {
        let Some(prev) = &self.previous else { return false };
        let old = prev.join(rel);
        // Size first: most changed files differ in length, and it costs no read.
        let same_len = std::fs::symlink_metadata(&old).is_ok_and(|m| m.is_file() && m.len() == data.len() as u64);
        if same_len && std::fs::read(&old).is_ok_and(|b| b == data) && std::fs::hard_link(&old, to).is_ok() {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        false
    }

    pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), WriteError> {
        self.write_with_metadata(rel, data).map(drop)
    }

    /// [`Staging::write`], returning the metadata of the file now staged (for the build
    /// cache's stamp), read from the open file instead of by path.
    pub fn write_with_metadata(&self, rel: &str, data: &[u8]) -> Result<Option<std::fs::Metadata>, WriteError> {
        let Some(path) = self.claim(rel)? else { return Ok(None) };
        if self.reuse(rel, data, &path) {
            return Ok(std::fs::symlink_metadata(&path).ok());
        }
        let err = |e| WriteError::Io(rel.to_string(), e);
        let mut f = File::create(&path).map_err(err)?;
        io::Write::write_all(&mut f, data).map_err(err)?;
        Ok(f.metadata().ok())
    }

    pub fn copy(&self, rel: &str, src: &Path) -> Result<(), WriteError> {
        if let Some(path) = self.claim(rel)? {
            // Attachments can be large: compare by size and modification time instead of
            // reading both; a copy keeps the source's mtime, so an unchanged file matches.
            let src_meta = std::fs::metadata(src).map_err(|e| WriteError::Io(rel.to_string(), e))?;
            let reused = self.previous.as_ref().is_some_and(|prev| {
                let old = prev.join(rel);
                std::fs::symlink_metadata(&old).is_ok_and(|b| {
                    b.is_file() && src_meta.len() == b.len() && src_meta.modified().ok() == b.modified().ok()
                }) && std::fs::hard_link(&old, &path).is_ok()
            });
            if reused {
                self.reused.fetch_add(1, Ordering::Relaxed);
            } else {
                std::fs::copy(src, &path).map_err(|e| WriteError::Io(rel.to_string(), e))?;
                if let Ok(m) = src_meta.modified() {
                    File::options().write(true).open(&path).and_then(|f| f.set_modified(m)).ok();
                }
            }
        }
        Ok(())
    }

    /// Take the previous output's `rel` over as it is (the build cache knows it is
    /// current): a hard link, or a copy where links are not possible.
    pub fn adopt(&self, rel: &str) -> Result<(), WriteError> {
        let Some(path) = self.claim(rel)? else { return Ok(()) };
        let old = self.previous.as_ref().map(|p| p.join(rel)).ok_or_else(|| {
            WriteError::Io(rel.to_string(), io::Error::new(io::ErrorKind::NotFound, "no previous output"))
        })?;
        if std::fs::hard_link(&old, &path).is_err() {
            std::fs::copy(&old, &path).map_err(|e| WriteError::Io(rel.to_string(), e))?;
        }
        self.reused.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Every path written so far (relative, `/`-separated).
    pub fn files(&self) -> HashSet<String> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Files taken over unchanged from the previous output.
    pub fn reused(&self) -> usize {
        self.reused.load(Ordering::Relaxed)
    }

    /// Swap the staging folder in as `out`, atomically where the OS allows, then delete
    /// the previous output.
    pub fn commit(mut self, out: &Path) -> io::Result<()> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        if !out.exists() {
            std::fs::rename(&dir, out)?;
        } else if exchange(&dir, out).is_ok() {
            // `dir` now holds the previous output.
            std::fs::remove_dir_all(&dir).ok();
        } else {
            // No atomic exchange (not Linux, or a filesystem without it): two renames,
            // restoring the previous output if the second fails.
            let old = sibling(out, "old");
            std::fs::rename(out, &old)?;
            if let Err(e) = std::fs::rename(&dir, out) {
                std::fs::rename(&old, out).ok();
                return Err(e);
            }
            std::fs::remove_dir_all(&old).ok();
        }
        self.committed = true;
        Ok(())
    }
}

/// Stop using an output folder for good, when the process is asked to end (`serve` on
/// Ctrl-C or SIGTERM): wait for a build that is writing it, remove its staging folders,
/// and with `remove` the output itself (a private temporary site). The lock file goes too.
pub fn release(out: &Path, remove: bool) -> io::Result<()> {
    let lock = OutputLock::take(out)?;
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
/// `data` are left alone. Returns how many files changed.
pub fn update_in_place(out: &Path, files: &[(String, Vec<u8>)]) -> io::Result<usize> {
    let _lock = OutputLock::take(out)?;
    let mut changed = 0;
    for (rel, data) in files {
        let path = out.join(rel);
        if std::fs::read(&path).is_ok_and(|old| old == *data) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_file_name(format!(".gazette-new-{}", std::process::id()));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, &path)?;
        changed += 1;
    }
    Ok(changed)
}

/// Atomically exchange two paths (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let cb = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: both pointers are valid NUL-terminated strings for the duration of the call.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, ca.as_ptr(), libc::AT_FDCWD, cb.as_ptr(), libc::RENAME_EXCHANGE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no atomic exchange"))
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let (false, Some(dir)) = (self.committed, &self.dir) {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}
