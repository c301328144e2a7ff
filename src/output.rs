//! Writing the output atomically. Everything is written into a staging folder beside the
//! output folder; only a build with no errors swaps it in, so a failed build leaves the
//! previous output exactly as it was (CONTRACT §7), and a host syncing the folder never
//! sees a half-written site.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct Staging {
    /// `None` for `gazette check`: record what would be written, write nothing.
    dir: Option<PathBuf>,
    files: Mutex<HashSet<String>>,
    committed: bool,
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

fn sibling(out: &Path, tag: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    parent.join(format!(".{name}.gazette-{tag}-{}", std::process::id()))
}

impl Staging {
    pub fn create(out: &Path) -> io::Result<Staging> {
        let dir = sibling(out, "tmp");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Staging { dir: Some(dir), files: Mutex::new(HashSet::new()), committed: false })
    }

    pub fn dry() -> Staging {
        Staging { dir: None, files: Mutex::new(HashSet::new()), committed: false }
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
            std::fs::create_dir_all(parent).map_err(|e| WriteError::Io(rel.to_string(), e))?;
        }
        Ok(Some(path))
    }

    pub fn write(&self, rel: &str, data: &[u8]) -> Result<(), WriteError> {
        if let Some(path) = self.claim(rel)? {
            std::fs::write(&path, data).map_err(|e| WriteError::Io(rel.to_string(), e))?;
        }
        Ok(())
    }

    pub fn copy(&self, rel: &str, src: &Path) -> Result<(), WriteError> {
        if let Some(path) = self.claim(rel)? {
            std::fs::copy(src, &path).map_err(|e| WriteError::Io(rel.to_string(), e))?;
        }
        Ok(())
    }

    /// Every path written so far (relative, `/`-separated).
    pub fn files(&self) -> HashSet<String> {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Swap the staging folder in as `out`. The previous output is moved aside first and
    /// restored if the swap fails.
    pub fn commit(mut self, out: &Path) -> io::Result<()> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let old = sibling(out, "old");
        let had_old = out.exists();
        if had_old {
            if old.exists() {
                std::fs::remove_dir_all(&old)?;
            }
            std::fs::rename(out, &old)?;
        }
        if let Err(e) = std::fs::rename(&dir, out) {
            if had_old {
                std::fs::rename(&old, out).ok();
            }
            return Err(e);
        }
        self.committed = true;
        if had_old {
            std::fs::remove_dir_all(&old).ok();
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if let (false, Some(dir)) = (self.committed, &self.dir) {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}
