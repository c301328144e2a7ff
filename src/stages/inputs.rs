//! The build's inputs and what they gave (`.gazette-cache/inputs-*.bin`): a `gazette build`
//! whose inputs are all as the last good build found them, and whose output still holds
//! every file that build wrote, is done without running the pipeline.
//!
//! The output is a function of the inputs: the files under `content/` and the site's
//! theme folder, `gazette.yaml`, the options that change the output (`--base-url`,
//! `--drafts`, `--date` or today's date, `--deny-warnings`) and the gazette binary itself
//! (a hash of the executable). The record keeps each input file's path, stamp (length
//! and modification time) and XXH3 hash of its bytes; a file whose stamp is unchanged is
//! not read again (as git's index does: unless it was modified just before it was read,
//! `Stamp::settled`), one whose stamp changed is hashed, so a fresh CI checkout (new
//! mtimes, same bytes) is still recognised. It also keeps the stamp of every
//! output file and the build's diagnostics and counts, which the CLI prints again.
//!
//! Anything unsure means "build": no record, another binary or option, an input added,
//! removed or changed, an output file missing or touched, a commit left half done. Like
//! make and ninja, files put into the output by hand are not looked for here (the next
//! build that commits deletes them: `output`'s folder times).

use crate::cache::Stamp;
use crate::diag::Diagnostic;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const MAGIC: &str = "gazette-inputs-4";

/// One input file as the record keeps it.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
struct Input {
    path: String,
    len: u64,
    mtime_ns: u128,
    hash: u64,
}

/// What a build gave, to be reported again by a build that finds nothing changed.
#[derive(Serialize, Deserialize, Default, Clone)]
pub struct Result {
    pub diagnostics: Vec<Diagnostic>,
    pub pages: usize,
    pub files: usize,
    /// Embargoed documents: file and date (`YYYY-MM-DD`).
    pub embargoed: Vec<(String, String)>,
    pub site_url: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    magic: String,
    key: u64,
    /// When the inputs were read (see `Stamp::settled`).
    read_at_ns: u128,
    inputs: Vec<Input>,
    /// Every output file: relative path, length, modification time, hash of its bytes
    /// (0 when not known).
    outputs: Vec<(String, u64, u128, u64)>,
    /// The output's folders and their times after the commit (`output::Folders`).
    folders: crate::output::Folders,
    result: Result,
}

/// A [`Record`] as it is written: the same fields in the same order, borrowed, and
/// streamed to the file (postcard writes a `&str` as a `String`, a slice as a `Vec`). The
/// output's files, copied and encoded whole, were some 60 MB at 100,000 documents at the
/// end of a build, its peak of memory.
#[derive(Serialize)]
struct RecordRef<'a> {
    magic: &'a str,
    key: u64,
    read_at_ns: u128,
    inputs: &'a [Input],
    outputs: Outputs<'a>,
    folders: &'a crate::output::Folders,
    result: &'a Result,
}

/// The output's files as [`Record::outputs`].
struct Outputs<'a>(&'a [crate::output::Written]);

impl Serialize for Outputs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(p, st, h)| (p.as_str(), st.len, st.mtime_ns, *h)))
    }
}

/// Every file under `folder` (missing is fine), as [`Inputs::scan`] takes them: its path
/// under `root` and its full path.
pub fn files_under(root: &Path, folder: &Path) -> Vec<(String, PathBuf)> {
    let files = walkdir::WalkDir::new(folder).into_iter().flatten().filter(|e| !e.file_type().is_dir());
    files.map(|e| (crate::diag::rel_path(root, e.path()), e.path().to_path_buf())).collect()
}

/// The inputs of this build, read before it runs; saved with its result after a commit.
pub struct Inputs {
    file: PathBuf,
    key: u64,
    read_at_ns: u128,
    inputs: Vec<Input>,
    /// Whether every input could be read (an unreadable one never matches a record).
    complete: bool,
    old: Option<Record>,
}

impl Inputs {
    /// Read the previous record in cache folder `dir` for output `name` (named like the
    /// page cache's file) and stat (and where needed hash) this build's inputs, `found`:
    /// each input file's path under the site root and its full path (see
    /// [`files_under`]). `key` covers the binary, the options and the configuration.
    pub fn scan(dir: &Path, name: u64, key: u64, mut found: Vec<(String, PathBuf)>) -> Inputs {
        let file = dir.join(format!("inputs-{name:016x}.bin"));
        let old =
            std::fs::read(&file).ok().and_then(|b| crate::cache::decode::<Record>(&b)).filter(|r| r.magic == MAGIC);
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let read_at_ns = crate::cache::now_ns();
        let previous_read_at = old.as_ref().map_or(0, |r| r.read_at_ns);
        let known: std::collections::HashMap<&str, &Input> =
            old.iter().flat_map(|r| r.inputs.iter().map(|i| (i.path.as_str(), i))).collect();
        // (Input hashes do not depend on the key: a file's bytes are its bytes.)
        let read: Vec<Option<Input>> = found
            .par_iter()
            .map(|(rel, path)| {
                let stamp = Stamp::from_metadata(&std::fs::metadata(path).ok()?)?;
                let hash = match known.get(rel.as_str()) {
                    Some(i)
                        if i.len == stamp.len && i.mtime_ns == stamp.mtime_ns && stamp.settled(previous_read_at) =>
                    {
                        i.hash
                    }
                    _ => crate::hash::of(&std::fs::read(path).ok()?),
                };
                Some(Input { path: rel.clone(), len: stamp.len, mtime_ns: stamp.mtime_ns, hash })
            })
            .collect();
        let complete = read.iter().all(Option::is_some);
        drop(known);
        Inputs { file, key, read_at_ns, inputs: read.into_iter().flatten().collect(), complete, old }
    }

    /// Every input file's hash by its path under the site root (`content/…`), as this
    /// scan found it: what `load::Record` recognises unchanged files by.
    pub fn hashes(&self) -> crate::hash::FastMap<String, u64> {
        self.inputs.iter().map(|i| (i.path.clone(), i.hash)).collect()
    }

    /// The output's files as the last good build recorded them (whatever changed since):
    /// lets this build recognise unchanged files without reading them. Taken out of the
    /// record read (this build saves its own), not copied: 300,000 paths at 100,000
    /// documents.
    pub fn take_known(&mut self) -> Option<crate::output::Known> {
        let outputs = std::mem::take(&mut self.old.as_mut()?.outputs);
        let stamp = |len, mtime_ns| Stamp { len, mtime_ns };
        Some(outputs.into_iter().map(|(p, len, m, h)| (p, (stamp(len, m), h))).collect())
    }

    /// The output's folders as the last good build left them (see `output::Folders`),
    /// taken out of the record read (this build saves its own).
    pub fn take_folders(&mut self) -> Option<crate::output::Folders> {
        Some(std::mem::take(&mut self.old.as_mut()?.folders))
    }

    /// The previous build's result, when its inputs are this build's (same bytes) and
    /// the output `out` still holds every file it wrote, untouched. The caller holds
    /// the output's lock and has checked that no commit is pending.
    pub fn unchanged(&self, out: &Path) -> Option<&Result> {
        let old = self.old.as_ref()?;
        let same = |a: &Input, b: &Input| a.path == b.path && a.hash == b.hash;
        if !self.complete
            || old.key != self.key
            || old.inputs.len() != self.inputs.len()
            || !old.inputs.iter().zip(&self.inputs).all(|(a, b)| same(a, b))
        {
            return None;
        }
        let intact = old
            .outputs
            .par_iter()
            .all(|(rel, len, mtime_ns, _)| Stamp::of(&out.join(rel)) == Some(Stamp { len: *len, mtime_ns: *mtime_ns }));
        intact.then_some(&old.result)
    }

    /// Record this build: its inputs, every file of the output as it left it (relative
    /// path and stamp) and what it reported. Best effort: without a record the next
    /// build runs in full.
    pub fn save(self, outputs: &[crate::output::Written], folders: crate::output::Folders, result: Result) {
        if !self.complete {
            std::fs::remove_file(&self.file).ok();
            return;
        }
        let record = RecordRef {
            magic: MAGIC,
            key: self.key,
            read_at_ns: self.read_at_ns,
            inputs: &self.inputs,
            outputs: Outputs(outputs),
            folders: &folders,
            result: &result,
        };
        crate::cache::write_atomically_with(&self.file, |w| crate::cache::encode_to(&record, w));
    }
}
