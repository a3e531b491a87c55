//! Nearest-word search: one API, two implementations.
//!
//! - [`hnsw::HnswIndex`]: a graph built by hnsw_rs, frozen into our own flat layout and
//!   searched by our own code (the serving path).
//! - [`exact::ExactIndex`]: a 4-bit scan with int8 look-ups and exact rescoring: ground truth, the
//!   `exact: true` path, and the rank of a move.
//!
//! Every similarity either returns is [`crate::simd::exact_dot`] of the query and the word, so
//! the two agree on every number they both report.

pub mod coarse;
pub mod config;
pub mod exact;
pub mod hnsw;
pub mod moves;
pub mod quant;

pub use config::IndexParams;
pub use exact::ExactIndex;
pub use hnsw::HnswIndex;

use crate::embeddings::WordId;
use std::cmp::Ordering;

/// One search result: a word and its cosine to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: WordId,
    pub sim: f32,
}

impl Hit {
    /// Order best first: higher similarity, then lower id (so results are deterministic).
    pub fn best_first(a: &Hit, b: &Hit) -> Ordering {
        b.sim.total_cmp(&a.sim).then(a.id.cmp(&b.id))
    }
}

/// What a search may not return.
pub trait Skip: Sync {
    fn skip(&self, id: WordId) -> bool;
}

/// Skip nothing.
pub struct NoSkip;
impl Skip for NoSkip {
    #[inline]
    fn skip(&self, _: WordId) -> bool {
        false
    }
}

/// Skip a short list of ids (a move's own words).
impl<const N: usize> Skip for [WordId; N] {
    #[inline]
    fn skip(&self, id: WordId) -> bool {
        self.contains(&id)
    }
}

impl Skip for Vec<WordId> {
    #[inline]
    fn skip(&self, id: WordId) -> bool {
        self.contains(&id)
    }
}

impl<F: Fn(WordId) -> bool + Sync> Skip for F {
    #[inline]
    fn skip(&self, id: WordId) -> bool {
        self(id)
    }
}

/// A nearest-word search over the whole vocabulary.
pub trait NearestIndex: Send + Sync {
    /// `"hnsw"` or `"exact"`.
    fn kind(&self) -> &'static str;

    /// The `k` words most similar to `query` (a unit vector), best first, leaving out those
    /// `skip` names. `seeds` are words known to lie near the query (a move's own words); an
    /// index may start its search from them.
    fn search(&self, query: &[f32], k: usize, skip: &dyn Skip, seeds: &[WordId]) -> Vec<Hit>;
}

/// Synthetic unit vectors, for tests about the arithmetic of the quantised tables (not the model).
#[cfg(test)]
pub(crate) fn random_unit(rng: &mut impl rand::Rng, n: usize, dim: usize) -> Vec<f32> {
    let mut v: Vec<f32> = (0..n * dim).map(|_| rng.random_range(-1.0..1.0)).collect();
    for row in v.chunks_exact_mut(dim) {
        let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        row.iter_mut().for_each(|x| *x /= norm);
    }
    v
}
