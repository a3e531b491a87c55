//! Every word must find itself: a player's word typed alone is its own nearest neighbour.

use crate::common::{engine, rng};
use word_bocce::embeddings::WordId;
use word_bocce::index::hnsw::EMPTY;
use word_bocce::index::{NearestIndex, NoSkip};

const SAMPLE: usize = 10_000;

#[test]
fn sampled_words_find_themselves_first() {
    let e = engine();
    let n = e.emb.len();
    let ids: Vec<WordId> = rand::seq::index::sample(&mut rng(0x5e1f), n, SAMPLE)
        .into_iter()
        .map(|i| i as WordId)
        .collect();

    let mut hnsw_misses = Vec::new();
    let mut exact_misses = Vec::new();
    for &id in &ids {
        let v = e.emb.vector(id);
        let hnsw = e.hnsw.search(v, 1, &NoSkip, &[]);
        assert_eq!(hnsw.len(), 1, "HNSW returned {} hits for k = 1", hnsw.len());
        if hnsw[0].id != id {
            hnsw_misses.push((id, hnsw[0].id));
        }
        let exact = e.exact.top_k(v, 1, &NoSkip);
        if exact.first().map(|h| h.id) != Some(id) {
            exact_misses.push((id, exact.first().map(|h| h.id)));
        }
    }
    let show = |m: &[(WordId, WordId)]| -> Vec<String> {
        m.iter()
            .take(10)
            .map(|&(a, b)| format!("{} -> {}", e.emb.word(a), e.emb.word(b)))
            .collect()
    };
    assert!(
        exact_misses.is_empty(),
        "the exact index missed {} of {SAMPLE} words' own vectors, e.g. {:?}",
        exact_misses.len(),
        &exact_misses[..exact_misses.len().min(10)]
    );
    // Observed: 9,999 of 10,000 (99.99%); over all 100,000 words, 7 misses, one of them the
    // only word with no incoming layer-0 link ("alcohols", id 50000: rayon's split point).
    let found = (SAMPLE - hnsw_misses.len()) as f64 / SAMPLE as f64;
    eprintln!(
        "self-retrieval with HNSW (ef {}, unseeded): {:.4}% ({} misses)",
        e.hnsw.params.ef_search,
        100.0 * found,
        hnsw_misses.len()
    );
    assert!(
        found >= 0.999,
        "HNSW found {:.4}% of {SAMPLE} sampled words first (need >= 99.9%); misses: {:?}",
        100.0 * found,
        show(&hnsw_misses)
    );
}

/// Words are linked into the graph: every one has layer-0 neighbours, and (nearly) every one is
/// some word's layer-0 neighbour: a word nobody links to is found only as a seed or entry point.
/// Observed: one such word in 100,000 ("alcohols"); at most one in 10,000 is tolerated.
#[test]
fn every_word_is_linked_into_the_graph() {
    let e = engine();
    let g = e.hnsw.graph();
    assert_eq!(
        g.n,
        e.emb.len(),
        "graph and model disagree on the word count"
    );
    let mut in_degree = vec![0u32; g.n];
    let mut isolated = Vec::new();
    for node in 0..g.n as u32 {
        let nb = g.neighbours(node, 0);
        if nb.is_empty() {
            isolated.push(node);
        }
        for &x in nb {
            assert_ne!(x, EMPTY);
            in_degree[x as usize] += 1;
        }
    }
    let unreachable: Vec<&str> = in_degree
        .iter()
        .enumerate()
        .filter(|&(_, &d)| d == 0)
        .map(|(i, _)| e.emb.word(i as WordId))
        .collect();
    assert!(
        isolated.is_empty(),
        "{} words have no layer-0 neighbours",
        isolated.len()
    );
    assert!(
        unreachable.len() <= g.n / 10_000,
        "{} words are nobody's layer-0 neighbour, e.g. {:?}",
        unreachable.len(),
        &unreachable[..unreachable.len().min(10)]
    );
}
