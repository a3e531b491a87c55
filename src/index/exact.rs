//! The exact index: an int8 first pass over every word with exact rescoring of the rows the
//! error bound cannot decide (see `quant`). Ground truth for the HNSW index, the `exact: true`
//! search path, and the rank of a move.

use super::quant::{QuantQuery, QuantTable};
use super::{Hit, NearestIndex, Skip};
use crate::embeddings::{Embeddings, WordId};
use crate::simd::{dot, exact_dot, prefetch, BLOCK_ROWS};
use std::sync::Arc;

pub struct ExactIndex {
    emb: Arc<Embeddings>,
    table: QuantTable,
}

/// Candidates kept before the threshold is tightened.
const PRUNE_AT: usize = 2048;
/// Rows scored per call of the int8 kernel.
const CHUNK_ROWS: usize = 1024;
/// A bound on `|dot − exact_dot|` for unit vectors of `dim` values: the f32 rounding of a dot
/// product of n terms is at most about `n · 2⁻²⁴ · Σ|aᵢbᵢ| ≤ n · 2⁻²⁴`; twice that, plus a
/// margin for the query's own rounding.
fn f32_slack(dim: usize) -> f32 {
    dim as f32 * f32::EPSILON + 1e-6
}

impl ExactIndex {
    pub fn new(emb: Arc<Embeddings>) -> ExactIndex {
        let table = QuantTable::build(emb.vectors(), emb.dim());
        ExactIndex { emb, table }
    }

    pub fn embeddings(&self) -> &Arc<Embeddings> {
        &self.emb
    }

    /// Bytes held by the quantised table.
    pub fn memory_bytes(&self) -> usize {
        self.table.blocks.len() + self.table.scales.len() * 4
    }

    /// Run `f(first_row, approx_scores)` over the whole table, a chunk at a time.
    #[inline]
    fn for_each_chunk(&self, q: &QuantQuery, mut f: impl FnMut(usize, &[f32])) {
        let mut dots = [0i32; CHUNK_ROWS];
        let mut approx = [0f32; CHUNK_ROWS];
        let nblocks = self.table.nblocks();
        let per = CHUNK_ROWS / BLOCK_ROWS;
        let mut b = 0;
        while b < nblocks {
            let nb = per.min(nblocks - b);
            let out = &mut approx[..nb * BLOCK_ROWS];
            self.table.approx_chunk(b, q, &mut dots, out);
            // Rows past the end (padding of the last block) are never reported.
            let valid = (self.table.rows - b * BLOCK_ROWS).min(out.len());
            f(b * BLOCK_ROWS, &out[..valid]);
            b += nb;
        }
    }

    /// The exact top `k`, best first.
    pub fn top_k(&self, query: &[f32], k: usize, skip: &dyn Skip) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let q = self.table.quantise_query(query);
        let e = self.table.error_bound(&q);
        // Candidates (approximate score, row). `floor` is the k-th best lower bound seen so
        // far: a row whose upper bound is below it cannot be in the top k.
        let mut cand: Vec<(f32, u32)> = Vec::with_capacity(PRUNE_AT + CHUNK_ROWS);
        let mut floor = f32::NEG_INFINITY;
        self.for_each_chunk(&q, |first, approx| {
            let cut = floor - e;
            for (i, &a) in approx.iter().enumerate() {
                if a >= cut && !skip.skip((first + i) as WordId) {
                    cand.push((a, (first + i) as u32));
                }
            }
            if cand.len() >= PRUNE_AT {
                floor = prune(&mut cand, k, e);
            }
        });
        prune(&mut cand, k, e);
        let mut hits: Vec<Hit> = cand
            .iter()
            .map(|&(_, r)| Hit {
                id: r,
                sim: exact_dot(self.emb.vector(r), query),
            })
            .collect();
        hits.sort_unstable_by(Hit::best_first);
        hits.truncate(k);
        hits
    }

    /// How many words, other than those `skip` names, have an exact cosine to `query` strictly
    /// greater than `threshold`.
    ///
    /// Three stages, each deciding what it can: the int8 scan (sure above / sure below / maybe,
    /// by the quantisation bound); for the maybes an f32 SIMD dot, whose rounding error is far
    /// below [`f32_slack`]; and [`exact_dot`] only for rows within that slack of the threshold.
    pub fn count_above(&self, query: &[f32], threshold: f32, skip: &[WordId]) -> usize {
        let q = self.table.quantise_query(query);
        let e = self.table.error_bound(&q);
        let (sure, maybe) = (threshold + e, threshold - e);
        let vectors = self.emb.vectors();
        let dim = self.emb.dim();
        let slack = f32_slack(dim);
        let mut count = 0usize;
        let mut pending: Vec<u32> = Vec::with_capacity(CHUNK_ROWS);
        self.for_each_chunk(&q, |first, approx| {
            pending.clear();
            for (i, &a) in approx.iter().enumerate() {
                if a > sure {
                    count += 1;
                } else if a >= maybe {
                    pending.push((first + i) as u32);
                }
            }
            for (j, &r) in pending.iter().enumerate() {
                if let Some(&next) = pending.get(j + 4) {
                    prefetch(vectors.as_ptr().wrapping_add(next as usize * dim));
                    prefetch(vectors.as_ptr().wrapping_add(next as usize * dim + 16));
                    prefetch(vectors.as_ptr().wrapping_add(next as usize * dim + 32));
                    prefetch(vectors.as_ptr().wrapping_add(next as usize * dim + dim - 1));
                }
                let row = &vectors[r as usize * dim..(r as usize + 1) * dim];
                let fast = dot(row, query);
                let above = if fast > threshold + slack {
                    true
                } else if fast < threshold - slack {
                    false
                } else {
                    exact_dot(row, query) > threshold
                };
                count += above as usize;
            }
        });
        let mut seen: Vec<WordId> = Vec::with_capacity(skip.len());
        for &id in skip {
            if !seen.contains(&id) {
                seen.push(id);
                if exact_dot(self.emb.vector(id), query) > threshold {
                    count -= 1;
                }
            }
        }
        count
    }

    /// The rank of `target` around `query`: 1 + the words (outside `skip` and the target) whose
    /// cosine to the query is higher than the target's.
    pub fn rank(&self, query: &[f32], target: WordId, skip: &[WordId]) -> usize {
        let t = exact_dot(self.emb.vector(target), query);
        let mut all: Vec<WordId> = skip.to_vec();
        all.push(target);
        1 + self.count_above(query, t, &all)
    }
}

/// Keep only candidates that can still be in the top `k`; returns the new floor.
fn prune(cand: &mut Vec<(f32, u32)>, k: usize, e: f32) -> f32 {
    if cand.len() <= k {
        return f32::NEG_INFINITY;
    }
    let (_, kth, _) = cand.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
    let floor = kth.0 - e;
    cand.retain(|&(a, _)| a + e >= floor);
    floor
}

impl NearestIndex for ExactIndex {
    fn kind(&self) -> &'static str {
        "exact"
    }

    fn search(&self, query: &[f32], k: usize, skip: &dyn Skip, _seeds: &[WordId]) -> Vec<Hit> {
        self.top_k(query, k, skip)
    }
}
