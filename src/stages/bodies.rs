//! Stage 3, bodies: render every published Markdown body once, resolving its links
//! through the index, then check `#fragment`s against the targets' headings and record
//! who cites whom (被引用). Runs in parallel; each body is rendered exactly once.

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::docnum;
use crate::load::resolve_content_path;
use crate::markdown::{self, Heading, LinkSink};
use crate::model::{ItemMap, Source};
use crate::resolve::{Index, ItemId};
use crate::yaml::Seg;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A rendered body as pages and the search index use it. A body taken from `gazette
/// build`'s record (see [`Record`]) comes without its HTML, which is made again from its
/// file when a page or the search index asks for it ([`Bodies::html`]): in a build after
/// a few edits that is a few bodies, not a hundred thousand.
///
/// A one-off build that writes (`Sources::let_go` and `scratch`) holds no body's HTML in
/// memory: a rendered body is written to a [`Scratch`] file and read back for each
/// reader, and one made again is not kept (`check` keeps what it renders). Held to the
/// end, every body's HTML was 40 % of a cold build's memory at 100,000 documents
/// (≈630 MB); each is read back twice (its page, the search index).
#[derive(Debug, Default)]
pub struct Body {
    html: Mutex<Html>,
    /// XXH3 of the HTML: what pages' inputs keys and search text keys are made from, so
    /// neither needs the HTML itself.
    pub hash: u64,
    pub headings: Vec<Heading>,
    pub has_code: bool,
    /// What [`Hash`] feeds a hasher: `hash`, the headings and `has_code`, hashed once when
    /// the body is made (every build hashes each body into its page's inputs key; the
    /// headings' text made that a copy of every heading, every build).
    key: u64,
}

/// Where a body's HTML is.
#[derive(Debug, Default)]
enum Html {
    /// In memory.
    Held(Arc<String>),
    /// In the build's scratch file, at this offset, this many bytes.
    Spilled(u64, usize),
    /// To be made again from its file.
    #[default]
    NotAtHand,
}

impl Body {
    fn rendered(b: markdown::Body, scratch: Option<&Scratch>) -> Body {
        let hash = crate::hash::of(b.html.as_bytes());
        let html = match scratch.and_then(|s| s.put(&b.html)) {
            Some(at) => Html::Spilled(at, b.html.len()),
            None => Html::Held(Arc::new(b.html)),
        };
        Body::made(hash, Mutex::new(html), b.headings, b.has_code)
    }

    fn made(hash: u64, html: Mutex<Html>, headings: Vec<Heading>, has_code: bool) -> Body {
        let mut h = crate::hash::Hasher::new();
        std::hash::Hash::hash(&(hash, &headings, has_code), &mut h);
        Body { hash, html, headings, has_code, key: std::hash::Hasher::finish(&h) }
    }

    /// A body known by its record: its HTML is made when asked for.
    fn recorded(hash: u64, headings: Vec<Heading>, has_code: bool) -> Body {
        Body::made(hash, Mutex::new(Html::NotAtHand), headings, has_code)
    }

    /// Whether the HTML is in memory or in the scratch file (not: a body from the record).
    pub fn is_at_hand(&self) -> bool {
        !matches!(*self.html.lock().unwrap_or_else(|e| e.into_inner()), Html::NotAtHand)
    }

    #[cfg(test)]
    fn held_now(&self) -> bool {
        matches!(*self.html.lock().unwrap_or_else(|e| e.into_inner()), Html::Held(_))
    }

    /// The HTML, when it is in memory.
    fn held(self) -> Option<String> {
        match self.html.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Html::Held(h) => Some(Arc::unwrap_or_clone(h)),
            _ => None,
        }
    }
}

/// A file of rendered HTML that a one-off build writes while it renders its bodies and
/// reads back by offset, so the HTML is not held in memory from the bodies stage to the
/// end of the pages and the search index: the kernel keeps it, and on a disk can write
/// it out. The file lives in the cache folder and is unlinked as soon as it is made, so
/// it leaves nothing behind however the build ends.
pub struct Scratch {
    file: std::fs::File,
    /// Where the next body goes (each writer takes its range, then writes unlocked).
    end: AtomicU64,
}

impl Scratch {
    /// A scratch file in folder `dir`, or `None` (the HTML then stays in memory).
    pub fn create(dir: &Path) -> Option<Scratch> {
        if !cfg!(unix) {
            return None; // (unlinking an open file, reading at an offset: Unix)
        }
        std::fs::create_dir_all(dir).ok()?;
        // (Named apart from any other build's, of this process too: tests build side by side.)
        static MADE: AtomicU64 = AtomicU64::new(0);
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("scratch-{}-{n}", std::process::id()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path).ok()?;
        std::fs::remove_file(&path).ok()?;
        Some(Scratch { file, end: AtomicU64::new(0) })
    }

    /// Write `html`; its offset.
    fn put(&self, html: &str) -> Option<u64> {
        let at = self.end.fetch_add(html.len() as u64, Ordering::Relaxed);
        #[cfg(unix)]
        return std::os::unix::fs::FileExt::write_all_at(&self.file, html.as_bytes(), at).ok().map(|()| at);
        #[cfg(not(unix))]
        None
    }

    /// The `len` bytes written at `at`.
    fn get(&self, at: u64, len: usize) -> Option<String> {
        let mut buf = vec![0; len];
        #[cfg(unix)]
        std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut buf, at).ok()?;
        #[cfg(not(unix))]
        return None;
        crate::utf8::string(buf).ok()
    }
}

/// Equal for equal HTML whether or not the HTML is at hand.
impl std::hash::Hash for Body {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

/// A `doc:` link made by a body, kept to check its fragment once all bodies exist.
#[derive(Clone)]
struct OutLink {
    target: ItemId,
    fragment: Option<String>,
    loc: Loc,
}

struct Sink<'a> {
    ix: &'a Index,
    from: ItemId,
    from_path: &'a str,
    diags: Vec<Diagnostic>,
    links: Vec<OutLink>,
    cites: BTreeSet<usize>,
    files: BTreeSet<String>,
    /// (href, line) of every emitted link, when the caller wants a link report.
    emitted: Option<Vec<(String, usize)>>,
    iframe_hosts: &'a [String],
}

impl LinkSink for Sink<'_> {
    fn problem(&mut self, loc: Loc, message: String, help: &str) {
        self.diags.push(Diagnostic::warning(&loc, message).help(help));
    }

    fn iframe(&mut self, src: &str, loc: Loc) -> bool {
        let host = markdown::https_host(src);
        if host.as_ref().is_some_and(|h| self.iframe_hosts.contains(h)) {
            return true;
        }
        self.diags.push(
            Diagnostic::warning(&loc, format!("`<iframe src=\"{src}\">` removed: its host is not in `iframe_hosts`"))
                .help(match host {
                    Some(h) => format!("if the embed is trusted, list `{h}` under `iframe_hosts:` in gazette.yaml"),
                    None => {
                        "only https:// embeds from hosts listed under `iframe_hosts:` in gazette.yaml are kept".into()
                    }
                }),
        );
        false
    }

    fn emitted(&mut self, href: &str, loc: &Loc) {
        if let Some(v) = &mut self.emitted {
            v.push((href.to_string(), loc.line));
        }
    }

    fn doc(&mut self, reference: &str, fragment: Option<&str>, loc: Loc) -> Option<String> {
        let diags = Diagnostics::default();
        let r = crate::model::Ref { raw: reference.to_string(), loc: loc.clone() };
        let t = self.ix.check_ref(self.ix.source(self.from), &r, false, &diags);
        self.diags.extend(diags.into_sorted());
        let t = t?;
        if let ItemId::Doc(j) = t {
            self.cites.insert(j);
        }
        self.links.push(OutLink { target: t, fragment: fragment.map(str::to_string), loc });
        Some(self.ix.url(t))
    }

    fn service(&mut self, id: &str, loc: Loc) -> Option<String> {
        match self.ix.services.get(id) {
            Some(&k) => Some(self.ix.content.services[k].url.clone()),
            None if self.ix.content.services_broken => None, // said once at services.yaml
            None => {
                let known = self.ix.services.keys().map(String::as_str);
                let help = match crate::diag::did_you_mean(id, known) {
                    Some(near) => {
                        format!("did you mean `{near}`? every `service:` link names an id from content/services.yaml")
                    }
                    None => "every `service:` link must name an id from content/services.yaml".into(),
                };
                self.diags.push(Diagnostic::error(&loc, format!("unknown service `{id}`")).help(help));
                None
            }
        }
    }

    fn file(&mut self, path: &str, loc: Loc) -> Option<String> {
        match resolve_content_path(self.from_path, path) {
            Ok(p) if self.ix.content.files.contains(&p) => {
                self.files.insert(p.clone());
                Some(crate::routes::encode_path(&p))
            }
            Ok(p) => {
                self.diags.push(
                    Diagnostic::error(&loc, format!("link to missing file `{path}`")).help(format!(
                        "expected the file at content/{p}; links to other documents are written `doc:ID`"
                    )),
                );
                None
            }
            Err(why) => {
                self.diags.push(
                    Diagnostic::error(&loc, format!("link `{path}` {why}"))
                        .help("link files under content/files/ as `files/name.pdf`, documents as `doc:ID`"),
                );
                None
            }
        }
    }

    fn auto(&mut self, canonical: &str) -> Option<String> {
        let j = self.ix.published_by_number(canonical)?;
        if self.from == ItemId::Doc(j) {
            return None; // a document never links to itself
        }
        self.cites.insert(j);
        Some(self.ix.url(ItemId::Doc(j)))
    }
}

/// Rendered bodies of every published item (None for hidden ones).
#[derive(Default)]
pub struct Bodies {
    /// Per item: its rendered body (published items only).
    items: ItemMap<Option<Arc<Body>>>,
    /// How to make a body's HTML again (bodies from the record), and what went wrong doing so.
    sources: Sources,
    /// Where the HTML of bodies rendered by a one-off build is (see [`Scratch`]).
    scratch: Option<Scratch>,
    iframe_hosts: Vec<String>,
    stale: Mutex<Vec<Diagnostic>>,
    /// Per document: its inline FAQ answers, rendered.
    pub doc_faq: Vec<Vec<String>>,
    /// Per FAQ set: its answers, rendered.
    pub faq_sets: Vec<Vec<String>>,
    /// Per document: its 任务分解 (`tasks`), taken from the Markdown while it is at hand
    /// (a one-off build lets the Markdown go after this stage).
    pub tasks: Vec<Vec<crate::tasks::Task>>,
    /// Files under content/ that published content links to or attaches.
    pub used_files: BTreeSet<String>,
    pub has_code: bool,
    /// (source file, href) → line, for every link written from Markdown (only when asked).
    pub link_lines: HashMap<(String, String), usize>,
}

/// One call the Markdown renderer made to its link sink, with the answer it got: what a
/// body's HTML depends on besides its own text.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
enum Call {
    Doc(String, Option<String>, At, Option<String>),
    Service(String, At, Option<String>),
    File(String, At, Option<String>),
    Auto(String, Option<String>),
    Emitted(String, At),
    Problem(At, String, String),
    Iframe(String, At, bool),
}

/// Where in its file a call was made: the file is the body's own (one render, one
/// file), so a hundred thousand bodies' calls do not each hold its path.
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
struct At(u32, u32);

impl At {
    fn of(loc: &Loc) -> At {
        At(loc.line.try_into().unwrap_or(u32::MAX), loc.col.try_into().unwrap_or(u32::MAX))
    }

    fn loc(self, path: &str) -> Loc {
        Loc::new(path, self.0 as usize, self.1 as usize)
    }
}

/// A sink that passes every call on and records it with its answer.
struct Recorder<'s, 'a> {
    sink: &'s mut Sink<'a>,
    calls: Vec<Call>,
}

impl LinkSink for Recorder<'_, '_> {
    fn doc(&mut self, reference: &str, fragment: Option<&str>, loc: Loc) -> Option<String> {
        let r = self.sink.doc(reference, fragment, loc.clone());
        self.calls.push(Call::Doc(reference.into(), fragment.map(Into::into), At::of(&loc), r.clone()));
        r
    }
    fn service(&mut self, id: &str, loc: Loc) -> Option<String> {
        let r = self.sink.service(id, loc.clone());
        self.calls.push(Call::Service(id.into(), At::of(&loc), r.clone()));
        r
    }
    fn file(&mut self, path: &str, loc: Loc) -> Option<String> {
        let r = self.sink.file(path, loc.clone());
        self.calls.push(Call::File(path.into(), At::of(&loc), r.clone()));
        r
    }
    fn auto(&mut self, canonical: &str) -> Option<String> {
        let r = self.sink.auto(canonical);
        self.calls.push(Call::Auto(canonical.into(), r.clone()));
        r
    }
    fn emitted(&mut self, href: &str, loc: &Loc) {
        self.sink.emitted(href, loc);
        // Recorded only when links are (the memo key says whether they were).
        if self.sink.emitted.is_some() {
            self.calls.push(Call::Emitted(href.into(), At::of(loc)));
        }
    }
    fn problem(&mut self, loc: Loc, message: String, help: &str) {
        self.calls.push(Call::Problem(At::of(&loc), message.clone(), help.into()));
        self.sink.problem(loc, message, help);
    }
    fn iframe(&mut self, src: &str, loc: Loc) -> bool {
        let r = self.sink.iframe(src, loc.clone());
        self.calls.push(Call::Iframe(src.into(), At::of(&loc), r));
        r
    }
}

/// Make `calls` again on `sink`: whether every answer is the one recorded, so the
/// HTML rendered then is the HTML that would be rendered now (the sink then holds this
/// build's links, citations, files and diagnostics for it).
fn replay(sink: &mut Sink, calls: &[Call]) -> bool {
    let path = sink.from_path;
    calls.iter().all(|c| match c {
        Call::Doc(r, f, at, was) => sink.doc(r, f.as_deref(), at.loc(path)) == *was,
        Call::Service(id, at, was) => sink.service(id, at.loc(path)) == *was,
        Call::File(p, at, was) => sink.file(p, at.loc(path)) == *was,
        Call::Auto(n, was) => sink.auto(n) == *was,
        Call::Emitted(h, at) => {
            sink.emitted(h, &at.loc(path));
            true
        }
        Call::Problem(at, m, h) => {
            sink.problem(at.loc(path), m.clone(), h);
            true
        }
        Call::Iframe(src, at, was) => sink.iframe(src, at.loc(path)) == *was,
    })
}

/// A body and its FAQ answers as rendered, with the sink calls they made.
struct Rendered {
    body: Arc<Body>,
    faq: Vec<String>,
    calls: Vec<Call>,
    tasks: Vec<crate::tasks::Task>,
}

/// Bodies rendered by the previous build in this process (`serve --watch`), by a hash of
/// their text, file, page and `iframe_hosts`, at their places ([`KeptBody`]). A body is
/// taken from here when replaying its link lookups against this build's index gives the
/// same answers; an edit then renders only the bodies it changed and those whose links
/// now resolve differently.
/// A body none of whose lookups names an item whose face changed (see [`Faces`]) is not
/// even replayed: what its lookups gave last time is taken as is ([`Answered`]).
/// Holds the last build's bodies only.
#[derive(Default)]
pub struct Memo(std::sync::Mutex<Kept>);

#[derive(Default)]
struct Kept {
    bodies: crate::render::Previous<KeptBody>,
    faces: Option<Faces>,
    /// The build before's bodies, freed by [`Memo::release`] once the build that replaced
    /// them is served: freeing them (a reference count each) was ~10 ms of the Markdown
    /// stage of every rebuild at 100,000 documents.
    retired: Option<crate::render::Previous<KeptBody>>,
}

/// A body serve's memo keeps, by its key, at its place in the build's order (each item's
/// in `Content::items` order, then each FAQ set's: see `render_all_inner`): as rendered,
/// and what its lookups gave when they were kept ([`Answered`]). Found at its place by
/// the next build, as pages are (`render::Previous`): by key in two maps of 100,000, with
/// the maps made again for the build after, the lookups were ~60 ms of CPU of every
/// rebuild at 100,000 documents.
type KeptBody = (Arc<Rendered>, Option<Arc<Answered>>);

/// What a build keeps of one body for the next (see `One::keep`): its key, and its
/// [`KeptBody`].
type Keep = (u64, Arc<Rendered>, Option<Arc<Answered>>);

impl Memo {
    /// Free what the last build replaced (serve calls it once that build is served).
    pub fn release(&self) {
        let retired = self.0.lock().unwrap_or_else(|e| e.into_inner()).retired.take();
        drop(retired);
    }
}

/// What a body's lookups gave when it was last rendered or replayed, by the key of its
/// [`Rendered`]: its sink's links, citations, files, diagnostics and emitted links, and
/// a hash of each name its `doc:` links and quoted 发文字号 looked up (a `doc:` link's
/// text and its canonical 发文字号 form). Kept only when every `doc:` link resolved: an
/// unknown or unpublished target's error depends on the whole index, so such a body is
/// always replayed.
struct Answered {
    links: Vec<OutLink>,
    cites: BTreeSet<usize>,
    files: BTreeSet<String>,
    diags: Vec<Diagnostic>,
    emitted: Vec<(String, usize)>,
    names: Vec<u64>,
}

impl Answered {
    fn of(sink: &Sink, calls: &[Call]) -> Option<Answered> {
        let mut names = Vec::new();
        for c in calls {
            match c {
                Call::Doc(_, _, _, None) => return None,
                Call::Doc(raw, ..) => {
                    names.push(name_key(raw));
                    names.extend(docnum::canonical(raw).map(|n| name_key(&n)));
                }
                Call::Auto(n, _) => names.push(name_key(n)),
                _ => {}
            }
        }
        Some(Answered {
            links: sink.links.clone(),
            cites: sink.cites.clone(),
            files: sink.files.clone(),
            diags: sink.diags.clone(),
            emitted: sink.emitted.clone().unwrap_or_default(),
            names,
        })
    }
}

/// What one body's link lookups gave: this build's (rendered or replayed), or the last
/// build's as they were ([`Answered`], shared, not copied: copying every body's links,
/// citations and files was most of the stage after an edit at 100,000 documents).
enum Lookups {
    Own { links: Vec<OutLink>, cites: BTreeSet<usize>, files: BTreeSet<String> },
    Kept(Arc<Answered>),
}

impl Lookups {
    fn links(&self) -> &[OutLink] {
        match self {
            Lookups::Own { links, .. } => links,
            Lookups::Kept(a) => &a.links,
        }
    }

    fn cites(&self) -> &BTreeSet<usize> {
        match self {
            Lookups::Own { cites, .. } => cites,
            Lookups::Kept(a) => &a.cites,
        }
    }

    fn files(&self) -> &BTreeSet<String> {
        match self {
            Lookups::Own { files, .. } => files,
            Lookups::Kept(a) => &a.files,
        }
    }
}

/// A name as a lookup asked for it. The same hash as [`crate::model::Item::id_key`]: a
/// face's names (`Face::names`) are looked for among these.
fn name_key(name: &str) -> u64 {
    crate::hash::of(name.as_bytes())
}

/// What a lookup of any item may answer, to tell which answers may have changed since
/// the last build without asking again. `shape`: the services and the files under
/// content/ (what `service:` and file links are checked against). Per item, in
/// `Content::items` order: its number, a hash of its file's path (an item is the same
/// item in both builds when its file is: an item added, removed or renamed renumbers
/// those after it, and the numbers that kept links and citations hold are renumbered
/// with it; the folder says the kind), its *face* (its front matter's hash and whether
/// it is published: a lookup answers with its URL, made of its id, or with an error) and
/// its *names* (its id and 发文字号, as lookups name them).
struct Faces {
    shape: u64,
    items: Vec<Face>,
}

/// One item as [`Faces`] compares it.
struct Face {
    id: ItemId,
    path: u64,
    face: (u64, bool),
    names: [u64; 2],
}

impl Faces {
    fn of(ix: &Index) -> Faces {
        use std::hash::Hash;
        let c = &ix.content;
        let ids: Vec<ItemId> = c.items().collect();
        let items = ids
            .into_par_iter()
            .map(|t| {
                let src = ix.source(t);
                let doc_number = match t {
                    ItemId::Doc(i) => c.documents[i].doc_number.as_deref().map_or(0, name_key),
                    _ => 0,
                };
                Face {
                    id: t,
                    path: src.path_key(),
                    face: (src.yaml_hash, ix.visible(t)),
                    names: [c.item(t).id_key(), doc_number],
                }
            })
            .collect();
        let mut shape = crate::hash::Hasher::new();
        for s in &c.services {
            (&s.id, &s.url).hash(&mut shape);
        }
        (&c.files, c.services_broken).hash(&mut shape);
        Faces { shape: shape.digest(), items }
    }

    /// The names whose lookups may answer differently now than in `before` (each
    /// changed item's names then and now, and the names of the items added and removed)
    /// and the items whose numbers changed, or `None` when more than items changed (the
    /// services, the files): then every body is replayed.
    fn changed_since(&self, before: &Faces) -> Option<(crate::hash::FastSet<u64>, Renumbered)> {
        if self.shape != before.shape {
            return None;
        }
        let mut names = crate::hash::FastSet::default();
        let mut moved = crate::hash::FastMap::default();
        // One item in both builds: its names then and now, if its face or names changed.
        let changed = |now: &Face, was: &Face| {
            (now.face != was.face || now.names != was.names).then(|| now.names.into_iter().chain(was.names))
        };
        let pairs = || self.items.iter().zip(&before.items);
        if self.items.len() == before.items.len() && pairs().all(|(now, was)| now.path == was.path) {
            names.extend(pairs().filter_map(|(now, was)| changed(now, was)).flatten());
        } else {
            // Items matched by their files (one item a file: a second would be a doubt).
            let now_at: crate::hash::FastMap<u64, &Face> = self.items.iter().map(|f| (f.path, f)).collect();
            let was_at: crate::hash::FastSet<u64> = before.items.iter().map(|f| f.path).collect();
            if now_at.len() != self.items.len() || was_at.len() != before.items.len() {
                return None;
            }
            for was in &before.items {
                match now_at.get(&was.path) {
                    Some(now) => {
                        names.extend(changed(now, was).into_iter().flatten());
                        if now.id != was.id {
                            moved.insert(was.id, Some(now.id));
                        }
                    }
                    None => {
                        names.extend(was.names);
                        moved.insert(was.id, None);
                    }
                }
            }
            for now in self.items.iter().filter(|f| !was_at.contains(&f.path)) {
                names.extend(now.names);
            }
        }
        names.remove(&0);
        Some((names, Renumbered(moved)))
    }
}

/// The last build's items whose numbers this build changed: their numbers now, or `None`
/// for an item gone.
#[derive(Default)]
struct Renumbered(crate::hash::FastMap<ItemId, Option<ItemId>>);

impl Renumbered {
    /// Answers given in the last build, with the items they name numbered as now; `None`
    /// when one is gone. Shared as they were when they name no item renumbered.
    fn answers(&self, a: &Arc<Answered>) -> Option<Arc<Answered>> {
        let moved = |t: ItemId| self.0.contains_key(&t);
        if self.0.is_empty()
            || !(a.links.iter().any(|l| moved(l.target)) || a.cites.iter().any(|&j| moved(ItemId::Doc(j))))
        {
            return Some(a.clone());
        }
        let now = |t: ItemId| self.0.get(&t).copied().unwrap_or(Some(t));
        let links =
            a.links.iter().map(|l| Some(OutLink { target: now(l.target)?, ..l.clone() })).collect::<Option<_>>()?;
        let cites = a
            .cites
            .iter()
            .map(|&j| match now(ItemId::Doc(j))? {
                ItemId::Doc(k) => Some(k),
                _ => None,
            })
            .collect::<Option<_>>()?;
        Some(Arc::new(Answered {
            links,
            cites,
            files: a.files.clone(),
            diags: a.diags.clone(),
            emitted: a.emitted.clone(),
            names: a.names.clone(),
        }))
    }
}

/// This build's view of what the last build left: `gazette build`'s [`Record`] (its
/// entries by key, and this build's) or serve's [`Memo`] (its bodies at their places,
/// with what their lookups gave: see [`Answered`]).
enum MemoUse {
    Record {
        previous: crate::hash::FastMap<u64, Arc<Rendered>>,
        kept: std::sync::Mutex<crate::hash::FastMap<u64, Arc<Rendered>>>,
    },
    Serve(AnsweredUse),
}

/// The previous build's bodies at their places, the names whose answers may have changed
/// since and the items renumbered (`None`: any answer may have changed), and this
/// build's bodies.
struct AnsweredUse {
    previous: crate::render::Previous<KeptBody>,
    changed: Option<(crate::hash::FastSet<u64>, Renumbered)>,
    kept: std::sync::Mutex<crate::render::Previous<KeptBody>>,
}

impl AnsweredUse {
    /// What a body's lookups gave last time (`was`), if none of the names they looked up
    /// changed (the items they name numbered as now).
    fn unchanged(&self, was: Option<&Arc<Answered>>) -> Option<Arc<Answered>> {
        let (changed, renumbered) = self.changed.as_ref()?;
        let a = was.filter(|a| !a.names.iter().any(|n| changed.contains(n)))?;
        renumbered.answers(a)
    }
}

/// `gazette build`'s record of its bodies, `.gazette-cache/bodies-<output>-NN.bin`: per
/// body, by the key serve's [`Memo`] uses, everything but its HTML (the HTML's hash, the
/// headings, FAQ answers, 任务分解 and the link lookups with their answers). The next
/// build replays the lookups as the memo does, and a body whose answers are all the same
/// is not rendered; its HTML is made again from its file only when a page or the search
/// index needs it ([`Bodies::html`]). Markdown was a fifth of a build after one edit at
/// 100,000 documents, and holding every body's HTML a third of its memory.
///
/// Unlike the page cache and the search record it describes no output file: a body is
/// what it is whatever became of the build that rendered it. So it is written as soon as
/// the bodies are (the shards holding a changed body, see `cache::RecordFile`), on its
/// own thread, which the record joins when it is dropped.
pub struct Record {
    file: Arc<crate::cache::RecordFile>,
    ahead: crate::cache::Ahead<crate::hash::FastMap<u64, Arc<Rendered>>>,
}

/// What the record holds of one body (written from borrowed parts, read back owned).
#[derive(serde::Serialize)]
struct SavedRef<'a> {
    hash: u64,
    headings: &'a [Heading],
    has_code: bool,
    faq: &'a [String],
    calls: &'a [Call],
    tasks: &'a [crate::tasks::Task],
}

#[derive(serde::Deserialize)]
struct Saved {
    hash: u64,
    headings: Vec<Heading>,
    has_code: bool,
    #[serde(deserialize_with = "crate::utf8::de_strings")]
    faq: Vec<String>,
    calls: Vec<Call>,
    tasks: Vec<crate::tasks::Task>,
}

impl Record {
    /// The record in cache folder `dir` for the output named `id` (`cache::output_id`),
    /// valid for this `fingerprint` (the binary: rendering is its code).
    pub fn open(dir: &Path, id: u64, fingerprint: u64) -> Record {
        let file = crate::cache::RecordFile::new(dir.join(format!("bodies-{id:016x}")), fingerprint);
        Record { file: Arc::new(file), ahead: crate::cache::Ahead::none() }
    }

    /// Start reading the record now, on a thread of its own, for the bodies stage.
    pub fn read_ahead(mut self) -> Record {
        let file = self.file.clone();
        self.ahead = crate::cache::Ahead::start(move || Self::read(&file));
        self
    }

    /// The previous builds' bodies (those of this binary).
    fn load(&self) -> crate::hash::FastMap<u64, Arc<Rendered>> {
        self.ahead.take().unwrap_or_else(|| Self::read(&self.file))
    }

    fn read(file: &crate::cache::RecordFile) -> crate::hash::FastMap<u64, Arc<Rendered>> {
        let mut bodies = crate::hash::FastMap::default();
        file.read(|(key, s): (u64, Saved)| {
            let body = Body::recorded(s.hash, s.headings, s.has_code);
            bodies.insert(key, Arc::new(Rendered { body: Arc::new(body), faq: s.faq, calls: s.calls, tasks: s.tasks }));
        });
        bodies
    }

    /// Write this build's `bodies` (`previous` are those read) where they changed, on a
    /// thread of its own.
    fn save(
        &self,
        previous: &crate::hash::FastMap<u64, Arc<Rendered>>,
        bodies: crate::hash::FastMap<u64, Arc<Rendered>>,
    ) {
        let same = |k: &u64, v: &Arc<Rendered>| previous.get(k).is_some_and(|was| Arc::ptr_eq(was, v));
        let changed = self.file.changed(bodies.iter().map(|(k, v)| (*k, same(k, v))));
        let write = changed.clone();
        let entries = bodies.into_iter().filter(move |(k, _)| write.holds(*k));
        self.file.save(
            changed,
            entries.map(|(key, r)| {
                let b = &r.body;
                let saved = SavedRef {
                    hash: b.hash,
                    headings: &b.headings,
                    has_code: b.has_code,
                    faq: &r.faq,
                    calls: &r.calls,
                    tasks: &r.tasks,
                };
                (key, crate::cache::encode(&(key, saved)))
            }),
        );
    }
}

/// Where a body's Markdown is read again when it is not at hand (see [`Markdown`]): the
/// site root, and the limits files are read within.
#[derive(Clone, Default)]
pub struct Sources {
    pub root: PathBuf,
    pub limits: crate::config::Limits,
    /// Let each item's Markdown go as soon as its body is rendered (a one-off build:
    /// nothing later reads it but [`Bodies::html`] and the link gate's explanation of a
    /// broken page, which read the file again). Held to the end of the stage, every
    /// body's Markdown and HTML were in memory at once: the peak of a cold build
    /// (≈400 MB of Markdown at 100,000 documents). serve keeps it for its fast edits.
    pub let_go: bool,
    /// Where a one-off build that writes keeps its bodies' HTML meanwhile (see [`Scratch`]):
    /// the cache folder.
    pub scratch: Option<PathBuf>,
}

struct One {
    body: Option<Arc<Body>>,
    faq: Vec<String>,
    /// A document's 任务分解, from its Markdown (with the body, kept by the memo).
    tasks: Vec<crate::tasks::Task>,
    lookups: Lookups,
    from: ItemId,
    emitted: Vec<(String, String, usize)>,
    /// For the memo or record: the body's key and what to keep of it (and, for serve's
    /// memo, of its lookups), put in once every body is done (a locked insert per body,
    /// into maps growing as they went, was a tenth of the stage at 100,000 documents).
    keep: Option<Keep>,
    /// Its place in the build's order (see [`KeptBody`]).
    at: usize,
}

/// A body's Markdown: the text, or, for an item taken from `gazette build`'s record of the
/// content (`load::Record`), which lets go of texts, only its hash.
#[derive(Clone, Copy)]
struct Markdown<'a> {
    text: &'a str,
    hash: u64,
}

impl<'a> Markdown<'a> {
    fn of(text: &'a str) -> Self {
        Markdown { text, hash: crate::hash::of(text.as_bytes()) }
    }

    /// An item's body as loaded (its source has the hash).
    fn loaded(src: &Source, text: &'a str) -> Self {
        Markdown { text, hash: src.body_hash }
    }

    /// The text: at hand, or read again from the file (`None` if the file no longer holds it).
    fn text(self, src: &Source, files: &Sources) -> Option<std::borrow::Cow<'a, str>> {
        if !self.text.is_empty() || self.hash == crate::hash::of(b"") {
            return Some(self.text.into());
        }
        let text = crate::load::body_only_edit(&files.root, src, &files.limits)?;
        (crate::hash::of(text.as_bytes()) == self.hash).then_some(text.into())
    }
}

/// The error for a body whose file changed between loading it and needing its text.
fn changed_meanwhile(src: &Source) -> Diagnostic {
    Diagnostic::error(&Loc::file(&src.path), "the file changed while the site was being built")
        .help("build again once it is saved; if this repeats, the file was changed without its modification time changing: save it again")
}

/// Render one item's body and FAQ answers. `src` is the file the text comes from (a FAQ
/// set's file for its answers), `from` the page it appears on.
/// `at`: its place in the build's order, for serve's memo (see [`KeptBody`]).
fn render_one(ix: &Index, from: ItemId, at: usize, src: &Source, body: Markdown, faq: &Answers, opts: &Opts) -> One {
    let new_sink = || Sink {
        ix,
        from,
        from_path: &src.path,
        diags: Vec::new(),
        links: Vec::new(),
        cites: BTreeSet::new(),
        files: BTreeSet::new(),
        emitted: opts.record_links.then(Vec::new),
        iframe_hosts: opts.iframe_hosts,
    };
    // What is rendered: the text, and the 任务分解 taken from it.
    // `None` when the text is not at hand and its file changed since it was loaded.
    let render = |sink: &mut dyn LinkSink| {
        let text = body.text(src, opts.sources)?;
        let root = crate::routes::root_of(&ix.url(from));
        let b = markdown::render(&text, &src.path, src.body_line.max(1), &root, sink);
        let b = Arc::new(Body::rendered(b, opts.scratch));
        let faq: Vec<String> = (faq.items.iter().zip(faq.lines()))
            .map(|(q, line)| markdown::render(&q.a, &src.path, line, &root, sink).html)
            .collect();
        let tasks = if matches!(from, ItemId::Doc(_)) { crate::tasks::extract(&text) } else { Vec::new() };
        Some((b, faq, tasks))
    };
    // Nothing is kept of a body whose text was not there: the build fails with this error.
    let unreadable = || {
        opts.diags.push(changed_meanwhile(src));
        (Arc::default(), Vec::new(), Vec::new())
    };
    let mut sink = new_sink();
    // The last build's answers, when taken as they were (not put into `sink`).
    let mut kept_answers: Option<Arc<Answered>> = None;
    let mut keep = None;
    let (b, faq, tasks) = match opts.memo {
        None => render(&mut sink).unwrap_or_else(unreadable),
        Some(memo) => {
            // (The URL as its kind and id, and the answers and where they start as the
            // front matter they are found in: neither formatted nor searched for a body
            // kept, nor each answer hashed again.)
            let mut h = crate::hash::Hasher::new();
            h.piece(from.kind_name().as_bytes());
            h.update(&ix.content.item(from).id_key().to_le_bytes());
            h.update(&src.path_key().to_le_bytes());
            h.update(&body.hash.to_le_bytes());
            h.update(&(src.body_line as u64).to_le_bytes());
            if !faq.items.is_empty() {
                h.update(&src.yaml_hash.to_le_bytes());
                h.update(&(src.yaml_line as u64).to_le_bytes());
            }
            opts.iframe_hosts.iter().for_each(|host| h.piece(host.as_bytes()));
            h.update(&[u8::from(opts.record_links)]);
            let key = h.digest();
            let (answered, found) = match memo {
                MemoUse::Serve(a) => (Some(a), a.previous.find(at, key).map(|(r, was)| (r, was.as_ref()))),
                MemoUse::Record { previous, .. } => (None, previous.get(&key).map(|r| (r, None))),
            };
            let reused = found.and_then(|(r, was)| {
                // Its lookups' answers as they were, or asked again.
                let same = match answered.and_then(|a| a.unchanged(was)) {
                    Some(a) => {
                        kept_answers = Some(a);
                        true
                    }
                    None => replay(&mut sink, &r.calls),
                };
                same.then(|| r.clone())
            });
            let rendered = reused.or_else(|| {
                sink = new_sink();
                let mut rec = Recorder { sink: &mut sink, calls: Vec::new() };
                let (body, faq, tasks) = render(&mut rec)?;
                let calls = rec.calls;
                Some(Arc::new(Rendered { body, faq, calls, tasks }))
            });
            match rendered {
                Some(rendered) => {
                    let out = (rendered.body.clone(), rendered.faq.clone(), rendered.tasks.clone());
                    let answers = answered.and_then(|_| {
                        kept_answers.clone().or_else(|| Answered::of(&sink, &rendered.calls).map(Arc::new))
                    });
                    keep = Some((key, rendered, answers));
                    out
                }
                None => unreadable(),
            }
        }
    };
    let (lookups, emitted) = match kept_answers {
        Some(a) => {
            // Its diagnostics are reported again, as a replay would.
            if !a.diags.is_empty() {
                opts.diags.extend(a.diags.iter().cloned());
            }
            let emitted = if sink.emitted.is_some() { a.emitted.clone() } else { Vec::new() };
            (Lookups::Kept(a), emitted)
        }
        None => {
            // (Most bodies say nothing: the shared collector is not locked for them.)
            if !sink.diags.is_empty() {
                opts.diags.extend(std::mem::take(&mut sink.diags));
            }
            let emitted = sink.emitted.take().unwrap_or_default();
            (Lookups::Own { links: sink.links, cites: sink.cites, files: sink.files }, emitted)
        }
    };
    let emitted = emitted.into_iter().map(|(h, l)| (src.path.clone(), h, l)).collect();
    One { body: Some(b), faq, tasks, lookups, from, emitted, keep, at }
}

struct Opts<'d> {
    diags: &'d Diagnostics,
    record_links: bool,
    iframe_hosts: &'d [String],
    memo: Option<&'d MemoUse>,
    sources: &'d Sources,
    /// Where rendered HTML goes, when not kept in memory.
    scratch: Option<&'d Scratch>,
}

impl<'d> Opts<'d> {
    /// For a body rendered on its own, from text at hand (serve's edits, the link gate's
    /// explanations): no memo, no files, nothing spilled.
    fn alone(diags: &'d Diagnostics, record_links: bool, iframe_hosts: &'d [String]) -> Opts<'d> {
        static NONE: std::sync::LazyLock<Sources> = std::sync::LazyLock::new(Sources::default);
        Opts { diags, record_links, iframe_hosts, memo: None, sources: &NONE, scratch: None }
    }
}

/// The FAQ answers rendered with a body: the items under front-matter key `key` of `src`.
struct Answers<'c> {
    src: &'c Source,
    key: &'static str,
    items: &'c [crate::model::Qa],
}

impl<'c> Answers<'c> {
    fn none(src: &'c Source) -> Self {
        Answers { src, key: "", items: &[] }
    }

    /// A FAQ set's answers (rendered on its document's page).
    fn of_set(f: &'c crate::model::FaqSet) -> Self {
        Answers { src: &f.src, key: "items", items: &f.items }
    }

    /// The line each answer starts on, for diagnostics: found in the front matter, so
    /// only when the answers are rendered.
    fn lines(&self) -> Vec<usize> {
        (0..self.items.len())
            .map(|i| self.src.loc(&[Seg::Key(self.key.into()), Seg::Index(i), Seg::Key("a".into())]).line)
            .collect()
    }
}

/// Render all published bodies, check fragments, fill `cited_by`. With a `memo` (or,
/// without one, a `record`), bodies are taken from it where they are provably the same
/// (see [`Memo`], [`Record`]), and this build's bodies are left in it.
pub fn render_all(
    ix: &mut Index,
    diags: &Diagnostics,
    record_links: bool,
    iframe_hosts: &[String],
    sources: &Sources,
    memo: Option<&Memo>,
    record: Option<&Record>,
) -> Bodies {
    let record = record.filter(|_| memo.is_none());
    let mut faces = None;
    let memo_use = match (memo, record) {
        (Some(m), _) => {
            let was = std::mem::take(&mut *m.0.lock().unwrap_or_else(|e| e.into_inner()));
            let now = Faces::of(ix);
            let changed = was.faces.as_ref().and_then(|before| now.changed_since(before));
            faces = Some(now);
            let answered = AnsweredUse { previous: was.bodies, changed, kept: Default::default() };
            Some(MemoUse::Serve(answered))
        }
        (None, Some(r)) => Some(MemoUse::Record { previous: r.load(), kept: Default::default() }),
        (None, None) => None,
    };
    let scratch = sources.scratch.as_deref().filter(|_| sources.let_go).and_then(Scratch::create);
    let opts = Opts { diags, record_links, iframe_hosts, memo: memo_use.as_ref(), sources, scratch: scratch.as_ref() };
    let mut b = render_all_inner(ix, &opts);
    b.scratch = scratch;
    b.sources = sources.clone();
    b.iframe_hosts = iframe_hosts.to_vec();
    match (memo_use, memo, record) {
        (Some(MemoUse::Serve(a)), Some(m), _) => {
            let bodies = a.kept.into_inner().unwrap_or_else(|e| e.into_inner());
            *m.0.lock().unwrap_or_else(|e| e.into_inner()) = Kept { bodies, faces, retired: Some(a.previous) };
        }
        (Some(MemoUse::Record { previous, kept }), _, Some(r)) => {
            r.save(&previous, kept.into_inner().unwrap_or_else(|e| e.into_inner()));
        }
        _ => {}
    }
    b
}

fn render_all_inner(ix: &mut Index, opts: &Opts) -> Bodies {
    let diags = opts.diags;
    let jobs: Vec<ItemId> = ix.content.items().collect();
    // The Markdown moved out of the content when it is let go, so each text is freed
    // as soon as its body is rendered; else borrowed.
    let texts: Vec<Option<String>> =
        jobs.iter().map(|&t| opts.sources.let_go.then(|| std::mem::take(ix.content.item_mut(t).body_mut()))).collect();
    let c = &ix.content;
    let ixr: &Index = ix;
    let items = jobs.len();
    // (An unpublished item's place left empty, not filtered out: collected in order, the
    // bodies are written where they go, not gathered in pieces and moved, ~30 ms of CPU of
    // every serve rebuild at 100,000 documents.)
    let mut done: Vec<Option<One>> = jobs
        .into_par_iter()
        .zip(texts)
        .enumerate()
        .map(|(at, (t, text))| {
            ixr.visible(t).then(|| {
                let item = c.item(t);
                let body = Markdown::loaded(item.src(), text.as_deref().unwrap_or(item.body()));
                render_one(ixr, t, at, item.src(), body, &faq_answers(ixr, t), opts)
            })
        })
        .collect();
    // FAQ sets render their answers as part of the document they are for.
    let mut faq_sets: Vec<(usize, One)> = (0..c.faqs.len())
        .into_par_iter()
        .filter_map(|k| {
            let j = ixr.faq_for[k]?;
            let f = &c.faqs[k];
            let mut one = render_one(ixr, j.into(), items + k, &f.src, Markdown::of(""), &Answers::of_set(f), opts);
            one.body = None;
            Some((k, one))
        })
        .collect();

    let mut b = Bodies {
        items: ItemMap::new(c, |_, _| None),
        doc_faq: vec![Vec::new(); c.documents.len()],
        faq_sets: vec![Vec::new(); c.faqs.len()],
        tasks: vec![Vec::new(); c.documents.len()],
        ..Default::default()
    };
    for (i, d) in c.documents.iter().enumerate() {
        if ixr.doc_visible(i) {
            b.used_files.extend(d.attachments.iter().map(|x| x.path.clone()));
        }
    }
    // (Each body's HTML read on both cores, not in the pass below: one cache miss each.)
    b.has_code = done.par_iter().flatten().any(|one| one.body.as_ref().is_some_and(|x| x.has_code));
    // The memo's entries, put in beside the merge below (two serial passes over 100,000
    // bodies at 100,000 documents, ~8 ms each).
    let keeps = opts.memo.map(|memo| {
        let ones = done.iter_mut().flatten().chain(faq_sets.iter_mut().map(|(_, one)| one));
        (memo, ones.filter_map(|one| Some((one.at, one.keep.take()?))).collect::<Vec<_>>())
    });
    let mut merge = |b: &mut Bodies| {
        // One pass over the bodies (at 100,000 documents each pass over them all was a
        // few milliseconds of every serve rebuild).
        let shared = |b: &mut Bodies, one: &mut One| {
            for (src, href, line) in one.emitted.drain(..) {
                b.link_lines.entry((src, href)).or_insert(line);
            }
            b.used_files.extend(one.lookups.files().iter().cloned());
        };
        for one in done.iter_mut().flatten() {
            shared(b, one);
            if let ItemId::Doc(i) = one.from {
                b.doc_faq[i] = std::mem::take(&mut one.faq);
                b.tasks[i] = std::mem::take(&mut one.tasks);
            }
            *b.items.get_mut(one.from) = one.body.take();
        }
        for (k, one) in faq_sets.iter_mut() {
            shared(b, one);
            b.faq_sets[*k] = std::mem::take(&mut one.faq);
        }
    };
    match keeps {
        Some((memo, keeps)) => {
            rayon::join(|| keep_all(memo, items + c.faqs.len(), keeps), || merge(&mut b));
        }
        None => merge(&mut b),
    }
    let ones = || done.par_iter().flatten().chain(faq_sets.par_iter().map(|(_, one)| one));
    ones().for_each(|one| check_fragments(ixr, &b, one.lookups.links(), diags));
    fn cites(one: &One) -> impl Iterator<Item = (usize, ItemId)> + '_ {
        let from = one.from;
        one.lookups.cites().iter().filter(move |&&j| from != ItemId::Doc(j)).map(move |&j| (j, from))
    }
    let pairs = ones().flat_map_iter(cites).collect();
    ix.cited_by = crate::resolve::Citations::from_pairs(c.documents.len(), pairs);
    b
}

/// Put each body's entry (see `One::keep`), with its place among `places`, into serve's
/// memo at its place, or into the record's map by key, for the next build.
fn keep_all(memo: &MemoUse, places: usize, keeps: Vec<(usize, Keep)>) {
    match memo {
        MemoUse::Serve(a) => {
            let mut keys = vec![0; places];
            let mut values: Vec<Option<KeptBody>> = (0..places).map(|_| None).collect();
            for (at, (key, rendered, answers)) in keeps {
                keys[at] = key;
                values[at] = Some((rendered, answers));
            }
            *a.kept.lock().unwrap_or_else(|e| e.into_inner()) = crate::render::Previous::new(keys, values);
        }
        MemoUse::Record { kept, .. } => {
            let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
            // (Sized once: grown as they went, the map was rehashed some twelve times.)
            kept.reserve(keeps.len());
            for (_, (key, rendered, _)) in keeps {
                kept.insert(key, rendered);
            }
        }
    }
}

/// One body rendered again on its own, with what it links to: `serve` re-renders an
/// edited body this way and keeps the result only if nothing else on the site changes.
pub struct Single {
    pub body: Arc<Body>,
    pub cites: BTreeSet<usize>,
    pub files: BTreeSet<String>,
    pub diags: Vec<Diagnostic>,
}

/// Render `text` as the body of `t` (its FAQ answers unchanged), check the fragments it
/// links to against the other bodies, and collect its diagnostics instead of reporting them.
pub fn render_single(ix: &Index, b: &Bodies, t: ItemId, text: &str, iframe_hosts: &[String]) -> Single {
    let diags = Diagnostics::default();
    let opts = Opts::alone(&diags, false, iframe_hosts);
    let one = render_one(ix, t, 0, ix.source(t), Markdown::of(text), &faq_answers(ix, t), &opts);
    check_fragments(ix, b, one.lookups.links(), &diags);
    let (cites, files) = (one.lookups.cites().clone(), one.lookups.files().clone());
    Single { body: one.body.unwrap_or_default(), cites, files, diags: diags.into_sorted() }
}

/// Where each link on item `t`'s page that came from Markdown was written: (href as
/// emitted, its file and line), from its body, inline FAQ answers and FAQ sets. Renders
/// them again, so it is for the few pages the link gate finds broken.
pub fn link_sources(ix: &Index, t: ItemId, body: &str, iframe_hosts: &[String]) -> Vec<(String, Loc)> {
    let diags = Diagnostics::default();
    let opts = Opts::alone(&diags, true, iframe_hosts);
    let item = ix.content.item(t);
    let mut ones = vec![render_one(ix, t, 0, item.src(), Markdown::of(body), &faq_answers(ix, t), &opts)];
    if let ItemId::Doc(j) = t {
        for &k in &ix.rel[j].faq_sets {
            let f = &ix.content.faqs[k.0];
            ones.push(render_one(ix, t, 0, &f.src, Markdown::of(""), &Answers::of_set(f), &opts));
        }
    }
    ones.into_iter().flat_map(|o| o.emitted).map(|(path, href, line)| (href, Loc::new(path, line, 1))).collect()
}

/// A document's inline FAQ answers with their lines (other kinds have none).
fn faq_answers(ix: &Index, t: ItemId) -> Answers<'_> {
    match t {
        ItemId::Doc(i) => {
            let d = &ix.content.documents[i];
            Answers { src: &d.src, key: "faq", items: &d.faq }
        }
        _ => Answers::none(ix.source(t)),
    }
}

impl Bodies {
    /// The rendered body of a published item.
    pub fn body(&self, t: ItemId) -> Option<&Body> {
        self.items.get(t).as_deref()
    }

    /// The HTML of a published item's body: held, read back from the scratch file, or
    /// (a body from the record) rendered again from its file, as the record vouches with
    /// the same link answers, so the same HTML. A one-off build does not keep the HTML
    /// made again: each reader makes it.
    pub fn html(&self, ix: &Index, t: ItemId) -> Option<Arc<String>> {
        let b = self.items.get(t).as_deref()?;
        let mut slot = b.html.lock().unwrap_or_else(|e| e.into_inner());
        match &*slot {
            Html::Held(html) => return Some(html.clone()),
            // (Should the file not give it back, it is made again like any other.)
            Html::Spilled(at, len) => {
                if let Some(html) = self.scratch.as_ref().and_then(|s| s.get(*at, *len)) {
                    return Some(Arc::new(html));
                }
            }
            Html::NotAtHand => {}
        }
        let html = Arc::new(self.again(ix, t, b));
        if !self.sources.let_go {
            *slot = Html::Held(html.clone());
        }
        Some(html)
    }

    fn again(&self, ix: &Index, t: ItemId, was: &Body) -> String {
        let src = ix.source(t);
        let diags = Diagnostics::default();
        let opts = Opts {
            diags: &diags,
            record_links: false,
            iframe_hosts: &self.iframe_hosts,
            memo: None,
            sources: &self.sources,
            scratch: None,
        };
        // Its Markdown as loaded (read again if it is not at hand: the file must still hold it).
        let body = Markdown::loaded(src, ix.content.item(t).body());
        // (Rendered without a memo, the body is this call's alone.)
        let made = render_one(ix, t, 0, src, body, &Answers::none(src), &opts).body.and_then(Arc::into_inner);
        match made.filter(|b| b.hash == was.hash).and_then(Body::held) {
            Some(html) => html,
            None => {
                // Its file changed since it was loaded: what this build knows of it is no
                // longer what is there. Fail the build rather than publish a mix.
                self.stale.lock().unwrap_or_else(|e| e.into_inner()).push(changed_meanwhile(src));
                String::new()
            }
        }
    }

    /// Files whose body had to be made again ([`Bodies::html`]) and had changed meanwhile:
    /// errors for the build.
    pub fn take_stale(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *self.stale.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn slot(&mut self, t: ItemId) -> &mut Option<Arc<Body>> {
        self.items.get_mut(t)
    }
}

fn check_fragments<'l>(ix: &Index, b: &Bodies, links: impl IntoIterator<Item = &'l OutLink>, diags: &Diagnostics) {
    for l in links {
        let Some(f) = &l.fragment else { continue };
        let headings = b.body(l.target).map_or(&[][..], |x| &x.headings[..]);
        if !headings.iter().any(|h| h.id == *f) {
            let mut known: Vec<&str> = headings.iter().map(|h| h.id.as_str()).collect();
            known.sort();
            known.dedup();
            let help = if known.is_empty() {
                format!("{} has no headings to link to", ix.source(l.target).path)
            } else {
                format!(
                    "anchors in {}: {}",
                    ix.source(l.target).path,
                    known.iter().take(12).map(|s| format!("#{s}")).collect::<Vec<_>>().join(" ")
                )
            };
            diags.push(
                Diagnostic::error(&l.loc, format!("`#{f}` names no heading of `{}`", ix.source(l.target).path))
                    .help(help),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A site of two documents, the second linking to the first; loaded, indexed and its
    /// bodies rendered with `record`.
    fn site(root: &Path, record: &Record) -> (Index, Bodies, Vec<Diagnostic>) {
        let (cfg, _) = crate::config::load(root, None).expect("config");
        let diags = Diagnostics::default();
        let content = crate::load::load(root, &cfg, &diags);
        let date = crate::date::Date { year: 2026, month: 1, day: 1 };
        let mut ix = Index::build(content, date, false, &diags);
        // As a one-off build does, let the Markdown go.
        let sources = Sources { root: root.to_path_buf(), limits: cfg.limits, let_go: true, scratch: None };
        let bodies = render_all(&mut ix, &diags, false, &[], &sources, None, Some(record));
        (ix, bodies, diags.into_sorted())
    }

    /// Write a site file under `root`, folders and all.
    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// A folder with a site's configuration and one organ, and no content yet.
    fn small_site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "gazette.yaml", "title: 测试\nbase_url: https://example.gov.cn/\n");
        write(dir.path(), "content/organs.yaml", "- id: qzf\n  name: 测试区人民政府\n");
        dir
    }

    /// A document with the required keys and `body`.
    fn doc(id: &str, body: &str) -> String {
        format!("---\nid: {id}\ntitle: 文件{id}\nissuer: qzf\npublished: 2024-05-01\n---\n\n{body}\n")
    }

    /// A face names its item as lookups ask for it (its id, its 发文字号 in canonical
    /// form), or an edit to it would not replay the bodies that looked it up.
    #[test]
    fn a_face_names_its_item_as_lookups_do() {
        let dir = small_site();
        let root = dir.path();
        write(
            root,
            "content/documents/a.md",
            &doc("a", "正文。").replace("issuer:", "doc_number: 测府〔2024〕1号\nissuer:"),
        );
        write(root, "content/documents/b.md", &doc("b", "见[文件a](doc:a)。"));
        let record = Record::open(&root.join(".gazette-cache"), 1, 1);
        let (ix, _, diags) = site(root, &record);
        assert!(diags.iter().all(|d| d.severity != crate::diag::Severity::Error), "{diags:?}");
        let faces = Faces::of(&ix);
        let a = faces.items.iter().find(|f| ix.content.item(f.id).id() == "a").expect("a's face");
        let canonical = docnum::canonical("测府〔2024〕1号").expect("a 发文字号");
        assert_eq!(a.names, [name_key("a"), name_key(&canonical)]);
        assert_eq!(a.path, crate::hash::of(b"content/documents/a.md"));
    }

    #[test]
    fn a_body_from_the_record_is_made_again_from_its_file_and_a_changed_file_fails_the_build() {
        let dir = small_site();
        let root = dir.path();
        let write = |rel: &str, text: &str| write(root, rel, text);
        write("content/documents/a.md", &doc("a", "## 第一条\n\n正文**加粗**。"));
        write("content/documents/b.md", &doc("b", "见[文件a](doc:a#第一条)。"));
        let cache = root.join(".gazette-cache");
        let record = |fingerprint| Record::open(&cache, 1, fingerprint);
        let (a, b) = (ItemId::Doc(0), ItemId::Doc(1));

        // First build: rendered, and the record written (when the record is dropped).
        let first = record(42);
        let (ix, bodies, said) = site(root, &first);
        assert!(said.iter().all(|d| d.severity != crate::diag::Severity::Error), "{said:?}");
        assert!(bodies.body(b).is_some_and(Body::is_at_hand), "rendered, so at hand");
        let html_b = bodies.html(&ix, b).expect("published").to_string();
        assert!(html_b.contains("documents/a/#"), "{html_b}");
        drop(first);

        // Second build: taken from the record, without HTML until asked, then the same HTML.
        let second = record(42);
        let (ix, bodies, _) = site(root, &second);
        assert!(!bodies.body(b).is_some_and(Body::is_at_hand), "taken from the record");
        assert_eq!(bodies.body(a).map(|x| x.headings.len()), Some(1), "headings come with it");
        assert_eq!(bodies.html(&ix, b).as_deref(), Some(&html_b));
        assert!(bodies.take_stale().is_empty());

        // The file changes after it was loaded: its HTML is not made from the new text;
        // the build is told, with the file.
        let (ix, bodies, _) = site(root, &second);
        write("content/documents/b.md", &doc("b", "改过的正文。"));
        assert_eq!(bodies.html(&ix, b).as_deref().map(String::as_str), Some(""));
        let stale = bodies.take_stale();
        assert_eq!(stale.len(), 1, "{stale:?}");
        assert_eq!(
            (stale[0].severity, stale[0].path.as_str()),
            (crate::diag::Severity::Error, "content/documents/b.md")
        );

        // A record of another binary is not read: everything is rendered.
        let (_, bodies, _) = site(root, &record(43));
        assert!(bodies.body(a).is_some_and(Body::is_at_hand));
    }

    #[test]
    fn a_one_off_build_reads_its_bodies_back_from_a_scratch_file_that_leaves_nothing_behind() {
        let dir = small_site();
        let root = dir.path();
        write(root, "content/documents/a.md", &doc("a", "## 第一条\n\n正文**加粗**。"));
        write(root, "content/documents/b.md", &doc("b", "见[文件a](doc:a#第一条)。\n\n```rust\nfn main() {}\n```"));
        let (cfg, _) = crate::config::load(root, None).expect("config");
        let cache = root.join(".gazette-cache");
        let render = |scratch: Option<PathBuf>| {
            let diags = Diagnostics::default();
            let content = crate::load::load(root, &cfg, &diags);
            let mut ix = Index::build(content, crate::date::Date { year: 2026, month: 1, day: 1 }, false, &diags);
            let sources = Sources { root: root.to_path_buf(), limits: cfg.limits, let_go: true, scratch };
            let b = render_all(&mut ix, &diags, false, &[], &sources, None, None);
            assert!(diags.into_sorted().is_empty());
            (ix, b)
        };
        let (ix, held) = render(None);
        let (ix2, spilled) = render(Some(cache.clone()));
        for t in [ItemId::Doc(0), ItemId::Doc(1)] {
            assert!(held.body(t).is_some_and(|b| b.held_now()), "without a scratch folder, held");
            assert!(spilled.body(t).is_some_and(|b| b.is_at_hand() && !b.held_now()), "in the scratch file");
            let want = held.html(&ix, t).expect("published");
            assert!(want.contains("<h2") || want.contains("<pre"), "{want}");
            // Each reader reads it back, the same each time.
            assert_eq!(spilled.html(&ix2, t), Some(want.clone()));
            assert_eq!(spilled.html(&ix2, t), Some(want));
        }
        assert_eq!(std::fs::read_dir(&cache).expect("cache folder").count(), 0, "the scratch file is unlinked");
    }

    #[test]
    fn markdown_not_at_hand_is_read_from_its_file_and_must_be_the_text_loaded() {
        let dir = small_site();
        let root = dir.path();
        let write = |rel: &str, text: &str| write(root, rel, text);
        write("content/documents/a.md", &doc("a", "## 第一条\n\n正文。"));
        let (cfg, _) = crate::config::load(root, None).expect("config");
        let sources = Sources { root: root.to_path_buf(), limits: cfg.limits, let_go: false, scratch: None };
        // Items as the content record gives them: without their Markdown, with its hash.
        let loaded = || {
            let diags = Diagnostics::default();
            let mut content = crate::load::load(root, &cfg, &diags);
            content.documents[0] =
                Arc::new(crate::model::Document { body: String::new(), ..(*content.documents[0]).clone() });
            Index::build(content, crate::date::Date { year: 2026, month: 1, day: 1 }, false, &diags)
        };
        let render = |ix: &mut Index| {
            let diags = Diagnostics::default();
            let b = render_all(ix, &diags, false, &[], &sources, None, None);
            (b, diags.into_sorted())
        };
        let mut ix = loaded();
        let (b, said) = render(&mut ix);
        assert!(said.is_empty(), "{said:?}");
        assert!(b.html(&ix, ItemId::Doc(0)).is_some_and(|h| h.contains("第一条") && h.contains("正文")));

        let mut ix = loaded();
        write("content/documents/a.md", &doc("a", "改过了。"));
        let (b, said) = render(&mut ix);
        assert_eq!(b.html(&ix, ItemId::Doc(0)).as_deref().map(String::as_str), Some(""));
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].severity == crate::diag::Severity::Error && said[0].message.contains("changed while"));
    }
}
