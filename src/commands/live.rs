//! Fast edits for `serve --watch`: the editor's common case, saving a change to the text
//! of one document, shown in the browser in milliseconds instead of a full build.
//!
//! After a good build, `build::run_site` hands `serve` the site it built, kept as [`Live`]: the loaded
//! content, the index, every rendered body and the link gate's view of every page. When
//! only Markdown bodies change, [`Live::apply`] renders those bodies again and rewrites
//! their pages in the served folder. A body appears on its own page and, for a document
//! in a 公报 issue, on that whole-issue page (listings, feeds and the catalogue
//! show front matter), so those pages are all there is to redo, as long as the edit
//! leaves the rest of the site as it was. Each condition below is one
//! way an edit can reach other pages; when any fails, `apply` says why and `serve` runs
//! the full build, which stays the reference:
//!
//! - the front matter is byte-identical (titles, dates, relations, validity feed every
//!   listing and relation box);
//! - the body cites the same documents (被引用 lists on their pages), uses the same
//!   files (what gets published), and keeps the same 办事 tasks (the catalogue);
//! - it neither brings the site its first code block nor takes one out (the syntax
//!   stylesheet is published while some body has code);
//! - it renders without any diagnostic and passes the privacy lint;
//! - the whole site still passes the link gate with the new page (others may link to
//!   its headings).
//!
//! The search index also holds body text: [`Live::refresh_search`] rebuilds it afterwards
//! and replaces the chunks that changed, after the page has been served (and removes the
//! shards past the count when a body lowered it: a full build's commit would not have
//! written them).

use crate::bodies::{self, Bodies};
use crate::build::Built;
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::hash::FastMap;
use crate::linkcheck::{self, PageLinks};
use crate::load;
use crate::render::{Rendered, Renderer};
use crate::resolve::{Index, ItemId};
use crate::routes::base_path;
use crate::theme::Theme;
use std::path::PathBuf;

/// A built site kept in memory for fast edits.
pub struct Live {
    root: PathBuf,
    out: PathBuf,
    cfg: Config,
    theme: std::sync::Arc<Theme>,
    ix: Index,
    bodies: Bodies,
    pages: Vec<PageLinks>,
    targets: std::sync::Arc<linkcheck::Targets>,
    /// Content file (`content/documents/a.md`) → the item whose body it holds.
    by_path: FastMap<String, ItemId>,
    /// A fast edit failed part-way through writing its pages (see [`Live::wrote_unknown`]).
    wrote_unknown: bool,
    /// The key each group of search files was last made from by a fast edit
    /// (`search::Output::group`): while it stays the same they are not made again.
    search_groups: std::sync::Mutex<crate::hash::FastMap<String, u64>>,
}

/// What a fast edit did: the pages it rewrote, and what it has to say (errors mean the
/// edit was not applied: the old page stays, as after a failed build).
#[derive(Debug, Default)]
pub struct Applied {
    pub pages: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// The files written, with their stamps and hashes (see `build::Memo::wrote_outputs`).
    pub written: Vec<crate::output::Updated>,
}

impl Applied {
    pub fn failed(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

impl Live {
    /// Keep the site the last good build left (see `build::run_site`).
    pub fn new(built: Built) -> Self {
        let Built { root, out, cfg, theme, ix, bodies, pages, targets } = built;
        let by_path = ix.content.items().filter(|&t| ix.visible(t)).map(|t| (ix.source(t).path.clone(), t)).collect();
        Live {
            root: root.canonicalize().unwrap_or(root),
            out,
            cfg,
            theme,
            ix,
            bodies,
            pages,
            targets,
            by_path,
            wrote_unknown: false,
            search_groups: Default::default(),
        }
    }

    /// Whether a fast edit may have written files into the output that it could not
    /// report (an I/O error part-way): the record of the output is then unknown.
    pub fn wrote_unknown(&self) -> bool {
        self.wrote_unknown
    }

    /// Apply changes to the files `changed` (absolute paths from the watcher) if they are
    /// body-only edits. `Err` says why a full build is needed instead.
    pub fn apply(&mut self, changed: &[PathBuf]) -> Result<Applied, String> {
        let mut targets = Vec::new();
        for p in changed {
            let exists = p.exists();
            let abs = if exists {
                p.canonicalize().ok()
            } else {
                p.parent().and_then(|d| d.canonicalize().ok()).zip(p.file_name()).map(|(d, n)| d.join(n))
            };
            let rel = abs.as_deref().and_then(|a| a.strip_prefix(&self.root).ok());
            let Some(rel) = rel.map(|r| r.to_string_lossy().replace('\\', "/")) else {
                return Err(format!("{} is outside the site", p.display()));
            };
            match self.by_path.get(&rel) {
                Some(_) if !exists => return Err(format!("{rel} was removed or renamed")),
                Some(&t) => targets.push(t),
                // A folder moved away (one event, not one per file) with the site's files.
                None if !exists && self.held_files_under(&rel) => return Err(format!("{rel}/ was removed or renamed")),
                None if !exists && scratch(&rel) => continue,
                // Any other file gone may be one the last build read (an attachment, a
                // registry, a FAQ set, a theme's template or static file).
                None if !exists => return Err(format!("{rel} was removed or renamed")),
                None => return Err(format!("{rel} is not the Markdown body of a published item")),
            }
        }
        targets.sort_unstable();
        targets.dedup();
        let mut done = Applied::default();
        for t in targets {
            self.apply_one(t, &mut done)?;
        }
        Ok(done)
    }

    /// Whether folder `rel` (`content/…`) held published items or files.
    fn held_files_under(&self, rel: &str) -> bool {
        let folder = format!("{rel}/");
        let attachments = rel.strip_prefix("content/").map(|r| format!("{r}/"));
        self.by_path.keys().any(|p| p.starts_with(&folder))
            || attachments
                .is_some_and(|a| self.ix.content.files.range(a.clone()..).next().is_some_and(|f| f.starts_with(&a)))
    }

    fn apply_one(&mut self, t: ItemId, done: &mut Applied) -> Result<(), String> {
        let (ix, cfg) = (&self.ix, &self.cfg);
        let src = ix.source(t);
        let new = load::body_only_edit(&self.root, src, &cfg.limits)
            .ok_or_else(|| format!("{}: the front matter changed", src.path))?;
        let old = ix.content.item(t).body();
        if new == old {
            return Ok(());
        }
        let before = bodies::render_single(ix, &self.bodies, t, old, &cfg.iframe_hosts);
        let after = bodies::render_single(ix, &self.bodies, t, &new, &cfg.iframe_hosts);
        let diags = Diagnostics::default();
        crate::privacy::check(src, &new, &diags);
        diags.extend(after.diags);
        let diags = diags.into_sorted();
        // The last build was clean and only this body changed: its errors are exactly
        // what a full build would report, so report them and keep serving the old page.
        if diags.iter().any(|d| d.severity == Severity::Error) {
            done.diagnostics.extend(diags);
            return Ok(());
        }
        let why = if after.cites != before.cites {
            Some("the documents it cites changed")
        } else if after.files != before.files {
            Some("the files it links changed")
        } else if after.body.has_code && !self.bodies.has_code {
            Some("it is the first page with code")
        } else if before.body.has_code && !after.body.has_code {
            // (It may have been the last: then the syntax stylesheet goes.)
            Some("its code blocks were taken out")
        } else if matches!(t, ItemId::Doc(i) if self.bodies.tasks.get(i).is_none_or(|was| crate::tasks::extract(&new) != *was))
        {
            Some("its 办事 tasks changed")
        } else {
            None
        };
        if let Some(why) = why {
            return Err(format!("{}: {why}", src.path));
        }
        done.diagnostics.extend(diags);

        let previous = self.bodies.slot(t).replace(after.body);
        let path = src.path.clone();
        let minify = cfg.minify;
        let base = base_path(&cfg.base_url);
        let rendered: Result<Vec<_>, _> = {
            let renderer = Renderer::for_items(ix, &self.bodies, &self.theme, cfg);
            renderer.pages_showing_body(t).into_iter().map(|job| renderer.render(job).map(Rendered::made)).collect()
        };
        let Ok(pages) = rendered else {
            *self.bodies.slot(t) = previous;
            return Err(format!("{path}: a page does not render"));
        };
        // (Without a cache the renderer makes every page: none is kept.)
        let pages: Vec<_> = pages.into_iter().flatten().collect();
        let mut swapped: Vec<(usize, PageLinks)> = Vec::new();
        let restore = |me: &mut Self, swapped: Vec<(usize, PageLinks)>, previous| {
            for (k, links) in swapped.into_iter().rev() {
                me.pages[k] = links;
            }
            *me.bodies.slot(t) = previous;
        };
        for page in &pages {
            // (Found by a look through the pages for each of the edit's few, not a map of
            // every page's path made after every build: at 100,000 documents that map and
            // `by_path` hashed with SipHash took ~70 ms of CPU after each rebuild.)
            let Some(k) = self.pages.iter().position(|p| p.path == page.path) else {
                restore(self, swapped, previous);
                return Err(format!("{path}: its page is new"));
            };
            let links = PageLinks::new(page.path.clone(), page.blame.clone(), &page.html, &base, false, &page.pieces);
            swapped.push((k, std::mem::replace(&mut self.pages[k], links)));
        }
        if !self.targets.broken_pages(&self.pages, None).is_empty() {
            restore(self, swapped, previous);
            return Err(format!("{path}: a link would break"));
        }
        let files: Vec<(String, Vec<u8>)> =
            pages.into_iter().map(|p| (p.path, if minify { crate::minify::html(&p.html) } else { p.html })).collect();
        let written = crate::output::update_in_place(&self.out, &files).map_err(|e| {
            // Some files may be written: what the output holds is not known.
            self.wrote_unknown = true;
            format!("cannot write {}: {e}", files[0].0)
        })?;
        done.written.extend(written);
        *self.ix.content.item_mut(t).body_mut() = new; // the site stays as saved
        done.pages.extend(files.into_iter().map(|(p, _)| p));
        Ok(())
    }

    /// Rebuild the search index from the current bodies and replace the chunks that
    /// changed. Returns the files changed (see `output::update_in_place`).
    pub fn refresh_search(&self, memo: &crate::search::Memo) -> std::io::Result<Vec<crate::output::Updated>> {
        let chunks = std::sync::Mutex::new(Vec::new());
        // No inputs keys here (they come with a full build's renderer): items are described
        // again, their terms still taken from the memo.
        let write = |path: String, json: std::borrow::Cow<'_, str>| {
            let bytes = crate::search::into_html_safe(json).into_owned();
            chunks.lock().unwrap_or_else(|e| e.into_inner()).push((path, bytes));
            None
        };
        // A text file still the one the last build wrote for its item stays as it is (a
        // `stat`, not reading and comparing every text file).
        let keep = |path: &str, stamp| crate::output::stamp_now(None, Some(&self.out), path) == Some(stamp);
        // The exact-number and facet files: a body changes no field they show, but may
        // change the shard count in `config.json`. Made when their key is not the one
        // the last fast edit made them from (the build's key is in its page cache: the
        // first fast edit after a build makes them once); else left as they are.
        let group = |name: &str, key: u64, make: &mut dyn FnMut() -> crate::search::Files| {
            let mut made = self.search_groups.lock().unwrap_or_else(|e| e.into_inner());
            if made.get(name) == Some(&key) {
                return;
            }
            for (path, json) in make() {
                write(path, json.into());
            }
            made.insert(name.to_string(), key);
        };
        // (Its place in the build's listing, as the build found it: serve's next build
        // looks for it there. A fast edit adds no file to the listing and moves none.)
        let keep_at = |path: &str, place, stamp| keep(path, stamp).then_some(place);
        let out = crate::search::Output { write: &write, keep: &keep, keep_at: &keep_at, group: &group };
        crate::search::build(&self.ix, &self.bodies, Some(memo), None, &|_| 0, &out);
        let mut done =
            crate::output::update_in_place(&self.out, &chunks.into_inner().unwrap_or_else(|e| e.into_inner()))?;
        // A body can lower the shard count too: the shards past it go.
        done.extend(crate::output::remove_in_place(&self.out, &crate::search::stale_shards(memo, &self.out))?);
        Ok(done)
    }
}

/// Whether `rel`, gone before its event was read, is vim's scratch file (`4913`, made
/// and removed within a save to probe whether the folder is writable): nothing a build
/// reads. A name that is an editor's whatever it holds (`x.tmp`, `.x.swp`, JetBrains'
/// copies) serve ignores before it gets here (`serve::ignored`); digits alone may name a
/// site's file, so only one gone is taken for vim's.
fn scratch(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}
