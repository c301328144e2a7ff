//! The pipeline, one way: config → load → resolve → bodies → render → gate → write.
//!
//! `gazette build` and `gazette check` run the same stages; check writes nothing.
//! Exit codes (CONTRACT §7): 0 success, 1 content errors, 2 usage/config/theme/I-O.

use crate::bodies;
use crate::cache::{PageCache, Stamp};
use crate::config;
use crate::date::Date;
use crate::diag::{Diagnostic, Diagnostics, Loc, Severity};
use crate::feeds;
use crate::linkcheck::{self, PageLinks};
use crate::load;
use crate::output::{Staging, WriteError};
use crate::render::{Job, Rendered, Renderer};
use crate::resolve::Index;
use crate::routes::{self, base_path};
use crate::theme::{self, Theme};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub root: PathBuf,
    /// Output folder; `None` means `public/` under the root.
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
    pub drafts: bool,
    pub date: Option<Date>,
    pub deny_warnings: bool,
    /// false for `gazette check`.
    pub write: bool,
    pub timings: bool,
    /// Keep every link of every page (for `check --report` and `--external`).
    pub collect_links: bool,
    /// Show a progress bar (see `progress`).
    pub progress: bool,
    /// Name of the build cache file instead of the output folder's (see `cache`).
    pub cache_name: Option<String>,
    /// The cache folder instead of `ROOT/.gazette-cache` (`--cache-dir`).
    pub cache_dir: Option<PathBuf>,
    /// Finish at once when the inputs and the output are as the last good build left them
    /// (`gazette build`; see `inputs`). `serve` needs the site itself and builds.
    pub skip_unchanged: bool,
    /// The process ends after this build (`gazette build`, `gazette check`): the site it
    /// built is left for the operating system to reclaim at exit instead of being freed
    /// allocation by allocation (half a second of a one-edit build at 100,000 documents).
    pub exits_after: bool,
    /// The output is private to this process, whose readers of it take this lock's read
    /// side (`serve` without `--output`): a build's commit hands its changed files to the
    /// overlay under the write side, for the caller to write in place afterwards (see
    /// `output::Staging::in_place`, `output::flush`).
    pub readers: Option<std::sync::Arc<std::sync::RwLock<crate::output::Overlay>>>,
}

/// One link of one generated page, for the link report and external checks.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkRecord {
    /// The generated page: `documents/x/index.html`.
    pub page: String,
    /// The site file it came from, and the line when it came from Markdown.
    pub source: String,
    pub line: usize,
    pub url: String,
    pub external: bool,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a build produced, for the CLI (and tests) to report.
#[derive(Debug, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub exit_code: i32,
    pub pages: usize,
    pub files: usize,
    pub output: PathBuf,
    /// Per stage: name, seconds, and resident memory (MB) when it ended (`--timings`).
    pub timings: Vec<(&'static str, f64, u64)>,
    /// Output files identical to the previous build's, left untouched.
    pub unchanged: usize,
    /// Pages rendered; the others were known to the build cache (see `cache`).
    pub rendered: usize,
    pub links: Vec<LinkRecord>,
    /// Service URLs with where each is declared (services.yaml), when links are collected.
    pub services: Vec<(String, Loc)>,
    /// The site's own absolute base_url: links under it are the site's, not external.
    pub site_url: Option<String>,
    /// Documents held back by an embargo: (file, the date they are published).
    pub embargoed: Vec<(String, Date)>,
    /// Nothing the output is built from changed since the last good build, and the
    /// output is as it left it: nothing was done (see `inputs`).
    pub up_to_date: bool,
    /// Content files read and parsed, of all (`--timings`).
    pub parsed: Option<(usize, usize)>,
}

impl Outcome {
    fn fail(code: i32, diagnostics: Vec<Diagnostic>) -> Outcome {
        Outcome { diagnostics, exit_code: code, ..Default::default() }
    }
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// The summary's note on embargoed documents: each file and its date (a long list
    /// is cut), or nothing when none is held back.
    pub fn embargo_note(&self) -> Option<String> {
        const SHOWN: usize = 20;
        if self.embargoed.is_empty() {
            return None;
        }
        let mut list: Vec<String> = self.embargoed.iter().take(SHOWN).map(|(p, d)| format!("{p} ({d})")).collect();
        if self.embargoed.len() > SHOWN {
            list.push(format!("and {} more", self.embargoed.len() - SHOWN));
        }
        Some(format!("{} document(s) embargoed, published on their date: {}", self.embargoed.len(), list.join(", ")))
    }

    /// Print each stage's time and the memory in use after it (`--timings`).
    pub fn print_timings(&self) {
        for (stage, secs, mb) in &self.timings {
            let mem = if *stage == "total" { "peak" } else { "now" };
            eprintln!("{stage:>12}: {:8.1} ms   RSS {mem} {mb:>5} MB", secs * 1000.0);
        }
        if let Some((parsed, of)) = self.parsed {
            eprintln!("content files: {parsed} of {of} read and parsed (the others as the last build found them)");
        }
    }

    /// Print the diagnostics to stderr, one per problem, then a count: put together first
    /// and written at once (stderr is unbuffered: each piece of each diagnostic was a
    /// write of its own, hundreds per serve rebuild of a library with many warnings).
    pub fn report(&self) {
        use std::fmt::Write as _;
        let mut text = String::new();
        for d in &self.diagnostics {
            writeln!(text, "{d}").ok();
        }
        let (errs, warns) = (self.errors(), self.warnings());
        if errs > 0 || warns > 0 {
            writeln!(text, "{errs} error(s), {warns} warning(s)").ok();
        }
        std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes()).ok();
    }
}

/// Refuse output folders that would destroy the site: the root itself, a parent of it,
/// or a folder inside content/ or themes/.
fn check_output(root: &Path, out: &Path) -> Result<(), Diagnostic> {
    let abs = |p: &Path| {
        let p = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
        p.canonicalize().unwrap_or_else(|_| load::lexical_normalize(&p))
    };
    let (r, o) = (abs(root), abs(out));
    let bad = r.starts_with(&o)
        || o.starts_with(r.join("content"))
        || o.starts_with(r.join("themes"))
        || o.join("content").is_dir()
        || o.join(config::FILE).is_file();
    if bad {
        return Err(Diagnostic::error(
            &Loc::file(out.display().to_string()),
            "refusing to use this output folder: it is or contains the site's sources",
        )
        .help("choose a separate folder such as `public/` (`-o public`)"));
    }
    Ok(())
}

/// A field of /proc/self/status in MB (Linux; 0 elsewhere).
fn proc_status_mb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn resident_mb() -> u64 {
    proc_status_mb("VmRSS:")
}

/// Hand memory freed by a stage back to the OS before the next one (a one-off build; serve
/// does it after each build): after the render stage's millions of short-lived strings
/// that is hundreds of megabytes the rest of the build never reuses.
fn trim_heap() {
    crate::allocator::release_free_memory();
}

fn peak_resident_mb() -> u64 {
    proc_status_mb("VmHWM:")
}

pub fn run(opts: &Options) -> Outcome {
    let (outcome, built) = run_site(opts);
    if opts.exits_after {
        std::mem::forget(built);
    }
    outcome
}

/// A site as the last good build left it, owned, for whoever keeps it (`serve --watch`
/// hands it to `live` for fast edits).
pub struct Built {
    pub root: PathBuf,
    pub out: PathBuf,
    pub cfg: config::Config,
    pub theme: std::sync::Arc<Theme>,
    pub ix: Index,
    pub bodies: bodies::Bodies,
    /// The link gate's view of every page, and what links may name (every file written).
    pub pages: Vec<PageLinks>,
    pub targets: std::sync::Arc<linkcheck::Targets>,
}

/// What a build keeps for the next build in the same process (`serve --watch`): the
/// files it loaded, the bodies it rendered, the items it indexed for search and the
/// files it left in the output, so a build after an edit re-parses, re-renders and
/// re-indexes only what the edit changed (ARCHITECTURE.md, "What one build leaves the
/// next"). Each memo holds one build's worth; the output stays byte-identical to a build
/// without them (`tests/serve.rs`).
#[derive(Default)]
pub struct Memo {
    pub(crate) load: load::Memo,
    pub(crate) resolve: crate::resolve::Memo,
    pub(crate) bodies: bodies::Memo,
    pub(crate) search: crate::search::Memo,
    pub(crate) catalog: feeds::Memo,
    pub(crate) finder: crate::finder::Memo,
    pub(crate) rows: crate::render::RowMemo,
    pub(crate) listings: crate::render::ListingsMemo,
    pub(crate) lint: crate::lint::Memo,
    /// The output's files as the last build left them (see `output::Known`).
    outputs: std::sync::Mutex<Option<std::sync::Arc<crate::output::Known>>>,
    /// The page cache the last build made (`cache::PageCache::encode`), handed to the
    /// next instead of written and read back.
    pages: std::sync::Mutex<Option<std::sync::Arc<Vec<u8>>>>,
    /// What the last build left for `outputs` and `pages`, until [`Memo::settle`].
    settling: std::sync::Mutex<Option<Settling>>,
    /// The last build's search stage took longer than its pages: the next starts it first
    /// (see `run_site_with`).
    search_first: std::sync::atomic::AtomicBool,
    /// What the link gate of the build that left `outputs` knew.
    gate: std::sync::Mutex<Option<Gate>>,
    /// The theme the last build loaded: the next takes it when its files and the
    /// configuration are the same (`Theme::load_after`).
    theme: std::sync::Mutex<Option<std::sync::Arc<Theme>>>,
    /// The pages the last build wrote or kept, in its order, by inputs key (see
    /// [`KeptPage`]).
    kept_pages: crate::render::KeptByInputs<KeptPage>,
}

/// A page serve's last build left in the output, with its keys and its file's stamp. The
/// next build takes it as it is when the page's inputs key is the one it had (the key
/// names the page: its item or listing page is hashed in it) and the output's file is
/// still the one with that stamp, before the page's path is even made: a page of a
/// rebuild taken over from the page cache instead is its path formatted, looked up in the
/// cache and in the output's listing, and its links decoded (some 150,000 pages of every
/// rebuild at 100,000 documents).
pub(crate) struct KeptPage {
    links: PageLinks,
    keys: crate::cache::Keys,
    stamp: Stamp,
    /// Its file's place in the output's listing, when known: kept there without its path
    /// being hashed and looked up among every file (`Staging::keep_at`; ~60 ms of CPU
    /// of a title edit's rebuild at 100,000 documents).
    place: Option<u32>,
}

/// What a build's link gate leaves the next (serve): what every link could name, and the
/// order of the pages it numbered. A build that writes the same files, its pages in the
/// same order, names the same targets by the same numbers; it checks only the pages it
/// rendered (see `linkcheck::check`).
#[derive(Clone)]
struct Gate {
    /// The pages' paths in order, as one hash ([`page_order`]).
    order: u64,
    targets: std::sync::Arc<linkcheck::Targets>,
}

/// The paths of `pages` in order, as one hash.
fn page_order(pages: &[PageLinks]) -> u64 {
    let mut h = crate::hash::Hasher::new();
    for p in pages {
        h.piece(p.path.as_bytes());
    }
    h.digest()
}

/// A build's records of its output, as it leaves them to serve's next build: the page
/// cache with each page's keys, and every output file's stamp and hash. Made into
/// `Memo::pages` and `Memo::outputs` once the build is reported (at 10,000 documents a
/// twentieth of a title edit's rebuild, which the edit need not wait for).
struct Settling {
    cache: Option<PageCache>,
    page_meta: Vec<Option<(crate::cache::Keys, Stamp)>>,
    /// Each page's place in the output's listing, when it was kept there.
    places: Vec<Option<u32>>,
    committed: Option<crate::output::Committed>,
    gate: Gate,
}

impl Memo {
    /// Something other than a build wrote `files` into the output (`serve`'s fast edits,
    /// see `output::update_in_place`): the record of its files takes their new stamps and
    /// hashes. When a stamp is not known, the record is dropped and the next build looks
    /// at the output itself (a `stat` of every file it would keep).
    pub fn wrote_outputs(&self, files: &[crate::output::Updated]) {
        let mut outputs = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        let Some(known) = outputs.as_mut() else { return };
        let known = std::sync::Arc::make_mut(known);
        for (rel, stamp, hash) in files {
            let Some(stamp) = stamp else {
                *outputs = None;
                return;
            };
            known.insert(rel.clone(), (*stamp, *hash));
        }
    }

    /// Put together what the build that returned `pages` left for the next one (see
    /// `Settling`). serve calls it once the build is reported; a build that finds its
    /// predecessor's left unsettled drops it and looks at the output itself.
    pub fn settle(&self, pages: &[PageLinks]) {
        self.bodies.release();
        let Some(Settling { cache, page_meta, places, committed, gate }) =
            self.settling.lock().unwrap_or_else(|e| e.into_inner()).take()
        else {
            return;
        };
        if let Some(c) = cache {
            let (keys, kept) = pages
                .iter()
                .zip(&page_meta)
                .zip(places)
                .map(|((p, meta), place)| match *meta {
                    Some((keys, stamp)) if keys.inputs != 0 => {
                        (keys.inputs, Some(KeptPage { links: p.clone(), keys, stamp, place }))
                    }
                    _ => (0, None),
                })
                .unzip();
            self.kept_pages.keep(keys, kept);
            // The last build's bytes, read by nothing now (its page cache was released).
            let last = self.pages.lock().unwrap_or_else(|e| e.into_inner()).take();
            let bytes =
                c.encode(pages, &page_meta, last.and_then(|b| std::sync::Arc::try_unwrap(b).ok()).unwrap_or_default());
            *self.pages.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::sync::Arc::new(bytes));
            // (Dropped here, with the listing it held: the listing is updated in place
            // below when nothing else holds it.)
        }
        // (The gate's record only beside the listing of the same build: a rebuild takes
        // it when it writes the files that listing has.)
        let gate = match committed.and_then(crate::output::Committed::into_known) {
            Some(known) => {
                *self.outputs.lock().unwrap_or_else(|e| e.into_inner()) = Some(std::sync::Arc::new(known));
                Some(gate)
            }
            None => None,
        };
        *self.gate.lock().unwrap_or_else(|e| e.into_inner()) = gate;
    }

    /// Something other than a build wrote into the output and cannot say what (a write
    /// that failed part-way): the next build looks at the output itself.
    pub fn forget_outputs(&self) {
        *self.outputs.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Run the pipeline; when the output was written, also return the site it built.
pub fn run_site(opts: &Options) -> (Outcome, Option<Built>) {
    run_site_with(opts, None)
}

/// [`run_site`] with the memo of earlier builds in this process.
pub fn run_site_with(opts: &Options, memo: Option<&Memo>) -> (Outcome, Option<Built>) {
    let t0 = Instant::now();
    if let Some(m) = memo {
        // (Left by a build whose site was not kept: its records may not describe the
        // output as it is.)
        m.settling.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
    if opts.write && !opts.collect_links {
        crate::cache::warm_binary_fingerprint();
    }
    // serve (`memo`) keeps freed memory for its next build and hands it back once idle
    // (`allocator::hold_freed_memory`): handed back between stages, it cost a rebuild at
    // 10,000 documents a tenth of its time, the next stage faulting the pages in again.
    let mut laps = Laps { timings: Vec::new(), t: Instant::now(), trim: memo.is_none() };
    let root = &opts.root;
    let (cfg, cfg_warnings) = match config::load(root, opts.base_url.as_deref()) {
        Ok(x) => x,
        Err(d) => return (Outcome::fail(2, d), None),
    };
    let out_dir = opts.output.clone().unwrap_or_else(|| root.join("public"));
    if opts.write {
        if let Err(d) = check_output(root, &out_dir) {
            return (Outcome::fail(2, vec![d]), None);
        }
    }
    let last_theme = memo.and_then(|m| m.theme.lock().unwrap_or_else(|e| e.into_inner()).clone());
    let theme = match Theme::load_after(root, &cfg.theme, &cfg, last_theme.as_ref()) {
        Ok(t) => t,
        Err(d) => return (Outcome::fail(2, d), None),
    };
    if let Some(m) = memo {
        *m.theme.lock().unwrap_or_else(|e| e.into_inner()) = Some(theme.clone());
    }
    let date = opts.date.unwrap_or_else(Date::today);
    let diags = Diagnostics::default();
    // The cache folder's records serve builds that write; `check` and link reports need
    // every page scanned (and serve has its memo).
    let cache_dir = crate::cache::folder(root, opts.cache_dir.as_deref());
    let cached = opts.write && !opts.collect_links;
    let output_id = crate::cache::output_id(&out_dir, opts.cache_name.as_deref());
    let records = (cached && memo.is_none()).then(|| (crate::cache::binary_fingerprint(), &cache_dir));
    // Whether the inputs are scanned (and, without a memo, the content record used).
    let scan = cached && opts.skip_unchanged;
    // The content record, read from now on (it needs the inputs scan's hashes only once
    // loading starts).
    let content_record = records.filter(|_| scan).map(|(fp, dir)| load::Record::open(dir, output_id, fp).read_ahead());
    // `content/` walked once: for the inputs scan, then for loading.
    let mut walk = None;
    let mut inputs = scan.then(|| {
        walk = load::ContentWalk::new(root, &diags);
        scan_inputs(opts, &cfg, &theme, date, &cache_dir, output_id, walk.as_ref())
    });
    // (A walk that said something, the same inputs or not, is a build to report it.)
    let unsaid = walk.as_ref().is_none_or(|w| !w.said());
    if let Some(mut result) = inputs.as_ref().filter(|_| unsaid).and_then(|i| unchanged(i, &out_dir)) {
        laps.lap("inputs");
        result.timings = laps.total(t0);
        return (result, None);
    }

    diags.extend(cfg_warnings);
    let progress = crate::progress::Progress::new(opts.progress);
    progress.stage("loading", 0);
    let content_record = content_record.zip(inputs.as_ref()).map(|(r, inputs)| r.with_hashes(inputs.hashes()));
    let content = load::load_with(root, &cfg, &diags, memo.map(|m| &m.load), content_record.as_ref(), walk);
    let parsed = Some(content.parsed);
    laps.lap("load");
    // The records later stages read, read while `resolve` (mostly serial) runs.
    let bodies_record = records.map(|(fp, dir)| bodies::Record::open(dir, output_id, fp).read_ahead());
    let search_store = records.map(|(fp, dir)| crate::search::Store::open(dir, output_id, fp).read_ahead());
    let open_page_cache = {
        // (The binary's fingerprint only when there is a cache: hashing it takes a while.)
        let fingerprint = cached.then(|| {
            let mut h = crate::hash::Hasher::new();
            h.update(&crate::cache::binary_fingerprint().to_le_bytes());
            // Templates enter each page's own key (`Theme::template_key`), the globals here.
            h.update(&theme.globals.to_le_bytes());
            h.update(&[cfg.minify as u8]);
            h.digest()
        });
        let (dir, out, name) = (cache_dir.clone(), out_dir.clone(), opts.cache_name.clone());
        // (Not taken: a build that fails leaves it to the next.)
        let kept = memo.and_then(|m| m.pages.lock().unwrap_or_else(|e| e.into_inner()).clone());
        move || PageCache::open(&dir, &out, name.as_deref(), fingerprint.unwrap_or_default(), kept.clone())
    };
    let page_cache = cached.then(|| crate::cache::Ahead::start(open_page_cache.clone()));
    progress.stage("resolving", 0);
    let mut ix = Index::build_with(content, date, opts.drafts, &diags, memo.map(|m| &m.resolve));
    crate::privacy::check_site(&ix, &diags);
    crate::lint::check(&ix, &diags, memo.map(|m| &m.lint));
    laps.lap("resolve");
    progress.stage("Markdown", 0);
    // A one-off build lets each body's Markdown go once it is rendered (≈400 MB at
    // 100,000 documents) and, when it writes, keeps the HTML in a scratch file in the
    // cache folder until the pages and the search index read it (≈630 MB); serve keeps
    // both for its fast edits.
    let sources = bodies::Sources {
        root: root.clone(),
        limits: cfg.limits,
        let_go: memo.is_none(),
        scratch: records.map(|(_, dir)| dir.clone()),
    };
    let bodies = bodies::render_all(
        &mut ix,
        &diags,
        opts.collect_links,
        &cfg.iframe_hosts,
        &sources,
        memo.map(|m| &m.bodies),
        bodies_record.as_ref(),
    );
    if memo.is_none() {
        ix.content.let_go_of_yaml();
    }
    laps.lap("markdown");
    // With content errors the build still renders every page, without writing, so the
    // link gate reports its findings in this same run (all errors at once, CONTRACT §7).
    let content_errors = diags.has_errors();
    let write = opts.write && !content_errors;

    let staging = if write {
        // What the last build recorded of the output: in this process's memo, else in the
        // inputs record on disk.
        let in_memory = memo.and_then(|m| m.outputs.lock().unwrap_or_else(|e| e.into_inner()).take());
        let listing = in_memory.is_some();
        let known = in_memory.or_else(|| inputs.as_mut().and_then(|i| i.take_known()).map(std::sync::Arc::new));
        let folders = inputs.as_mut().filter(|_| !listing).and_then(|i| i.take_folders());
        match Staging::create(&out_dir, known, folders) {
            // serve's output between its own builds: the memo lists every file in it.
            Ok(s) if listing => {
                let s = s.known_is_listing();
                match &opts.readers {
                    Some(readers) => s.in_place(readers.clone()),
                    None => s,
                }
            }
            Ok(s) => s,
            Err(e) => {
                return (
                    Outcome::fail(
                        2,
                        vec![Diagnostic::error(
                            &Loc::file(out_dir.display().to_string()),
                            format!("cannot create the output folder: {e}"),
                        )],
                    ),
                    None,
                );
            }
        }
    } else {
        Staging::dry()
    };
    let cache = (write && cached).then(|| {
        let read = page_cache.and_then(|c| c.take()).unwrap_or_else(open_page_cache);
        read.with_listing(staging.listing())
    });
    let renderer =
        Renderer::cached(&ix, &bodies, &theme, &cfg, cache.as_ref(), memo.map(|m| &m.rows), memo.map(|m| &m.listings));
    let jobs = renderer.jobs();
    laps.lap("plan");
    progress.stage("rendering", jobs.len());
    // `gazette build`'s record of its search index (serve keeps its index in the memo).
    let search_store = search_store.filter(|_| cache.is_some());
    // The pages, the site files and the search index read the same site and write other
    // paths: all three side by side. Much of the search stage (its record's decoding, the
    // renumbering, the shards' metadata), of the site files (feeds, sitemaps, the finder
    // and the catalogue) and of the pages' tail runs on one core: side by side, each uses
    // a core the others leave idle.
    //
    // The longest of them starts first, on this thread: the other thread takes the site
    // files and then whichever is left, and the pages' many small jobs fill the gaps. In a
    // one-off build that is the pages (from cold at 100,000 documents, starting the search
    // index first took 1.5 s longer); in serve's rebuilds, when the last build says so,
    // the search index (an interpretation added at 10,000 documents renumbers most items:
    // its shards took 50 ms beside 25 ms of pages, and started first the stages ended
    // 8–10 ms sooner).
    // serve's pages of the last build: taken out of the memo by every build that writes
    // (one that fails leaves it empty; a good one fills it again once settled), used with
    // a page cache, and without the links as written (the memo does not hold them).
    let kept = memo.filter(|_| write).map(|m| m.kept_pages.take());
    let kept = kept.as_ref().filter(|_| cache.is_some() && !opts.collect_links);
    let pages = || timed(|| render_pages(&renderer, &jobs, kept, &staging, &diags, &progress, opts.collect_links));
    let site =
        || timed(|| write_site_files(&renderer, &jobs, &staging, cache.as_ref(), &theme, root, &bodies, memo, &diags));
    let search = || {
        let (search, store) = (memo.map(|m| &m.search), search_store.as_ref());
        timed(|| write_search_index(&renderer, &staging, cache.as_ref(), &bodies, search, store, &diags))
    };
    let search_first = memo.is_some_and(|m| m.search_first.load(std::sync::atomic::Ordering::Relaxed));
    let ((render_secs, rendered), (site_secs, ()), (search_secs, search_record)) = match search_first {
        true => {
            let (searched, (sited, rendered)) = rayon::join(search, || rayon::join(site, pages));
            (rendered, sited, searched)
        }
        false => {
            let (rendered, (sited, searched)) = rayon::join(pages, || rayon::join(site, search));
            (rendered, sited, searched)
        }
    };
    if let Some(m) = memo {
        m.search_first.store(search_secs > render_secs, std::sync::atomic::Ordering::Relaxed);
    }
    laps.alongside(&[("render", render_secs), ("feeds+files", site_secs), ("search index", search_secs)]);
    let RenderedPages { links: pages, meta: page_meta, places, fresh } = match rendered {
        Ok(r) => r,
        // A template that fails on content with errors may fail only because of them:
        // report the content errors (exit 1), as a build that stopped before rendering.
        Err(_) if content_errors => {
            return (
                Outcome { exit_code: 1, diagnostics: diags.into_sorted(), timings: laps.timings, ..Default::default() },
                None,
            )
        }
        Err(d) => return (Outcome::fail(2, vec![d]), None),
    };
    let page_count = pages.len();
    progress.stage("link gate", 0);
    // serve's rebuild checks only the pages it rendered, if none of them took out an id
    // it had (or is new to the output), and the pages that link to a file the last
    // build wrote and this one does not (a document deleted or renamed): a page taken
    // over is the file that passed the last gate and names what it named then, and all
    // else it named is still there. Against that gate's targets when the files and the
    // pages' order are the same (a title, a relation, a date edited), else against the
    // targets made anew. (Past half the pages rendered, looking up each one's ids of
    // before costs more than checking them all.)
    let order = memo.map(|_| page_order(&pages));
    let last = memo.and_then(|m| m.gate.lock().unwrap_or_else(|e| e.into_inner()).clone());
    let listing = last.as_ref().and_then(|_| staging.against_listing());
    let keeps_ids_or_new =
        |c: &PageCache, p: &PageLinks| c.kept_ids(&p.path, p.parts().2) || !staging.was_listed(&p.path);
    let last = last
        .filter(|_| listing.is_some() && fresh.len() <= page_count / 2)
        .filter(|_| cache.as_ref().is_some_and(|c| fresh.iter().all(|&i| keeps_ids_or_new(c, &pages[i]))));
    // From here on pages are rendered fresh (the gate's re-render of a failing page).
    if let Some(c) = &cache {
        c.release();
    }
    let anew = || std::sync::Arc::new(staging.with_files(|files| linkcheck::Targets::new(&pages, files)));
    let same_files = listing.as_ref().is_some_and(|l| l.same_files());
    let checked: Vec<usize>;
    let (targets, only) = match last {
        Some(g) if Some(g.order) == order && same_files => (g.targets, Some(fresh.as_slice())),
        Some(_) => {
            let gone = listing.map(|l| linkcheck::Targets::names_of_files(&l.left_out)).unwrap_or_default();
            let mut to_check = linkcheck::pages_naming(&pages, &gone);
            to_check.extend(&fresh);
            to_check.sort_unstable();
            to_check.dedup();
            checked = to_check;
            (anew(), Some(checked.as_slice()))
        }
        None => (anew(), None),
    };
    let unchanged = staging.reused();
    let staging_files = staging.count();
    let explain = GateExplainer { renderer: &renderer, jobs: &jobs, bodies: &bodies, theme: &theme, root };
    let is_file = |p: &str| staging.has(p);
    let broken = linkcheck::check(&pages, &targets, only, &is_file, &base_path(&cfg.base_url), &explain);
    let links = if opts.collect_links { link_records(&pages, &bodies, &broken) } else { Vec::new() };
    let services = if opts.collect_links {
        ix.content.services.iter().map(|s| (s.url.clone(), s.loc.clone())).collect()
    } else {
        Vec::new()
    };
    diags.extend(broken);
    // A body made again from a file that changed since it was loaded (`Bodies::html`).
    diags.extend(bodies.take_stale());
    laps.lap("link gate");
    progress.stage("committing", 0);

    let mut diagnostics = diags.into_sorted();
    let errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    let warnings = diagnostics.iter().any(|d| d.severity == Severity::Warning);
    if opts.deny_warnings && warnings {
        for d in diagnostics.iter_mut() {
            d.severity = Severity::Error;
        }
    }
    let failed = errors || (opts.deny_warnings && warnings);
    if failed {
        return (
            Outcome {
                diagnostics,
                exit_code: 1,
                timings: laps.timings,
                links,
                services,
                site_url: cfg.site_url,
                ..Default::default()
            },
            None,
        );
    }
    let mut committed = None;
    if write {
        // (Only `gazette build` keeps a record of the output: the inputs record.)
        match staging.commit(&out_dir, inputs.is_some()) {
            Ok(c) => committed = Some(c),
            Err(e) => {
                diagnostics.push(Diagnostic::error(
                    &Loc::file(out_dir.display().to_string()),
                    format!("cannot move the new output into place: {e}"),
                ));
                return (Outcome { diagnostics, exit_code: 2, timings: laps.timings, ..Default::default() }, None);
            }
        }
        if let Some(record) = search_record {
            record.settle();
        }
    }
    let mut outcome = Outcome {
        diagnostics,
        exit_code: 0,
        pages: page_count,
        rendered: fresh.len(),
        files: staging_files,
        unchanged,
        output: out_dir.clone(),
        links,
        services,
        site_url: cfg.site_url.clone(),
        embargoed: ix.embargoed_documents().into_iter().map(|(p, d)| (p.to_string(), d)).collect(),
        up_to_date: false,
        parsed,
        ..Default::default()
    };
    match opts.exits_after {
        true => std::mem::forget(renderer),
        false => drop(renderer),
    }
    match memo {
        // serve's records of the output stay in memory, put together once the build is
        // reported (`Memo::settle`). (Its private output goes when it stops; after
        // `serve -o DIR`, a build finds the pages serve rewrote with other stamps than the
        // cache file has and renders them: the file stays correct.)
        Some(m) => {
            let gate = Gate { order: order.unwrap_or_default(), targets: targets.clone() };
            *m.settling.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Settling { cache, page_meta, places, committed, gate });
        }
        // The two records of the output just committed, written side by side.
        None => {
            let result = outcome.result();
            rayon::join(
                || cache.map(|c| c.save(&pages, &page_meta)),
                || {
                    let (mut c, i) = committed.zip(inputs)?;
                    let folders = c.folders.take().unwrap_or_default();
                    c.stamps().map(|stamps| i.save(&stamps, folders, result))
                },
            );
        }
    }
    laps.lap("commit");
    progress.finish();
    outcome.timings = laps.total(t0);
    if !opts.write {
        return (outcome, None);
    }
    let built = Built { root: root.clone(), out: out_dir, cfg, theme, ix, bodies, pages, targets };
    (outcome, Some(built))
}

/// Each stage's time (`--timings`), and the memory in use after it.
struct Laps {
    timings: Vec<(&'static str, f64, u64)>,
    t: Instant,
    /// Hand freed memory back to the OS after each stage (see `trim_heap`).
    trim: bool,
}

impl Laps {
    /// The stage that just ended: the time since the last one ended.
    fn lap(&mut self, name: &'static str) {
        let secs = self.t.elapsed().as_secs_f64();
        if self.trim {
            trim_heap();
        }
        self.timings.push((name, secs, resident_mb()));
        self.t = Instant::now();
    }

    /// Stages that ran side by side and just ended, each with its own time.
    fn alongside(&mut self, stages: &[(&'static str, f64)]) {
        if self.trim {
            trim_heap();
        }
        let mb = resident_mb();
        self.timings.extend(stages.iter().map(|&(name, secs)| (name, secs, mb)));
        self.t = Instant::now();
    }

    fn total(mut self, t0: Instant) -> Vec<(&'static str, f64, u64)> {
        self.timings.push(("total", t0.elapsed().as_secs_f64(), peak_resident_mb()));
        self.timings
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let x = f();
    (t.elapsed().as_secs_f64(), x)
}

/// This build's inputs (see `inputs`), recorded in cache folder `dir` for output `id`:
/// the files of `content/` as the build's walk of it found them and the theme folder's,
/// and a key of what else the output depends on: the binary, `gazette.yaml`, the theme's
/// templates and the options that change pages or the outcome.
fn scan_inputs(
    opts: &Options,
    cfg: &config::Config,
    theme: &Theme,
    date: Date,
    dir: &Path,
    id: u64,
    content: Option<&load::ContentWalk>,
) -> crate::inputs::Inputs {
    let mut h = crate::hash::Hasher::new();
    h.update(&crate::cache::binary_fingerprint().to_le_bytes());
    h.update(&theme.fingerprint.to_le_bytes());
    h.update(&std::fs::read(opts.root.join(config::FILE)).unwrap_or_default());
    let options = format!("{:?}|{}|{}|{}", opts.base_url, opts.drafts, date, opts.deny_warnings);
    h.update(options.as_bytes());
    let mut files = crate::inputs::files_under(&opts.root, &opts.root.join("themes").join(&cfg.theme));
    files.extend(content.into_iter().flat_map(|w| w.files()).map(|(rel, path)| (rel, path.to_path_buf())));
    crate::inputs::Inputs::scan(dir, id, h.digest(), files)
}

/// The outcome of the last good build, when nothing it was built from has changed and
/// its output is intact (checked under the output's lock, with no commit pending).
fn unchanged(inputs: &crate::inputs::Inputs, out: &Path) -> Option<Outcome> {
    let _lock = crate::output::OutputLock::take(out).ok()?;
    if crate::output::commit_pending(out) {
        return None;
    }
    let r = inputs.unchanged(out)?;
    Some(Outcome {
        diagnostics: r.diagnostics.clone(),
        exit_code: 0,
        pages: r.pages,
        files: r.files,
        unchanged: r.files,
        output: out.to_path_buf(),
        site_url: r.site_url.clone(),
        embargoed: r.embargoed.iter().filter_map(|(p, d)| Some((p.clone(), Date::parse(d)?))).collect(),
        up_to_date: true,
        ..Default::default()
    })
}

impl Outcome {
    /// What a build that finds nothing changed reports again (see `inputs`).
    fn result(&self) -> crate::inputs::Result {
        crate::inputs::Result {
            diagnostics: self.diagnostics.clone(),
            pages: self.pages,
            files: self.files,
            embargoed: self.embargoed.iter().map(|(p, d)| (p.clone(), d.to_string())).collect(),
            site_url: self.site_url.clone(),
        }
    }
}

/// Answers the link gate's questions about a page it found broken (see
/// `linkcheck::Explain`) by rendering it, and its Markdown, again.
struct GateExplainer<'a> {
    renderer: &'a Renderer<'a>,
    jobs: &'a [Job],
    bodies: &'a bodies::Bodies,
    theme: &'a Theme,
    /// The site root: a one-off build has let go of the Markdown (see `run_site_with`),
    /// so an item's body is read from its file again.
    root: &'a Path,
}

impl linkcheck::Explain for GateExplainer<'_> {
    fn links(&self, i: usize) -> Vec<(String, Option<Loc>)> {
        let Ok(page) = self.renderer.render(self.jobs[i]) else { return Vec::new() };
        // The page's Markdown links with their lines, rendered again once for the page.
        let from_markdown = match self.jobs[i] {
            Job::Item(t) => {
                let item = self.renderer.ix.content.item(t);
                let body = match item.body() {
                    "" => load::body_only_edit(self.root, item.src(), &self.renderer.cfg.limits).unwrap_or_default(),
                    b => b.to_string(),
                };
                bodies::link_sources(self.renderer.ix, t, &body, &self.renderer.cfg.iframe_hosts)
            }
            _ => Vec::new(),
        };
        let decoded: Vec<(String, Loc)> =
            from_markdown.into_iter().map(|(href, loc)| (routes::percent_decode(&href).into_owned(), loc)).collect();
        linkcheck::scan(&String::from_utf8_lossy(page.html()))
            .0
            .into_iter()
            .map(|link| {
                let d = routes::percent_decode(&link);
                let source = decoded.iter().find(|(h, _)| *h == d).map(|(_, loc)| loc.clone());
                (link, source)
            })
            .collect()
    }

    fn template_line(&self, link: &str) -> Option<Loc> {
        // The template line that writes the link's fixed part.
        let mut literal = link.trim_start_matches("./");
        while let Some(rest) = literal.strip_prefix("../") {
            literal = rest;
        }
        self.theme.line_of(literal)
    }

    fn anchors(&self, i: usize) -> Vec<String> {
        if let Job::Item(t) = self.jobs[i] {
            if let Some(b) = self.bodies.body(t) {
                if !b.headings.is_empty() {
                    return b.headings.iter().map(|h| h.id.clone()).collect();
                }
            }
        }
        let mut ids: Vec<String> = self
            .renderer
            .render(self.jobs[i])
            .map(|p| linkcheck::scan(&String::from_utf8_lossy(p.html())).1.into_iter().collect())
            .unwrap_or_default();
        ids.sort();
        ids
    }
}

fn link_records(pages: &[PageLinks], bodies: &bodies::Bodies, broken: &[Diagnostic]) -> Vec<LinkRecord> {
    let broken: BTreeSet<(&str, &str)> = broken.iter().map(|d| (d.path.as_str(), d.message.as_str())).collect();
    let mut out = Vec::new();
    for p in pages {
        for l in &p.raw {
            let external = l.starts_with("http://") || l.starts_with("https://") || l.starts_with("//");
            let line = bodies.link_lines.get(&(p.blame.path.clone(), l.clone())).copied().unwrap_or(p.blame.line);
            let is_broken =
                !external && broken.iter().any(|(path, msg)| *path == p.blame.path && msg.contains(&format!("`{l}`")));
            let status = if external {
                "unchecked"
            } else if is_broken {
                "broken"
            } else {
                "ok"
            };
            out.push(LinkRecord {
                page: p.path.clone(),
                source: p.blame.path.clone(),
                line,
                url: l.clone(),
                external,
                status: status.into(),
                reason: None,
            });
        }
    }
    out
}

/// `check --external`: check every external URL (service URLs first), mark the link
/// records, and report dead ones with every page that links to them. A dead service
/// link is an error (the "办" button must work); other dead links and the ones that need
/// review are warnings.
/// Results are cached in `cache_dir` (see `cache::folder`).
pub fn check_external(outcome: &mut Outcome, cache_dir: &Path, settings: &crate::external::Settings) {
    use crate::external::Verdict;
    let service_urls: BTreeSet<&str> = outcome.services.iter().map(|(u, _)| u.as_str()).collect();
    // The site's own URLs (canonical links, absolute links in bodies) are not external:
    // before launch they do not answer, and after it they are the pages being checked.
    let site_url = outcome.site_url.clone();
    let own = |u: &str| site_url.as_deref().is_some_and(|s| u.starts_with(s));
    let mut urls: Vec<String> = outcome.services.iter().map(|(u, _)| u.clone()).collect();
    for r in &outcome.links {
        if r.external && (r.url.starts_with("http://") || r.url.starts_with("https://")) && !own(&r.url) {
            urls.push(r.url.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    urls.retain(|u| seen.insert(u.clone()));
    let results = crate::external::check_all(&urls, &cache_dir.join("external-links.json"), settings);
    let mut new_diags = Vec::new();
    for u in &urls {
        let Some(v) = results.get(u) else { continue };
        let (reason, dead) = match v {
            Verdict::Ok => continue,
            Verdict::Dead(r) => (r.clone(), true),
            Verdict::Review(r) => (r.clone(), false),
        };
        let uses: Vec<&LinkRecord> = outcome.links.iter().filter(|r| &r.url == u).collect();
        let is_service = service_urls.contains(u.as_str());
        let loc = match outcome.services.iter().find(|(s, _)| s == u) {
            Some((_, loc)) => loc.clone(),
            None => uses.first().map(|r| Loc::new(r.source.clone(), r.line, 1)).unwrap_or_default(),
        };
        let msg =
            if dead { format!("dead link `{u}`: {reason}") } else { format!("link `{u}` needs review: {reason}") };
        let mut d = if dead && is_service { Diagnostic::error(&loc, msg) } else { Diagnostic::warning(&loc, msg) };
        let mut pages: Vec<String> = uses.iter().map(|r| format!("{} ({}:{})", r.page, r.source, r.line)).collect();
        pages.dedup();
        for p in pages.iter().take(20) {
            d = d.help(format!("linked from {p}"));
        }
        if pages.len() > 20 {
            d = d.help(format!("and {} more pages", pages.len() - 20));
        }
        new_diags.push(d);
    }
    for r in outcome.links.iter_mut().filter(|r| r.external) {
        if own(&r.url) {
            r.status = "own site".into();
            continue;
        }
        match results.get(&r.url) {
            Some(Verdict::Ok) => r.status = "ok".into(),
            Some(Verdict::Dead(why)) => {
                r.status = "dead".into();
                r.reason = Some(why.clone());
            }
            Some(Verdict::Review(why)) => {
                r.status = "review".into();
                r.reason = Some(why.clone());
            }
            None => {}
        }
    }
    if new_diags.iter().any(|d| d.severity == Severity::Error) && outcome.exit_code == 0 {
        outcome.exit_code = 1;
    }
    outcome.diagnostics.extend(new_diags);
}

/// What the render stage leaves: the gate's view of each page, and per page its cache
/// key and file stamp (for the next build's cache).
struct RenderedPages {
    links: Vec<PageLinks>,
    meta: Vec<Option<(crate::cache::Keys, Stamp)>>,
    /// Each page's place in the output's listing, when serve's memo kept it there.
    places: Vec<Option<u32>>,
    /// The pages rendered, by number (the others were taken over from the previous output).
    fresh: Vec<usize>,
}

/// The most pages one thread renders without another being able to take some over.
const PIECE: usize = 16;

/// Render every page in parallel, scan its links, minify and write it; or, for a page
/// serve's memo (`kept`) or the cache knows, take the previous output's file over with
/// what the gate needs to know. Returns a theme error if rendering failed.
fn render_pages(
    r: &Renderer,
    jobs: &[Job],
    kept: Option<&crate::render::Previous<KeptPage>>,
    staging: &Staging,
    diags: &Diagnostics,
    progress: &crate::progress::Progress,
    keep_links: bool,
) -> Result<RenderedPages, Diagnostic> {
    let cfg = r.cfg;
    let base = base_path(&cfg.base_url);
    let write_error = |blame: &Loc, e: WriteError| {
        let mut d = Diagnostic::error(blame, e.to_string());
        if matches!(e, WriteError::Collision(_)) {
            d = d.help("an alias or id produces the same URL as another page; change one of them");
        }
        diags.push(d);
    };
    // Per page: the gate's view, the cache key and file stamp, whether it was rendered,
    // its place in the output's listing when serve's memo kept it there.
    type Done = (PageLinks, Option<(crate::cache::Keys, Stamp)>, bool, Option<u32>);
    // In pieces of at most `PIECE` pages, so a thread that comes free can take over part
    // of what is left: after most edits, a few runs of pages are rendered and the rest are
    // kept, and a piece is never split once a thread works on it.
    let results: Vec<Result<Done, Diagnostic>> = jobs
        .par_iter()
        .enumerate()
        .with_max_len(PIECE)
        .map(|(n, &job)| {
            // (A page found in serve's memo whose file is not the one it wrote is made.)
            if let Some(k) = kept.and_then(|k| k.find(n, r.inputs_of(job))) {
                if let Some(place) = staging.keep_at(&k.links.path, k.place, k.stamp) {
                    progress.inc();
                    return Ok((k.links.clone(), Some((k.keys, k.stamp)), false, place));
                }
            }
            let rendered = r.render(job)?;
            progress.inc();
            let page = match rendered {
                Rendered::Kept { links, key, stamp } => {
                    if let Err(e) = staging.adopt(&links.path, stamp) {
                        write_error(&links.blame, e);
                    }
                    return Ok((links, Some((key, stamp)), false, None));
                }
                Rendered::Made(page) => page,
            };
            let links =
                PageLinks::new(page.path.clone(), page.blame.clone(), &page.html, &base, keep_links, &page.pieces);
            let bytes = if cfg.minify { crate::minify::html(&page.html) } else { page.html };
            let written = match staging.write_stamped(&page.path, bytes) {
                Ok(m) => m,
                Err(e) => {
                    write_error(&page.blame, e);
                    None
                }
            };
            let meta = page.key.zip(written);
            Ok((links, meta, true, None))
        })
        .collect();
    let mut out = RenderedPages {
        links: Vec::with_capacity(results.len()),
        meta: Vec::new(),
        places: Vec::new(),
        fresh: Vec::new(),
    };
    for res in results {
        let (links, meta, rendered, place) = res?;
        out.links.push(links);
        out.meta.push(meta);
        out.places.push(place);
        if rendered {
            out.fresh.push(out.links.len() - 1);
        }
    }
    Ok(out)
}

fn write_site_files(
    r: &Renderer,
    jobs: &[Job],
    staging: &Staging,
    cache: Option<&PageCache>,
    theme: &Theme,
    root: &Path,
    bodies: &bodies::Bodies,
    memo: Option<&Memo>,
    diags: &Diagnostics,
) {
    let report = |res: Result<(), WriteError>, blame: &str| {
        if let Err(e) = res {
            diags.push(Diagnostic::error(&Loc::file(blame), e.to_string()));
        }
    };
    let cfg = r.cfg;
    // Each feed lists the newest documents of the site, an organ, a topic or a tag: made
    // again only when one of those changed (an edit changes a few feeds, often none).
    for f in feeds::listed(r) {
        write_group(staging, cache, &f.path, feeds::feed_key(r, &f), diags, |write| {
            write(f.path.clone(), feeds::atom_of(r, &f).into());
        });
    }
    // The sitemaps list every page's URL and date: made again only when one of those
    // changed (not for an edit to a title or a relation).
    let key = cache.map_or(0, |_| sitemaps_key(r, jobs));
    write_group(staging, cache, "sitemaps", key, diags, |write| {
        for (path, xml) in feeds::sitemaps(cfg, &sitemap_urls(r, jobs)) {
            write(path, xml.into());
        }
    });
    report(staging.write(routes::ROBOTS, feeds::robots(cfg).as_bytes()), "gazette.yaml");
    // A theme may ship its own `_headers`; then it is copied below like any static file.
    if !theme.site_static.iter().any(|(p, _)| p == routes::HEADERS) {
        report(staging.write(routes::HEADERS, feeds::headers_file(cfg).as_bytes()), "gazette.yaml");
    }
    // The finder and the catalogue show every published document's metadata, nothing of
    // its body but its 任务分解: a body edit leaves them as the last build wrote them.
    const FINDER: u64 = 0xf1d3_e27c_0000_0001;
    write_group(staging, cache, "finder", r.library_metadata_key(FINDER), diags, |write| {
        let memo = memo.map(|m| &m.finder);
        crate::finder::build(r, memo, &mut |path, json| {
            write(path, crate::search::json_html_safe(&json).as_bytes().into())
        })
    });
    // A one-off build takes the entries of unchanged documents from the catalogue in
    // place (the previous build's, whatever it was made from); serve has them in memory.
    const CATALOG: u64 = 0xca7a_1096_f11e_0001;
    write_group_with(staging, cache, "catalog", r.library_metadata_key(CATALOG), diags, |write| {
        let previous = cache.filter(|_| memo.is_none()).and_then(|c| c.previous_group("catalog"));
        feeds::catalog(r, memo.map(|m| &m.catalog), previous.as_ref(), |json, csv| {
            write(routes::CATALOG_JSON.to_string(), json);
            write(routes::CATALOG_CSV.to_string(), csv);
        })
    });
    if bodies.has_code {
        report(staging.write(routes::SYNTAX_CSS, crate::highlight::stylesheet().as_bytes()), "gazette.yaml");
    }
    // Theme static files: the site's theme folder wins over the built-in ones.
    let overridden: BTreeSet<&str> = theme.site_static.iter().map(|(p, _)| p.as_str()).collect();
    for (p, bytes) in theme::DEFAULT_STATIC {
        if !overridden.contains(p) {
            report(staging.write(p, bytes), "themes");
        }
    }
    for (p, src) in &theme.site_static {
        report(staging.copy(p, src), "themes");
    }
    // content/files/** is published as is, except files that only hidden documents use:
    // an unpublished document's attachment must not leak through its file (§5).
    let c = &r.ix.content;
    let hidden_only: BTreeSet<&str> = (0..c.documents.len())
        .filter(|&i| !r.ix.doc_visible(i))
        .flat_map(|i| c.documents[i].attachments.iter().map(|a| a.path.as_str()))
        .filter(|p| !bodies.used_files.contains(*p))
        .collect();
    let content_dir = root.join("content");
    for f in &c.files {
        let publish =
            if f.starts_with("files/") { !hidden_only.contains(f.as_str()) } else { bodies.used_files.contains(f) };
        if publish {
            report(staging.copy(f, &content_dir.join(f)), &format!("content/{f}"));
        }
    }
}

/// Write site files made together from `key` (everything they are made from; 0: none):
/// taken over as they are when the previous build made them from the same key and they
/// are untouched (`PageCache::reuse_group`), else made by `make`, which hands each file
/// to the writer it is given.
fn write_group(
    staging: &Staging,
    cache: Option<&PageCache>,
    name: &str,
    key: u64,
    diags: &Diagnostics,
    make: impl FnOnce(&mut dyn FnMut(String, crate::output::Data<'_>)),
) {
    write_group_with(staging, cache, name, key, diags, |write| {
        make(write);
        Vec::new()
    })
}

/// [`write_group`] whose `make` returns what the next build gets back with the group's
/// files (`cache::Carried::extra`).
fn write_group_with(
    staging: &Staging,
    cache: Option<&PageCache>,
    name: &str,
    key: u64,
    diags: &Diagnostics,
    make: impl FnOnce(&mut dyn FnMut(String, crate::output::Data<'_>)) -> Vec<u8>,
) {
    let report = |e: WriteError| diags.push(Diagnostic::error(&Loc::file("gazette.yaml"), e.to_string()));
    if let Some((c, (files, extra))) = cache.and_then(|c| Some((c, c.reuse_group(name, key)?))) {
        for (path, stamp) in &files {
            staging.adopt(path, *stamp).unwrap_or_else(report);
        }
        c.made_group(name, key, files, extra);
        return;
    }
    // Each file with its stamp as written; `None` once one is not known.
    let mut written = Some(Vec::new());
    let extra = make(&mut |path, bytes| match staging.write_stamped(&path, bytes) {
        Ok(Some(stamp)) => {
            if let Some(w) = written.as_mut() {
                w.push((path, stamp));
            }
        }
        Ok(None) => written = None,
        Err(e) => {
            report(e);
            written = None;
        }
    });
    if let Some((c, files)) = cache.zip(written).filter(|_| key != 0) {
        c.made_group(name, key, files, std::sync::Arc::new(extra));
    }
}

/// The static search index (`search/`), written in parallel; with a `store`, this
/// build's record of it, to settle once the output is committed.
fn write_search_index(
    r: &Renderer,
    staging: &Staging,
    cache: Option<&PageCache>,
    bodies: &bodies::Bodies,
    memo: Option<&crate::search::Memo>,
    store: Option<&crate::search::Store>,
    diags: &Diagnostics,
) -> Option<crate::search::Pending> {
    let write =
        |path: String, json: Cow<'_, str>| match staging.write_stamped(&path, crate::search::into_html_safe(json)) {
            Ok(stamp) => stamp,
            Err(e) => {
                diags.push(Diagnostic::error(&Loc::file("gazette.yaml"), e.to_string()));
                None
            }
        };
    let group = |name: &str, key: u64, make: &mut dyn FnMut() -> crate::search::Files| {
        write_group(staging, cache, name, key, diags, |write| {
            for (path, json) in make() {
                write(path, crate::search::json_html_safe(&json).as_bytes().into());
            }
        })
    };
    let out = crate::search::Output {
        write: &write,
        keep: &|path, stamp| staging.keep(path, stamp),
        keep_at: &|path, place, stamp| staging.keep_at(path, place, stamp),
        group: &group,
    };
    crate::search::build(r.ix, bodies, memo, store, &|t| r.search_inputs(t), &out)
}

/// A page's date in the sitemaps (`<lastmod>`): an item's or an issue's publication date.
fn sitemap_date(r: &Renderer, job: Job) -> Option<crate::date::Date> {
    let c = &r.ix.content;
    match job {
        Job::Item(t) => c.item(t).published(),
        Job::Issue(k) => Some(c.issues[k].published),
        _ => None,
    }
}

/// The sitemaps' key: the configuration's site URL and every page's URL and date, as
/// [`sitemap_urls`] lists them, hashed from what they are made of (`Renderer::url_parts`):
/// formatting, sorting and hashing every URL only to find them unchanged was a tenth of
/// a title edit's CPU at 100,000 documents.
fn sitemaps_key(r: &Renderer, jobs: &[Job]) -> u64 {
    use std::hash::{Hash, Hasher};
    const SITEMAPS: u64 = 0x517e_3a95_0000_0002;
    let mut h = crate::hash::Hasher::with_seed(SITEMAPS);
    r.cfg.site_url.hash(&mut h);
    for &job in jobs {
        r.url_parts(job, &mut h);
        sitemap_date(r, job).hash(&mut h);
    }
    h.finish()
}

fn sitemap_urls(r: &Renderer, jobs: &[Job]) -> Vec<(String, Option<String>)> {
    let mut urls: Vec<(String, Option<String>)> =
        jobs.iter().filter_map(|&job| Some((r.url(job)?, sitemap_date(r, job).map(|d| d.to_string())))).collect();
    urls.sort();
    urls.dedup();
    urls
}
