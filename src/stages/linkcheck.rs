//! The final gate: after rendering, every `href`, `src` and `action` of every generated
//! page must name a file of the output (and, with a `#fragment`, an `id` in it).
//! Templates are checked too, so a theme bug fails the build instead of shipping a
//! broken link ("确保跳转链接不断链").
//!
//! Pages are scanned before minification, when attributes are still quoted as the
//! templates and the Markdown renderer wrote them.

use crate::diag::{Diagnostic, Loc};
use crate::hash::FastMap;
use crate::routes;
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What the gate keeps of one generated HTML page: compact, because a 100,000-document
/// library has some 15 million links. Targets, fragments and element ids are kept as
/// 64-bit hashes (no lock, no strings); the link text is recovered only for a page that
/// fails (by rendering it again).
///
/// Cheap to clone (the hashes are shared): serve's next build takes a page it keeps
/// from the last build's (see `build::KeptPage`).
#[derive(Clone)]
pub struct PageLinks {
    /// Output path: `documents/x/index.html`.
    pub path: String,
    pub blame: Loc,
    hashes: std::sync::Arc<Hashes>,
    /// Every link as written, kept only when the caller asks (link report, external checks).
    pub raw: Box<[String]>,
}

/// What the gate knows of a page's links and ids, as hashes.
struct Hashes {
    /// Hashes of the distinct targets of the page's own-site links without a fragment.
    targets: Box<[u64]>,
    /// Distinct (target path hash, fragment hash) pairs of its links with a fragment. Apart
    /// from `targets`: most links have none, and this halves the gate's memory.
    frags: Box<[(u64, u64)]>,
    /// Hashes of the page's element ids, sorted.
    ids: Box<[u64]>,
}

impl Hashes {
    /// Kept for every page to the end of the build, as boxed slices: without the slack of
    /// pushing and of the duplicates taken out, and 8 bytes less each than a vector
    /// (146,000 pages at 100,000 documents: ~18 MB lower peak in all).
    fn shared(targets: Vec<u64>, frags: Vec<(u64, u64)>, ids: Vec<u64>) -> std::sync::Arc<Hashes> {
        let (targets, frags, ids) = (targets.into_boxed_slice(), frags.into_boxed_slice(), ids.into_boxed_slice());
        std::sync::Arc::new(Hashes { targets, frags, ids })
    }
}

/// The gate's 64-bit hash of a path, fragment or id. XXH3, a fixed algorithm: the build
/// cache stores these hashes on disk, so they must not change with the Rust release (as
/// `DefaultHasher` may).
fn hash(s: &str) -> u64 {
    crate::hash::of(s.as_bytes()) | 1 // never 0, which means "no fragment"
}

impl PageLinks {
    /// Scan a generated page and keep what the gate needs. `pieces`: what the page
    /// pasted as it is (see [`Piece`]), in page order: their links are taken as resolved
    /// once, their bytes not scanned again.
    pub fn new(path: String, blame: Loc, html: &[u8], base_path: &str, keep_raw: bool, pieces: &[Arc<Piece>]) -> Self {
        let mut targets = Vec::new();
        let mut frags = Vec::new();
        let mut ids = Vec::new();
        let mut raw = Vec::new();
        let (mut buf, mut ends) = (String::new(), Vec::new());
        let folder = Folder::of(&path);
        let mut scan = |part: &[u8]| {
            scan_with(part, |found| match found {
                Found::Link(l) => {
                    if let Some(f) = target_into(&path, &folder, &l, base_path, &mut buf, &mut ends) {
                        keep_target(&buf, f, &mut targets, &mut frags);
                    }
                    if keep_raw {
                        raw.push(l.into_owned());
                    }
                }
                Found::Id(i) => ids.push(hash(&i)),
            })
        };
        // The page between the pieces it pasted (found in order; one not found, as a
        // theme that left it out, is not taken), then the rest. With `keep_raw` every
        // link is wanted as written: the page is scanned whole.
        let (mut from, mut pasted) = (0, Vec::new());
        for piece in pieces.iter().filter(|_| !keep_raw) {
            let Some(links) = &piece.links else { continue };
            let Some(at) = find_piece(&html[from..], piece.html.as_bytes()) else { continue };
            scan(&html[from..from + at]);
            pasted.push(links);
            from += at + piece.html.len();
        }
        scan(&html[from..]);
        for links in pasted {
            targets.extend_from_slice(&links.targets);
            frags.extend_from_slice(&links.frags);
        }
        targets.sort_unstable();
        targets.dedup();
        frags.sort_unstable();
        frags.dedup();
        ids.sort_unstable();
        ids.dedup();
        PageLinks { path, blame, hashes: Hashes::shared(targets, frags, ids), raw: raw.into_boxed_slice() }
    }
}

/// Keep a link resolved to `path` (with fragment `frag`) as the gate keeps it: its
/// path's hash, or with a fragment apart from the others (see [`Hashes`]).
fn keep_target(path: &str, frag: Option<Cow<str>>, targets: &mut Vec<u64>, frags: &mut Vec<(u64, u64)>) {
    match frag.filter(|f| !f.is_empty()) {
        Some(f) => frags.push((hash(path), hash(&f))),
        None => targets.push(hash(path)),
    }
}

/// A piece of HTML that pages paste as it is (a listing row, written once for the pages
/// at one depth: `render::plan::SharedRow`), with its links resolved once. A 公文库 page
/// is nine tenths rows, and scanning them again on every page that shows them was most
/// of the gate's work in a rebuild that moves every listing page by one.
pub struct Piece {
    pub html: Box<str>,
    /// The targets and fragment targets of its links, as [`PageLinks`] keeps them; none
    /// when they depend on the page that shows the piece (see [`Piece::new`]).
    links: Option<PieceLinks>,
}

/// What [`Piece::links`] keeps (boxed: without the slack of pushing).
struct PieceLinks {
    targets: Box<[u64]>,
    frags: Box<[(u64, u64)]>,
}

impl Piece {
    /// A piece for pages whose way back to the site root is `root` (`../../`). Its links
    /// are resolved once when every one means the same on every such page: another
    /// site's, root-absolute, or climbing to the root first (`{{ root }}documents/x/`);
    /// and it has no ids. Otherwise (a link to `#top` of the page, to a sibling folder)
    /// pages scan it as the rest of their bytes.
    pub fn new(html: String, root: &str, base_path: &str) -> Piece {
        let page = format!("{}index.html", "_/".repeat(root.matches("../").count()));
        let folder = Folder::of(&page);
        let (mut buf, mut ends) = (String::new(), Vec::new());
        let (mut targets, mut frags, mut same) = (Vec::new(), Vec::new(), true);
        scan_with(html.as_bytes(), |found| match found {
            Found::Id(_) => same = false,
            Found::Link(l) => {
                let Some(f) = target_into(&page, &folder, &l, base_path, &mut buf, &mut ends) else { return };
                let t = l.trim();
                let own_page = root.is_empty() && (t.is_empty() || t.starts_with(['#', '?']));
                if !(t.starts_with('/') || (t.starts_with(root) && !own_page)) {
                    same = false;
                }
                keep_target(&buf, f, &mut targets, &mut frags);
            }
        });
        let links = same.then(|| PieceLinks { targets: targets.into(), frags: frags.into() });
        Piece { html: html.into_boxed_str(), links }
    }
}

/// Where `piece` is next in `page`: tried where its first byte is. Not `memmem`: its
/// searcher, made for each piece of each page, cost 30 times the scan it saved (a row
/// is long and rows follow each other, so the first place tried is most often it).
fn find_piece(page: &[u8], piece: &[u8]) -> Option<usize> {
    let first = *piece.first()?;
    memchr::memchr_iter(first, page).find(|&i| page[i..].starts_with(piece))
}

/// A page's targets, fragment targets and ids as hashes (see [`PageLinks`]).
pub struct Parts {
    pub targets: Vec<u64>,
    pub frags: Vec<(u64, u64)>,
    pub ids: Vec<u64>,
}

impl PageLinks {
    /// A page's view as the build cache kept it (see `cache`).
    pub fn from_parts(path: String, blame: Loc, parts: Parts) -> Self {
        let Parts { targets, frags, ids } = parts;
        PageLinks { path, blame, hashes: Hashes::shared(targets, frags, ids), raw: Box::default() }
    }

    /// What the build cache keeps of a page: its targets and ids.
    pub fn parts(&self) -> (&[u64], &[(u64, u64)], &[u64]) {
        let h = &*self.hashes;
        (&h.targets, &h.frags, &h.ids)
    }
}

/// HTML's own whitespace (the spec's ASCII whitespace). Never `char::is_whitespace` on a
/// byte: 0x85 and 0xA0 are continuation bytes of many Chinese characters (你 is E4 BD A0).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Collect link attributes and element ids from HTML. Skips comments and the content of
/// `<script>` and `<style>`.
///
/// Hand-written rather than an HTML tokenizer crate: it runs over every generated page
/// (hundreds of megabytes at 100,000 documents), needs only attribute values, and works
/// on byte offsets that always fall on ASCII delimiters, so slicing stays on character
/// boundaries whatever the text between them is (a theme may put any text in a tag).
pub fn scan(html: &str) -> (Vec<String>, HashSet<String>) {
    let mut links = Vec::new();
    let mut ids = HashSet::new();
    scan_with(html.as_bytes(), |found| match found {
        Found::Link(l) => links.push(l.into_owned()),
        Found::Id(i) => {
            ids.insert(i.into_owned());
        }
    });
    (links, ids)
}

/// An attribute [`scan_with`] reports, entities decoded (borrowed when it has none).
pub enum Found<'h> {
    /// `href`, `src`, `action` or `poster`.
    Link(Cow<'h, str>),
    /// `id`, or `name` of an `<a>`.
    Id(Cow<'h, str>),
}

/// [`scan`] without collecting: each link and id is handed to `f` as found. Works on
/// bytes (a rendered page need not be checked as UTF-8 as a whole); a value that is not
/// UTF-8 is skipped.
pub fn scan_with<'h>(html: &'h [u8], mut f: impl FnMut(Found<'h>)) {
    let b = html;
    let n = b.len();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        i += off + 1;
        if b[i..].starts_with(b"!--") {
            i = memchr::memmem::find(&b[i..], b"-->").map_or(n, |e| i + e + 3);
            continue;
        }
        let mut name_end = i;
        while name_end < n && !is_space(b[name_end]) && b[name_end] != b'>' && b[name_end] != b'/' {
            name_end += 1;
        }
        let name = &b[i..name_end];
        if name.is_empty() || name[0] == b'!' || name[0] == b'?' {
            continue;
        }
        let mut j = name_end;
        // attributes
        loop {
            while j < n && is_space(b[j]) {
                j += 1;
            }
            if j >= n || b[j] == b'>' || (b[j] == b'/' && b.get(j + 1) == Some(&b'>')) {
                break;
            }
            if b[j] == b'/' {
                j += 1;
                continue;
            }
            let an_start = j;
            while j < n && !is_space(b[j]) && b[j] != b'=' && b[j] != b'>' {
                j += 1;
            }
            let attr = &b[an_start..j];
            while j < n && is_space(b[j]) {
                j += 1;
            }
            let mut value = None;
            if j < n && b[j] == b'=' {
                j += 1;
                while j < n && is_space(b[j]) {
                    j += 1;
                }
                if j < n && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let end = memchr::memchr(q, &b[j + 1..]).map_or(n, |e| j + 1 + e);
                    value = Some(&b[j + 1..end]);
                    j = (end + 1).min(n);
                } else {
                    let start = j;
                    while j < n && !is_space(b[j]) && b[j] != b'>' {
                        j += 1;
                    }
                    value = Some(&b[start..j]);
                }
            }
            // (A value is checked as UTF-8 only when it is one of these: most are classes.)
            let link = ["href", "src", "action", "poster"].iter().any(|a| attr.eq_ignore_ascii_case(a.as_bytes()));
            let id = !link
                && (attr.eq_ignore_ascii_case(b"id")
                    || (attr.eq_ignore_ascii_case(b"name") && name.eq_ignore_ascii_case(b"a")));
            if let Some(Some(v)) = value.filter(|_| link || id).map(crate::utf8::str) {
                f(if link { Found::Link(decode_entities(v)) } else { Found::Id(decode_entities(v)) });
            }
        }
        i = j.min(n);
        if name.eq_ignore_ascii_case(b"script") || name.eq_ignore_ascii_case(b"style") {
            i = find_close(b, i, name).unwrap_or(n);
        }
    }
}

/// Where `</name` (any case) starts at or after `from`.
fn find_close(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut at = from;
    while let Some(off) = memchr::memmem::find(&b[at..], b"</") {
        let p = at + off;
        if b.get(p + 2..p + 2 + name.len()).is_some_and(|t| t.eq_ignore_ascii_case(name)) {
            return Some(p);
        }
        at = p + 2;
    }
    None
}

/// Decode character references (`&amp;`, `&#39;`, `&#x2F;`, named ones), borrowed when
/// there are none.
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', s.as_bytes()).is_none() {
        return Cow::Borrowed(s); // most attribute values: no scan by character
    }
    html_escape::decode_html_entities(s)
}

/// Where a link from `page` (an output path) points, as an output path and fragment.
/// `None` for links the gate does not own (other schemes, other hosts).
fn target_of(page: &str, link: &str, base_path: &str) -> Option<(String, Option<String>)> {
    let mut out = String::new();
    let frag = target_into(page, &Folder::of(page), link, base_path, &mut out, &mut Vec::new())?;
    Some((out, frag.map(Cow::into_owned)))
}

/// A page's folder as [`walk`] leaves it (its segments decoded, and where each ends),
/// made once per page: every relative link on it starts there (some 50 links a page).
struct Folder {
    path: String,
    ends: Vec<usize>,
}

impl Folder {
    fn of(page: &str) -> Folder {
        let mut folder = Folder { path: String::new(), ends: Vec::new() };
        // (An output path has no `..` to climb out with.)
        walk(page.rfind('/').map_or("", |i| &page[..=i]), &mut folder.path, &mut folder.ends);
        folder
    }
}

/// Walk one part of a path, segment by segment, into `out`, decoded; `ends` holds the
/// end offset in `out` of each segment kept so far, for `..`. False when `..` climbs
/// above the root.
fn walk(part: &str, out: &mut String, ends: &mut Vec<usize>) -> bool {
    for seg in part.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if ends.pop().is_none() {
                    return false;
                }
                out.truncate(ends.last().map_or(0, |&e| e));
            }
            s => {
                if !ends.is_empty() {
                    out.push('/');
                }
                out.push_str(&routes::percent_decode(s));
                ends.push(out.len());
            }
        }
    }
    true
}

/// [`target_of`] into reused buffers: the path is written to `out`, the fragment
/// returned (borrowed from `link` unless it had to be decoded); `ends` is scratch space.
/// The gate calls this for every link of every page, so it allocates only for what
/// needs decoding. `folder` is `page`'s.
fn target_into<'l>(
    page: &str,
    folder: &Folder,
    link: &'l str,
    base_path: &str,
    out: &mut String,
    ends: &mut Vec<usize>,
) -> Option<Option<Cow<'l, str>>> {
    let link = link.trim();
    // (ASCII delimiters found byte by byte: a link is short, and `str`'s char searches
    // were a fifth of resolving links.)
    let at = |s: &str, b: u8| s.bytes().position(|c| c == b);
    let (before_frag, frag) = match at(link, b'#') {
        Some(i) => (&link[..i], Some(routes::percent_decode(&link[i + 1..]))),
        None => (link, None),
    };
    let path_part = &before_frag[..at(before_frag, b'?').unwrap_or(before_frag.len())];
    if link.starts_with("//") {
        return None;
    }
    if let Some(i) = at(path_part, b':') {
        let scheme = &path_part[..i];
        if !scheme.is_empty() && scheme.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')) {
            return None;
        }
    }
    out.clear();
    // The path to normalise: the page itself, a root-absolute path under the base path,
    // or the link relative to the page's folder (walked from the folder as walked once).
    ends.clear();
    let path = if path_part.is_empty() {
        page
    } else if let Some(abs) = path_part.strip_prefix('/') {
        match abs.strip_prefix(base_path.trim_start_matches('/')) {
            Some(r) => r,
            None => {
                out.push_str("\u{0}outside:");
                out.push_str(path_part);
                return Some(frag);
            }
        }
    } else {
        if climb_plain(folder, path_part, out) {
            return Some(frag);
        }
        out.push_str(&folder.path);
        ends.extend_from_slice(&folder.ends);
        path_part
    };
    let whole_ends_with_slash = path.ends_with('/');
    if !walk(path, out, ends) {
        out.clear();
        out.push_str("\u{0}above-root");
        return Some(frag);
    }
    if whole_ends_with_slash || path.is_empty() {
        out.push_str(if out.is_empty() { "index.html" } else { "/index.html" });
    }
    Some(frag)
}

/// A relative link that climbs out of the page's folder with `../` only at its start and
/// then names plain segments (no `.` or `..`, no empty segment, nothing percent-encoded),
/// resolved into `out` as [`walk`] would resolve it, without decoding or walking it
/// segment by segment: nearly every link a theme writes is such a link
/// (`../../../documents/x/`), and resolving them was about half of what the gate's scan
/// of a rendered listing page cost. False, with `out` untouched, for any other link.
fn climb_plain(folder: &Folder, link: &str, out: &mut String) -> bool {
    let mut rest = link;
    let mut up = 0;
    while let Some(r) = rest.strip_prefix("../") {
        rest = r;
        up += 1;
    }
    if up > folder.ends.len() {
        return false;
    }
    // One pass over a short string: nothing encoded, and no segment empty or starting
    // with a dot (the start counts as after a slash).
    let mut after_slash = true;
    for &c in rest.as_bytes() {
        if c == b'%' || (after_slash && matches!(c, b'.' | b'/')) {
            return false;
        }
        after_slash = c == b'/';
    }
    let kept = folder.ends.len() - up;
    out.push_str(&folder.path[..kept.checked_sub(1).map_or(0, |last| folder.ends[last])]);
    if rest.is_empty() {
        // The folder climbed to: its index page.
        out.push_str(if out.is_empty() { "index.html" } else { "/index.html" });
        return true;
    }
    if !out.is_empty() {
        out.push('/');
    }
    out.push_str(rest);
    if rest.ends_with('/') {
        out.push_str("index.html");
    }
    true
}

/// What every link target can name: a file, or a folder with an index.html (and the
/// page there, for its ids). Built once per site; valid while the set of files and the
/// order of pages stay as they were (a fast edit in `serve` changes neither).
pub struct Targets {
    named: FastMap<u64, Option<usize>>,
}

impl Targets {
    pub fn new(pages: &[PageLinks], files: &[&str]) -> Self {
        let page_ix: FastMap<&str, usize> = pages.iter().enumerate().map(|(i, p)| (p.path.as_str(), i)).collect();
        // Paths hashed on every core, then put in the map on one (the gate runs on every
        // serve rebuild: 30,000 files at 10,000 documents).
        let hashed: Vec<(u64, Option<u64>, Option<usize>)> = files
            .par_iter()
            .map(|f| {
                let (file, dir) = names_of(f);
                (file, dir, page_ix.get(f).copied())
            })
            .collect();
        let mut named: FastMap<u64, Option<usize>> =
            FastMap::with_capacity_and_hasher(files.len() * 2, Default::default());
        for (file, dir, page) in hashed {
            named.insert(file, page);
            if let Some(dir) = dir {
                named.entry(dir).or_insert(page);
            }
        }
        Targets { named }
    }

    /// The hashes links name `files` by, sorted: each file's path, and its folder's for an
    /// `index.html`.
    pub fn names_of_files(files: &[&str]) -> Vec<u64> {
        let mut names: Vec<u64> =
            files.iter().map(|f| names_of(f)).flat_map(|(file, dir)| std::iter::once(file).chain(dir)).collect();
        names.sort_unstable();
        names
    }

    /// The pages with at least one link that names no file, or no id in the page it
    /// names: the gate's verdict from hashes alone, without the links' text. Of the pages
    /// `only` lists, when given (see [`check`]).
    pub fn broken_pages(&self, pages: &[PageLinks], only: Option<&[usize]>) -> Vec<usize> {
        let bad = |t: u64, frag: u64| match self.named.get(&t) {
            None => true,
            Some(page) => frag != 0 && page.is_some_and(|i| pages[i].hashes.ids.binary_search(&frag).is_err()),
        };
        let broken = |&i: &usize| {
            let p = &pages[i];
            p.hashes.targets.iter().any(|&t| bad(t, 0)) || p.hashes.frags.iter().any(|&(t, f)| bad(t, f))
        };
        match only {
            Some(only) => only.par_iter().copied().filter(broken).collect(),
            None => (0..pages.len()).into_par_iter().filter(broken).collect(),
        }
    }
}

/// What a link names file `f` by: its path, and its folder for an `index.html`.
fn names_of(f: &str) -> (u64, Option<u64>) {
    (hash(f), f.strip_suffix("/index.html").map(hash))
}

/// The pages with a link to one of `names` (sorted hashes, [`Targets::names_of_files`]):
/// of the pages that passed the last gate, the only ones a file gone can break.
pub fn pages_naming(pages: &[PageLinks], names: &[u64]) -> Vec<usize> {
    if names.is_empty() {
        return Vec::new();
    }
    let names_one = |&i: &usize| {
        let h = &pages[i].hashes;
        let named = |t: &u64| names.binary_search(t).is_ok();
        h.targets.iter().any(named) || h.frags.iter().any(|(t, _)| named(t))
    };
    (0..pages.len()).into_par_iter().filter(names_one).collect()
}

/// Whether a page that had the sorted ids `before` still has each of them in `now`
/// (sorted): then no link to it that worked stops working.
pub fn keeps_ids(before: impl IntoIterator<Item = u64>, now: &[u64]) -> bool {
    let mut rest = now;
    before.into_iter().all(|id| match rest.binary_search(&id) {
        Ok(k) => {
            rest = &rest[k..];
            true
        }
        Err(_) => false,
    })
}

/// What the gate asks about a page it found broken, to report the link as a person
/// wrote it: only called for those few pages (each answer may render the page again).
pub trait Explain: Sync {
    /// Page `i`'s links as written in its HTML (entities decoded), each with the Markdown
    /// line that wrote it, if one did.
    fn links(&self, page: usize) -> Vec<(String, Option<Loc>)>;
    /// The template line that writes `link`, for a link no Markdown wrote.
    fn template_line(&self, link: &str) -> Option<Loc>;
    /// The anchors page `i` offers, the most useful first (a document's headings).
    fn anchors(&self, page: usize) -> Vec<String>;
}

/// Check every link of every page against `targets` (made from the written files) and
/// the pages' ids, or of the pages `only` lists: serve's rebuild that wrote the files of
/// the last one, no page taking out an id it had, need look only at the pages it
/// rendered (every other page is the file that passed the last gate, and each link of it
/// still names what it named then). Report each broken link once per page, decoded (`#第九节`, not
/// `#%E7%AC%AC…`), at the line that wrote it, with the anchors its target has when the
/// fragment is what is wrong. `is_file` says whether the site has a file at a path,
/// asked only to explain the few links found broken.
pub fn check(
    pages: &[PageLinks],
    targets: &Targets,
    only: Option<&[usize]>,
    is_file: &dyn Fn(&str) -> bool,
    base_path: &str,
    explain: &dyn Explain,
) -> Vec<Diagnostic> {
    let broken = targets.broken_pages(pages, only);
    if broken.is_empty() {
        return Vec::new();
    }
    let page_ix: HashMap<&str, usize> = pages.iter().enumerate().map(|(i, p)| (p.path.as_str(), i)).collect();
    let mut out = Vec::new();
    for i in broken {
        let p = &pages[i];
        let mut reported = HashSet::new();
        for (link, source) in explain.links(i) {
            let Some((path, frag)) = target_of(&p.path, &link, base_path) else {
                continue;
            };
            let file = if is_file(&path) {
                Some(path)
            } else if is_file(&format!("{path}/index.html")) {
                Some(format!("{path}/index.html"))
            } else {
                None
            };
            let (why, help) = match (&file, &frag) {
                (None, _) => (
                    "names no file of the site".to_string(),
                    "every link in the output must work; fix the content or the template that writes it".to_string(),
                ),
                (Some(t), Some(f)) if !f.is_empty() => match page_ix.get(t.as_str()) {
                    Some(&j) if pages[j].hashes.ids.binary_search(&hash(f)).is_err() => {
                        let anchors = explain.anchors(j);
                        let help = if anchors.is_empty() {
                            format!("{t} has no anchors to link to")
                        } else {
                            let shown: Vec<String> = anchors.iter().take(12).map(|a| format!("#{a}")).collect();
                            let more = if anchors.len() > 12 { " …" } else { "" };
                            format!("anchors in {t}: {}{more}", shown.join(" "))
                        };
                        (format!("names no anchor `#{f}` in {t}"), help)
                    }
                    _ => continue,
                },
                _ => continue,
            };
            if reported.insert(link.clone()) {
                let shown = routes::percent_decode(&link);
                let at = source.or_else(|| explain.template_line(&link)).unwrap_or_else(|| p.blame.clone());
                out.push(
                    Diagnostic::error(&at, format!("broken link `{shown}` in generated page {}: {why}", p.path))
                        .help(help),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_attributes_ids_and_skips_scripts() {
        let (l, ids) = scan(
            "<a href=\"../x/\" id=a>t</a><img src='p.png'><script>var s='<a href=\"no\">';</script><h2 id=\"一、\">",
        );
        assert_eq!(l, vec!["../x/", "p.png"]);
        assert!(ids.contains("a") && ids.contains("一、"));
    }

    #[test]
    fn chinese_text_inside_a_tag_is_not_whitespace() {
        // 你 is E4 BD A0 and 览 is E8 A7 88; 0xA0 and 0x85 are whitespace as Latin-1 chars.
        let (l, ids) = scan("<div class=\"doc-body\" 你 id=x><a 览 href=\"y/\">t</a><p title=你好>z</p><SCRIPT>'<a href=no>'</Script><a href=\"b\">");
        assert_eq!(l, vec!["y/", "b"]);
        assert!(ids.contains("x"));
        let s = "<a title=\"你\" 你 href=\"甲乙\" 览=览>";
        for (k, _) in s.char_indices() {
            scan(&s[..k]); // cut anywhere: never a panic
        }
    }

    #[test]
    fn hashes_are_stable_across_releases() {
        // XXH3-64 of the text, low bit set: the build cache stores these on disk.
        assert_eq!(hash(""), 0x2d06800538d394c3);
        assert_eq!(hash("documents/a/index.html"), crate::hash::of(b"documents/a/index.html") | 1);
    }

    #[test]
    fn the_gate_finds_missing_files_and_fragments_and_names_the_link() {
        let html = [
            ("index.html", "<a href=\"a/\">ok</a><a href=\"a/#x\">ok</a><a href=\"a/#nope\">bad id</a><a href=\"gone/\">bad</a><a href=\"https://e.example/\">ext</a>"),
            ("a/index.html", "<h2 id=\"x\">x</h2><a href=\"../index.html#top\">bad id</a><a href=\"#x\">ok</a>"),
        ];
        let pages: Vec<PageLinks> = html
            .iter()
            .map(|(p, h)| PageLinks::new(p.to_string(), Loc::file("t"), h.as_bytes(), "/", false, &[]))
            .collect();
        let files: Vec<&str> = html.iter().map(|(p, _)| *p).collect();
        struct Raw<'a>(&'a [(&'a str, &'a str)]);
        impl Explain for Raw<'_> {
            fn links(&self, i: usize) -> Vec<(String, Option<Loc>)> {
                scan(self.0[i].1).0.into_iter().map(|l| (l, None)).collect()
            }
            fn template_line(&self, _: &str) -> Option<Loc> {
                None
            }
            fn anchors(&self, i: usize) -> Vec<String> {
                let mut ids: Vec<String> = scan(self.0[i].1).1.into_iter().collect();
                ids.sort();
                ids
            }
        }
        let targets = Targets::new(&pages, &files);
        let is_file = |p: &str| files.contains(&p);
        let diags = check(&pages, &targets, None, &is_file, "/", &Raw(&html));
        assert!(diags[0].help[0].contains("anchors in a/index.html: #x"), "{:?}", diags[0].help);
        let msgs: Vec<String> = diags.into_iter().map(|d| d.message).collect();
        assert_eq!(msgs.len(), 3, "{msgs:#?}");
        assert!(msgs[0].starts_with("broken link `a/#nope` in generated page index.html: names no anchor `#nope`"));
        assert!(msgs[1].starts_with("broken link `gone/` in generated page index.html: names no file"));
        assert!(msgs[2].starts_with("broken link `../index.html#top` in generated page a/index.html"));
        // Of the pages serve's rebuild rendered (`only`): those alone are looked at.
        let of_a = check(&pages, &targets, Some(&[1]), &is_file, "/", &Raw(&html));
        let msgs: Vec<String> = of_a.into_iter().map(|d| d.message).collect();
        assert_eq!(msgs.len(), 1, "{msgs:#?}");
        assert!(msgs[0].contains("in generated page a/index.html"), "{msgs:#?}");
        assert!(check(&pages, &targets, Some(&[]), &is_file, "/", &Raw(&html)).is_empty());
    }

    #[test]
    fn a_page_keeps_its_ids_when_none_it_had_is_gone() {
        assert!(keeps_ids([3, 7], &[1, 3, 5, 7]), "ids added");
        assert!(keeps_ids([], &[]));
        assert!(!keeps_ids([3, 7], &[3, 5]), "7 gone");
        assert!(!keeps_ids([1], &[]));
    }

    /// A piece's links are resolved once only when they mean the same on every page at
    /// its depth; a page that pastes it has the same links as one scanned whole.
    #[test]
    fn a_pasted_piece_gives_the_links_a_whole_scan_finds() {
        let resolved = |html: &str, root: &str| Piece::new(html.into(), root, "/").links.is_some();
        assert!(resolved(
            r#"<li><a href="../../../documents/a/">甲</a> <a href="https://b.example/">乙</a></li>"#,
            "../../../"
        ));
        assert!(resolved(r#"<li><a href="/documents/a/#x">甲</a><a href="../../../../up/">上</a></li>"#, "../../../"));
        assert!(resolved(r#"<li><a href="documents/a/">甲</a></li>"#, ""));
        for (html, root) in [
            (r##"<li><a href="#main">正文</a></li>"##, "../../"),
            (r#"<li><a href="../sibling/">旁</a></li>"#, "../../"),
            (r#"<li><a href="?q=1">查</a></li>"#, ""),
            (r##"<li><a href="#x">此</a></li>"##, ""),
            (r#"<li id="row-a"><a href="../../a/">甲</a></li>"#, "../../"),
        ] {
            assert!(!resolved(html, root), "{html} at {root:?} depends on its page");
        }
        let row = |id: &str| format!("<li class=\"doc-row\"><a href=\"../../../documents/{id}/\">{id}</a></li>\n");
        let rows = ["a", "b", "c"].map(row);
        let page = format!(
            "<nav><a href=\"../../../index.html\">首页</a></nav><ol>{}</ol><a href=\"../2/\">上一页</a><p id=\"end\"></p>",
            rows.concat()
        );
        let path = "documents/page/3/index.html";
        let whole = PageLinks::new(path.into(), Loc::file("x"), page.as_bytes(), "/", false, &[]);
        // All three rows pasted; two of them (one left out by the page, one whose links
        // depend on it: scanned where it is).
        let pieces: Vec<Arc<Piece>> = rows.iter().map(|r| Arc::new(Piece::new(r.clone(), "../../../", "/"))).collect();
        let local = Arc::new(Piece::new(rows[2].replace("../../../documents/c/", "#end"), "../../../", "/"));
        let missing = Arc::new(Piece::new(row("z"), "../../../", "/"));
        let page2 = page.replace("../../../documents/c/", "#end");
        let whole2 = PageLinks::new(path.into(), Loc::file("x"), page2.as_bytes(), "/", false, &[]);
        for (html, pasted, whole) in
            [(&page, pieces.clone(), &whole), (&page2, vec![pieces[0].clone(), missing, local], &whole2)]
        {
            let p = PageLinks::new(path.into(), Loc::file("x"), html.as_bytes(), "/", false, &pasted);
            assert_eq!(p.parts(), whole.parts());
        }
        assert_eq!(whole.parts().0.len(), 5, "home, a, b, c and page 2");
    }

    /// `climb_plain` takes the links a theme writes and resolves each as walking it does.
    #[test]
    fn plain_climbs_resolve_as_walked() {
        let pages = ["index.html", "documents/a/index.html", "tags/企业/page/2/index.html", "x.html", "a/b.html"];
        let links = [
            "../../../documents/x/",
            "../../documents/b/",
            "../",
            "../../",
            "../../../",
            "../../../../",
            "feed.xml",
            "sub/x/",
            "../style.css",
            "../../tags/个人/",
            "",
            "../.well-known/x",
            "./x",
            "../x/../y",
            "a//b",
            "../%E9%99%84.pdf",
            "../x/.",
        ];
        let mut taken = 0;
        for page in pages {
            let folder = Folder::of(page);
            for link in links {
                let mut fast = String::new();
                if !climb_plain(&folder, link, &mut fast) {
                    assert!(fast.is_empty(), "{page} {link}: untouched when not taken");
                    continue;
                }
                taken += 1;
                let (mut walked, mut ends) = (folder.path.clone(), folder.ends.clone());
                assert!(walk(link, &mut walked, &mut ends), "{page} {link}");
                if link.ends_with('/') || link.is_empty() {
                    walked.push_str(if walked.is_empty() { "index.html" } else { "/index.html" });
                }
                assert_eq!(fast, walked, "{page} {link}");
            }
        }
        // Those that do not stay plain or climb above the root are left to `walk`: of the
        // 11 plain links, 3 climb at most 0 (pages at the root), 8 at most 2 (documents/a/),
        // all 11 from depth 4, 5 at most 1 (a/).
        assert_eq!(taken, 3 + 8 + 11 + 3 + 5);
    }

    #[test]
    fn resolves_relative_and_base_paths() {
        assert_eq!(
            target_of("documents/a/index.html", "../../documents/b/#h", "/"),
            Some(("documents/b/index.html".into(), Some("h".into())))
        );
        assert_eq!(target_of("index.html", "files/%E9%99%84.pdf", "/"), Some(("files/附.pdf".into(), None)));
        assert_eq!(target_of("404.html", "/gb/search/index.html", "/gb/"), Some(("search/index.html".into(), None)));
        assert_eq!(target_of("x/index.html", "https://a.example/", "/"), None);
        assert_eq!(target_of("x/index.html", "#top", "/"), Some(("x/index.html".into(), Some("top".into()))));
        // From a folder of Chinese names, up and over, to the root and above it.
        assert_eq!(
            target_of("tags/企业/page/2/index.html", "../../../个人/", "/"),
            Some(("tags/个人/index.html".into(), None))
        );
        assert_eq!(target_of("tags/企业/index.html", "../../", "/"), Some(("index.html".into(), None)));
        assert_eq!(target_of("tags/企业/index.html", "../../..", "/"), Some(("\u{0}above-root".into(), None)));
        assert_eq!(target_of("tags/企业/index.html", "/", "/"), Some(("index.html".into(), None)));
        assert_eq!(target_of("tags/企业/index.html", "./feed.xml?x=1", "/"), Some(("tags/企业/feed.xml".into(), None)));
        // Every link of a page resolved as target_of resolves it alone.
        let html =
            r#"<a href="../../../个人/">a</a><a class="x" href="../b.html#s">b</a><img src="/logo.png"><p id="top">"#;
        let page =
            PageLinks::new("tags/企业/page/2/index.html".into(), Loc::file("x"), html.as_bytes(), "/", false, &[]);
        // (Targets with a fragment are kept apart, with it.)
        let mut want: Vec<u64> = ["tags/个人/index.html", "logo.png"].iter().map(|p| hash(p)).collect();
        want.sort_unstable();
        assert_eq!(page.parts().0, want.as_slice());
        assert_eq!(page.parts().1, [(hash("tags/企业/page/b.html"), hash("s"))].as_slice());
        assert_eq!(page.parts().2, [hash("top")].as_slice());
    }
}
