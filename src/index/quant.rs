//! Int8 quantisation of the vectors, with a rigorous error bound: a block-transposed table that
//! an exact rank scans, and row-major rows that a graph search scores and the exact top k looks
//! single rows up in (the rows its 4-bit pass, `coarse`, leaves open).
//!
//! Each row `v` is stored as `q = round(v / s)` with `s = max|v_i| / 127`, offset by 128 into a
//! `u8`. A query `u` is quantised to `i8` in `-64..=64` (so the AVX2 kernels cannot saturate;
//! `-127..=127` for the rank's scan at the AVX-512 level).
//! With `a = s·q` and `e_v = v − a` (and likewise for `u`):
//!
//! `v·u − a·b = a·e_u + e_v·u`, so `|v·u − approx| ≤ |a|·|e_u| + |e_v|·|u|`.
//!
//! `|e_v|` is known per row at quantisation time and `|a| ≤ |v| + |e_v|`, so for unit rows
//! the bound of row r is `|e_u| + |e_v,r|·(|e_u| + |u|)`: a scan knows, for every row, an
//! interval that surely holds the exact cosine, and only rescoring rows whose interval
//! straddles a threshold keeps results exact. (A per-row bound matters: the full GloVe
//! vocabulary has odd tokens whose error is several times the typical row's.)

use crate::simd::{self, BLOCK_ROWS, GROUP_DIMS};

/// A quantised query: `u ≈ scale·q + lo_scale·lo`, two i8 vectors in -64..=64 (so the AVX2
/// kernels cannot saturate; the rank's scan takes -127..=127 at the AVX-512 level). The second
/// one quantises what the first one missed, and leaves only the rows' own rounding in the error
/// bound; a scan scores it only for the blocks the first part leaves undecided (a third of
/// them for a rank), while they are still in cache.
pub struct QuantQuery {
    /// `groups * 4` values, zero-padded.
    pub q: Vec<i8>,
    pub scale: f32,
    /// Subtract from the integer dot to undo the +128 offset of the rows.
    pub offset_correction: i32,
    pub lo: Vec<i8>,
    pub lo_scale: f32,
    pub lo_correction: i32,
    /// `|e_u|`: the norm of what both parts together miss.
    pub err_norm: f32,
    /// The same for the first part alone.
    pub hi_err_norm: f32,
    /// `|u|`.
    pub norm: f32,
}

impl QuantQuery {
    /// The bound of a score that uses both parts of the query, with slack for the f32
    /// rounding of the approximate score itself. Rows are unit vectors.
    pub fn two_part_bound(&self) -> Bound {
        Bound {
            base: self.err_norm + 1e-5,
            per_err: self.err_norm + self.norm,
            two_part: true,
        }
    }
}

/// The block-transposed int8 table an exact rank scans.
pub struct QuantTable {
    pub dim: usize,
    pub groups: usize,
    pub rows: usize,
    /// `ceil(rows / 16)` blocks of `groups * 64` bytes.
    pub blocks: Vec<u8>,
    /// Per row (padded to whole blocks), `k`: the row's scale is `(k + 1) * scale_unit`. A byte
    /// instead of an f32: the scan reads 54 bytes a row instead of 60.
    pub scale_codes: Vec<u8>,
    pub scale_unit: f32,
    /// Per row, `j`: the row's error bound `|e_v|` is `j * err_unit` (rounded up).
    pub err_codes: Vec<u8>,
    pub err_unit: f32,
    /// The largest row error bound.
    pub max_err: f32,
}

/// The per-query constants of the error bound: row r's bound is `base + |e_v,r| * per_err`.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub base: f32,
    pub per_err: f32,
    /// Whether the bound assumes both parts of the query are scored.
    pub two_part: bool,
}

impl QuantTable {
    pub fn build(vectors: &[f32], dim: usize) -> QuantTable {
        let rows = vectors.len() / dim;
        let groups = dim.div_ceil(GROUP_DIMS);
        let nblocks = rows.div_ceil(BLOCK_ROWS);
        let block_len = groups * 64;
        let mut blocks = vec![128u8; nblocks * block_len];
        let mut scale_codes = vec![0u8; nblocks * BLOCK_ROWS];
        let mut exact_errs = vec![0f64; rows];
        let wanted: Vec<f32> = vectors
            .chunks_exact(dim)
            .map(|v| v.iter().fold(0f32, |m, x| m.max(x.abs())) / 127.0)
            .collect();
        let top = wanted.iter().fold(0f32, |m, &s| m.max(s));
        let scale_unit = if top > 0.0 { top / 256.0 } else { 1.0 };
        for (r, v) in vectors.chunks_exact(dim).enumerate() {
            // The smallest coded scale that covers the row's largest value (the codes are
            // computed with exactly the scale the scan decodes).
            let k0 = ((wanted[r] / scale_unit) as usize)
                .saturating_sub(2)
                .min(255);
            let k = (k0..256)
                .find(|&k| (k + 1) as f32 * scale_unit >= wanted[r])
                .unwrap_or(255);
            scale_codes[r] = k as u8;
            let s = (k + 1) as f32 * scale_unit;
            let (b, lane) = (r / BLOCK_ROWS, r % BLOCK_ROWS);
            let mut err = 0f64;
            for (d, &x) in v.iter().enumerate() {
                let q = (x / s).round().clamp(-127.0, 127.0);
                let deq = q as f64 * s as f64;
                err += (x as f64 - deq).powi(2);
                let (g, k) = (d / GROUP_DIMS, d % GROUP_DIMS);
                blocks[b * block_len + g * 64 + lane * GROUP_DIMS + k] = (q as i32 + 128) as u8;
            }
            exact_errs[r] = err.sqrt();
        }
        // Error codes round up, so a decoded bound is never below the row's error.
        let most = exact_errs.iter().fold(0f64, |m, &e| m.max(e));
        let err_unit = ((most * (1.0 + 1e-5)).max(f64::MIN_POSITIVE) / 255.0) as f32;
        let mut err_codes = vec![0u8; nblocks * BLOCK_ROWS];
        for (r, &e) in exact_errs.iter().enumerate() {
            let j0 = (e / err_unit as f64) as usize;
            let j = (j0..256)
                .find(|&j| (j as f32 * err_unit) as f64 >= e)
                .unwrap_or(255);
            err_codes[r] = j as u8;
        }
        let max_err = err_codes.iter().max().map_or(0.0, |&j| j as f32 * err_unit);
        QuantTable {
            dim,
            groups,
            rows,
            blocks,
            scale_codes,
            scale_unit,
            err_codes,
            err_unit,
            max_err,
        }
    }

    pub fn nblocks(&self) -> usize {
        self.rows.div_ceil(BLOCK_ROWS)
    }

    /// The query in the widest range the scan's kernel takes: `-127..=127` at the AVX-512
    /// level (`vpdpbusd` adds four products into 32 bits, it cannot saturate), which halves
    /// the first part's error and so the blocks that need the second; `-64..=64` below it.
    pub fn quantise_query(&self, u: &[f32]) -> QuantQuery {
        quantise_query_in(u, self.groups * GROUP_DIMS, simd::scan_query_max())
    }

    /// The bound on `|exact − approx|` for this query (per row: see [`Bound`]), with slack
    /// for the f32 rounding of the approximate score itself. Rows are unit vectors.
    /// `two_part`: whether the scan scores the query's second part too (tighter, twice the
    /// arithmetic; worth it where many rows sit near the threshold, as in a rank).
    pub fn error_bound(&self, q: &QuantQuery, two_part: bool) -> Bound {
        if two_part {
            return q.two_part_bound();
        }
        Bound {
            base: q.hi_err_norm + 1e-5,
            per_err: q.hi_err_norm + q.norm,
            two_part,
        }
    }

    /// Row `row`'s error bound `|e_v|`, decoded as the scan decodes it.
    #[inline]
    pub fn row_err(&self, row: usize) -> f32 {
        self.err_codes[row] as f32 * self.err_unit
    }

    /// Row `row`'s bound under `b`.
    #[inline]
    pub fn row_bound(&self, row: usize, b: Bound) -> f32 {
        b.base + self.row_err(row) * b.per_err
    }

    /// Bytes held by the table.
    pub fn memory_bytes(&self) -> usize {
        self.blocks.len() + self.scale_codes.len() + self.err_codes.len()
    }

    /// Score blocks `first..first + nb` with one bound and classify their rows against
    /// `threshold` (see [`simd::classify`]); results land in `buf`. What the rank's fused
    /// pass ([`classify_chunk_refined`](Self::classify_chunk_refined)) is checked against.
    #[cfg(test)]
    fn classify_chunk(
        &self,
        first: usize,
        nb: usize,
        q: &QuantQuery,
        bound: Bound,
        threshold: f32,
        buf: &mut ChunkBuf,
    ) {
        let len = self.groups * 64;
        let n = nb * BLOCK_ROWS;
        let blocks = &self.blocks[first * len..(first + nb) * len];
        let (mut dots, mut lo_dots) = (vec![0; n], vec![0; n]);
        // The definition: the query may be in the AVX-512 level's wider range.
        simd::scan_scalar(blocks, &q.q, &mut dots);
        if bound.two_part {
            simd::scan_scalar(blocks, &q.lo, &mut lo_dots);
        }
        let rows = first * BLOCK_ROWS..first * BLOCK_ROWS + n;
        let c = classify_params(self, q, bound, threshold);
        let input = simd::ClassifyInput {
            dots: &dots,
            lo_dots: &lo_dots,
            scale_codes: &self.scale_codes[rows.clone()],
            err_codes: &self.err_codes[rows],
        };
        simd::classify(
            &input,
            &c,
            &mut buf.approx[..n],
            &mut buf.above[..nb],
            &mut buf.reach[..nb],
        );
    }

    /// Classify the rows of blocks `first..first + nb` against `threshold`, for scans that
    /// must decide every row (a rank): every block is scored with the query's first part and
    /// classified with its wider bound (`hi`), which decides nearly every row; only blocks that
    /// still hold an undecided row are scored with the second part and classified again with
    /// the tighter `two` bound — one fused kernel ([`simd::scan_classify`]). Bit j of
    /// `buf.refined` says block `first + j` was, so its `approx` values carry the `two` bound;
    /// the others' carry `hi`.
    pub fn classify_chunk_refined(
        &self,
        first: usize,
        nb: usize,
        q: &QuantQuery,
        (hi, two): (Bound, Bound),
        threshold: f32,
        buf: &mut ChunkBuf,
    ) {
        debug_assert!(!hi.two_part && two.two_part && nb <= 64);
        let len = self.groups * 64;
        let n = nb * BLOCK_ROWS;
        let rows = first * BLOCK_ROWS..first * BLOCK_ROWS + n;
        buf.refined = simd::scan_classify(
            &simd::ChunkRows {
                blocks: &self.blocks[first * len..(first + nb) * len],
                scale_codes: &self.scale_codes[rows.clone()],
                err_codes: &self.err_codes[rows],
            },
            &simd::TwoPartQuery {
                hi: &q.q,
                lo: &q.lo,
                first: classify_params(self, q, hi, threshold),
                both: classify_params(self, q, two, threshold),
            },
            &mut buf.approx[..n],
            &mut buf.above[..nb],
            &mut buf.reach[..nb],
        );
    }
}

/// The constants of [`simd::classify`] for query `q` under `bound`.
fn classify_params(
    table: &QuantTable,
    q: &QuantQuery,
    bound: Bound,
    threshold: f32,
) -> simd::Classify {
    simd::Classify {
        scale_unit: table.scale_unit,
        err_unit: table.err_unit,
        corr: q.offset_correction,
        qscale: q.scale,
        lo_corr: q.lo_correction,
        lo_qscale: if bound.two_part { q.lo_scale } else { 0.0 },
        base: bound.base,
        per_err: bound.per_err,
        threshold,
    }
}

/// Rows scored per call of the int8 kernels.
pub const CHUNK_ROWS: usize = 1024;

/// Scratch space for one chunk of a scan.
pub struct ChunkBuf {
    pub approx: [f32; CHUNK_ROWS],
    pub above: [u16; CHUNK_ROWS / BLOCK_ROWS],
    pub reach: [u16; CHUNK_ROWS / BLOCK_ROWS],
    /// Blocks [`QuantTable::classify_chunk_refined`] scored with both parts of the query.
    pub refined: u64,
}

impl ChunkBuf {
    pub fn new() -> Box<ChunkBuf> {
        Box::new(ChunkBuf {
            approx: [0.0; CHUNK_ROWS],
            above: [0; CHUNK_ROWS / BLOCK_ROWS],
            reach: [0; CHUNK_ROWS / BLOCK_ROWS],
            refined: 0,
        })
    }
}

/// A cache line of a row-major table.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub struct Line(pub [u8; 64]);

/// Row-major int8 rows, each on its own cache line(s): what a graph search reads, one row at a
/// time in random order (a 50-dim f32 row spans four lines; this one line), and what the exact
/// top k looks up for the rows its 4-bit pass leaves open. A row's scale and error bound
/// `|e_v|` (f32) sit in the last 8 bytes of its own line, so one line answers for the row;
/// a query's zero padding leaves them out of the dot.
pub struct RowTable {
    /// Bytes per row: the dimension and the 8 bytes of scale and error, rounded up to lines.
    pub stride: usize,
    lines: Vec<Line>,
}

impl RowTable {
    pub fn build(vectors: &[f32], dim: usize) -> RowTable {
        let rows = vectors.len() / dim;
        let stride = (dim + 8).div_ceil(64) * 64;
        let mut lines = vec![Line([128u8; 64]); rows * stride / 64];
        for (r, v) in vectors.chunks_exact(dim).enumerate() {
            let amax = v.iter().fold(0f32, |m, x| m.max(x.abs()));
            let s = if amax > 0.0 { amax / 127.0 } else { 1.0 };
            let mut err = 0f64;
            let row = &mut lines[r * stride / 64..(r + 1) * stride / 64];
            let mut put = |at: usize, b: u8| row[at / 64].0[at % 64] = b;
            for (d, &x) in v.iter().enumerate() {
                let q = (x / s).round().clamp(-127.0, 127.0);
                err += (x as f64 - q as f64 * s as f64).powi(2);
                put(d, (q as i32 + 128) as u8);
            }
            // Rounded up so the f32 bound stays a bound.
            let err = (err.sqrt() * (1.0 + 1e-6)) as f32;
            for (i, b) in s
                .to_ne_bytes()
                .into_iter()
                .chain(err.to_ne_bytes())
                .enumerate()
            {
                put(stride - 8 + i, b);
            }
        }
        RowTable { stride, lines }
    }

    pub fn memory_bytes(&self) -> usize {
        self.lines.len() * 64
    }

    #[inline]
    pub fn row(&self, id: u32) -> &[u8] {
        let per = self.stride / 64;
        let lines = &self.lines[id as usize * per..(id as usize + 1) * per];
        // SAFETY: `Line` is a plain 64-byte array; consecutive lines are contiguous.
        unsafe { std::slice::from_raw_parts(lines.as_ptr() as *const u8, self.stride) }
    }

    /// Row `id`'s scale and error bound, from the end of its line.
    #[inline]
    fn meta(row: &[u8]) -> (f32, f32) {
        let at = row.len() - 8;
        let f = |i: usize| f32::from_ne_bytes(row[i..i + 4].try_into().unwrap());
        (f(at), f(at + 4))
    }

    /// Approximate cosine of row `id` with a query quantised to `stride` values (its first
    /// part only: a graph search ranks candidates, it does not bound them).
    #[inline]
    pub fn approx(&self, id: u32, q: &QuantQuery) -> f32 {
        let row = self.row(id);
        let d = simd::row_dot_u8i8(row, &q.q);
        (d - q.offset_correction) as f32 * (q.scale * Self::meta(row).0)
    }

    /// Approximate cosine of row `id` with both parts of `q`, and its error bound under `b`
    /// ([`QuantQuery::two_part_bound`]).
    #[inline]
    pub fn refine(&self, id: u32, q: &QuantQuery, b: Bound) -> (f32, f32) {
        let row = self.row(id);
        let (hi, lo) = simd::row_dot2_u8i8(row, &q.q, &q.lo);
        let (scale, err) = Self::meta(row);
        let a = ((hi - q.offset_correction) as f32 * q.scale
            + (lo - q.lo_correction) as f32 * q.lo_scale)
            * scale;
        (a, err.mul_add(b.per_err, b.base))
    }

    pub fn quantise_query(&self, u: &[f32]) -> QuantQuery {
        quantise_query(u, self.stride)
    }
}

/// Quantise a query to `len` (>= its dimension) i8 values in two parts (see [`QuantQuery`]).
pub fn quantise_query(u: &[f32], len: usize) -> QuantQuery {
    quantise_query_in(u, len, 64)
}

/// [`quantise_query`] with values in `-max..=max` (`max` ≤ 127).
pub fn quantise_query_in(u: &[f32], len: usize, max: i8) -> QuantQuery {
    let top = max as f64;
    let part = |x: &[f64]| -> (Vec<i8>, f32, i32, Vec<f64>) {
        let amax = x.iter().fold(0f64, |m, v| m.max(v.abs()));
        let scale = if amax > 0.0 { (amax / top) as f32 } else { 1.0 };
        let mut q = vec![0i8; len];
        let mut rest = Vec::with_capacity(x.len());
        let mut sum = 0i32;
        for (d, &v) in x.iter().enumerate() {
            let k = (v / scale as f64).round().clamp(-top, top);
            q[d] = k as i8;
            sum += k as i32;
            rest.push(v - k * scale as f64);
        }
        (q, scale, 128 * sum, rest)
    };
    let x: Vec<f64> = u.iter().map(|&v| v as f64).collect();
    let (q, scale, offset_correction, rest) = part(&x);
    let (lo, lo_scale, lo_correction, miss) = part(&rest);
    let rest = &rest;
    QuantQuery {
        q,
        scale,
        offset_correction,
        lo,
        lo_scale,
        lo_correction,
        err_norm: miss.iter().map(|v| v * v).sum::<f64>().sqrt() as f32,
        hi_err_norm: rest.iter().map(|v| v * v).sum::<f64>().sqrt() as f32,
        norm: x.iter().map(|v| v * v).sum::<f64>().sqrt() as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::random_unit;
    use rand::SeedableRng;

    #[test]
    fn approximate_scores_stay_within_the_bound() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let dim = 50;
        let vecs = random_unit(&mut rng, 1000, dim);
        let table = QuantTable::build(&vecs, dim);
        let queries = random_unit(&mut rng, 20, dim);
        let mut worst = 0f32;
        for u in queries.chunks_exact(dim) {
            let q = table.quantise_query(u);
            for two_part in [false, true] {
                let b = table.error_bound(&q, two_part);
                let mut buf = ChunkBuf::new();
                for first in (0..table.nblocks()).step_by(CHUNK_ROWS / BLOCK_ROWS) {
                    let nb = (CHUNK_ROWS / BLOCK_ROWS).min(table.nblocks() - first);
                    table.classify_chunk(first, nb, &q, b, 0.5, &mut buf);
                    for (i, a) in buf.approx[..nb * BLOCK_ROWS].iter().enumerate() {
                        let r = first * BLOCK_ROWS + i;
                        if r >= table.rows {
                            continue;
                        }
                        let exact = simd::exact_dot(&vecs[r * dim..(r + 1) * dim], u);
                        let err = (exact - a).abs();
                        let bound = b.base + table.row_err(r) * b.per_err;
                        worst = worst.max(err / bound);
                        assert!(err <= bound, "row {r}: |{exact} - {a}| > {bound}");
                        let (blk, lane) = (i / BLOCK_ROWS, i % BLOCK_ROWS);
                        let above = buf.above[blk] >> lane & 1 == 1;
                        let reach = buf.reach[blk] >> lane & 1 == 1;
                        if exact > 0.5 {
                            assert!(reach, "row {r} is above 0.5 but not flagged as reaching it");
                        }
                        if above {
                            assert!(exact > 0.5, "row {r} flagged surely above 0.5 at {exact}");
                        }
                    }
                }
            }
        }
        // The bound is rigorous but should not be absurdly loose either.
        assert!(
            worst > 0.05,
            "bound looser than expected: worst ratio {worst}"
        );
    }

    #[test]
    fn refined_classification_is_sound_and_refines_only_undecided_blocks() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let dim = 50;
        let vecs = random_unit(&mut rng, 3000, dim);
        let table = QuantTable::build(&vecs, dim);
        let queries = random_unit(&mut rng, 20, dim);
        let per = CHUNK_ROWS / BLOCK_ROWS;
        let mut refined_blocks = 0;
        for (i, u) in queries.chunks_exact(dim).enumerate() {
            let q = table.quantise_query(u);
            let bounds = (table.error_bound(&q, false), table.error_bound(&q, true));
            // Thresholds where rows are dense (0.1) and sparse (0.5).
            let threshold = if i % 2 == 0 { 0.1 } else { 0.5 };
            let (mut refined, mut hi_only) = (ChunkBuf::new(), ChunkBuf::new());
            for first in (0..table.nblocks()).step_by(per) {
                let nb = per.min(table.nblocks() - first);
                table.classify_chunk_refined(first, nb, &q, bounds, threshold, &mut refined);
                table.classify_chunk(first, nb, &q, bounds.0, threshold, &mut hi_only);
                for j in 0..nb {
                    let was_undecided = hi_only.reach[j] & !hi_only.above[j] != 0;
                    let is_refined = refined.refined >> j & 1 == 1;
                    assert_eq!(is_refined, was_undecided, "block {}", first + j);
                    refined_blocks += is_refined as usize;
                    let b = if is_refined { bounds.1 } else { bounds.0 };
                    for lane in 0..BLOCK_ROWS {
                        let r = (first + j) * BLOCK_ROWS + lane;
                        if r >= table.rows {
                            continue;
                        }
                        let exact = simd::exact_dot(&vecs[r * dim..(r + 1) * dim], u);
                        let a = refined.approx[j * BLOCK_ROWS + lane];
                        assert!((exact - a).abs() <= b.base + table.row_err(r) * b.per_err);
                        if refined.above[j] >> lane & 1 == 1 {
                            assert!(exact > threshold, "row {r} surely above at {exact}");
                        }
                        if exact > threshold {
                            assert!(refined.reach[j] >> lane & 1 == 1, "row {r} above, missed");
                        }
                    }
                }
            }
        }
        assert!(refined_blocks > 0, "some blocks needed the second part");
    }

    #[test]
    fn refined_scores_stay_within_the_bound() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for dim in [50, 56, 57, 100] {
            let vecs = random_unit(&mut rng, 1000, dim);
            let table = RowTable::build(&vecs, dim);
            assert!(table.stride >= dim + 8 && table.stride.is_multiple_of(64));
            let mut worst = 0f32;
            for u in random_unit(&mut rng, 20, dim).chunks_exact(dim) {
                let q = table.quantise_query(u);
                let b = q.two_part_bound();
                for r in 0..1000u32 {
                    let exact = simd::exact_dot(&vecs[r as usize * dim..(r as usize + 1) * dim], u);
                    let (a, e) = table.refine(r, &q, b);
                    assert!(
                        (exact - a).abs() <= e,
                        "dim {dim}, row {r}: |{exact} - {a}| > {e}"
                    );
                    worst = worst.max((exact - a).abs() / e);
                    // The first part alone is what a graph search ranks by.
                    assert!((exact - table.approx(r, &q)).abs() < 0.05);
                }
            }
            // The bound is rigorous but should not be absurdly loose either.
            assert!(
                worst > 0.05,
                "bound looser than expected: worst ratio {worst}"
            );
        }
    }
}
