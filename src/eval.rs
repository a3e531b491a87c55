//! Index evaluation on seeded move queries: recall of HNSW against the exact index and the
//! throughput of every path on one thread (`word-bocce eval-index`, tests and benches).

use crate::embeddings::deck::Deck;
use crate::embeddings::{Embeddings, WordId};
use crate::index::{ExactIndex, Hit, HnswIndex};
use crate::scoring::{ball, Term};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::Instant;

/// A move query: start ± card ± card (from the deck, random signs) and a target.
#[derive(Debug, Clone)]
pub struct MoveQuery {
    pub terms: [Term; 3],
    pub target: WordId,
    pub ball: Vec<f32>,
}

impl MoveQuery {
    pub fn words(&self) -> [WordId; 3] {
        self.terms.map(|t| t.word)
    }
}

/// `n` reproducible move queries drawn from the deck.
pub fn move_queries(emb: &Embeddings, deck: &Deck, n: usize, seed: u64) -> Vec<MoveQuery> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let words = deck.words();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut pick = || words[rng.random_range(0..words.len())];
        let (start, a, b, target) = (pick(), pick(), pick(), pick());
        if start == a || start == b || a == b || target == start {
            continue;
        }
        let sign = |r: &mut rand_chacha::ChaCha8Rng| if r.random_bool(0.5) { 1 } else { -1 };
        let terms = [
            Term {
                word: start,
                sign: 1,
            },
            Term {
                word: a,
                sign: sign(&mut rng),
            },
            Term {
                word: b,
                sign: sign(&mut rng),
            },
        ];
        if let Some(ball) = ball(emb, &terms) {
            out.push(MoveQuery {
                terms,
                target,
                ball,
            });
        }
    }
    out
}

/// Fraction of `truth`'s ids that `got` also found.
pub fn recall(got: &[Hit], truth: &[Hit]) -> f64 {
    if truth.is_empty() {
        return 1.0;
    }
    let hits = truth
        .iter()
        .filter(|t| got.iter().any(|g| g.id == t.id))
        .count();
    hits as f64 / truth.len() as f64
}

#[derive(Debug, Clone, Serialize)]
pub struct HnswRow {
    pub ef: usize,
    pub seeded: bool,
    pub recall_at_1: f64,
    pub recall_at_10: f64,
    pub queries_per_sec: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub queries: usize,
    pub exact_top10_per_sec: f64,
    /// Rank of a random deck word: most words sit near its cosine (the worst case).
    pub rank_per_sec: f64,
    /// Rank of a target related to the start word, as a deal picks it.
    pub rank_related_per_sec: f64,
    pub hnsw: Vec<HnswRow>,
}

/// The same queries with targets as a deal picks them: a deck word related to the start word
/// but not close (its 20th to 200th nearest deck word, seeded).
pub fn with_related_targets(
    exact: &ExactIndex,
    deck: &Deck,
    queries: &[MoveQuery],
    seed: u64,
) -> Vec<MoveQuery> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let emb = exact.embeddings();
    let not_deck = |id: WordId| !deck.contains(id);
    queries
        .iter()
        .map(|q| {
            let start = q.terms[0].word;
            let near = exact.top_k(emb.vector(start), 201, &not_deck);
            let mut q = q.clone();
            q.target = near[rng.random_range(20..near.len().max(21)).min(near.len() - 1)].id;
            q
        })
        .collect()
}

fn per_sec(n: usize, t: Instant) -> f64 {
    n as f64 / t.elapsed().as_secs_f64()
}

/// Write `queries` for another library to answer (`scripts/compare_hnswlib.py`): their balls
/// (`queries.f32`, n x dim), their own words (`words.u32`, n x 3, to leave out of answers) and
/// their exact top 10 without those words (`truth.u32`, n x 10); all little-endian.
pub fn dump_queries(
    exact: &ExactIndex,
    queries: &[MoveQuery],
    dir: &std::path::Path,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let (truth, _) = ground_truth(exact, queries);
    let balls: Vec<u8> = queries
        .iter()
        .flat_map(|q| q.ball.iter().flat_map(|x| x.to_le_bytes()))
        .collect();
    let words: Vec<u8> = queries
        .iter()
        .flat_map(|q| q.words().into_iter().flat_map(|w| w.to_le_bytes()))
        .collect();
    let mut top = Vec::with_capacity(queries.len() * 40);
    for hits in &truth {
        if hits.len() != 10 {
            return Err(std::io::Error::other("a query has fewer than 10 answers"));
        }
        top.extend(hits.iter().flat_map(|h| h.id.to_le_bytes()));
    }
    std::fs::write(dir.join("queries.f32"), balls)?;
    std::fs::write(dir.join("words.u32"), words)?;
    std::fs::write(dir.join("truth.u32"), top)
}

/// Exact top-10 of every query (the move's own words left out): the ground truth.
pub fn ground_truth(exact: &ExactIndex, queries: &[MoveQuery]) -> (Vec<Vec<Hit>>, f64) {
    let t = Instant::now();
    let truth: Vec<Vec<Hit>> = queries
        .iter()
        .map(|q| exact.top_k(&q.ball, 10, &q.words()))
        .collect();
    (truth, per_sec(queries.len(), t))
}

/// Recall and speed of the HNSW index at one `ef`, seeded from the move's words or not.
pub fn eval_hnsw(
    index: &HnswIndex,
    queries: &[MoveQuery],
    truth: &[Vec<Hit>],
    ef: usize,
    seeded: bool,
) -> HnswRow {
    let t = Instant::now();
    let results: Vec<Vec<Hit>> = queries
        .iter()
        .map(|q| {
            let words = q.words();
            let seeds: &[WordId] = if seeded { &words } else { &[] };
            index.search_ef(&q.ball, 10, ef, &words, seeds)
        })
        .collect();
    let qps = per_sec(queries.len(), t);
    let n = queries.len() as f64;
    let r1 = results
        .iter()
        .zip(truth)
        .filter(|(g, t)| g.first().map(|h| h.id) == t.first().map(|h| h.id))
        .count() as f64
        / n;
    let r10 = results
        .iter()
        .zip(truth)
        .map(|(g, t)| recall(g, t))
        .sum::<f64>()
        / n;
    HnswRow {
        ef,
        seeded,
        recall_at_1: r1,
        recall_at_10: r10,
        queries_per_sec: qps,
    }
}

/// The whole evaluation, on one thread.
pub fn evaluate(
    exact: &ExactIndex,
    index: &HnswIndex,
    deck: &Deck,
    queries: &[MoveQuery],
    efs: &[usize],
) -> EvalReport {
    let (truth, exact_qps) = ground_truth(exact, queries);
    let rank_speed = |qs: &[MoveQuery]| {
        let t = Instant::now();
        for q in qs {
            std::hint::black_box(exact.rank(&q.ball, q.target, &q.words()));
        }
        per_sec(qs.len(), t)
    };
    let rank_qps = rank_speed(queries);
    let related = with_related_targets(exact, deck, queries, 7);
    let rank_related_qps = rank_speed(&related);
    let mut rows = Vec::new();
    for &ef in efs {
        for seeded in [true, false] {
            rows.push(eval_hnsw(index, queries, &truth, ef, seeded));
        }
    }
    EvalReport {
        queries: queries.len(),
        exact_top10_per_sec: exact_qps,
        rank_per_sec: rank_qps,
        rank_related_per_sec: rank_related_qps,
        hnsw: rows,
    }
}
