//! The facet files, `search/facets/<name>.json`: per facet (issuer, year, 文种, 主题分类,
//! 有效性, 需求侧标签) one JSON array with an entry per search item, in item order, so a
//! filtered query fetches only the field it filters on.
//!
//! An item's entries are made from its document's fields and validity, and from how the
//! values are numbered: organs in `organs.yaml`'s order, types, topics and tags in the
//! order items first show them. serve keeps the last build's arrays ([`Kept`]): an edit
//! that moves, adds or removes items (a date edited, a document or 解读 added) leaves
//! every other item's entries as they were, only in other places, so they are copied
//! from the last arrays instead of made again from each document (a pass over every
//! item's strings and a lookup for each value: at 100,000 documents 180–230 ms of a
//! date edit's rebuild). Copying is right only while the values keep their numbers:
//! when the items' new order shows them first in another order, or a value comes or
//! goes, the arrays are made afresh.

use super::{Files, Slot};
use crate::hash::FastMap;
use crate::model::{Document, Validity};
use crate::resolve::Index;

/// The facets in the order of their files and of [`Kept::arrays`].
const NAMES: [&str; 6] = ["organ", "year", "type", "topic", "validity", "tag"];
/// Of those, the facets numbered in the order items first show their values (the
/// numbering's lists, [`Made::lists`], are in this order too).
const FIRST_SHOWN: [usize; 3] = [2, 3, 5];

/// What an item's entries are made from: its document's facets hash (`search::facets_of`)
/// and its validity and kind, as `search::derived_key` hashes them (two items with the
/// same word have the same entries).
pub(super) type Word = [u64; 2];

/// serve's memo of the last build's facet arrays.
#[derive(Default)]
pub(super) struct Kept {
    /// A hash of the organs' ids in order (their numbers).
    organs: u64,
    /// The types, topics and tags in the order they are numbered.
    lists: [Vec<String>; 3],
    /// Per item, its [`Word`].
    words: Vec<Word>,
    /// Per item, where its entry ends in each array (it starts one byte after the
    /// previous item's end: after the `[` or the `,`).
    ends: Vec<[u32; 6]>,
    arrays: [String; 6],
}

impl Kept {
    /// Item `n`'s entry in array `f`.
    fn entry(&self, f: usize, n: usize) -> &str {
        entry(&self.arrays[f], &self.ends, f, n)
    }
}

/// Entry `n` of `array`, whose items end at `ends`.
fn entry<'a>(array: &'a str, ends: &[[u32; 6]], f: usize, n: usize) -> &'a str {
    let start = if n == 0 { 1 } else { ends[n - 1][f] as usize + 1 };
    array.get(start..ends[n][f] as usize).unwrap_or_default()
}

/// The facet files and the numbering's lists (for `config.json`); with `keep`, the
/// arrays for the next build.
pub(super) struct Made {
    pub files: Files,
    pub lists: [Vec<String>; 3],
    pub kept: Option<Kept>,
}

/// The facet files of `slots`, whose words are `words`: copied from `kept` where the
/// numbering allows (see the module comment), else made from each item's document.
pub(super) fn make(ix: &Index, slots: &[Slot], words: &[Word], kept: Option<Kept>, keep: bool) -> Made {
    let organs = organs_key(ix);
    let spliced = kept.filter(|k| k.organs == organs).and_then(|k| splice(ix, slots, words, k));
    let (arrays, ends, lists) = match spliced {
        Some(made) => made,
        None => made_afresh(ix, slots, keep),
    };
    let path = |name: &str| format!("search/facets/{name}.json");
    // (A one-off build hands the arrays over; serve keeps them too.)
    let (files, kept) = match keep {
        true => {
            let files = NAMES.iter().zip(&arrays).map(|(name, a)| (path(name), a.clone())).collect();
            (files, Some(Kept { organs, lists: lists.clone(), words: words.to_vec(), ends, arrays }))
        }
        false => (NAMES.iter().zip(arrays).map(|(name, a)| (path(name), a)).collect(), None),
    };
    Made { files, lists, kept }
}

type Arrays = ([String; 6], Vec<[u32; 6]>, [Vec<String>; 3]);

fn organs_key(ix: &Index) -> u64 {
    let mut h = crate::hash::Hasher::new();
    for o in &ix.content.organs {
        h.piece(o.id.as_bytes());
    }
    h.digest()
}

/// An item's document (by its number), with its validity.
fn document(ix: &Index, doc: Option<usize>) -> Option<(&Document, Validity)> {
    doc.map(|j| (&*ix.content.documents[j], ix.rel[j].validity))
}

/// Every item's entries made from its document; with `keep`, where each ends.
fn made_afresh(ix: &Index, slots: &[Slot], keep: bool) -> Arrays {
    let mut numbering = Numbering::new(ix);
    let mut f = FacetFiles::new(slots.len());
    let mut ends = Vec::with_capacity(if keep { slots.len() } else { 0 });
    for &(.., doc) in slots {
        numbering.put(&mut f, document(ix, doc));
        if keep {
            ends.push(f.ends());
        }
    }
    let lists = numbering.lists();
    (f.finish(), ends, lists)
}

/// The arrays with each item's entries copied from an item of the last build with the
/// same word, and those of items without one made; `None` when the values are not
/// numbered as before.
fn splice(ix: &Index, slots: &[Slot], words: &[Word], kept: Kept) -> Option<Arrays> {
    // Any item of the last build with the same word has the same entries.
    let mut at: FastMap<Word, u32> = FastMap::with_capacity_and_hasher(kept.words.len(), Default::default());
    for (p, w) in kept.words.iter().enumerate() {
        at.entry(*w).or_insert(p as u32);
    }
    // The others' entries, numbered as the last build numbered its values.
    let mut numbering = Numbering::seeded(ix, &kept.lists);
    let mut fresh = FacetFiles::new(0);
    let mut fresh_ends: Vec<[u32; 6]> = Vec::new();
    let from: Vec<Result<u32, u32>> = slots
        .iter()
        .zip(words)
        .map(|(&(.., doc), w)| match at.get(w) {
            Some(&p) => Ok(p),
            None => {
                numbering.put(&mut fresh, document(ix, doc));
                fresh_ends.push(fresh.ends());
                Err(fresh_ends.len() as u32 - 1)
            }
        })
        .collect();
    // A value the last build did not have takes a number it may not give it.
    if numbering.counts() != kept.lists.each_ref().map(Vec::len) {
        return None;
    }
    let fresh = fresh.finish();
    let entry_of = |f: usize, from: Result<u32, u32>| match from {
        Ok(p) => kept.entry(f, p as usize),
        Err(q) => entry(&fresh[f], &fresh_ends, f, q as usize),
    };
    let numbered_alike = FIRST_SHOWN
        .iter()
        .zip(&kept.lists)
        .all(|(&f, list)| first_shown_in_order(from.iter().map(|&s| entry_of(f, s)), list.len()));
    if !numbered_alike {
        return None;
    }
    let mut ends = vec![[0u32; 6]; slots.len()];
    let arrays = std::array::from_fn(|f| {
        let mut a = String::with_capacity(kept.arrays[f].len() + 16);
        a.push('[');
        for (n, &s) in from.iter().enumerate() {
            if n > 0 {
                a.push(',');
            }
            a.push_str(entry_of(f, s));
            ends[n][f] = a.len() as u32;
        }
        a.push(']');
        a
    });
    Some((arrays, ends, kept.lists))
}

/// Whether the values of `entries` (each a number, `null` or a list of numbers, as the
/// facet arrays hold them) show first in the order 0, 1, 2… and all `count` of them show:
/// then numbering them in the order they first show gives each the number it has.
fn first_shown_in_order<'e>(entries: impl Iterator<Item = &'e str>, count: usize) -> bool {
    let mut seen = vec![false; count];
    let mut next = 0;
    for e in entries {
        if next == count {
            // (Every value has shown: any later one is one of them.)
            return true;
        }
        for v in e.trim_start_matches('[').trim_end_matches(']').split(',') {
            if v.is_empty() || v == "null" {
                continue;
            }
            match v.parse::<usize>() {
                Ok(v) if v < count => {
                    if !seen[v] {
                        if v != next {
                            return false;
                        }
                        seen[v] = true;
                        next += 1;
                    }
                }
                _ => return false,
            }
        }
    }
    next == count
}

/// How values are numbered: organs by their place in `organs.yaml`, the others in the
/// order items first show them.
struct Numbering<'a> {
    organs: FastMap<&'a str, usize>,
    types: Numbered<'a>,
    topics: Numbered<'a>,
    tags: Numbered<'a>,
}

impl<'a> Numbering<'a> {
    fn new(ix: &'a Index) -> Self {
        let organs = ix.content.organs.iter().enumerate().map(|(k, o)| (o.id.as_str(), k)).collect();
        Numbering { organs, types: Numbered::default(), topics: Numbered::default(), tags: Numbered::default() }
    }

    /// Numbering as `lists` (types, topics, tags) number, a value not in them after them.
    fn seeded(ix: &'a Index, lists: &'a [Vec<String>; 3]) -> Self {
        let mut n = Numbering::new(ix);
        for (numbered, list) in [&mut n.types, &mut n.topics, &mut n.tags].into_iter().zip(lists) {
            for v in list {
                numbered.of(v);
            }
        }
        n
    }

    /// The next item's entries: those of its document (with its validity), if any.
    fn put(&mut self, f: &mut FacetFiles, doc: Option<(&'a Document, Validity)>) {
        f.next_item();
        let Some((d, validity)) = doc else {
            f.none();
            return;
        };
        f.organ.list(d.issuer.iter().filter_map(|o| self.organs.get(o.as_str()).copied()));
        f.year.one(Some(usize::from(d.published.year)));
        f.doc_type.one(d.doc_type.as_deref().map(|t| self.types.of(t)));
        f.topic.list(d.topics.iter().map(|t| self.topics.of(t)));
        f.validity.one(Validity::ALL.iter().position(|v| *v == validity));
        f.tag.list(d.tags.iter().map(|t| self.tags.of(t)));
    }

    /// How many types, topics and tags are numbered.
    fn counts(&self) -> [usize; 3] {
        [&self.types, &self.topics, &self.tags].map(|n| n.list.len())
    }

    fn lists(&self) -> [Vec<String>; 3] {
        [&self.types, &self.topics, &self.tags].map(|n| n.list.iter().map(|v| v.to_string()).collect())
    }
}

/// The facet files' JSON arrays, one entry per item, as `serde_json` writes the same
/// values (`[[0,3],[],…]` for lists, `[2024,null,…]` for single values).
struct FacetFiles {
    organ: FacetArray,
    year: FacetArray,
    doc_type: FacetArray,
    topic: FacetArray,
    validity: FacetArray,
    tag: FacetArray,
}

impl FacetFiles {
    fn new(items: usize) -> FacetFiles {
        let a = |per_item: usize| FacetArray { json: String::with_capacity(items * per_item + 2), first: true };
        FacetFiles { organ: a(4), year: a(5), doc_type: a(2), topic: a(4), validity: a(2), tag: a(4) }
    }

    /// In the order of [`NAMES`].
    fn all(&mut self) -> [&mut FacetArray; 6] {
        [&mut self.organ, &mut self.year, &mut self.doc_type, &mut self.topic, &mut self.validity, &mut self.tag]
    }

    /// Start the next item's entry in every array.
    fn next_item(&mut self) {
        for a in self.all() {
            a.json.push(if a.first { '[' } else { ',' });
            a.first = false;
        }
    }

    /// An item without a document: no value in any facet.
    fn none(&mut self) {
        for list in [&mut self.organ, &mut self.topic, &mut self.tag] {
            list.list(std::iter::empty());
        }
        for one in [&mut self.year, &mut self.doc_type, &mut self.validity] {
            one.one(None);
        }
    }

    /// Where the last item's entries end.
    fn ends(&mut self) -> [u32; 6] {
        self.all().map(|a| a.json.len() as u32)
    }

    fn finish(self) -> [String; 6] {
        [self.organ, self.year, self.doc_type, self.topic, self.validity, self.tag].map(FacetArray::finish)
    }
}

/// A facet's values numbered in the order items first show them, each found again by a
/// hash lookup (a search along the list compared strings for every item: 6 % of the
/// stage after a date edit at 10,000 documents).
#[derive(Default)]
struct Numbered<'a> {
    list: Vec<&'a str>,
    at: FastMap<&'a str, usize>,
}

impl<'a> Numbered<'a> {
    fn of(&mut self, v: &'a str) -> usize {
        *self.at.entry(v).or_insert_with(|| {
            self.list.push(v);
            self.list.len() - 1
        })
    }
}

struct FacetArray {
    json: String,
    first: bool,
}

impl FacetArray {
    fn one(&mut self, v: Option<usize>) {
        match v {
            Some(v) => self.json.push_str(itoa::Buffer::new().format(v)),
            None => self.json.push_str("null"),
        }
    }

    fn list(&mut self, vs: impl Iterator<Item = usize>) {
        let mut digits = itoa::Buffer::new();
        self.json.push('[');
        for (k, v) in vs.enumerate() {
            if k > 0 {
                self.json.push(',');
            }
            self.json.push_str(digits.format(v));
        }
        self.json.push(']');
    }

    fn finish(mut self) -> String {
        self.json.push_str(if self.first { "[]" } else { "]" });
        self.json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facet_arrays_are_the_json_serde_writes() {
        // Three items: a document with two organs, one without a document, one with none.
        let mut f = FacetFiles::new(3);
        f.next_item();
        f.organ.list([0, 3].into_iter());
        f.year.one(Some(2024));
        f.doc_type.one(None);
        f.topic.list([].into_iter());
        f.validity.one(Some(1));
        f.tag.list([2].into_iter());
        f.next_item();
        f.none();
        f.next_item();
        f.organ.list([].into_iter());
        f.year.one(Some(1999));
        f.doc_type.one(Some(0));
        f.topic.list([4, 5].into_iter());
        f.validity.one(None);
        f.tag.list([].into_iter());
        let arrays = f.finish();
        let lists = |v: Vec<Vec<usize>>| serde_json::to_string(&v).unwrap();
        let ones = |v: Vec<Option<u16>>| serde_json::to_string(&v).unwrap();
        assert_eq!(arrays[0], lists(vec![vec![0, 3], vec![], vec![]]));
        assert_eq!(arrays[1], ones(vec![Some(2024), None, Some(1999)]));
        assert_eq!(arrays[2], ones(vec![None, None, Some(0)]));
        assert_eq!(arrays[3], lists(vec![vec![], vec![], vec![4, 5]]));
        assert_eq!(arrays[4], ones(vec![Some(1), None, None]));
        assert_eq!(arrays[5], lists(vec![vec![2], vec![], vec![]]));
        assert_eq!(FacetFiles::new(0).finish()[0], "[]", "no items: empty arrays");
    }

    #[test]
    fn values_numbered_alike_only_when_first_shown_in_the_same_order() {
        let ok = |entries: &[&str], count| first_shown_in_order(entries.iter().copied(), count);
        assert!(ok(&["[0,1]", "[]", "[1,2]", "[0]"], 3));
        assert!(ok(&["null", "0", "0", "1"], 2));
        assert!(!ok(&["[1]", "[0]"], 2), "1 shows before 0");
        assert!(!ok(&["[0,2]", "[1]"], 3), "2 shows before 1");
        assert!(!ok(&["[0]", "[0]"], 2), "1 no longer shows");
        assert!(ok(&[], 0));
    }
}
