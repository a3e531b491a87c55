//! The exact index: a first pass over every word that decides most rows by an error bound, and
//! exact rescoring of the rows it cannot decide. Ground truth for the HNSW index, the
//! `exact: true` search path, and the rank of a move.
//!
//! A top k reads the 4-bit table (`coarse`, 30 bytes a row), which leaves only rows near the
//! k-th best open, and looks those up one by one in the int8 rows (`quant::RowTable`). A rank
//! reads the int8 block table (`quant::QuantTable`, 60 bytes a row): its threshold sits among
//! many words, and the 4-bit bound (~0.1) leaves 14–26 % of the rows of a move's rank open,
//! each look-up costing ~170 instructions — more than scanning every row in int8 (measured;
//! docs/performance.md).

use super::coarse::{CoarseBuf, CoarseQuery, CoarseTable};
use super::quant::{Bound, ChunkBuf, QuantQuery, QuantTable, RowTable, CHUNK_ROWS};
use super::{Hit, NearestIndex, Skip};
use crate::embeddings::{Embeddings, WordId};
use crate::simd::{count_bits, dot, exact_dot, prefetch, BLOCK_ROWS};
use std::sync::Arc;

pub struct ExactIndex {
    emb: Arc<Embeddings>,
    table: QuantTable,
    coarse: CoarseTable,
    rows: Arc<RowTable>,
}

/// Candidates kept before the threshold is tightened (a top k's floor must rise early: each
/// candidate of the coarse pass costs a look-up).
const PRUNE_AT: usize = 64;
/// A bound on `|dot − exact_dot|` for unit vectors of `dim` values: the f32 rounding of a dot
/// product of n terms is at most about `n · 2⁻²⁴ · Σ|aᵢbᵢ| ≤ n · 2⁻²⁴`; twice that, plus a
/// margin for the query's own rounding.
fn f32_slack(dim: usize) -> f32 {
    dim as f32 * f32::EPSILON + 1e-6
}

impl ExactIndex {
    /// Build the three tables from the vectors, side by side on the rayon pool (a warm start
    /// waits for them).
    pub fn new(emb: Arc<Embeddings>) -> ExactIndex {
        let (v, dim) = (emb.vectors(), emb.dim());
        let (table, (coarse, rows)) = rayon::join(
            || QuantTable::build(v, dim),
            || rayon::join(|| CoarseTable::build(v, dim), || RowTable::build(v, dim)),
        );
        let rows = Arc::new(rows);
        ExactIndex {
            emb,
            table,
            coarse,
            rows,
        }
    }

    /// The int8 rows, which the graph search shares.
    pub fn rows(&self) -> &Arc<RowTable> {
        &self.rows
    }

    pub fn embeddings(&self) -> &Arc<Embeddings> {
        &self.emb
    }

    /// Bytes held by the int8 block table and the 4-bit table (the int8 rows are counted with
    /// the graph that shares them).
    pub fn memory_bytes(&self) -> usize {
        self.table.memory_bytes() + self.coarse.memory_bytes()
    }

    /// Valid-row mask of block `b` (the last block may be partly padding).
    #[inline]
    fn valid(&self, b: usize) -> u16 {
        let left = self.table.rows - b * BLOCK_ROWS;
        if left >= BLOCK_ROWS {
            u16::MAX
        } else {
            (1u16 << left) - 1
        }
    }

    /// The exact top `k`, best first.
    pub fn top_k(&self, query: &[f32], k: usize, skip: &dyn Skip) -> Vec<Hit> {
        if k == 0 {
            return Vec::new();
        }
        let q = Lookup::new(self, query);
        let mut buf = CoarseBuf::new();
        let mut best = TopK::new(k, skip, PRUNE_AT.max(2 * k));
        let nblocks = self.coarse.nblocks();
        let per = CHUNK_ROWS / BLOCK_ROWS;
        for first in (0..nblocks).step_by(per) {
            let nb = per.min(nblocks - first);
            // Rows whose upper bound is below the floor cannot be in the top k.
            self.coarse
                .classify_chunk(first, nb, &q.coarse, best.floor, &mut buf);
            for j in 0..nb {
                let mut mask = buf.reach[j] & self.valid(first + j);
                while mask != 0 {
                    let lane = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let row = (first + j) * BLOCK_ROWS + lane;
                    // The floor may have risen since the chunk was classified.
                    let approx = buf.approx[j * BLOCK_ROWS + lane];
                    if approx + self.coarse.row_bound(row, &q.coarse) >= best.floor {
                        let (a, e) = self.rows.refine(row as u32, &q.fine, q.bound);
                        best.offer(row as u32, a, e);
                    }
                }
            }
        }
        best.finish(&self.emb, query)
    }

    /// How many words, other than those `skip` names, have an exact cosine to `query` strictly
    /// greater than `threshold`.
    ///
    /// Three stages, each deciding what it can: the int8 scan (surely above / surely not /
    /// maybe, by the quantisation bound: the query's first part for every block, its second
    /// part only for the few blocks with a row the first leaves undecided); for the maybes an
    /// f32 SIMD dot, whose rounding error is far below [`f32_slack`]; and [`exact_dot`] only
    /// for rows within that slack.
    pub fn count_above(&self, query: &[f32], threshold: f32, skip: &[WordId]) -> usize {
        self.scan_above(query, threshold, skip, None)
    }

    /// [`count_above`](Self::count_above), also offering every row it counts (and `skip`'s
    /// rows that are above too) to `best`.
    fn scan_above(
        &self,
        query: &[f32],
        threshold: f32,
        skip: &[WordId],
        mut best: Option<&mut TopK<'_>>,
    ) -> usize {
        let q = self.table.quantise_query(query);
        let bounds = (
            self.table.error_bound(&q, false),
            self.table.error_bound(&q, true),
        );
        let mut buf = ChunkBuf::new();
        // Rows the int8 bound leaves open, checked against their f32 vectors chunk by chunk.
        let mut open = OpenRows::new(self, query, threshold, bounds.1);
        let mut count = 0usize;
        let nblocks = self.table.nblocks();
        let per = CHUNK_ROWS / BLOCK_ROWS;
        for first in (0..nblocks).step_by(per) {
            let nb = per.min(nblocks - first);
            self.table
                .classify_chunk_refined(first, nb, &q, bounds, threshold, &mut buf);
            if first + nb == nblocks {
                // The last block's padding lanes are no rows.
                let valid = self.valid(nblocks - 1);
                buf.above[nb - 1] &= valid;
                buf.reach[nb - 1] &= valid;
            }
            count += count_bits(&buf.above[..nb]);
            if let Some(b) = best.as_deref_mut() {
                for j in (0..nb).filter(|&j| buf.above[j] != 0) {
                    let lanes = &buf.approx[j * BLOCK_ROWS..(j + 1) * BLOCK_ROWS];
                    let bound = if buf.refined >> j & 1 == 1 {
                        bounds.1
                    } else {
                        bounds.0
                    };
                    let row = (first + j) * BLOCK_ROWS;
                    b.offer_block(&self.table, bound, row, lanes, buf.above[j]);
                }
            }
            // Undecided rows are in refined blocks only (the others were decided by the first
            // part of the query).
            let mut refined = buf.refined;
            while refined != 0 {
                let j = refined.trailing_zeros() as usize;
                refined &= refined - 1;
                let mut m = buf.reach[j] & !buf.above[j];
                while m != 0 {
                    let lane = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let row = (first + j) * BLOCK_ROWS + lane;
                    open.add(row as u32, buf.approx[j * BLOCK_ROWS + lane]);
                }
            }
            count += open.check(best.as_deref_mut());
        }
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
        self.rank_with(query, target, skip, None).0
    }

    /// [`rank`](Self::rank), and, from the same scan, the word nearest `query` among those
    /// nearer than the target that `allow` does not skip, with its exact cosine (`None` when
    /// no such word is nearer than the target). Exact, like the rank: the scan offers every
    /// row above the target to a top 1, which rescores exactly the rows its bounds keep.
    pub fn rank_and_nearest(
        &self,
        query: &[f32],
        target: WordId,
        skip: &[WordId],
        allow: &dyn Skip,
    ) -> (usize, Option<Hit>) {
        let mut best = TopK::new(1, allow, NEAREST_PRUNE_AT);
        let (rank, t) = self.rank_with(query, target, skip, Some(&mut best));
        let hit = best
            .finish(&self.emb, query)
            .into_iter()
            .find(|h| h.sim > t);
        (rank, hit)
    }

    /// The rank, and the target's cosine to `query`.
    fn rank_with(
        &self,
        query: &[f32],
        target: WordId,
        skip: &[WordId],
        best: Option<&mut TopK<'_>>,
    ) -> (usize, f32) {
        let t = exact_dot(self.emb.vector(target), query);
        let mut all: Vec<WordId> = skip.to_vec();
        all.push(target);
        (1 + self.scan_above(query, t, &all, best), t)
    }
}

/// The rows of a rank's scan that the int8 bound leaves open (with their approximate cosine),
/// waiting for the exact check: [`add`](Self::add) asks for all of a row's lines at once (each
/// row is a random miss), [`check`](Self::check) decides the rows added since the last check
/// and counts those above the threshold. (Checking a chunk's rows only after the next chunk's
/// scan measured the same: the misses are bound by how many the core can have outstanding.)
struct OpenRows<'q> {
    vectors: &'q [f32],
    dim: usize,
    query: &'q [f32],
    threshold: f32,
    slack: f32,
    table: &'q QuantTable,
    bound: Bound,
    rows: Vec<(u32, f32)>,
}

impl<'q> OpenRows<'q> {
    fn new(index: &'q ExactIndex, query: &'q [f32], threshold: f32, bound: Bound) -> Self {
        let dim = index.emb.dim();
        OpenRows {
            vectors: index.emb.vectors(),
            dim,
            query,
            threshold,
            slack: f32_slack(dim),
            table: &index.table,
            bound,
            rows: Vec::with_capacity(CHUNK_ROWS),
        }
    }

    #[inline]
    fn add(&mut self, row: u32, approx: f32) {
        let p = self.vectors.as_ptr().wrapping_add(row as usize * self.dim);
        for line in (0..self.dim).step_by(16) {
            prefetch(p.wrapping_add(line));
        }
        // A row that does not start a line ends in one more.
        prefetch(p.wrapping_add(self.dim - 1));
        self.rows.push((row, approx));
    }

    /// Decide the waiting rows: an f32 SIMD dot, whose rounding error is far below the
    /// slack, and [`exact_dot`] only for rows within it. Rows above are offered to `best`.
    fn check(&mut self, mut best: Option<&mut TopK<'_>>) -> usize {
        let mut count = 0;
        for &(r, approx) in &self.rows {
            let row = &self.vectors[r as usize * self.dim..(r as usize + 1) * self.dim];
            let fast = dot(row, self.query);
            let above = if fast > self.threshold + self.slack {
                true
            } else if fast < self.threshold - self.slack {
                false
            } else {
                exact_dot(row, self.query) > self.threshold
            };
            count += above as usize;
            if let (true, Some(b)) = (above, best.as_deref_mut()) {
                b.offer(r, approx, self.table.row_bound(r as usize, self.bound));
            }
        }
        self.rows.clear();
        count
    }
}

/// What a top k needs of its query: the coarse quantisation, and the int8 one (with its
/// two-part bound) for the rows it looks up.
struct Lookup {
    coarse: CoarseQuery,
    fine: QuantQuery,
    bound: Bound,
}

impl Lookup {
    fn new(index: &ExactIndex, u: &[f32]) -> Lookup {
        let fine = index.rows.quantise_query(u);
        Lookup {
            coarse: index.coarse.quantise_query(u),
            bound: fine.two_part_bound(),
            fine,
        }
    }
}

/// A nearest-word search prunes its candidates at this many: its floor must rise early (until
/// it does, every row nearer than the target is a candidate).
const NEAREST_PRUNE_AT: usize = 64;

/// The rows a scan offers that may be in the top `k` (outside `skip`): candidates whose upper
/// bound reaches `floor`, the k-th best lower bound seen among the rows `skip` allows, pruned
/// when `prune_at` gather.
struct TopK<'a> {
    k: usize,
    skip: &'a dyn Skip,
    prune_at: usize,
    cand: Vec<Cand>,
    floor: f32,
}

impl<'a> TopK<'a> {
    fn new(k: usize, skip: &'a dyn Skip, prune_at: usize) -> TopK<'a> {
        TopK {
            k,
            skip,
            prune_at,
            cand: Vec::with_capacity(2 * prune_at),
            floor: f32::NEG_INFINITY,
        }
    }

    /// Rows `first_row + lane` of the int8 block table for the lanes set in `mask`, with their
    /// approximate cosines.
    #[inline]
    fn offer_block(
        &mut self,
        table: &QuantTable,
        bound: Bound,
        first_row: usize,
        approx: &[f32],
        mask: u16,
    ) {
        if mask == 0 {
            return;
        }
        // Most blocks hold nothing that can reach the floor (once there is one): one look at
        // their best lane.
        if self.floor > f32::NEG_INFINITY
            && lanes_max(approx) + bound.base + table.max_err * bound.per_err < self.floor
        {
            return;
        }
        let mut mask = mask;
        while mask != 0 {
            let lane = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let row = first_row + lane;
            self.offer(row as u32, approx[lane], table.row_bound(row, bound));
        }
    }

    /// Row `row` with its approximate cosine and error bound. The skip rule is asked later,
    /// and only of the candidates that could be in the top k (it compares strings; most rows
    /// offered before the floor rises are pruned without it).
    #[inline]
    fn offer(&mut self, row: u32, approx: f32, err: f32) {
        if approx + err < self.floor {
            return;
        }
        self.cand.push(Cand {
            approx,
            err,
            row,
            allowed: false,
        });
        if self.cand.len() >= self.prune_at {
            self.floor = self.floor.max(prune(&mut self.cand, self.k, self.skip));
        }
    }

    /// The top `k`, rescored exactly, best first.
    fn finish(mut self, emb: &Embeddings, query: &[f32]) -> Vec<Hit> {
        prune(&mut self.cand, self.k, self.skip);
        let skip = self.skip;
        let mut hits: Vec<Hit> = self
            .cand
            .iter()
            .filter(|c| c.allowed || !skip.skip(c.row))
            .map(|c| Hit {
                id: c.row,
                sim: exact_dot(emb.vector(c.row), query),
            })
            .collect();
        hits.sort_unstable_by(Hit::best_first);
        hits.truncate(self.k);
        hits
    }
}

/// The largest of a block's approximate scores, four lanes at a time (a plain `max` fold is a
/// chain of sixteen dependent compares with NaN handling; scores are never NaN).
#[inline]
fn lanes_max(approx: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; 4];
    for c in approx.chunks_exact(4) {
        for (m, &x) in m.iter_mut().zip(c) {
            *m = if x > *m { x } else { *m };
        }
    }
    let (a, b) = (m[0].max(m[1]), m[2].max(m[3]));
    a.max(b)
}

/// A row that may be in the top k: its approximate score and error bound, and whether the skip
/// rule was asked of it (and allows it).
#[derive(Clone, Copy)]
struct Cand {
    approx: f32,
    err: f32,
    row: u32,
    allowed: bool,
}

/// Keep only candidates that can still be in the top `k`: those whose upper bound reaches the
/// k-th best lower bound among the rows `skip` allows (the new floor, returned). The skip rule
/// is asked best lower bound first, until `k` rows are allowed; rows it skips are dropped, rows
/// after the k-th are kept unasked if they reach the floor.
fn prune(cand: &mut Vec<Cand>, k: usize, skip: &dyn Skip) -> f32 {
    let lower = |c: &Cand| c.approx - c.err;
    cand.sort_unstable_by(|a, b| lower(b).total_cmp(&lower(a)));
    let mut floor = f32::NEG_INFINITY;
    let mut allowed = 0;
    for c in cand.iter_mut() {
        if !c.allowed {
            if skip.skip(c.row) {
                // Marked for removal: below any floor.
                c.err = f32::NEG_INFINITY;
                continue;
            }
            c.allowed = true;
        }
        allowed += 1;
        if allowed == k {
            floor = lower(c);
            break;
        }
    }
    cand.retain(|c| c.err != f32::NEG_INFINITY && c.approx + c.err >= floor);
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

#[cfg(test)]
mod tests {
    use super::{lanes_max, prune, Skip, TopK};
    use crate::embeddings::WordId;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Skips every third row and counts how often it is asked.
    struct Counting(AtomicUsize);
    impl Skip for Counting {
        fn skip(&self, id: WordId) -> bool {
            self.0.fetch_add(1, Ordering::Relaxed);
            id.is_multiple_of(3)
        }
    }

    /// The skip rule compares strings: a nearest-word search must not ask it of every row
    /// offered before its floor rises, and must still keep the best allowed row.
    #[test]
    fn a_top_1_asks_the_skip_rule_only_of_rows_that_could_win() {
        let skip = Counting(AtomicUsize::new(0));
        let mut best = TopK::new(1, &skip, 64);
        // 1,000 rows in a scrambled order of score; the best is row 999 (skipped: a multiple of 3),
        // the best allowed row 998.
        let score = |r: u32| r as f32 / 1000.0;
        for i in 0..1000u32 {
            let r = (i * 617) % 1000;
            best.offer(r, score(r), 0.0005);
        }
        prune(&mut best.cand, 1, &skip);
        let asked = skip.0.load(Ordering::Relaxed);
        assert!(
            asked < 64,
            "asked the skip rule {asked} times for 1,000 rows"
        );
        let kept: Vec<u32> = best.cand.iter().map(|c| c.row).collect();
        assert!(
            kept.contains(&998),
            "the best allowed row was dropped: {kept:?}"
        );
        assert!(!kept.contains(&999), "a skipped row was kept: {kept:?}");
    }

    #[test]
    fn lanes_max_is_the_largest_lane_wherever_it_is() {
        for at in 0..16 {
            let mut lanes: Vec<f32> = (0..16).map(|i| -0.5 - i as f32 * 0.01).collect();
            lanes[at] = 0.25;
            assert_eq!(lanes_max(&lanes), 0.25, "largest at lane {at}");
            lanes[at] = -0.1;
            assert_eq!(lanes_max(&lanes), -0.1, "largest (negative) at lane {at}");
        }
    }
}
