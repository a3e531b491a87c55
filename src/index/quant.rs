//! Int8 quantisation of the vectors, with a rigorous error bound.
//!
//! Each row `v` is stored as `q = round(v / s)` with `s = max|v_i| / 127`, offset by 128 into a
//! `u8`. A query `u` is quantised to `i8` in `-64..=64` (so the AVX2 kernel cannot saturate).
//! With `a = s·q` and `e_v = v − a` (and likewise for `u`):
//!
//! `v·u − a·b = a·e_u + e_v·u`, so `|v·u − approx| ≤ |a|·|e_u| + |e_v|·|u|`.
//!
//! `|e_v|` is known per row at quantisation time; its maximum over the table bounds every row.
//! A scan therefore knows, for every row, an interval that surely holds the exact cosine, and
//! only rescoring rows whose interval straddles a threshold keeps results exact.

use crate::simd::{self, BLOCK_ROWS, GROUP_DIMS};

/// A quantised query.
pub struct QuantQuery {
    /// `groups * 4` values in -64..=64, zero-padded.
    pub q: Vec<i8>,
    pub scale: f32,
    /// Subtract from the integer dot to undo the +128 offset of the rows.
    pub offset_correction: i32,
    /// `|e_u|`: the query's quantisation error norm.
    pub err_norm: f32,
    /// `|u|`.
    pub norm: f32,
}

/// The block-transposed int8 table scanned by the exact index.
pub struct QuantTable {
    pub dim: usize,
    pub groups: usize,
    pub rows: usize,
    /// `ceil(rows / 16)` blocks of `groups * 64` bytes.
    pub blocks: Vec<u8>,
    /// Per-row scale, padded to whole blocks.
    pub scales: Vec<f32>,
    /// The largest `|e_v|` over all rows.
    pub max_err: f32,
    /// The largest `|a|` (norm of a dequantised row).
    pub max_norm: f32,
}

impl QuantTable {
    pub fn build(vectors: &[f32], dim: usize) -> QuantTable {
        let rows = vectors.len() / dim;
        let groups = dim.div_ceil(GROUP_DIMS);
        let nblocks = rows.div_ceil(BLOCK_ROWS);
        let block_len = groups * 64;
        let mut blocks = vec![128u8; nblocks * block_len];
        let mut scales = vec![0f32; nblocks * BLOCK_ROWS];
        let mut max_err = 0f32;
        let mut max_norm = 0f32;
        for (r, v) in vectors.chunks_exact(dim).enumerate() {
            let amax = v.iter().fold(0f32, |m, x| m.max(x.abs()));
            let s = if amax > 0.0 { amax / 127.0 } else { 1.0 };
            scales[r] = s;
            let (b, lane) = (r / BLOCK_ROWS, r % BLOCK_ROWS);
            let mut err = 0f64;
            let mut norm = 0f64;
            for (d, &x) in v.iter().enumerate() {
                let q = (x / s).round().clamp(-127.0, 127.0);
                let deq = q as f64 * s as f64;
                err += (x as f64 - deq).powi(2);
                norm += deq * deq;
                let (g, k) = (d / GROUP_DIMS, d % GROUP_DIMS);
                blocks[b * block_len + g * 64 + lane * GROUP_DIMS + k] = (q as i32 + 128) as u8;
            }
            max_err = max_err.max(err.sqrt() as f32);
            max_norm = max_norm.max(norm.sqrt() as f32);
        }
        QuantTable {
            dim,
            groups,
            rows,
            blocks,
            scales,
            max_err,
            max_norm,
        }
    }

    pub fn nblocks(&self) -> usize {
        self.rows.div_ceil(BLOCK_ROWS)
    }

    pub fn quantise_query(&self, u: &[f32]) -> QuantQuery {
        quantise_query(u, self.groups * GROUP_DIMS)
    }

    /// A bound on `|exact − approx|` for every row of this table and this query, with slack for
    /// the f32 rounding of the approximate score itself.
    pub fn error_bound(&self, q: &QuantQuery) -> f32 {
        self.max_norm * q.err_norm + self.max_err * q.norm + 1e-5
    }

    /// The approximate scores of the rows of blocks `first..first + out.len() / 16`.
    #[inline]
    pub fn approx_chunk(&self, first: usize, q: &QuantQuery, dots: &mut [i32], out: &mut [f32]) {
        let nb = out.len() / BLOCK_ROWS;
        let len = self.groups * 64;
        simd::scan_blocks_u8i8(
            &self.blocks[first * len..(first + nb) * len],
            &q.q,
            &mut dots[..out.len()],
        );
        let scales = &self.scales[first * BLOCK_ROWS..first * BLOCK_ROWS + out.len()];
        for ((o, &d), &s) in out.iter_mut().zip(dots.iter()).zip(scales) {
            *o = (d - q.offset_correction) as f32 * (q.scale * s);
        }
    }
}

/// Quantise a query to `len` (>= its dimension) i8 values in -64..=64.
pub fn quantise_query(u: &[f32], len: usize) -> QuantQuery {
    let amax = u.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if amax > 0.0 { amax / 64.0 } else { 1.0 };
    let mut q = vec![0i8; len];
    let mut err = 0f64;
    let mut norm = 0f64;
    let mut sum = 0i32;
    for (d, &x) in u.iter().enumerate() {
        let v = (x / scale).round().clamp(-64.0, 64.0);
        q[d] = v as i8;
        sum += v as i32;
        err += (x as f64 - v as f64 * scale as f64).powi(2);
        norm += x as f64 * x as f64;
    }
    QuantQuery {
        q,
        scale,
        offset_correction: 128 * sum,
        err_norm: err.sqrt() as f32,
        norm: norm.sqrt() as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Synthetic unit vectors (this test is about the arithmetic, not the model).
    fn random_unit(rng: &mut impl Rng, n: usize, dim: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..n * dim).map(|_| rng.random_range(-1.0..1.0)).collect();
        for row in v.chunks_exact_mut(dim) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            row.iter_mut().for_each(|x| *x /= norm);
        }
        v
    }

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
            let bound = table.error_bound(&q);
            let mut dots = vec![0i32; table.nblocks() * BLOCK_ROWS];
            let mut approx = vec![0f32; table.nblocks() * BLOCK_ROWS];
            table.approx_chunk(0, &q, &mut dots, &mut approx);
            for (r, a) in approx.iter().enumerate().take(table.rows) {
                let exact = simd::exact_dot(&vecs[r * dim..(r + 1) * dim], u);
                let err = (exact - a).abs();
                worst = worst.max(err / bound);
                assert!(err <= bound, "row {r}: |{exact} - {a}| > {bound}");
            }
        }
        // The bound is rigorous but should not be absurdly loose either.
        assert!(
            worst > 0.05,
            "bound looser than expected: worst ratio {worst}"
        );
    }
}
