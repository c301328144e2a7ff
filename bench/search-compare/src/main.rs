//! Recall, index size and build cost of two Chinese search indexes over the same corpus:
//! gazette's character bigrams and jieba-rs words (`cut_for_search`). Queries are
//! substrings of document titles (2, 3 and 4 characters), as readers type them; a query
//! counts as found when its own document matches (AND of the query's terms).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

fn docs(root: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(format!("{root}/content/documents")).sort_by_file_name().into_iter().flatten() {
        if !e.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let mut parts = text.splitn(3, "---\n");
        parts.next();
        let fm = parts.next().unwrap_or("");
        let body = parts.next().unwrap_or("").to_string();
        let title = fm.lines().find_map(|l| l.strip_prefix("title: ")).unwrap_or("").trim_matches('"').to_string();
        out.push((title, body));
    }
    out
}

/// Document ids (file stems), in the order `docs` reads them.
fn ids(root: &str) -> Vec<String> {
    walkdir::WalkDir::new(format!("{root}/content/documents"))
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
        .collect()
}

/// Postings-size estimate in the shipped format: 16-char key + decimal deltas.
fn size(postings: &HashMap<String, Vec<u32>>) -> usize {
    postings
        .values()
        .map(|v| {
            let mut prev = 0;
            20 + v.iter().map(|&x| {
                let d = x - prev;
                prev = x;
                d.to_string().len() + 1
            }).sum::<usize>()
        })
        .sum()
}

fn index(docs: &[(String, String)], terms: &dyn Fn(&str) -> Vec<String>) -> (HashMap<String, Vec<u32>>, Vec<HashSet<String>>, f64) {
    let t = Instant::now();
    let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
    let mut sets = Vec::new();
    for (n, (title, body)) in docs.iter().enumerate() {
        let set: HashSet<String> = terms(&format!("{title} {body}")).into_iter().collect();
        for term in &set {
            postings.entry(term.clone()).or_default().push(n as u32);
        }
        sets.push(set);
    }
    (postings, sets, t.elapsed().as_secs_f64())
}

fn main() {
    let root = std::env::args().nth(1).expect("usage: search-compare CORPUS_DIR");
    let docs = docs(&root);
    let jieba = jieba_rs::Jieba::new();
    let bigram = |s: &str| gazette::search::terms(s);
    let words = |s: &str| -> Vec<String> {
        jieba.cut_for_search(s, true).into_iter().map(|w| w.word.trim().to_lowercase()).filter(|w| w.chars().any(|c| c.is_alphanumeric())).collect()
    };
    let (bp, bs, bt) = index(&docs, &bigram);
    let (jp, js, jt) = index(&docs, &words);

    // Queries: 2-, 3- and 4-character substrings of every 25th title, at two offsets.
    let mut queries: Vec<(usize, String)> = Vec::new();
    for (n, (title, _)) in docs.iter().enumerate().step_by(25) {
        let chars: Vec<char> = title.chars().filter(|c| gazette::markdown::is_cjk(*c) && c.is_alphanumeric()).collect();
        for len in [2, 3, 4] {
            for off in [chars.len() / 3, chars.len() / 2] {
                if off + len <= chars.len() {
                    queries.push((n, chars[off..off + len].iter().collect()));
                }
            }
        }
    }
    let recall = |sets: &[HashSet<String>], f: &dyn Fn(&str) -> Vec<String>| {
        let found = queries.iter().filter(|(n, q)| {
            let t = f(q);
            !t.is_empty() && t.iter().all(|x| sets[*n].contains(x))
        });
        found.count() as f64 / queries.len() as f64
    };
    let (br, jr) = (recall(&bs, &bigram), recall(&js, &words));
    // Recall on every n-th query only: the sample pagefind.mjs runs (Pagefind is slow).
    if let Some(every) = std::env::var("EVERY").ok().and_then(|e| e.parse::<usize>().ok()) {
        let sample: Vec<&(usize, String)> = queries.iter().step_by(every).collect();
        let hit = |sets: &[HashSet<String>], f: &dyn Fn(&str) -> Vec<String>| {
            sample.iter().filter(|(n, q)| { let t = f(q); !t.is_empty() && t.iter().all(|x| sets[*n].contains(x)) }).count()
        };
        println!("sample of {} queries: bigrams {} found, jieba {} found", sample.len(), hit(&bs, &bigram), hit(&js, &words));
    }
    // The same queries for pagefind.mjs, which asks Pagefind in Chromium.
    if let Ok(path) = std::env::var("QUERIES_OUT") {
        let ids = ids(&root);
        let list: Vec<serde_json::Value> =
            queries.iter().map(|(n, q)| serde_json::json!({"id": ids[*n], "q": q})).collect();
        std::fs::write(&path, serde_json::to_string(&list).unwrap_or_default()).ok();
    }
    println!("corpus: {root}, {} documents, {} title-substring queries", docs.len(), queries.len());
    println!("| index | recall | terms | postings size | build (tokenize + postings, 1 core) |");
    println!("|---|---|---|---|---|");
    println!("| character bigrams (shipped) | {:.1}% | {} | {:.1} MB | {:.2} s |", br * 100.0, bp.len(), size(&bp) as f64 / 1e6, bt);
    println!("| jieba-rs cut_for_search | {:.1}% | {} | {:.1} MB | {:.2} s |", jr * 100.0, jp.len(), size(&jp) as f64 / 1e6, jt);
}
