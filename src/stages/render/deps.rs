//! A page's *inputs key*: a hash of what its view is made from, much cheaper to compute
//! than the view. The build cache keeps it beside the page's key (`cache::Keys`): when
//! it is unchanged the page is taken over without building its view at all. A title
//! edit in `serve --watch` then builds the views of the pages that show the edited
//! document, not of every document page (building them was a third of such a rebuild).
//!
//! Sound by construction, not by listing the view's fields: a page's inputs are its item
//! whole (its source file's front matter and path, its URL, its rendered body), its
//! relations whole, and each related item whole (source and URL; a document's validity),
//! the organs.yaml and services.yaml entries these items name, plus everything the site
//! shares (the configuration, the build date). Anything a view can show about an item
//! comes from these, so equal inputs give an equal view; they over-approximate it (a
//! neighbour's unrelated field), which costs a view build, never a stale page.
//! `tests/build_cache.rs` and `tests/serve.rs` compare incremental output with clean
//! builds after each kind of edit.

use super::Renderer;
use crate::bodies::Bodies;
use crate::hash::{FastMap, Hasher};
use crate::model::{ItemId, ItemMap, Organ, Service, Source};
use crate::resolve::Index;
use rayon::prelude::*;
use std::hash::Hash;

/// What the inputs keys of one build are made of: per item a hash of its source and URL
/// and of the registry entries it names (see [`registry_entries`]), per FAQ set and
/// gazette issue a hash of its source, what every page shares, and per document the hash
/// of all its inputs (made once, used by its page and its catalogue entry).
pub(super) struct Revisions {
    items: ItemMap<u64>,
    /// Per item, what a page may show of it as a related item ([`Revisions::neighbour`]).
    neighbours: ItemMap<u64>,
    faq_sets: Vec<u64>,
    issues: Vec<u64>,
    shared: u64,
    /// Per document, all its inputs but the HTML of its body and FAQ answers (its
    /// 任务分解 included): what its listing row, catalogue entry and finder line are made
    /// from, so a body edit that leaves them as they were changes none of them.
    metadata: Vec<u64>,
    /// Per document, all its inputs: its metadata and that HTML (its page, its search
    /// entries).
    documents: Vec<u64>,
}

/// A hash of the configuration, from its Debug form: complete, and the same within one
/// binary (the cache's fingerprint covers the binary). Made once per build for the
/// inputs keys and the listings' key.
pub(super) fn config_key(cfg: &crate::config::Config) -> u64 {
    crate::hash::of(format!("{cfg:?}").as_bytes())
}

fn source(h: &mut Hasher, src: &Source) {
    h.update(&src.path_key().to_le_bytes());
    h.update(&src.yaml_hash.to_le_bytes());
}

impl Revisions {
    /// `config`: [`config_key`] of the build's configuration.
    pub(super) fn new(ix: &Index, bodies: &Bodies, config: u64) -> Revisions {
        let c = &ix.content;
        let organs: Vec<u64> = c.organs.iter().map(organ_key).collect();
        let services: Vec<u64> = c.services.iter().map(service_key).collect();
        // (An item's URL is its kind's folder and its id (`ItemId::url`): hashed as
        // those, without formatting 25,000 URLs per build at 10,000 documents.)
        let items = ItemMap::par_new(c, |t, item| {
            let mut h = Hasher::new();
            source(&mut h, item.src());
            h.piece(t.kind_name().as_bytes());
            h.update(&item.id_key().to_le_bytes());
            registry_entries(ix, t, &organs, &services, &mut h);
            h.digest()
        });
        // (Made once per item, not at each relation that names it: there a document's
        // validity was a cache miss each, ~25 ms of CPU of every serve rebuild at
        // 100,000 documents.)
        let neighbours = ItemMap::par_new(c, |t, _| {
            let mut h = Hasher::new();
            items.get(t).hash(&mut h);
            if let ItemId::Doc(j) = t {
                ix.rel[j].validity.hash(&mut h);
            }
            h.digest()
        });
        let of = |src: &Source| {
            let mut h = Hasher::new();
            source(&mut h, src);
            h.digest()
        };
        let mut shared = Hasher::new();
        // Not organs.yaml and services.yaml: renaming one organ would make every page
        // again to find most of them unchanged.
        (config, ix.date, ix.drafts).hash(&mut shared);
        let mut revs = Revisions {
            items,
            neighbours,
            faq_sets: c.faqs.iter().map(|f| of(&f.src)).collect(),
            issues: c.issues.iter().map(|i| of(&i.src)).collect(),
            shared: std::hash::Hasher::finish(&shared),
            metadata: Vec::new(),
            documents: Vec::new(),
        };
        (revs.metadata, revs.documents) = (0..c.documents.len())
            .into_par_iter()
            .map(|i| {
                let metadata = revs.metadata_of(ix, bodies, i);
                let mut h = Hasher::new();
                metadata.hash(&mut h);
                bodies.body(ItemId::Doc(i)).hash(&mut h);
                bodies.doc_faq[i].hash(&mut h);
                ix.rel[i].faq_sets.iter().for_each(|&k| bodies.faq_sets[k.0].hash(&mut h));
                (metadata, std::hash::Hasher::finish(&h))
            })
            .unzip();
        revs
    }

    /// Everything document `i`'s page is made from but the HTML of its body and FAQ
    /// answers (see the field `metadata`).
    fn metadata_of(&self, ix: &Index, b: &Bodies, i: usize) -> u64 {
        let r = &ix.rel[i];
        let mut h = Hasher::new();
        self.shared.hash(&mut h);
        self.items.get(ItemId::Doc(i)).hash(&mut h);
        b.tasks[i].hash(&mut h);
        // Relations by what the related items are (their sources and URLs), never by their
        // numbers in this build: a document added or removed renumbers every one after
        // it, and a key that followed the numbers would change for most documents: their
        // pages, rows and catalogue entries would all be made again to find them the same.
        // Every field named, so that a new relation cannot be left out of the key.
        let crate::resolve::DocRelations {
            basis,
            supporting,
            amends,
            repeals,
            related,
            amended_by,
            repealed_by,
            basis_of,
            supporting_of,
            interpretations,
            faq_sets,
            translations,
            translation_of,
            issues,
            topics,
            validity,
            validity_cause,
        } = r;
        let mut list = |items: &mut dyn Iterator<Item = ItemId>| {
            let mut n = 0usize;
            for t in items {
                self.neighbour(t, &mut h);
                n += 1;
            }
            n.hash(&mut h);
        };
        for l in [basis, supporting, amends, repeals, related, amended_by, repealed_by, basis_of, supporting_of] {
            list(&mut l.iter().copied());
        }
        list(&mut ix.cited_by.of(i).iter().copied());
        list(&mut interpretations.iter().map(|&k| k.into()));
        list(&mut topics.iter().map(|&k| k.into()));
        list(&mut translations.iter().map(|&j| j.into()));
        list(&mut translation_of.iter().map(|&j| j.into()));
        list(&mut validity_cause.iter().map(|&j| j.into()));
        faq_sets.iter().for_each(|&k| self.faq_sets[k.0].hash(&mut h));
        faq_sets.len().hash(&mut h);
        issues.iter().for_each(|&k| self.issues[k.0].hash(&mut h));
        issues.len().hash(&mut h);
        validity.hash(&mut h);
        std::hash::Hasher::finish(&h)
    }

    /// The inputs key of document `i`'s listing row (`render::plan`): its document's
    /// metadata (a row shows nothing of the body).
    pub(super) fn row_inputs(&self, i: usize) -> u64 {
        const ROW: u64 = 0x4011_e27c_0000_0001;
        seeded(ROW, self.metadata[i])
    }

    /// What a page may show of a related item: anything from its source or URL, and a
    /// document's validity.
    fn neighbour(&self, t: ItemId, h: &mut Hasher) {
        self.neighbours.get(t).hash(h);
    }
}

/// What pages show of an organ: all of its entry but where it is in organs.yaml (an
/// entry added above it moves it, and no page shows its line). Every field named, so that
/// a new one cannot be left out.
fn organ_key(o: &Organ) -> u64 {
    let Organ { id, name, short_name, code, parent, url, loc: _ } = o;
    let mut h = Hasher::new();
    (id, name, short_name, code, parent, url).hash(&mut h);
    h.digest()
}

/// What pages show of a service ([`organ_key`]'s reasons).
fn service_key(s: &Service) -> u64 {
    let Service { id, name, url, organ, loc: _ } = s;
    let mut h = Hasher::new();
    (id, name, url, organ).hash(&mut h);
    h.digest()
}

/// The organs.yaml and services.yaml entries item `t` names, by their keys: a document's
/// 发文机关 and services, an interpretation's issuer, a decision's organ. These are all any
/// view reads of the registries about an item (its own page, its row on other pages, its
/// catalogue entry and search line), so an edited entry makes again only what shows the
/// items that name it; the pages that list the registries themselves (the organs and
/// decisions indexes, the search form) have no inputs key and are always made.
fn registry_entries(ix: &Index, t: ItemId, organs: &[u64], services: &[u64], h: &mut Hasher) {
    let c = &ix.content;
    let (named_organs, named_services): (&[String], &[String]) = match t {
        ItemId::Doc(i) => (&c.documents[i].issuer, &c.documents[i].services),
        ItemId::Interp(k) => (c.interpretations[k].issuer.as_slice(), &[]),
        ItemId::Decision(k) => (std::slice::from_ref(&c.decisions[k].organ), &[]),
        ItemId::Topic(_) | ItemId::Page(_) => return,
    };
    for id in named_organs {
        ix.organs.get(id.as_str()).map(|&k| organs[k]).hash(h);
    }
    for id in named_services {
        ix.services.get(id.as_str()).map(|&k| services[k]).hash(h);
    }
}

/// Values one build made per item (listing rows, catalogue entries), kept by serve for
/// the next build in the process by the item's inputs key. Holds one build's worth, in
/// the order of its items: most edits leave every item where it was, or move the items
/// after one by a place, so a value is looked for there, and by key only when many are
/// not (a map of 100,000 keys made again each build, and as many random lookups in it,
/// were ~8 ms of each use in every serve rebuild at 100,000 documents).
pub struct KeptByInputs<T>(std::sync::Mutex<Kept<T>>);

struct Kept<T> {
    keys: Vec<u64>,
    /// `None` for an item without a key (0): nothing to find it by, so not copied.
    values: Vec<Option<T>>,
}

impl<T> Default for KeptByInputs<T> {
    fn default() -> Self {
        KeptByInputs(std::sync::Mutex::new(Kept::default()))
    }
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept { keys: Vec::new(), values: Vec::new() }
    }
}

impl<T> Kept<T> {
    /// Where the value kept under `key` (not 0) is, looked for at item `n`'s place and
    /// the places either side of it. A value not there is most often not kept at all (an edited
    /// item's key changed): it is made again, unless more than [`Kept::FAR`] are missed
    /// (several items added or removed at once move the rest by more than a place): then
    /// it is looked for anywhere, in a map made once.
    fn place(&self, n: usize, key: u64, far: &Far) -> Option<usize> {
        let held = |at: usize| self.values.get(at).is_some_and(Option::is_some);
        let near = [Some(n), n.checked_sub(1), n.checked_add(1)];
        if let Some(at) = near.into_iter().flatten().find(|&at| self.keys.get(at) == Some(&key)) {
            return Some(at).filter(|&at| held(at));
        }
        let (missed, by_key) = far;
        if missed.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < Self::FAR {
            return None;
        }
        let by_key = by_key
            .get_or_init(|| self.keys.iter().enumerate().filter(|(_, &k)| k != 0).map(|(at, &k)| (k, at)).collect());
        by_key.get(&key).copied().filter(|&at| held(at))
    }

    /// Values made again before the rest are looked for by key.
    const FAR: usize = 64;
}

/// How many values [`Kept::place`] did not find near their places, and its map by key.
type Far = (std::sync::atomic::AtomicUsize, std::sync::OnceLock<FastMap<u64, usize>>);

/// The values a [`KeptByInputs`] held, taken for one pass over this build's items.
pub struct Previous<T> {
    kept: Kept<T>,
    far: Far,
}

impl<T> Default for Previous<T> {
    fn default() -> Self {
        Previous::new(Vec::new(), Vec::new())
    }
}

impl<T> Previous<T> {
    /// Values of one build, per item in order with its inputs key (0: none), to be found
    /// by the next build (for a memo that holds them with other things, see `search`).
    pub fn new(keys: Vec<u64>, values: Vec<Option<T>>) -> Self {
        Previous { kept: Kept { keys, values }, far: Far::default() }
    }

    /// The value kept under inputs key `key` (0: none) for item `n`, if found near its place
    /// (see [`Kept::place`]).
    pub fn find(&self, n: usize, key: u64) -> Option<&T> {
        self.place(n, key).map(|at| &self.kept.values[at]).and_then(Option::as_ref)
    }

    /// Where [`Previous::find`] finds its value.
    fn place(&self, n: usize, key: u64) -> Option<usize> {
        (key != 0).then(|| self.kept.place(n, key, &self.far)).flatten()
    }
}

impl<T> KeptByInputs<T> {
    /// What the memo holds, taken out of it: it is empty until [`KeptByInputs::keep`].
    pub fn take(&self) -> Previous<T> {
        let Kept { keys, values } = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        Previous::new(keys, values)
    }

    /// Hold this build's values, per item in order with its inputs key (0: none, so not
    /// found again), for the next build.
    pub fn keep(&self, keys: Vec<u64>, values: Vec<Option<T>>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Kept { keys, values };
    }
}

/// One value per item of `items`, made by `make` in parallel, or, with a `memo`, taken
/// from the previous build's where the item's inputs `key` (0: none) is one it kept and
/// finds (near the item's place, see [`KeptByInputs`]); the memo then holds this build's
/// values, in this build's item order.
pub fn made_or_kept<I: Sync, T: Clone + Send + Sync>(
    memo: Option<&KeptByInputs<T>>,
    items: &[I],
    key: impl Fn(&I) -> u64 + Sync,
    make: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    let Some(memo) = memo else { return items.par_iter().map(&make).collect() };
    let previous = memo.take();
    // Per item, where its value was kept, or its value made now.
    let (keys, found): (Vec<u64>, Vec<Result<usize, T>>) = items
        .par_iter()
        .enumerate()
        .map(|(n, item)| {
            let k = key(item);
            (k, previous.place(n, k).ok_or_else(|| make(item)))
        })
        .unzip();
    // The kept values moved out of the last build's, not copied: a copy (of an `Arc`,
    // as most are) and the dropping of the original were two writes each to a cache line
    // of its own, for each of the 100,000 items of each use at 100,000 documents.
    let mut was = previous.kept.values;
    let values: Vec<T> = found
        .into_iter()
        .zip(items)
        .map(|(f, item)| match f {
            // (Taken already only if two items had one key: then made again.)
            Ok(at) => was[at].take().unwrap_or_else(|| make(item)),
            Err(made) => made,
        })
        .collect();
    drop(was);
    let kept = values.par_iter().zip(&keys).map(|(v, &k)| (k != 0).then(|| v.clone())).collect();
    memo.keep(keys, kept);
    values
}

/// A key for one use (`seed`: a template's key, or the catalogue's) of inputs hashed as
/// `inputs`. 0 means "none"; a real key of 0 only loses the shortcut.
fn seeded(seed: u64, inputs: u64) -> u64 {
    let mut h = Hasher::with_seed(seed);
    h.update(&inputs.to_le_bytes());
    h.digest()
}

impl Renderer<'_> {
    /// The inputs key of document `i`'s page (`template`'s key included), or 0 without a
    /// cache.
    pub(super) fn document_inputs(&self, i: usize, template: &str) -> u64 {
        self.revisions.as_ref().map_or(0, |r| seeded(self.theme.template_key(template), r.documents[i]))
    }

    /// The inputs key of page `n` of listing `l` (`template`'s key included), or 0
    /// without a cache or for the 公文库's first page (its browse facets count every
    /// listing). A listing page shows its listing's own fields, its place in the pager
    /// and its documents' rows: each row is made from its document's metadata alone
    /// (the row memo is keyed by it), and what all pages share. (An organ's listing shows
    /// its organ's entry too: it lists only documents that name the organ, and their
    /// rows' keys hold it.)
    pub(super) fn listing_inputs(&self, l: usize, n: usize, template: &str) -> u64 {
        let Some(revs) = &self.revisions else { return 0 };
        let listing = &self.plan.listings[l];
        if listing.kind == super::plan::ListingKind::All && n == 1 {
            return 0;
        }
        let slice = listing.page(n, self.cfg.per_page);
        let mut h = Hasher::with_seed(self.theme.template_key(template));
        revs.shared.hash(&mut h);
        let super::plan::Listing { kind, dir, heading, value, section, docs: _, crumbs } = listing;
        (kind, dir, heading, value, section, crumbs).hash(&mut h);
        (n, listing.docs.len(), slice.len()).hash(&mut h);
        slice.iter().for_each(|&i| revs.metadata[i].hash(&mut h));
        std::hash::Hasher::finish(&h)
    }

    /// The inputs key of document `i`'s catalogue entry (`feeds::catalog`), or 0 without
    /// a cache: its document's metadata (an entry shows its 任务分解, nothing else of
    /// the body).
    pub(crate) fn catalog_inputs(&self, i: usize) -> u64 {
        const CATALOG: u64 = 0xca7a_1096_e27c_0001;
        self.revisions.as_ref().map_or(0, |r| seeded(CATALOG, r.metadata[i]))
    }

    /// The inputs key of document `i`'s line in the finder (`finder::build`), or 0
    /// without a cache: its document's metadata.
    pub(crate) fn finder_inputs(&self, i: usize) -> u64 {
        const FINDER: u64 = 0xf1d3_e27c_0000_0002;
        self.revisions.as_ref().map_or(0, |r| seeded(FINDER, r.metadata[i]))
    }

    /// A key of every published document's metadata (see `Revisions`) and
    /// what all pages share, for one use (`seed`), or 0 without a cache: the inputs of
    /// site files made from the whole library's metadata (the catalogue, the finder).
    pub(crate) fn library_metadata_key(&self, seed: u64) -> u64 {
        let Some(revs) = &self.revisions else { return 0 };
        let mut h = Hasher::with_seed(seed);
        revs.shared.hash(&mut h);
        for &i in self.ix.published_documents().iter() {
            (i, revs.metadata[i]).hash(&mut h);
        }
        std::hash::Hasher::finish(&h)
    }

    /// The inputs key of a site file that lists `docs` and gazette `issues` by their
    /// metadata (a feed), for one use (`seed`), or 0 without a cache.
    pub(crate) fn listed_key(&self, seed: u64, docs: &[usize], issues: &[usize]) -> u64 {
        let Some(revs) = &self.revisions else { return 0 };
        let mut h = Hasher::with_seed(seed);
        revs.shared.hash(&mut h);
        docs.len().hash(&mut h);
        docs.iter().for_each(|&i| revs.metadata[i].hash(&mut h));
        issues.len().hash(&mut h);
        issues.iter().for_each(|&k| revs.issues[k].hash(&mut h));
        std::hash::Hasher::finish(&h)
    }

    /// The inputs key of a document's or an interpretation's search entry
    /// (`search::build`), or 0 without a cache (or for another kind of item).
    pub(crate) fn search_inputs(&self, t: ItemId) -> u64 {
        const SEARCH: u64 = 0x5ea7_c400_e27c_0001;
        match t {
            ItemId::Doc(i) => self.revisions.as_ref().map_or(0, |r| seeded(SEARCH, r.documents[i])),
            ItemId::Interp(k) => self.interpretation_key(k, SEARCH),
            _ => 0,
        }
    }

    /// The inputs key of interpretation `k`'s page, or 0 without a cache.
    pub(super) fn interpretation_inputs(&self, k: usize, template: &str) -> u64 {
        self.interpretation_key(k, self.theme.template_key(template))
    }

    /// The inputs key of the interpretations index (`interpretations.html`), or 0 without
    /// a cache: each published interpretation's item in the index's order (a row is its
    /// title, form, date and URL: its source and id). Built and hashed as a view, the
    /// index was ~20 ms of CPU of every serve rebuild at 100,000 documents.
    pub(super) fn interpretation_index_inputs_of(&self, template: &str) -> u64 {
        let Some(revs) = &self.revisions else { return 0 };
        let mut h = Hasher::with_seed(self.theme.template_key(template));
        revs.shared.hash(&mut h);
        let published = self.ix.published_interpretations();
        published.len().hash(&mut h);
        published.iter().for_each(|&k| revs.items.get(ItemId::Interp(k)).hash(&mut h));
        std::hash::Hasher::finish(&h)
    }

    /// Interpretation `k`'s inputs (its item, body, document and what all pages share),
    /// hashed with `seed`.
    fn interpretation_key(&self, k: usize, seed: u64) -> u64 {
        let Some(revs) = &self.revisions else { return 0 };
        let mut h = Hasher::with_seed(seed);
        revs.shared.hash(&mut h);
        revs.items.get(ItemId::Interp(k)).hash(&mut h);
        self.bodies.body(ItemId::Interp(k)).hash(&mut h);
        // (Its document by what it is, not by its number: see `metadata_of`.)
        let doc = self.ix.interp_of[k];
        doc.is_some().hash(&mut h);
        doc.into_iter().for_each(|j| revs.neighbour(j.into(), &mut h));
        std::hash::Hasher::finish(&h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value is taken from the last build where its item is, or a place along; one
    /// that moved far is made again, unless many did (then all are found by key); a new
    /// key and key 0 are always made. Values made again carry "made" here, to tell them
    /// from kept ones (in a build, a key's value is the same either way).
    #[test]
    fn kept_values_are_found_near_their_places_or_by_key_when_many_moved() {
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        let memo = KeptByInputs::default();
        let made = AtomicUsize::new(0);
        let run = |keys: &[u64]| -> (Vec<String>, usize) {
            let out = made_or_kept(
                Some(&memo),
                keys,
                |&k| k,
                |&k| {
                    made.fetch_add(1, Relaxed);
                    format!("made {k}")
                },
            );
            (out, made.swap(0, Relaxed))
        };
        let made_all = |keys: &[u64]| keys.iter().map(|k| format!("made {k}")).collect::<Vec<_>>();
        let first: Vec<u64> = (1..=200).collect();
        assert_eq!(run(&first), (made_all(&first), 200), "nothing kept yet");
        // Mark every value as kept, to see which are made again.
        let was = |k: u64| format!("kept {k}");
        let all_kept = || memo.keep(first.clone(), first.iter().map(|&k| Some(was(k))).collect());
        all_kept();
        // A new first item (the rest one place along), item 3 changed, a keyless item.
        let mut second: Vec<u64> = vec![999];
        second.extend(first.iter().map(|&k| if k == 3 { 333 } else { k }));
        second[10] = 0;
        let (out, n) = run(&second);
        assert_eq!(n, 3, "new, changed and keyless made");
        assert_eq!(out[0], "made 999");
        assert_eq!(out[1], was(1));
        assert_eq!(out[3], "made 333");
        assert_eq!(out[10], "made 0");
        assert_eq!(out[200], was(200));
        // Item 200 moved to the front: made again (few moved far).
        all_kept();
        let mut third = vec![200];
        third.extend(1..200);
        let (out, n) = run(&third);
        assert_eq!((out[0].as_str(), n), ("made 200", 1));
        assert_eq!(out[1..], first[..199].iter().map(|&k| was(k)).collect::<Vec<_>>()[..]);
        // Three items added at the front: all the rest found by key.
        all_kept();
        let mut fourth = vec![997, 998, 999];
        fourth.extend(&first);
        let (out, n) = run(&fourth);
        assert!((3..=3 + Kept::<String>::FAR + 1).contains(&n), "at most FAR made again before the map: {n}");
        assert_eq!(out[..3], made_all(&[997, 998, 999])[..]);
        assert!(out[3..].iter().zip(&first).all(|(v, &k)| *v == was(k) || *v == format!("made {k}")));
        assert_eq!(out.iter().filter(|v| v.starts_with("kept")).count(), 203 - n);
        // Without a memo every value is made.
        let none: Option<&KeptByInputs<String>> = None;
        assert_eq!(made_or_kept(none, &[5u64, 6], |&k| k, |&k| format!("made {k}")), ["made 5", "made 6"]);
    }
}
