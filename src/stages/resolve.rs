//! Stage 2, resolve: one index over every item, one resolver for every REF, and the
//! relation graph (both directions) that the pages show.
//!
//! Invariant after this stage: every REF from a published item names a published item,
//! or an error has been reported. Hidden items (CONTRACT §5) are in the index only so
//! that a REF to them gets the right error; nothing downstream may emit them, and
//! [`Index::visible`] is the one predicate that decides.

use crate::date::Date;
use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::docnum;
use crate::hash::{FastMap, FastSet};
pub use crate::model::ItemId;
use crate::model::*;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// Why an item is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    Disclosure(Disclosure),
    Draft,
    Embargoed(Date),
}

impl Hidden {
    fn explain(self) -> String {
        match self {
            Hidden::Disclosure(Disclosure::OnRequest) => "is 依申请公开 and never published".into(),
            Hidden::Disclosure(_) => "is 不予公开 and never published".into(),
            Hidden::Draft => "is a draft (`draft: true`)".into(),
            Hidden::Embargoed(d) => format!("is not published until {d}"),
        }
    }
}

/// Relations of one published document, all to published items, sorted for stable output.
#[derive(Debug, Default, Clone, Hash)]
pub struct DocRelations {
    pub basis: Vec<ItemId>,
    pub supporting: Vec<ItemId>,
    pub amends: Vec<ItemId>,
    pub repeals: Vec<ItemId>,
    pub related: Vec<ItemId>,
    pub amended_by: Vec<ItemId>,
    pub repealed_by: Vec<ItemId>,
    /// Documents that list this one as their 政策依据.
    pub basis_of: Vec<ItemId>,
    /// Documents that list this one as 配套文件 (i.e. this one supports them).
    pub supporting_of: Vec<ItemId>,
    pub interpretations: Vec<InterpIx>,
    pub faq_sets: Vec<FaqIx>,
    pub translations: Vec<DocIx>,
    pub translation_of: Option<DocIx>,
    pub issues: Vec<IssueIx>,
    pub topics: Vec<TopicIx>,
    pub validity: Validity,
    /// The document that repealed or amended this one, for the validity note.
    pub validity_cause: Option<DocIx>,
}

/// Each document's [`DocRelations`], by document number, in chunks that the `Resolved`
/// of consecutive builds share: patching a few documents' relations ([`Index::patch`])
/// copies the chunks they are in (`IndexMut` copies a shared chunk first), where a
/// `Vec` was copied whole, 100,000 documents' lists (11–38 ms of a patched resolve).
#[derive(Clone, Debug, Default)]
pub struct Relations(Vec<Arc<Vec<DocRelations>>>);

/// Documents per chunk of [`Relations`].
const REL_CHUNK: usize = 1024;

impl Relations {
    fn new(docs: usize) -> Relations {
        let chunk = |c: usize| Arc::new(vec![DocRelations::default(); REL_CHUNK.min(docs - c * REL_CHUNK)]);
        Relations((0..docs.div_ceil(REL_CHUNK)).map(chunk).collect())
    }

    /// Every document's, in order.
    pub fn iter(&self) -> impl Iterator<Item = &DocRelations> {
        self.0.iter().flat_map(|c| c.iter())
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut DocRelations> {
        self.0.iter_mut().flat_map(|c| Arc::make_mut(c).iter_mut())
    }

    /// The relations of documents added at `places` (ascending, among all documents now:
    /// none yet), every document named numbered anew by `now`, and the chunks that
    /// neither change keep being shared. (A document added in the newest folder is near
    /// the end: the chunks before it are kept as they are unless they name a document
    /// after it.)
    fn put_in(&mut self, places: &[usize], now: &Renumber) {
        let Some(&first) = places.first() else { return };
        let kept = first / REL_CHUNK;
        let tail: Vec<DocRelations> = self.0.drain(kept..).flat_map(Arc::unwrap_or_clone).collect();
        let tail =
            crate::model::put_in(tail, &places.iter().map(|p| p - kept * REL_CHUNK).collect::<Vec<_>>(), &mut |_| {
                DocRelations::default()
            });
        let mut tail = tail.into_iter().peekable();
        while tail.peek().is_some() {
            self.0.push(Arc::new(tail.by_ref().take(REL_CHUNK).collect()));
        }
        for chunk in &mut self.0 {
            if chunk.iter().any(|r| r.names_from(first)) {
                Arc::make_mut(chunk).iter_mut().for_each(|r| r.renumber(now));
            }
        }
    }
}

/// A document's number now, from its number in the last build, when documents were added
/// (see [`Index::put_in`]).
struct Renumber {
    /// Numbers below this one are the same.
    first: usize,
    /// Per old number, the number now.
    new_of_old: Vec<usize>,
}

impl Renumber {
    fn doc(&self, j: usize) -> usize {
        if j < self.first {
            j
        } else {
            self.new_of_old[j]
        }
    }

    fn item(&self, t: &mut ItemId) {
        if let ItemId::Doc(j) = t {
            *j = self.doc(*j);
        }
    }

    fn ix(&self, j: &mut DocIx) {
        j.0 = self.doc(j.0);
    }
}

impl DocRelations {
    /// Whether it names a document numbered `first` or after.
    fn names_from(&self, first: usize) -> bool {
        let from = |t: &ItemId| matches!(t, ItemId::Doc(j) if *j >= first);
        self.item_lists().iter().any(|v| v.iter().any(from))
            || self.translations.iter().chain(&self.translation_of).chain(&self.validity_cause).any(|j| j.0 >= first)
    }

    /// Every document it names numbered as `now` says.
    fn renumber(&mut self, now: &Renumber) {
        let DocRelations {
            basis,
            supporting,
            amends,
            repeals,
            related,
            amended_by,
            repealed_by,
            basis_of,
            supporting_of,
            interpretations: _,
            faq_sets: _,
            translations,
            translation_of,
            issues: _,
            topics: _,
            validity: _,
            validity_cause,
        } = self;
        for v in [basis, supporting, amends, repeals, related, amended_by, repealed_by, basis_of, supporting_of] {
            v.iter_mut().for_each(|t| now.item(t));
        }
        translations.iter_mut().chain(translation_of).chain(validity_cause).for_each(|j| now.ix(j));
    }

    /// Its lists of items (the relations between documents, as REFs and reverses).
    fn item_lists(&self) -> [&Vec<ItemId>; 9] {
        [
            &self.basis,
            &self.supporting,
            &self.amends,
            &self.repeals,
            &self.related,
            &self.amended_by,
            &self.repealed_by,
            &self.basis_of,
            &self.supporting_of,
        ]
    }
}

impl std::ops::Index<usize> for Relations {
    type Output = DocRelations;
    fn index(&self, doc: usize) -> &DocRelations {
        &self.0[doc / REL_CHUNK][doc % REL_CHUNK]
    }
}

impl std::ops::IndexMut<usize> for Relations {
    fn index_mut(&mut self, doc: usize) -> &mut DocRelations {
        &mut Arc::make_mut(&mut self.0[doc / REL_CHUNK])[doc % REL_CHUNK]
    }
}

/// The resolved site: the loaded content (owned, so a built site can be kept and handed
/// on, as `serve --watch` does) with everything the later stages look up: what resolving
/// made of the content's front matter ([`Resolved`], which `Index` derefs to) and what the
/// bodies stage adds (`cited_by`).
pub struct Index {
    pub content: Content,
    pub date: Date,
    pub drafts: bool,
    resolved: Arc<Resolved>,
    /// Per document: every published item whose body cites it (被引用), filled by the
    /// bodies stage; not in [`Resolved`], which the front matter alone decides.
    pub cited_by: Citations,
}

/// Per document, the items whose bodies cite it (被引用), in item order, each once: one
/// flat list and where each document's part starts. (A set per document, filled one
/// citation at a time, was 31 ms of every serve rebuild at 100,000 documents.)
#[derive(Default)]
pub struct Citations {
    start: Vec<u32>,
    items: Vec<ItemId>,
}

impl Citations {
    /// The items citing document `doc`.
    pub fn of(&self, doc: usize) -> &[ItemId] {
        match (self.start.get(doc), self.start.get(doc + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }

    /// From (cited document, citing item) pairs in any order, repeats allowed, for
    /// `docs` documents.
    pub fn from_pairs(docs: usize, mut pairs: Vec<(usize, ItemId)>) -> Citations {
        pairs.par_sort_unstable();
        pairs.dedup();
        let (mut start, mut items) = (Vec::with_capacity(docs + 1), Vec::with_capacity(pairs.len()));
        let mut next = pairs.iter().peekable();
        for doc in 0..docs {
            start.push(items.len() as u32);
            while let Some((_, t)) = next.next_if(|(j, _)| *j == doc) {
                items.push(*t);
            }
        }
        start.push(items.len() as u32);
        Citations { start, items }
    }
}

impl std::ops::Deref for Index {
    type Target = Resolved;
    fn deref(&self) -> &Resolved {
        &self.resolved
    }
}

/// What resolving made of the content: ids, 发文字号, visibility, relations, validity. A
/// function of each item's *face* (the fields resolving reads: see [`Faced`]), the build
/// date, `--drafts` and the registries' ids, so serve's [`Memo`] hands it to the next
/// build unchanged when an edit leaves those alone (a title, a body, a service, an FAQ
/// answer): resolving anew was some 20 ms of every such rebuild at 10,000 documents.
/// Shared, not copied: the site serve keeps and the memo hold the same one.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// (The registries shared: a patched `Resolved` has the same, see [`Index::patch`].)
    ids: Arc<FastMap<String, ItemId>>,
    numbers: Arc<FastMap<String, usize>>,
    /// Why each item is not published (`None`: it is), CONTRACT §5.
    hidden: ItemMap<Option<Hidden>>,
    hidden_faqs: Vec<bool>,
    hidden_issues: Vec<bool>,
    pub organs: FastMap<String, usize>,
    pub services: FastMap<String, usize>,
    pub rel: Relations,
    /// Topic members, resolved (explicit documents, then matches), newest first.
    pub topic_docs: Vec<Vec<usize>>,
    /// FAQ set → the document it is for.
    pub faq_for: Vec<Option<DocIx>>,
    /// Interpretation → the document it interprets.
    pub interp_of: Vec<Option<DocIx>>,
    /// Published documents, newest first (see [`Index::published_documents`]).
    published_docs: Vec<usize>,
    /// Published interpretations, newest first (see [`Index::published_interpretations`]).
    published_interps: Vec<usize>,
}

/// Why item `t` of `c` is not published, of itself (an interpretation or FAQ set waiting
/// for its document's embargo aside: [`Index::wait_for_embargoed`]).
fn hidden_of(c: &Content, t: ItemId, item: &dyn Item, date: Date, drafts: bool) -> Option<Hidden> {
    match t {
        ItemId::Doc(i) if c.documents[i].disclosure != Disclosure::Active => {
            Some(Hidden::Disclosure(c.documents[i].disclosure))
        }
        _ => hidden_by(item.draft(), item.published(), date, drafts),
    }
}

fn hidden_by(draft: bool, published: Option<Date>, date: Date, drafts: bool) -> Option<Hidden> {
    if draft && !drafts {
        return Some(Hidden::Draft);
    }
    match published {
        Some(p) if p > date => Some(Hidden::Embargoed(p)),
        _ => None,
    }
}

impl Index {
    /// Build the index and check every front-matter REF. Problems go to `diags`.
    pub fn build(content: Content, date: Date, drafts: bool, diags: &Diagnostics) -> Index {
        Index::build_with(content, date, drafts, diags, None)
    }

    /// [`Index::build`], taking what the last build resolved from `memo` when every
    /// item's face, the date, `--drafts` and the registries' ids are what they were
    /// then, and that build's resolving reported nothing (so there is nothing to say
    /// again, and no line number that an edit could have moved); when only a few
    /// documents' faces changed, patched for those (see [`Index::patch`]).
    pub fn build_with(content: Content, date: Date, drafts: bool, diags: &Diagnostics, memo: Option<&Memo>) -> Index {
        let Some(memo) = memo else { return Index::resolve(content, date, drafts, diags) };
        let rest = rest_key(&content, date, drafts);
        // (Documents are most of a library: their faces side by side.)
        let (faces, paths): (Vec<u64>, Vec<u64>) =
            content.documents.par_iter().map(|d| (d.face(), d.src.path_key())).unzip();
        let mut kept = memo.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut content = content;
        // The documents added since (their places now), when the last build's are all
        // still there in the same order (a document deleted or renamed: resolved anew).
        let added = |k: &Kept| match faces.len() {
            n if n == k.faces.len() => Some(Vec::new()),
            n if n > k.faces.len() && n - k.faces.len() <= PATCH_MAX => added_at(&k.paths, &paths),
            _ => None,
        };
        let last = kept.take().filter(|k| k.rest == rest);
        if let Some((last, added)) = last.and_then(|k| added(&k).map(|a| (k, a))) {
            // (The memo's `Resolved` moved into the index: patched, it is not copied
            // unless the last build's site still holds it.)
            let Kept { regs, resolved, faces: was, .. } = last;
            let mut ix = Index { content, date, drafts, resolved, cited_by: Citations::default() };
            let now = Renumber::of(&added, was.len());
            let regs = match added.is_empty() {
                true => Some(regs),
                false => ix.put_in(&added, &now, regs),
            };
            // Each document whose face changed, and each added (numbered as now).
            let mut changed: Vec<usize> =
                (0..was.len()).filter(|&o| faces[now.doc(o)] != was[o]).map(|o| now.doc(o)).collect();
            changed.extend(&added);
            changed.sort_unstable();
            let way = match (regs, changed.len()) {
                (Some(regs), 0) => Some((Way::Kept, regs)),
                (Some(regs), n) if n <= PATCH_MAX => ix.patch(&changed, &regs).then_some((Way::Patched, regs)),
                _ => None,
            };
            if let Some((way, regs)) = way {
                *kept = Some(Kept { rest, faces, paths, regs, resolved: ix.resolved.clone(), way });
                return ix;
            }
            content = ix.content;
        }
        let said = diags.count();
        let ix = Index::resolve(content, date, drafts, diags);
        *kept = (diags.count() == said).then(|| {
            let regs = ix.content.documents.par_iter().map(|d| reg_key(d)).collect();
            Kept { rest, faces, paths, regs, resolved: ix.resolved.clone(), way: Way::Resolved }
        });
        ix
    }

    /// What the last build resolved (`self.resolved`), brought up to date for the
    /// documents in `changed`, the only items whose faces changed: their relations
    /// and the reverses on the documents they name (old and new), those documents'
    /// validity, their topics and their places among the published documents. Only
    /// when each keeps its path, id, 发文字号, 索引号 (`regs`: the registries stay as they
    /// are) and its visibility (so no other item's REF resolves differently), and
    /// checking their REFs says nothing (else `false`: then resolving anew says it, where
    /// it belongs). A date, a relation, topics, tags, validity edited in `serve --watch`:
    /// resolving all anew was 180–310 ms of such a rebuild at 100,000 documents.
    fn patch(&mut self, changed: &[usize], regs: &[u64]) -> bool {
        let (c, date, drafts) = (&self.content, self.date, self.drafts);
        let same = |i: usize| {
            let d = &c.documents[i];
            reg_key(d) == regs[i] && hidden_of(c, ItemId::Doc(i), &**d, date, drafts) == self.hidden(ItemId::Doc(i))
        };
        if !changed.iter().all(|&i| same(i)) {
            return false;
        }
        let said = Diagnostics::default();
        let linked: Vec<Option<Linked>> = changed.iter().map(|&i| self.link_one(i, &said)).collect();
        if said.count() > 0 {
            return false;
        }
        // Per published topic, whether each changed document is one of its documents
        // now: named (its REFs resolve as they did) or matched by tags or topics.
        let members: Vec<(usize, Vec<bool>)> = (c.topics.iter().enumerate())
            .filter(|(k, _)| self.visible(ItemId::Topic(*k)))
            .map(|(k, t)| {
                let member = |i: usize| {
                    let d = &c.documents[i];
                    t.documents.iter().any(|r| self.lookup(&r.raw) == Some(ItemId::Doc(i)))
                        || (self.doc_visible(i) && matched_by(t, d))
                };
                (k, changed.iter().map(|&i| member(i)).collect())
            })
            .collect();
        let published: Vec<usize> = changed.iter().copied().filter(|&i| self.doc_visible(i)).collect();
        let this = Arc::make_mut(&mut self.resolved);
        let mut touched: Vec<usize> = changed.to_vec();
        for (&i, linked) in changed.iter().zip(linked) {
            touched.extend(this.remove_links(i));
            if let Some(linked) = linked {
                let named = linked.0[..4].iter().flatten().chain(&linked.1);
                touched.extend(named.filter_map(|t| if let ItemId::Doc(j) = *t { Some(j) } else { None }));
                this.add_links(i, linked);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for &j in &touched {
            sort_reverse(&mut this.rel[j], c);
            set_validity(&c.documents[j], &mut this.rel[j], date);
        }
        for (k, now) in &members {
            let now = changed.iter().zip(now).filter(|(_, &is)| is).map(|(&i, _)| i);
            put_back_newest_first(&mut this.topic_docs[*k], changed, now, c);
        }
        for (n, &i) in changed.iter().enumerate() {
            this.rel[i].topics = members.iter().filter(|(_, now)| now[n]).map(|(k, _)| TopicIx(*k)).collect();
        }
        put_back_newest_first(&mut this.published_docs, changed, published, c);
        true
    }

    /// What the last build resolved, with the documents at `places` (ascending, none
    /// of them there then) put in: each one's id and 发文字号 registered, whether it is
    /// published, no relations yet ([`Index::patch`] gives it its own, as a changed
    /// document), and every document after the first numbered anew. With the
    /// registries' keys of the documents now (`regs`: the last build's, the added
    /// ones' put in), or `None` when one takes an id, 发文字号 or 索引号 another item
    /// holds (resolving anew says so). No REF could name an added document: the last
    /// build, which the memo keeps only when it reported nothing, resolved each one.
    /// A document published today in `serve --watch`: resolving all anew was 31 ms of
    /// such a rebuild at 10,000 documents, 233 ms at 100,000.
    fn put_in(&mut self, places: &[usize], now: &Renumber, regs: Vec<u64>) -> Option<Vec<u64>> {
        let (c, date, drafts) = (&self.content, self.date, self.drafts);
        let this = Arc::make_mut(&mut self.resolved);
        let ids = Arc::make_mut(&mut this.ids);
        let numbers = Arc::make_mut(&mut this.numbers);
        ids.values_mut().for_each(|t| now.item(t));
        numbers.values_mut().for_each(|j| *j = now.doc(*j));
        for &i in places {
            let d = &c.documents[i];
            if ids.contains_key(&d.id)
                || d.doc_number.as_ref().is_some_and(|n| numbers.contains_key(n))
                || d.index_number
                    .as_ref()
                    .is_some_and(|n| c.documents.iter().filter(|e| e.index_number.as_ref() == Some(n)).count() > 1)
            {
                return None;
            }
            ids.insert(d.id.clone(), ItemId::Doc(i));
            if let Some(n) = &d.doc_number {
                numbers.insert(n.clone(), i);
            }
        }
        this.hidden.with_docs_put_in(places, |i| hidden_of(c, ItemId::Doc(i), &*c.documents[i], date, drafts));
        this.rel.put_in(places, now);
        for list in this.topic_docs.iter_mut().chain([&mut this.published_docs]) {
            list.iter_mut().for_each(|j| *j = now.doc(*j));
        }
        this.faq_for.iter_mut().chain(&mut this.interp_of).flatten().for_each(|j| now.ix(j));
        Some(crate::model::put_in(regs, places, &mut |i| reg_key(&c.documents[i])))
    }

    /// Resolve `content` anew. Each step reads the index, then writes what it found
    /// through `Arc::make_mut`, which copies nothing: the `Resolved` is not shared yet.
    fn resolve(content: Content, date: Date, drafts: bool, diags: &Diagnostics) -> Index {
        let c = &content;
        let hidden = ItemMap::new(c, |t, item| hidden_of(c, t, item, date, drafts));
        // (Two passes over the library that need nothing of each other: side by side.)
        let (ids, numbers) = rayon::join(|| register_ids(c, diags), || register_numbers(c, diags));
        let resolved = Resolved {
            ids: Arc::new(ids),
            numbers: Arc::new(numbers),
            hidden,
            hidden_faqs: c.faqs.iter().map(|f| hidden_by(f.draft, None, date, drafts).is_some()).collect(),
            hidden_issues: c
                .issues
                .iter()
                .map(|i| hidden_by(i.draft, Some(i.published), date, drafts).is_some())
                .collect(),
            organs: c.organs.iter().enumerate().map(|(i, o)| (o.id.clone(), i)).collect(),
            services: c.services.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect(),
            rel: Relations::new(c.documents.len()),
            topic_docs: vec![Vec::new(); c.topics.len()],
            faq_for: vec![None; c.faqs.len()],
            interp_of: vec![None; c.interpretations.len()],
            published_docs: Vec::new(),
            published_interps: Vec::new(),
        };
        let mut ix = Index { date, drafts, resolved: Arc::new(resolved), cited_by: Citations::default(), content };
        ix.wait_for_embargoed();
        ix.link_documents(diags);
        ix.link_others(diags);
        ix.derive_validity();
        let c = &ix.content;
        let mut docs: Vec<usize> = (0..c.documents.len()).filter(|&i| ix.doc_visible(i)).collect();
        docs.sort_by(|&a, &b| newest_first(&c.documents[a], &c.documents[b]));
        let mut interps: Vec<usize> = (0..c.interpretations.len()).filter(|&k| ix.visible(ItemId::Interp(k))).collect();
        interps.sort_by(|&a, &b| c.interpretations[b].published.cmp(&c.interpretations[a].published).then(a.cmp(&b)));
        let r = Arc::make_mut(&mut ix.resolved);
        (r.published_docs, r.published_interps) = (docs, interps);
        ix
    }

    /// CONTRACT §5: a 解读 or FAQ set prepared for an embargoed document (published later,
    /// otherwise public) is not an error; it is hidden until its document is published,
    /// and its own later date still holds. Only an embargo is waited for: a 解读 of a
    /// draft or withheld document stays an error (the REF check reports it).
    fn wait_for_embargoed(&mut self) {
        let embargo_of = |ix: &Index, r: &Ref| match ix.lookup(&r.raw) {
            Some(t @ ItemId::Doc(_)) => match ix.hidden(t) {
                Some(Hidden::Embargoed(d)) => Some(d),
                _ => None,
            },
            _ => None,
        };
        let c = &self.content;
        let interps: Vec<(ItemId, Date)> = (c.interpretations.iter().enumerate())
            .filter_map(|(k, it)| {
                let me = ItemId::Interp(k);
                let d = embargo_of(self, &it.interprets).filter(|_| self.hidden(me).is_none())?;
                Some((me, it.published.map_or(d, |p| p.max(d))))
            })
            .collect();
        let faqs: Vec<usize> = (c.faqs.iter().enumerate())
            .filter(|(k, f)| !self.hidden_faqs[*k] && embargo_of(self, &f.for_ref).is_some())
            .map(|(k, _)| k)
            .collect();
        let r = Arc::make_mut(&mut self.resolved);
        for (me, d) in interps {
            *r.hidden.get_mut(me) = Some(Hidden::Embargoed(d));
        }
        for k in faqs {
            r.hidden_faqs[k] = true;
        }
    }

    /// Documents held back by an embargo, with the date each is published, by path: the
    /// build summary lists them, so a mistyped year cannot hide a document silently.
    pub fn embargoed_documents(&self) -> Vec<(&str, Date)> {
        let c = &self.content;
        let mut v: Vec<(&str, Date)> = (0..c.documents.len())
            .filter_map(|i| match self.hidden(ItemId::Doc(i)) {
                Some(Hidden::Embargoed(d)) => Some((c.documents[i].src.path.as_str(), d)),
                _ => None,
            })
            .collect();
        v.sort();
        v
    }

    /// Whether an item appears in the output. The single gate for CONTRACT §5.
    pub fn visible(&self, t: ItemId) -> bool {
        self.hidden(t).is_none()
    }

    fn hidden(&self, t: ItemId) -> Option<Hidden> {
        *self.hidden.get(t)
    }

    pub fn doc_visible(&self, i: usize) -> bool {
        self.visible(ItemId::Doc(i))
    }

    /// Whether a FAQ set is published (CONTRACT §5; it also needs its document).
    pub fn faq_visible(&self, k: usize) -> bool {
        !self.hidden_faqs[k]
    }

    /// Whether a gazette issue is published (CONTRACT §5).
    pub fn issue_visible(&self, k: usize) -> bool {
        !self.hidden_issues[k]
    }

    /// Find what a REF names: an id, or a 发文字号 in any accepted bracket form.
    pub fn lookup(&self, raw: &str) -> Option<ItemId> {
        if let Some(t) = self.ids.get(raw) {
            return Some(*t);
        }
        let canon = docnum::canonical(raw)?;
        self.numbers.get(canon.as_str()).map(|&i| ItemId::Doc(i))
    }

    /// The content file that did not load which a REF names, if any.
    fn unloaded(&self, raw: &str) -> Option<&Unloaded> {
        let canon = docnum::canonical(raw);
        self.content.unloaded.iter().find(|u| u.names.iter().any(|n| n == raw || Some(n) == canon.as_ref()))
    }

    /// The published documents a section of a 公报 issue lists, in its order.
    pub fn section_docs<'s>(&'s self, s: &'s IssueSection) -> impl Iterator<Item = usize> + 's {
        s.items.iter().filter_map(|r| match self.lookup(&r.raw) {
            Some(ItemId::Doc(j)) if self.doc_visible(j) => Some(j),
            _ => None,
        })
    }

    /// A published document by canonical 发文字号 (auto-linking).
    pub fn published_by_number(&self, canonical: &str) -> Option<usize> {
        self.numbers.get(canonical).copied().filter(|&i| self.doc_visible(i))
    }

    pub fn source(&self, t: ItemId) -> &Source {
        self.content.item(t).src()
    }

    pub fn title(&self, t: ItemId) -> &str {
        self.content.item(t).title()
    }

    /// Site-relative URL of an item's page (CONTRACT §8).
    pub fn url(&self, t: ItemId) -> String {
        t.url(self.content.item(t).id())
    }

    /// Resolve and check one REF made by a published item. `docs_only` for relations
    /// that only make sense between 公文 (basis, amends…). Reports and returns `None` on
    /// any problem.
    pub fn check_ref(&self, from: &Source, r: &Ref, docs_only: bool, diags: &Diagnostics) -> Option<ItemId> {
        let Some(t) = self.lookup(&r.raw) else {
            if let Some(u) = self.unloaded(&r.raw) {
                // The file it names did not load and has its own error: say once, there,
                // that REFs to it wait, instead of an error in every file that cites it.
                // (Identical diagnostics are merged when they are sorted.)
                diags.push(
                    Diagnostic::warning(&Loc::file(&u.path), "references to this file could not be checked")
                        .help("it did not load (see its error); the files that refer to it are checked once it does"),
                );
                return None;
            }
            let mut d = Diagnostic::error(&r.loc, format!("unknown reference `{}`", r.raw));
            d = match docnum::canonical(&r.raw) {
                Some(c) => {
                    let d = d.help(format!("no document in the library has 发文字号 `{c}`"));
                    let numbers = self.numbers.iter().filter(|(_, &i)| self.doc_visible(i)).map(|(n, _)| n.as_str());
                    match crate::diag::did_you_mean(&c, numbers) {
                        Some(near) => d.help(format!("did you mean `{near}`?")),
                        None => d,
                    }
                }
                None => match crate::diag::did_you_mean(
                    &r.raw,
                    self.ids.iter().filter(|(_, &t)| self.visible(t)).map(|(id, _)| id.as_str()),
                ) {
                    Some(near) => d.help(format!("did you mean `{near}`?")),
                    None => d.help(
                        "a REF is the `id` of a document, interpretation, topic or page, or a document's 发文字号",
                    ),
                },
            };
            diags.push(d);
            return None;
        };
        if docs_only && !matches!(t, ItemId::Doc(_)) {
            diags.push(Diagnostic::error(&r.loc, format!("`{}` is a {}, not a document", r.raw, t.kind_name())));
            return None;
        }
        if let Some(h) = self.hidden(t) {
            // Name the files, never the hidden item's title: diagnostics end up in CI logs.
            diags.push(Diagnostic::error(&r.loc, format!("reference `{}` names an unpublished item", r.raw)).help(
                format!("{} {}; `{}` is published and may not link to it", self.source(t).path, h.explain(), from.path),
            ));
            return None;
        }
        Some(t)
    }

    /// [`Index::check_ref`] of each REF of a relation between 公文 made by `me` (whose
    /// source is `from`), none naming `me` itself, each once. (`me` by number: comparing
    /// each target's path with its own read every named document's path, a cache miss
    /// each, in every resolve at 100,000 documents.)
    fn check_refs(&self, me: ItemId, from: &Source, refs: &[Ref], diags: &Diagnostics) -> Vec<ItemId> {
        let mut out: Vec<ItemId> = refs
            .iter()
            .filter_map(|r| {
                let t = self.check_ref(from, r, true, diags)?;
                if t == me {
                    diags.push(Diagnostic::error(&r.loc, format!("`{}` refers to the document itself", r.raw)));
                    return None;
                }
                Some(t)
            })
            .collect();
        dedup_keep_order(&mut out);
        out
    }

    fn link_documents(&mut self, diags: &Diagnostics) {
        // Each published document's REFs checked on their own (in parallel), then the
        // relations and their reverses recorded in document order.
        let linked: Vec<Option<Linked>> =
            (0..self.content.documents.len()).into_par_iter().map(|i| self.link_one(i, diags)).collect();
        let this = Arc::make_mut(&mut self.resolved);
        for (i, linked) in linked.into_iter().enumerate() {
            if let Some(linked) = linked {
                this.add_links(i, linked);
            }
        }
    }

    /// Document `i`'s relations to other 公文, each REF checked; `None` when it is not
    /// published (then it has none).
    fn link_one(&self, i: usize, diags: &Diagnostics) -> Option<Linked> {
        let d = &self.content.documents[i];
        self.doc_visible(i).then(|| {
            let mut related: Vec<ItemId> =
                d.related.iter().filter_map(|r| self.check_ref(&d.src, r, false, diags)).collect();
            dedup_keep_order(&mut related);
            let translation_of = d.translation_of.as_ref().and_then(|r| self.check_ref(&d.src, r, true, diags));
            if matches!(translation_of, Some(ItemId::Doc(_))) && d.lang.is_none() {
                diags.push(
                    Diagnostic::error(&d.src.key("translation_of"), "a translation needs `lang`")
                        .help("add the language of this version, e.g. `lang: en`"),
                );
            }
            let me = ItemId::Doc(i);
            let lists = [
                self.check_refs(me, &d.src, &d.basis, diags),
                self.check_refs(me, &d.src, &d.supporting, diags),
                self.check_refs(me, &d.src, &d.amends, diags),
                self.check_refs(me, &d.src, &d.repeals, diags),
                related,
            ];
            (lists, translation_of)
        })
    }

    fn link_others(&mut self, diags: &Diagnostics) {
        let c = &self.content;
        // What each names, checked (reading the index), then recorded (writing it).
        let interps: Vec<(usize, usize)> = (c.interpretations.iter().enumerate())
            .filter(|(k, _)| self.visible(ItemId::Interp(*k)))
            .filter_map(|(k, it)| match self.check_ref(&it.src, &it.interprets, true, diags) {
                Some(ItemId::Doc(j)) => Some((k, j)),
                _ => None,
            })
            .collect();
        let faqs: Vec<(usize, usize)> = (c.faqs.iter().enumerate())
            .filter(|(k, _)| self.faq_visible(*k))
            .filter_map(|(k, f)| match self.check_ref(&f.src, &f.for_ref, true, diags) {
                Some(ItemId::Doc(j)) => Some((k, j)),
                _ => None,
            })
            .collect();
        let mut seen_issue: HashMap<(u16, u32), &str> = HashMap::new();
        // (document, issue) in issue order.
        let mut in_issues: Vec<(usize, usize)> = Vec::new();
        for (k, iss) in c.issues.iter().enumerate() {
            if !self.issue_visible(k) {
                continue;
            }
            if let Some(prev) = seen_issue.insert((iss.year, iss.number), &iss.src.path) {
                diags.push(
                    Diagnostic::error(
                        &iss.src.key("number"),
                        format!("duplicate gazette issue {}年第{}期", iss.year, iss.number),
                    )
                    .help(format!("`{prev}` is the same issue")),
                );
                continue;
            }
            for s in &iss.sections {
                for r in &s.items {
                    if let Some(ItemId::Doc(j)) = self.check_ref(&iss.src, r, true, diags) {
                        in_issues.push((j, k));
                    }
                }
            }
        }
        let mut topics: Vec<(usize, Vec<usize>)> = Vec::new();
        for (k, t) in c.topics.iter().enumerate() {
            if !self.visible(ItemId::Topic(k)) {
                continue;
            }
            let mut docs: Vec<usize> = t
                .documents
                .iter()
                .filter_map(|r| match self.check_ref(&t.src, r, true, diags) {
                    Some(ItemId::Doc(j)) => Some(j),
                    _ => None,
                })
                .collect();
            if !t.match_tags.is_empty() || !t.match_topics.is_empty() {
                for (j, d) in c.documents.iter().enumerate() {
                    if self.doc_visible(j) && matched_by(t, d) {
                        docs.push(j);
                    }
                }
            }
            docs.sort_by(|&a, &b| newest_first(&c.documents[a], &c.documents[b]));
            docs.dedup();
            topics.push((k, docs));
        }
        for (k, dcs) in c.decisions.iter().enumerate() {
            if !self.visible(ItemId::Decision(k)) {
                continue;
            }
            for s in &dcs.stages {
                if let Some(r) = &s.reference {
                    self.check_ref(&dcs.src, r, false, diags);
                }
            }
        }
        let this = Arc::make_mut(&mut self.resolved);
        for (k, j) in interps {
            this.rel[j].interpretations.push(InterpIx(k));
            this.interp_of[k] = Some(DocIx(j));
        }
        for (k, j) in faqs {
            this.rel[j].faq_sets.push(FaqIx(k));
            this.faq_for[k] = Some(DocIx(j));
        }
        for (j, k) in in_issues {
            if !this.rel[j].issues.contains(&IssueIx(k)) {
                this.rel[j].issues.push(IssueIx(k));
            }
        }
        for (k, docs) in topics {
            for &j in &docs {
                this.rel[j].topics.push(TopicIx(k));
            }
            this.topic_docs[k] = docs;
        }
        for r in this.rel.iter_mut() {
            sort_reverse(r, c);
        }
    }

    /// CONTRACT §4: explicit `validity` wins; else repealed → amended → expired →
    /// not yet effective → valid, at the build date.
    fn derive_validity(&mut self) {
        let (c, date) = (&self.content, self.date);
        let this = Arc::make_mut(&mut self.resolved);
        for (d, r) in c.documents.iter().zip(this.rel.iter_mut()) {
            set_validity(d, r, date);
        }
    }

    /// Published documents, newest first: the order of every listing.
    pub fn published_documents(&self) -> &[usize] {
        &self.published_docs
    }

    /// The 发文机关 of a document, as registry entries (unknown ids were reported at load).
    pub fn issuers(&self, i: usize) -> Vec<&Organ> {
        self.issuer_organs(i).collect()
    }

    fn issuer_organs(&self, i: usize) -> impl Iterator<Item = &Organ> {
        let c = &self.content;
        c.documents[i].issuer.iter().filter_map(|o| self.organs.get(o.as_str())).map(|&k| &c.organs[k])
    }

    /// The 发文机关 of a document by name, joined as listings show them (`甲、乙`); one
    /// borrowed as it is (every listing row asks, once per page that shows it).
    pub fn issuer_names(&self, i: usize) -> std::borrow::Cow<'_, str> {
        let mut names = self.issuer_organs(i).map(|o| o.name.as_str());
        let Some(first) = names.next() else { return "".into() };
        match names.next() {
            None => first.into(),
            Some(second) => names.fold(format!("{first}、{second}"), |joined, n| joined + "、" + n).into(),
        }
    }

    /// Published interpretations, newest first: the order of every list of them.
    pub fn published_interpretations(&self) -> &[usize] {
        &self.published_interps
    }

    pub fn loc_of(&self, t: ItemId) -> Loc {
        self.source(t).file()
    }
}

/// What the last build in this process resolved (`serve --watch`), and what from (see
/// [`Index::build_with`]); none after a build whose resolving reported anything.
#[derive(Default)]
pub struct Memo(std::sync::Mutex<Option<Kept>>);

impl Memo {
    /// How the last build came by its [`Resolved`] (for tests).
    pub fn last_way(&self) -> Option<Way> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|k| k.way)
    }
}

/// How a build came by its [`Resolved`]: the last build's as it was, patched, or
/// resolved anew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Kept,
    Patched,
    Resolved,
}

/// [`Memo`]'s content: what [`Resolved`] is a function of (see [`rest_key`], and each
/// document's face) and each document's [`reg_key`].
struct Kept {
    rest: u64,
    faces: Vec<u64>,
    /// Each document's path, hashed ([`crate::model::Source::path_key`]): a document
    /// added is found by it.
    paths: Vec<u64>,
    regs: Vec<u64>,
    resolved: Arc<Resolved>,
    way: Way,
}

/// Where the paths of `now` that `before` lacks are, when `now` is `before` with them
/// put in (every path of `before` there, in its order). (How many may be: the caller's.)
fn added_at(before: &[u64], now: &[u64]) -> Option<Vec<usize>> {
    let (mut added, mut kept) = (Vec::new(), 0);
    for (i, p) in now.iter().enumerate() {
        match before.get(kept) == Some(p) {
            true => kept += 1,
            false => added.push(i),
        }
    }
    (kept == before.len()).then_some(added)
}

impl Renumber {
    /// For documents added at `places` (ascending, among all now) to `before` of them.
    fn of(places: &[usize], before: usize) -> Renumber {
        let Some(&first) = places.first() else {
            // (None added, the edit serve sees most: no table of 100,000 numbers made.)
            return Renumber { first: before, new_of_old: Vec::new() };
        };
        let mut places = places.iter().peekable();
        let mut new_of_old = Vec::with_capacity(before);
        let mut at = 0;
        while new_of_old.len() < before {
            if places.next_if(|&&p| p == at).is_none() {
                new_of_old.push(at);
            }
            at += 1;
        }
        Renumber { first, new_of_old }
    }
}

/// At most this many documents with new faces are patched into the last build's
/// [`Resolved`] (an editor's save is one; a `git pull` resolves anew).
const PATCH_MAX: usize = 32;

/// A document's place in the registries: its path (which decides between two that
/// claim the same id or number), id, 发文字号 and 索引号.
fn reg_key(d: &Document) -> u64 {
    let mut h = crate::hash::Hasher::new();
    (&d.src.path, &d.id, &d.doc_number, &d.index_number).hash(&mut h);
    h.digest()
}

/// What [`Resolved`] is a function of besides the documents' faces: the build date,
/// `--drafts`, the organs' and services' ids (indexes into the registries), the files
/// that did not load (a REF to one is said differently), how many items of each kind,
/// and each other item's face in order.
fn rest_key(c: &Content, date: Date, drafts: bool) -> u64 {
    let mut h = crate::hash::Hasher::new();
    (date, drafts).hash(&mut h);
    c.organs.iter().map(|o| &o.id).collect::<Vec<_>>().hash(&mut h);
    c.services.iter().map(|s| &s.id).collect::<Vec<_>>().hash(&mut h);
    for u in &c.unloaded {
        (&u.path, &u.names).hash(&mut h);
    }
    // (Not the documents': the memo keeps each one's face and path.)
    let counts = [c.interpretations.len(), c.topics.len(), c.pages.len(), c.decisions.len()];
    (c.unloaded.len(), counts, c.faqs.len(), c.issues.len()).hash(&mut h);
    let rest = (c.interpretations.iter().map(|i| &**i as &dyn Faced))
        .chain(c.topics.iter().map(|t| t as &dyn Faced))
        .chain(c.pages.iter().map(|p| p as &dyn Faced))
        .chain(c.decisions.iter().map(|d| d as &dyn Faced))
        .chain(c.faqs.iter().map(|f| f as &dyn Faced))
        .chain(c.issues.iter().map(|i| i as &dyn Faced));
    for item in rest {
        item.face().hash(&mut h);
    }
    h.digest()
}

/// An item's *face*: a hash of every field of it that resolving reads (its path, id, 发文字号
/// and 索引号, dates, visibility, validity, topics and tags, and each REF as written),
/// cached in its [`Source`]. Each kind's fields are all named, those resolving does not
/// read as `_`, so a new field cannot be left out unawares.
trait Faced {
    fn face(&self) -> u64;
}

fn faced(src: &Source, f: impl FnOnce(&mut crate::hash::Hasher)) -> u64 {
    *src.face.get_or_init(|| {
        let mut h = crate::hash::Hasher::new();
        src.path.hash(&mut h);
        f(&mut h);
        h.digest()
    })
}

fn refs(refs: &[Ref], h: &mut crate::hash::Hasher) {
    refs.iter().map(|r| &r.raw).collect::<Vec<_>>().hash(h);
}

impl Faced for Document {
    fn face(&self) -> u64 {
        #[rustfmt::skip]
        let Document {
            src, id, title: _, doc_number, index_number, issuer: _, doc_type: _, written: _, published, effective,
            expires, disclosure, draft, normative: _, registration: _, validity, topics, tags, basis, supporting,
            amends, repeals, related, services: _, attachments: _, faq: _, lang, translation_of, consult_url: _,
            aliases: _, body: _,
        } = self;
        faced(src, |h| {
            (id, doc_number, index_number, published, effective, expires, disclosure, draft, validity).hash(h);
            (topics, tags, lang.is_some(), translation_of.as_ref().map(|r| &r.raw)).hash(h);
            for list in [basis, supporting, amends, repeals, related] {
                refs(list, h);
            }
        })
    }
}

impl Faced for Interpretation {
    fn face(&self) -> u64 {
        #[rustfmt::skip]
        let Interpretation {
            src, id, title: _, interprets, form: _, published, issuer: _, video: _, image: _, draft, body: _,
        } = self;
        faced(src, |h| (id, &interprets.raw, published, draft).hash(h))
    }
}

impl Faced for Topic {
    fn face(&self) -> u64 {
        let Topic { src, id, title: _, documents, match_tags, match_topics, draft, body: _ } = self;
        faced(src, |h| {
            (id, match_tags, match_topics, draft).hash(h);
            refs(documents, h);
        })
    }
}

impl Faced for Page {
    fn face(&self) -> u64 {
        let Page { src, id, title: _, published, draft, body: _ } = self;
        faced(src, |h| (id, published, draft).hash(h))
    }
}

impl Faced for Decision {
    fn face(&self) -> u64 {
        let Decision { src, id, title: _, organ: _, year: _, status: _, stages, draft, body: _ } = self;
        faced(src, |h| {
            (id, draft).hash(h);
            let stages: Vec<Option<&str>> =
                stages.iter().map(|s| s.reference.as_ref().map(|r| r.raw.as_str())).collect();
            stages.hash(h);
        })
    }
}

impl Faced for FaqSet {
    fn face(&self) -> u64 {
        let FaqSet { src, for_ref, items: _, draft } = self;
        faced(src, |h| (&for_ref.raw, draft).hash(h))
    }
}

impl Faced for GazetteIssue {
    fn face(&self) -> u64 {
        let GazetteIssue { src, year, number, total: _, published, title: _, sections, draft } = self;
        faced(src, |h| {
            (year, number, published, draft).hash(h);
            for s in sections {
                let IssueSection { title: _, items } = s;
                refs(items, h);
            }
            sections.len().hash(h);
        })
    }
}

/// Newest first, then by 发文字号 and id so the order never depends on load order.
pub fn newest_first(a: &Document, b: &Document) -> std::cmp::Ordering {
    b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id))
}

/// Ids across all kinds. Of items sharing an id the first by path keeps it and each
/// other one is an error, whatever the load order.
fn register_ids(c: &Content, diags: &Diagnostics) -> FastMap<String, ItemId> {
    let (first, clash) = first_by_path(c.items().map(|t| (c.item(t).id(), t)), |t| c.item(t).src());
    if clash {
        for t in c.items() {
            let (id, src) = (c.item(t).id(), c.item(t).src());
            let keeper = first[id];
            if keeper != t {
                let loc = if src.yaml.contains("id:") { src.key("id") } else { src.file() };
                let prev = c.item(keeper).src();
                diags.push(
                    Diagnostic::error(&loc, format!("duplicate id `{id}`"))
                        .help(format!("`{}` already uses this id; ids must be unique across all content", prev.path)),
                );
            }
        }
    }
    first
}

/// 发文字号 and 索引号, each held by one document (the first by path, as ids are).
fn register_numbers(c: &Content, diags: &Diagnostics) -> FastMap<String, usize> {
    let src_of = |i: usize| &c.documents[i].src;
    let (numbers, number_clash) =
        first_by_path(c.documents.iter().enumerate().filter_map(|(i, d)| Some((d.doc_number.as_deref()?, i))), src_of);
    // 索引号 are only checked: a map of them is made only to say which are held twice.
    let index_numbers = || c.documents.iter().enumerate().filter_map(|(i, d)| Some((d.index_number.as_deref()?, i)));
    let index_clash = {
        let mut seen: FastSet<&str> = FastSet::with_capacity_and_hasher(c.documents.len(), Default::default());
        !index_numbers().all(|(n, _)| seen.insert(n))
    };
    let index_numbers = match index_clash {
        true => first_by_path(index_numbers(), src_of).0,
        false => FastMap::default(),
    };
    for (i, d) in c.documents.iter().enumerate().filter(|_| number_clash || index_clash) {
        let held = [
            (&d.doc_number, &numbers, "doc_number", "发文字号"),
            (&d.index_number, &index_numbers, "index_number", "索引号"),
        ];
        for (n, held_by, key, what) in held {
            let Some(n) = n else { continue };
            let Some(&keeper) = held_by.get(n.as_str()) else { continue };
            if keeper != i {
                diags.push(
                    Diagnostic::error(&d.src.key(key), format!("duplicate {what} `{n}`"))
                        .help(format!("`{}` has the same {what}", src_of(keeper).path)),
                );
            }
        }
    }
    numbers
}

/// Of names claimed by several items (ids, 发文字号), the item first by path (`src_of`)
/// keeps each: per name, that item, and whether any name was claimed twice. One pass in
/// any order (sorting every item's path first was a third of resolving), straight into
/// the map the index keeps (a map of borrowed names copied into it cost ~1 ms of the
/// 17 ms stage after an edit at 10,000 documents).
fn first_by_path<'a, T: Copy>(
    claims: impl Iterator<Item = (&'a str, T)>,
    src_of: impl Fn(T) -> &'a Source,
) -> (FastMap<String, T>, bool) {
    let mut first: FastMap<String, T> = FastMap::default();
    let mut clash = false;
    for (name, t) in claims {
        match first.get_mut(name) {
            None => {
                first.insert(name.to_string(), t);
            }
            Some(held) => {
                clash = true;
                if src_of(t).path < src_of(*held).path {
                    *held = t;
                }
            }
        }
    }
    (first, clash)
}

fn dedup_keep_order(v: &mut Vec<ItemId>) {
    if v.len() < 2 {
        return; // (most lists: no set to make)
    }
    let mut seen = FastSet::default();
    v.retain(|t| seen.insert(*t));
}

/// A document's relations as its front matter gives them, each REF checked: 政策依据,
/// 配套文件, amends, repeals and related, and what it is a translation of.
type Linked = ([Vec<ItemId>; 5], Option<ItemId>);

impl Resolved {
    /// The list on document `j` of the documents whose relation of `kind` (0 basis,
    /// 1 supporting, 2 amends, 3 repeals: the first four of [`Linked`]) names it.
    fn reverse(&mut self, j: usize, kind: usize) -> &mut Vec<ItemId> {
        let r = &mut self.rel[j];
        match kind {
            0 => &mut r.basis_of,
            1 => &mut r.supporting_of,
            2 => &mut r.amended_by,
            _ => &mut r.repealed_by,
        }
    }

    /// Record document `i`'s relations and, on each document they name, the reverse
    /// (in the order they come: [`sort_reverse`] puts them in theirs).
    fn add_links(&mut self, i: usize, linked: Linked) {
        let ([basis, supporting, amends, repeals, related], translation_of) = linked;
        let me = ItemId::Doc(i);
        for (kind, list) in [&basis, &supporting, &amends, &repeals].into_iter().enumerate() {
            for t in list {
                if let ItemId::Doc(j) = *t {
                    self.reverse(j, kind).push(me);
                }
            }
        }
        if let Some(ItemId::Doc(j)) = translation_of {
            self.rel[j].translations.push(DocIx(i));
            self.rel[i].translation_of = Some(DocIx(j));
        }
        let r = &mut self.rel[i];
        (r.basis, r.supporting, r.amends, r.repeals, r.related) = (basis, supporting, amends, repeals, related);
    }

    /// Undo [`Resolved::add_links`] of document `i`; the documents its relations named.
    fn remove_links(&mut self, i: usize) -> Vec<usize> {
        let me = ItemId::Doc(i);
        let r = &mut self.rel[i];
        let named = [&mut r.basis, &mut r.supporting, &mut r.amends, &mut r.repeals].map(std::mem::take);
        r.related.clear();
        let translation_of = r.translation_of.take();
        let mut touched = Vec::new();
        for (kind, list) in named.iter().enumerate() {
            for t in list {
                if let ItemId::Doc(j) = *t {
                    self.reverse(j, kind).retain(|&x| x != me);
                    touched.push(j);
                }
            }
        }
        if let Some(DocIx(j)) = translation_of {
            self.rel[j].translations.retain(|&x| x != DocIx(i));
            touched.push(j);
        }
        touched
    }
}

/// Whether topic `t`'s `match:` takes document `d` (one of its tags or topics).
fn matched_by(t: &Topic, d: &Document) -> bool {
    d.tags.iter().any(|x| t.match_tags.contains(x)) || d.topics.iter().any(|x| t.match_topics.contains(x))
}

/// `list` (documents, newest first) without the `changed` ones, then with those of them
/// in `now` each put back in its place.
fn put_back_newest_first(list: &mut Vec<usize>, changed: &[usize], now: impl IntoIterator<Item = usize>, c: &Content) {
    list.retain(|j| !changed.contains(j));
    for i in now {
        let at = list.partition_point(|&x| newest_first(&c.documents[x], &c.documents[i]).is_lt());
        list.insert(at, i);
    }
}

/// A document's lists of the items that name it, each in the order pages show it: the
/// newest document first; interpretations oldest first; translations in item order.
fn sort_reverse(r: &mut DocRelations, c: &Content) {
    for v in [&mut r.basis_of, &mut r.supporting_of, &mut r.amended_by, &mut r.repealed_by] {
        v.sort_by(|a, b| match (a, b) {
            (ItemId::Doc(x), ItemId::Doc(y)) => newest_first(&c.documents[*x], &c.documents[*y]),
            _ => a.cmp(b),
        });
    }
    r.interpretations
        .sort_by(|&a, &b| c.interpretations[a].published.cmp(&c.interpretations[b].published).then(a.cmp(&b)));
    r.translations.sort_unstable();
}

/// CONTRACT §4: explicit `validity` wins; else repealed → amended → expired → not yet
/// effective → valid, at the build date; with the document that repealed or amended it.
fn set_validity(d: &Document, r: &mut DocRelations, date: Date) {
    let first = |v: &[ItemId]| v.iter().find_map(|t| if let ItemId::Doc(j) = t { Some(*j) } else { None });
    let (validity, cause) = if let Some(v) = d.validity {
        (
            v,
            match v {
                Validity::Repealed => first(&r.repealed_by),
                Validity::Amended => first(&r.amended_by),
                _ => None,
            },
        )
    } else if let Some(j) = first(&r.repealed_by) {
        (Validity::Repealed, Some(j))
    } else if let Some(j) = first(&r.amended_by) {
        (Validity::Amended, Some(j))
    } else if d.expires.is_some_and(|e| e < date) {
        (Validity::Expired, None)
    } else if d.effective.is_some_and(|e| e > date) {
        (Validity::NotYetEffective, None)
    } else {
        (Validity::Valid, None)
    };
    r.validity = validity;
    r.validity_cause = cause.map(DocIx);
}

#[cfg(test)]
mod tests {
    use super::{Citations, Index, Memo, Way};
    use crate::diag::Diagnostics;
    use crate::model::ItemId;
    use std::path::Path;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// Document `id`, published on `date`, with more front matter.
    /// (In file `<id>.md`, unless `more` gives another id.)
    fn doc(root: &Path, id: &str, date: &str, more: &str) {
        let own = if more.starts_with("id:") { String::new() } else { format!("id: {id}\n") };
        let text = format!("---\n{own}title: 文件{id}\nissuer: qzf\npublished: {date}\n{more}---\n\n正文。\n");
        write(root, &format!("content/documents/{id}.md"), &text);
    }

    /// Edits of a few documents' front matter, one build after each, keeping a memo as
    /// `serve --watch` does: each build's `Resolved` is the one a build without a memo
    /// makes, whether it was patched (each kind of edit serve patches: dates, relations,
    /// translations, topics and tags, validity, expiry) or resolved anew (an id, a new
    /// document, a REF that does not resolve), and so are its diagnostics.
    #[test]
    fn a_patched_resolve_is_the_resolve_of_the_edited_site() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "gazette.yaml", "title: 测试\nbase_url: https://example.gov.cn/\n");
        write(root, "content/organs.yaml", "- id: qzf\n  name: 测试区人民政府\n");
        write(
            root,
            "content/topics/qy.md",
            "---\nid: qy\ntitle: 企业\ndocuments: [c]\nmatch:\n  tags: [企业]\n---\n\n主题。\n",
        );
        doc(root, "a", "2024-05-01", "tags: [企业]\n");
        doc(root, "b", "2023-03-01", "basis: [a]\n");
        doc(root, "c", "2022-01-01", "");
        doc(root, "d", "2021-06-01", "amends: [c]\n");
        doc(root, "e", "2020-02-01", "basis: [a, c]\ntags: [企业]\n");
        doc(root, "f", "2019-01-01", "");
        doc(root, "g", "2018-01-01", "");
        let (cfg, _) = crate::config::load(root, None).expect("config");
        let date = crate::date::Date { year: 2026, month: 1, day: 1 };
        let memo = Memo::default();
        let build = |with: Option<&Memo>| {
            let diags = Diagnostics::default();
            let content = crate::load::load(root, &cfg, &diags);
            let ix = Index::build_with(content, date, false, &diags, with);
            // (The registries in the order of their names: a map's own order depends on
            // what was put in when.)
            let mut r = (*ix.resolved).clone();
            let ids: std::collections::BTreeMap<_, _> = r.ids.iter().map(|(k, v)| (k.clone(), *v)).collect();
            let numbers: std::collections::BTreeMap<_, _> = r.numbers.iter().map(|(k, v)| (k.clone(), *v)).collect();
            (r.ids, r.numbers) = Default::default();
            (format!("{r:?} {ids:?} {numbers:?}"), diags.into_sorted())
        };
        let (first, said) = build(Some(&memo));
        assert!(said.is_empty(), "{said:?}");
        assert_eq!(memo.last_way(), Some(Way::Resolved));
        assert!(first.contains("validity: Amended"), "d amends c");
        // (What each edit writes, and how the build with the memo comes by its
        // `Resolved`: `None` when it reported something, and keeps none.)
        type Edit<'a> = (&'a str, &'a [(&'a str, &'a str, &'a str)], Option<Way>);
        let edits: &[Edit] = &[
            ("nothing", &[], Some(Way::Kept)),
            ("a date across the others", &[("a", "2019-06-01", "tags: [企业]\n")], Some(Way::Patched)),
            ("a relation added", &[("c", "2022-01-01", "basis: [a]\nrepeals: [f]\n")], Some(Way::Patched)),
            ("the repealing one newer", &[("c", "2021-07-01", "basis: [a]\nrepeals: [f]\n")], Some(Way::Patched)),
            (
                "tags a topic matches, an expiry",
                &[("f", "2019-01-01", "tags: [企业]\nexpires: 2025-01-01\n")],
                Some(Way::Patched),
            ),
            ("a translation", &[("b", "2023-03-01", "basis: [a]\nlang: en\ntranslation_of: e\n")], Some(Way::Patched)),
            (
                "two at once: relations moved and dropped, validity set",
                &[("e", "2025-02-01", "basis: [c]\nvalidity: 失效\n"), ("d", "2018-06-01", "repeals: [c]\n")],
                Some(Way::Patched),
            ),
            ("a date moved back, a tag dropped", &[("a", "2024-05-01", "")], Some(Way::Patched)),
            ("an id changed", &[("g", "2018-01-01", "id: g2\n")], Some(Way::Resolved)),
            ("a document embargoed", &[("g", "2027-01-01", "id: g2\n")], Some(Way::Resolved)),
            ("a REF that does not resolve", &[("a", "2024-05-01", "basis: [zz]\n")], None),
            ("the REF mended", &[("a", "2024-05-01", "")], Some(Way::Resolved)),
            ("a relation to itself", &[("b", "2023-03-01", "basis: [b]\n")], None),
            ("mended, then a date", &[("b", "2023-03-01", "")], Some(Way::Resolved)),
            ("a date", &[("b", "2016-03-01", "")], Some(Way::Patched)),
            // Documents added (no date: the file deleted).
            (
                "a document added between others",
                &[("bb", "2023-06-01", "basis: [a]\ntags: [企业]\n")],
                Some(Way::Patched),
            ),
            (
                "one added first, one last, naming documents on both sides",
                &[
                    ("aa", "2025-01-01", "amends: [bb]\nrepeals: [e]\nrelated: [c]\n"),
                    ("zz", "2017-01-01", "basis: [f, aa]\ndoc_number: 测政发〔2024〕1号\nindex_number: X-1\n"),
                ],
                Some(Way::Patched),
            ),
            (
                "one added, another's date and relations changed",
                &[("ca", "2026-01-01", "supporting: [zz]\ntags: [企业]\n"), ("d", "2015-01-01", "repeals: [bb]\n")],
                Some(Way::Patched),
            ),
            ("a draft added", &[("cb", "2022-03-01", "draft: true\n")], Some(Way::Patched)),
            ("an embargoed one added", &[("cc", "2030-01-01", "")], Some(Way::Patched)),
            ("an added one with an id another holds", &[("cd", "2022-03-01", "id: c\n")], None),
            ("its own id", &[("cd", "2022-03-01", "")], Some(Way::Resolved)),
            (
                "an added one with a 发文字号 another holds",
                &[("ce", "2022-03-01", "doc_number: 测政发〔2024〕1号\n")],
                None,
            ),
            ("another 发文字号", &[("ce", "2022-03-01", "doc_number: 测政发〔2024〕2号\n")], Some(Way::Resolved)),
            ("an added one with an 索引号 another holds", &[("cf", "2022-03-01", "index_number: X-1\n")], None),
            ("taken out", &[("cf", "", "")], Some(Way::Resolved)),
            ("an added one with a REF that does not resolve", &[("cg", "2022-03-01", "basis: [nope]\n")], None),
            ("mended", &[("cg", "2022-03-01", "")], Some(Way::Resolved)),
            ("a document deleted", &[("cb", "", "")], Some(Way::Resolved)),
            ("and added again", &[("cb", "2022-03-01", "basis: [a]\n")], Some(Way::Patched)),
            ("a document others name deleted", &[("bb", "", "")], None),
        ];
        for (what, docs, way) in edits {
            for (id, date, more) in *docs {
                match date.is_empty() {
                    true => std::fs::remove_file(root.join(format!("content/documents/{id}.md"))).expect("rm"),
                    false => doc(root, id, date, more),
                }
            }
            let (with, said_with) = build(Some(&memo));
            let (fresh, said) = build(None);
            assert_eq!(with, fresh, "{what}");
            assert_eq!(format!("{said_with:?}"), format!("{said:?}"), "{what}");
            assert_eq!(memo.last_way(), *way, "{what}");
        }
    }

    #[test]
    fn citations_list_each_citing_item_once_in_item_order() {
        let pairs = vec![
            (2, ItemId::Doc(5)),
            (0, ItemId::Interp(1)),
            (2, ItemId::Doc(1)),
            (0, ItemId::Doc(3)),
            (2, ItemId::Doc(5)),
            (9, ItemId::Doc(0)),
        ];
        let c = Citations::from_pairs(4, pairs);
        let mut set: Vec<ItemId> = [ItemId::Interp(1), ItemId::Doc(3)].into();
        set.sort();
        assert_eq!(c.of(0), &set[..], "in the order a set of items is in");
        assert_eq!(c.of(1), &[] as &[ItemId], "a document nothing cites");
        assert_eq!(c.of(2), &[ItemId::Doc(1), ItemId::Doc(5)], "each citing item once");
        assert_eq!(c.of(3), &[] as &[ItemId]);
        assert_eq!(c.of(9), &[] as &[ItemId], "a citation of no document is dropped");
        assert_eq!(Citations::default().of(0), &[] as &[ItemId], "before the bodies stage: none");
    }
}
