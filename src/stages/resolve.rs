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
use std::collections::{BTreeSet, HashMap};

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
    /// Every published item whose body cites this one (filled after bodies are rendered).
    pub cited_by: BTreeSet<ItemId>,
    pub validity: Validity,
    /// The document that repealed or amended this one, for the validity note.
    pub validity_cause: Option<DocIx>,
}

/// The resolved site: the loaded content (owned, so a built site can be kept and handed
/// on, as `serve --watch` does) with everything the later stages look up.
pub struct Index {
    pub content: Content,
    pub date: Date,
    pub drafts: bool,
    ids: FastMap<String, ItemId>,
    numbers: FastMap<String, usize>,
    /// Why each item is not published (`None`: it is), CONTRACT §5.
    hidden: ItemMap<Option<Hidden>>,
    hidden_faqs: Vec<bool>,
    hidden_issues: Vec<bool>,
    pub organs: FastMap<String, usize>,
    pub services: FastMap<String, usize>,
    pub rel: Vec<DocRelations>,
    /// Topic members, resolved (explicit documents, then matches), newest first.
    pub topic_docs: Vec<Vec<usize>>,
    /// FAQ set → the document it is for.
    pub faq_for: Vec<Option<DocIx>>,
    /// Interpretation → the document it interprets.
    pub interp_of: Vec<Option<DocIx>>,
    /// Published documents, newest first (see [`Index::published_documents`]).
    published_docs: Vec<usize>,
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
        let c = &content;
        let hidden = ItemMap::new(c, |t, item| match t {
            ItemId::Doc(i) if c.documents[i].disclosure != Disclosure::Active => {
                Some(Hidden::Disclosure(c.documents[i].disclosure))
            }
            _ => hidden_by(item.draft(), item.published(), date, drafts),
        });
        // (Two passes over the library that need nothing of each other: side by side.)
        let (ids, numbers) = rayon::join(|| register_ids(c, diags), || register_numbers(c, diags));
        let mut ix = Index {
            date,
            drafts,
            ids,
            numbers,
            hidden,
            hidden_faqs: c.faqs.iter().map(|f| hidden_by(f.draft, None, date, drafts).is_some()).collect(),
            hidden_issues: c
                .issues
                .iter()
                .map(|i| hidden_by(i.draft, Some(i.published), date, drafts).is_some())
                .collect(),
            organs: c.organs.iter().enumerate().map(|(i, o)| (o.id.clone(), i)).collect(),
            services: c.services.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect(),
            rel: vec![DocRelations::default(); c.documents.len()],
            topic_docs: vec![Vec::new(); c.topics.len()],
            faq_for: vec![None; c.faqs.len()],
            interp_of: vec![None; c.interpretations.len()],
            published_docs: Vec::new(),
            content, // last: the fields above read it
        };
        ix.wait_for_embargoed();
        ix.link_documents(diags);
        ix.link_others(diags);
        ix.derive_validity();
        ix.published_docs = {
            let c = &ix.content;
            let mut v: Vec<usize> = (0..c.documents.len()).filter(|&i| ix.doc_visible(i)).collect();
            v.sort_by(|&a, &b| newest_first(&c.documents[a], &c.documents[b]));
            v
        };
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
        for (k, it) in c.interpretations.iter().enumerate() {
            let me = ItemId::Interp(k);
            if let (None, Some(d)) = (self.hidden(me), embargo_of(self, &it.interprets)) {
                *self.hidden.get_mut(me) = Some(Hidden::Embargoed(it.published.map_or(d, |p| p.max(d))));
            }
        }
        for (k, f) in c.faqs.iter().enumerate() {
            if !self.hidden_faqs[k] && embargo_of(self, &f.for_ref).is_some() {
                self.hidden_faqs[k] = true;
            }
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

    fn check_refs(&self, from: &Source, refs: &[Ref], diags: &Diagnostics) -> Vec<ItemId> {
        let mut out: Vec<ItemId> = refs
            .iter()
            .filter_map(|r| {
                let t = self.check_ref(from, r, true, diags)?;
                if self.source(t).path == from.path {
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
        let linked: Vec<Option<[Vec<ItemId>; 5]>> = (0..self.content.documents.len())
            .into_par_iter()
            .map(|i| {
                let d = &self.content.documents[i];
                self.doc_visible(i).then(|| {
                    let mut related: Vec<ItemId> =
                        d.related.iter().filter_map(|r| self.check_ref(&d.src, r, false, diags)).collect();
                    dedup_keep_order(&mut related);
                    [
                        self.check_refs(&d.src, &d.basis, diags),
                        self.check_refs(&d.src, &d.supporting, diags),
                        self.check_refs(&d.src, &d.amends, diags),
                        self.check_refs(&d.src, &d.repeals, diags),
                        related,
                    ]
                })
            })
            .collect();
        let c = &self.content;
        for (i, (d, linked)) in c.documents.iter().zip(linked).enumerate() {
            let Some([basis, supporting, amends, repeals, related]) = linked else { continue };
            // (After the others, as before: its diagnostics sort by line anyway.)
            let translation_of = d.translation_of.as_ref().and_then(|r| self.check_ref(&d.src, r, true, diags));
            let me = ItemId::Doc(i);
            for t in &basis {
                if let ItemId::Doc(j) = *t {
                    self.rel[j].basis_of.push(me);
                }
            }
            for t in &supporting {
                if let ItemId::Doc(j) = *t {
                    self.rel[j].supporting_of.push(me);
                }
            }
            for t in &amends {
                if let ItemId::Doc(j) = *t {
                    self.rel[j].amended_by.push(me);
                }
            }
            for t in &repeals {
                if let ItemId::Doc(j) = *t {
                    self.rel[j].repealed_by.push(me);
                }
            }
            if let Some(ItemId::Doc(j)) = translation_of {
                if d.lang.is_none() {
                    diags.push(
                        Diagnostic::error(&d.src.key("translation_of"), "a translation needs `lang`")
                            .help("add the language of this version, e.g. `lang: en`"),
                    );
                }
                self.rel[j].translations.push(DocIx(i));
                self.rel[i].translation_of = Some(DocIx(j));
            }
            let r = &mut self.rel[i];
            r.basis = basis;
            r.supporting = supporting;
            r.amends = amends;
            r.repeals = repeals;
            r.related = related;
        }
    }

    fn link_others(&mut self, diags: &Diagnostics) {
        let c = &self.content;
        for (k, it) in c.interpretations.iter().enumerate() {
            if !self.visible(ItemId::Interp(k)) {
                continue;
            }
            if let Some(ItemId::Doc(j)) = self.check_ref(&it.src, &it.interprets, true, diags) {
                self.rel[j].interpretations.push(InterpIx(k));
                self.interp_of[k] = Some(DocIx(j));
            }
        }
        for (k, f) in c.faqs.iter().enumerate() {
            if !self.faq_visible(k) {
                continue;
            }
            if let Some(ItemId::Doc(j)) = self.check_ref(&f.src, &f.for_ref, true, diags) {
                self.rel[j].faq_sets.push(FaqIx(k));
                self.faq_for[k] = Some(DocIx(j));
            }
        }
        let mut seen_issue: HashMap<(u16, u32), &str> = HashMap::new();
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
                        if !self.rel[j].issues.contains(&IssueIx(k)) {
                            self.rel[j].issues.push(IssueIx(k));
                        }
                    }
                }
            }
        }
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
                    if self.doc_visible(j)
                        && (d.tags.iter().any(|x| t.match_tags.contains(x))
                            || d.topics.iter().any(|x| t.match_topics.contains(x)))
                    {
                        docs.push(j);
                    }
                }
            }
            docs.sort_by(|&a, &b| newest_first(&c.documents[a], &c.documents[b]));
            docs.dedup();
            for &j in &docs {
                self.rel[j].topics.push(TopicIx(k));
            }
            self.topic_docs[k] = docs;
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
        for r in &mut self.rel {
            for v in [&mut r.basis_of, &mut r.supporting_of, &mut r.amended_by, &mut r.repealed_by] {
                v.sort_by(|a, b| match (a, b) {
                    (ItemId::Doc(x), ItemId::Doc(y)) => newest_first(&c.documents[*x], &c.documents[*y]),
                    _ => a.cmp(b),
                });
            }
            r.interpretations
                .sort_by(|&a, &b| c.interpretations[a].published.cmp(&c.interpretations[b].published).then(a.cmp(&b)));
        }
    }

    /// CONTRACT §4: explicit `validity` wins; else repealed → amended → expired →
    /// not yet effective → valid, at the build date.
    fn derive_validity(&mut self) {
        let c = &self.content;
        for (i, d) in c.documents.iter().enumerate() {
            let r = &mut self.rel[i];
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
            } else if d.expires.is_some_and(|e| e < self.date) {
                (Validity::Expired, None)
            } else if d.effective.is_some_and(|e| e > self.date) {
                (Validity::NotYetEffective, None)
            } else {
                (Validity::Valid, None)
            };
            r.validity = validity;
            r.validity_cause = cause.map(DocIx);
        }
    }

    /// Published documents, newest first: the order of every listing.
    pub fn published_documents(&self) -> &[usize] {
        &self.published_docs
    }

    /// The 发文机关 of a document, as registry entries (unknown ids were reported at load).
    pub fn issuers(&self, i: usize) -> Vec<&Organ> {
        let c = &self.content;
        c.documents[i].issuer.iter().filter_map(|o| self.organs.get(o.as_str())).map(|&k| &c.organs[k]).collect()
    }

    /// The 发文机关 of a document by name, joined as listings show them (`甲、乙`).
    pub fn issuer_names(&self, i: usize) -> String {
        self.issuers(i).iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join("、")
    }

    /// Published interpretations, newest first: the order of every list of them.
    pub fn published_interpretations(&self) -> Vec<usize> {
        let c = &self.content;
        let mut v: Vec<usize> = (0..c.interpretations.len()).filter(|&k| self.visible(ItemId::Interp(k))).collect();
        v.sort_by(|&a, &b| c.interpretations[b].published.cmp(&c.interpretations[a].published).then(a.cmp(&b)));
        v
    }

    pub fn loc_of(&self, t: ItemId) -> Loc {
        self.source(t).file()
    }
}

/// Newest first, then by 发文字号 and id so the order never depends on load order.
pub fn newest_first(a: &Document, b: &Document) -> std::cmp::Ordering {
    b.published.cmp(&a.published).then_with(|| a.id.cmp(&b.id))
}

/// Ids across all kinds. Of items sharing an id the first by path keeps it and each
/// other one is an error, whatever the load order.
fn register_ids(c: &Content, diags: &Diagnostics) -> FastMap<String, ItemId> {
    let claims = c.items().map(|t| (c.item(t).id(), t, c.item(t).src()));
    let (first, clash) = first_by_path(claims);
    if clash {
        for t in c.items() {
            let (id, src) = (c.item(t).id(), c.item(t).src());
            let (keeper, prev) = first[id];
            if keeper != t {
                let loc = if src.yaml.contains("id:") { src.key("id") } else { src.file() };
                diags.push(
                    Diagnostic::error(&loc, format!("duplicate id `{id}`"))
                        .help(format!("`{}` already uses this id; ids must be unique across all content", prev.path)),
                );
            }
        }
    }
    first.into_iter().map(|(id, (t, _))| (id.to_string(), t)).collect()
}

/// 发文字号 and 索引号, each held by one document (the first by path, as ids are).
fn register_numbers(c: &Content, diags: &Diagnostics) -> FastMap<String, usize> {
    let (numbers, number_clash) =
        first_by_path(c.documents.iter().enumerate().filter_map(|(i, d)| Some((d.doc_number.as_deref()?, i, &d.src))));
    let (index_numbers, index_clash) = first_by_path(
        c.documents.iter().enumerate().filter_map(|(i, d)| Some((d.index_number.as_deref()?, i, &d.src))),
    );
    for (i, d) in c.documents.iter().enumerate().filter(|_| number_clash || index_clash) {
        let held = [
            (&d.doc_number, &numbers, "doc_number", "发文字号"),
            (&d.index_number, &index_numbers, "index_number", "索引号"),
        ];
        for (n, held_by, key, what) in held {
            let Some(n) = n else { continue };
            let (keeper, prev) = held_by[n.as_str()];
            if keeper != i {
                diags.push(
                    Diagnostic::error(&d.src.key(key), format!("duplicate {what} `{n}`"))
                        .help(format!("`{}` has the same {what}", prev.path)),
                );
            }
        }
    }
    numbers.into_iter().map(|(n, (i, _))| (n.to_string(), i)).collect()
}

/// Of names claimed by several items (ids, 发文字号), the item first by path keeps each:
/// per name, that item and its source, and whether any name was claimed twice. One pass
/// in any order (sorting every item's path first was a third of resolving).
fn first_by_path<'a, T: Copy>(
    claims: impl Iterator<Item = (&'a str, T, &'a Source)>,
) -> (FastMap<&'a str, (T, &'a Source)>, bool) {
    let mut first: FastMap<&str, (T, &Source)> = FastMap::default();
    let mut clash = false;
    for (name, t, src) in claims {
        match first.entry(name) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert((t, src));
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                clash = true;
                if src.path < o.get().1.path {
                    o.insert((t, src));
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
