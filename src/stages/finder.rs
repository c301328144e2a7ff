//! The 政策找人 finder's static index (`finder/`): which policies carry each 需求侧标签
//! value, so a page can answer "which policies are for me?" by fetching one small list
//! per value picked, as search does for its terms. The client is
//! `themes/default/static/finder.js`.
//!
//! Files, under `finder/`:
//! - `config.json`: `{count, older, chunk, values: {value: n}}`;
//! - `t/<n>.json`: the positions of value `n`'s documents, ascending, as deltas;
//! - `meta/<k>.json`: documents `k*chunk ..`: what a result line shows.
//!
//! Positions order the tagged documents the reverse of how the finder lists them: the
//! repealed and expired ones first (positions below `older`), then the policies in force
//! (valid, not yet effective, amended), each oldest first; the client shows an
//! intersection of ascending lists from its end. So a policy published today takes the
//! next position and every other document keeps its own: its build rewrites the lists of
//! its own values and the last metadata chunk, not all of them (as search numbers its
//! items, `search`). Only published documents are indexed (CONTRACT §5).

use crate::model::Validity;
use crate::render::Renderer;
use crate::resolve::ItemId;
use serde_json::json;
use std::sync::Arc;

/// Documents per metadata file: one page of results.
const CHUNK: usize = 20;

/// The result lines (JSON) of the previous build in this process (`serve --watch`), by
/// the inputs key of their document (`Renderer::finder_inputs`): an edit makes only the
/// lines of the documents it changed. Holds one build's worth.
pub type Memo = crate::render::KeptByInputs<Arc<str>>;

/// Build the finder's files and hand each to `emit(path, json)`.
pub fn build(r: &Renderer, memo: Option<&Memo>, emit: &mut dyn FnMut(String, String)) {
    let ix = r.ix;
    let c = &ix.content;
    let in_force = |i: usize| !matches!(ix.rel[i].validity, Validity::Repealed | Validity::Expired);
    let tagged: Vec<usize> =
        ix.published_documents().iter().copied().filter(|&i| !c.documents[i].tags.is_empty()).collect();
    // (`published_documents` is newest first.)
    let mut order: Vec<usize> = tagged.iter().rev().copied().filter(|&i| !in_force(i)).collect();
    let older = order.len();
    order.extend(tagged.iter().rev().copied().filter(|&i| in_force(i)));
    // Per document, its position (`u32::MAX`: none): looked up for each of its tags, a
    // map's hashing and probing was a tenth of the finder after an edit at 100,000.
    let mut position = vec![u32::MAX; c.documents.len()];
    for (p, &i) in order.iter().enumerate() {
        position[i] = p as u32;
    }

    let mut values = serde_json::Map::new();
    for (n, (value, _, docs)) in r.tag_listings().enumerate() {
        let mut pos: Vec<u32> =
            docs.iter().filter_map(|&i| position.get(i).copied().filter(|&p| p != u32::MAX)).collect();
        pos.sort_unstable();
        // The same delta lists as search's postings (finder.js decodes them alike).
        let mut list = crate::search::Postings::default();
        pos.into_iter().for_each(|p| list.push(p));
        values.insert(value.to_string(), json!(n));
        emit(format!("finder/t/{n}.json"), list.json());
    }
    let mut put = |k: usize, lines: &[Arc<str>]| {
        let mut json = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum::<usize>() + 1);
        for l in lines {
            json.push(if json.is_empty() { '[' } else { ',' });
            json.push_str(l);
        }
        json.push(']');
        emit(format!("finder/meta/{k}.json"), json);
    };
    match memo {
        Some(_) => {
            let lines = crate::render::made_or_kept(memo, &order, |&i| r.finder_inputs(i), |&i| line(r, i));
            lines.chunks(CHUNK).enumerate().for_each(|(k, chunk)| put(k, chunk));
        }
        // A one-off build makes a chunk's lines at a time: none wait in memory.
        None => order.chunks(CHUNK).enumerate().for_each(|(k, chunk)| {
            put(k, &chunk.iter().map(|&i| line(r, i)).collect::<Vec<_>>());
        }),
    }
    let config = json!({ "count": order.len(), "older": older, "chunk": CHUNK, "values": values });
    emit("finder/config.json".into(), config.to_string());
}

/// What a result line shows of document `i`, as a JSON array.
fn line(r: &Renderer, i: usize) -> Arc<str> {
    let ix = r.ix;
    let c = &ix.content;
    let d = &c.documents[i];
    let rel = &ix.rel[i];
    let services: Vec<(&str, &str)> = d
        .services
        .iter()
        .filter_map(|s| ix.services.get(s.as_str()))
        .map(|&s| (c.services[s].name.as_str(), c.services[s].url.as_str()))
        .collect();
    let interpretations: Vec<(&str, String)> = rel
        .interpretations
        .iter()
        .map(|&k| (c.interpretations[k.0].title.as_str(), ix.url(ItemId::Interp(k.0))))
        .collect();
    let line = (
        &d.title,
        ix.url(ItemId::Doc(i)),
        &d.doc_number,
        ix.issuer_names(i),
        d.published.to_string(),
        rel.validity.label(),
        rel.validity.slug(),
        services,
        interpretations,
        &d.tags,
    );
    serde_json::to_string(&line).unwrap_or_default().into()
}
