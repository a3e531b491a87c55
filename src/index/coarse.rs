//! The exact top k's first pass: every row as 4-bit codes with a rigorous per-row error bound.
//!
//! A scan must look at every row, and at 100k rows the int8 block table (60 bytes a row with
//! its scale and bound) no longer fits a core's L2: streaming it from L3 alone takes ~175 µs.
//! Here a row is 4 bits a dimension (28 bytes for 50 dimensions, plus one byte of scale code and
//! one of bound code), half the bytes. A top k's floor soon sits above nearly every word, so the
//! bound (~0.1) decides nearly every row, and the few it leaves open are looked up one by one in
//! the int8 rows (`quant::RowTable`). A rank's threshold sits among many words; there this bound
//! leaves too many rows open, and the rank scans the int8 block table instead (see `exact`).
//!
//! Row `v` (a unit vector) is stored as codes `c_d` in `0..=15` standing for `(c_d − 7.5)·s`,
//! `s = (k + 1)·scale_unit` with `k` a byte (so `s ≥ max|v_d| / 7.5`), and its error
//! `|e_v| = |v − a|` rounded up to a multiple of `err_unit`. A query `u` is quantised to i8 in
//! `−127..=127` with error `e_u`; as in `quant`, `|v·u − a·b| ≤ |e_u| + |e_v|·(|e_u| + |u|)`.
//!
//! Layout: blocks of 16 rows; a block is `chunks = ceil(dim / 8)` chunks of 64 bytes, and byte
//! `4·lane + j` of chunk `k` holds dimension `8k + j` of row `lane` in its low nibble and
//! dimension `8k + 4 + j` in its high one — the 4-byte lanes `vpdpbusd`/`vpmaddubsw` multiply.

use super::quant::CHUNK_ROWS;
use crate::simd::BLOCK_ROWS;
use crate::simd::{level, Level};

/// Dimensions per 64-byte chunk of a block (16 rows x 8 dimensions x 4 bits).
pub const CHUNK_DIMS: usize = 8;

pub struct CoarseTable {
    pub rows: usize,
    chunks: usize,
    /// `ceil(rows / 16)` blocks of `chunks * 64` bytes.
    codes: Vec<u8>,
    /// Per row (padded to whole blocks): `k`, the row's scale is `(k + 1) * scale_unit`.
    scale_codes: Vec<u8>,
    /// Per row: `j`, the row's error bound is `j * err_unit`.
    err_codes: Vec<u8>,
    scale_unit: f32,
    err_unit: f32,
}

/// A query quantised for the coarse pass.
pub struct CoarseQuery {
    /// `chunks * 8` values in −127..=127, zero-padded.
    pub q: Vec<i8>,
    /// `15 · Σq`: what the codes' +7.5 offset adds to twice the integer dot.
    pub offset15: i32,
    /// `scale_unit · query scale / 2`: the cosine per unit of `(2·dot − offset15)·(k + 1)`.
    pub unit: f32,
    /// Row r's bound is `base + err_code[r] * per_code`.
    pub base: f32,
    pub per_code: f32,
}

impl CoarseTable {
    pub fn build(vectors: &[f32], dim: usize) -> CoarseTable {
        let rows = vectors.len() / dim;
        let chunks = dim.div_ceil(CHUNK_DIMS);
        let nblocks = rows.div_ceil(BLOCK_ROWS);
        let amax: Vec<f64> = vectors
            .chunks_exact(dim)
            .map(|v| v.iter().fold(0f64, |m, &x| m.max((x as f64).abs())))
            .collect();
        let top = amax
            .iter()
            .fold(0f64, |m, &a| m.max(a))
            .max(f64::MIN_POSITIVE);
        let scale_unit = (top / 7.5 / 256.0) as f32;
        let unit = scale_unit as f64;
        let mut codes = vec![0u8; nblocks * chunks * 64];
        let mut scale_codes = vec![0u8; nblocks * BLOCK_ROWS];
        let mut errs = vec![0f64; rows];
        for (r, v) in vectors.chunks_exact(dim).enumerate() {
            // The smallest k whose scale covers the row's largest value.
            let k0 = ((amax[r] / 7.5 / unit).ceil() as i64 - 2).clamp(0, 255) as usize;
            let k = (k0..256)
                .find(|&k| (k + 1) as f64 * unit * 7.5 >= amax[r])
                .unwrap_or(255);
            scale_codes[r] = k as u8;
            let s = (k + 1) as f64 * unit;
            let (b, lane) = (r / BLOCK_ROWS, r % BLOCK_ROWS);
            let mut err = 0f64;
            for (d, &x) in v.iter().enumerate() {
                let c = (x as f64 / s + 7.5).round().clamp(0.0, 15.0);
                err += (x as f64 - (c - 7.5) * s).powi(2);
                let (k, j) = (d / CHUNK_DIMS, d % CHUNK_DIMS);
                let at = (b * chunks + k) * 64 + lane * 4 + j % 4;
                codes[at] |= (c as u8) << (4 * (j / 4));
            }
            errs[r] = err.sqrt();
        }
        // Error codes round up, so a decoded bound is never below the row's error.
        let max = errs.iter().fold(0f64, |m, &e| m.max(e));
        let err_unit = ((max * (1.0 + 1e-5)).max(f64::MIN_POSITIVE) / 255.0) as f32;
        let mut err_codes = vec![0u8; nblocks * BLOCK_ROWS];
        for (r, &e) in errs.iter().enumerate() {
            let j = (e / err_unit as f64).ceil().min(255.0) as u8;
            debug_assert!(j as f64 * err_unit as f64 >= e);
            err_codes[r] = j;
        }
        CoarseTable {
            rows,
            chunks,
            codes,
            scale_codes,
            err_codes,
            scale_unit,
            err_unit,
        }
    }

    pub fn nblocks(&self) -> usize {
        self.rows.div_ceil(BLOCK_ROWS)
    }

    pub fn memory_bytes(&self) -> usize {
        self.codes.len() + self.scale_codes.len() + self.err_codes.len()
    }

    /// Quantise a query (of `dim` values) for this table.
    pub fn quantise_query(&self, u: &[f32]) -> CoarseQuery {
        let amax = u.iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
        let scale = if amax > 0.0 { amax / 127.0 } else { 1.0 } as f32;
        let mut q = vec![0i8; self.chunks * CHUNK_DIMS];
        let (mut sum, mut miss, mut norm) = (0i32, 0f64, 0f64);
        for (d, &v) in u.iter().enumerate() {
            let k = (v as f64 / scale as f64).round().clamp(-127.0, 127.0);
            q[d] = k as i8;
            sum += k as i32;
            miss += (v as f64 - k * scale as f64).powi(2);
            norm += (v as f64).powi(2);
        }
        let (e_u, norm) = (miss.sqrt() * (1.0 + 1e-6), norm.sqrt() * (1.0 + 1e-6));
        CoarseQuery {
            q,
            offset15: 15 * sum,
            unit: self.scale_unit * scale * 0.5,
            // The slack covers the f32 rounding of the approximate score (relative ~1e-7).
            base: (e_u + 1e-5) as f32,
            per_code: ((e_u + norm) * self.err_unit as f64 * (1.0 + 1e-6)) as f32,
        }
    }

    /// Row `row`'s error bound for query `q`.
    #[inline]
    pub fn row_bound(&self, row: usize, q: &CoarseQuery) -> f32 {
        (self.err_codes[row] as f32).mul_add(q.per_code, q.base)
    }

    /// Score blocks `first..first + nb` and classify their rows against `threshold`: bit `l`
    /// of `buf.above[j]` says row `l` of block `first + j` is surely above it, bit `l` of
    /// `buf.reach[j]` that it may be at or above it; `buf.approx` gets the approximate cosines.
    pub fn classify_chunk(
        &self,
        first: usize,
        nb: usize,
        q: &CoarseQuery,
        threshold: f32,
        buf: &mut CoarseBuf,
    ) {
        debug_assert!(nb * BLOCK_ROWS <= CHUNK_ROWS);
        let len = self.chunks * 64;
        let n = nb * BLOCK_ROWS;
        scan(
            &self.codes[first * len..(first + nb) * len],
            &q.q,
            &mut buf.dots[..n],
        );
        let rows = first * BLOCK_ROWS..first * BLOCK_ROWS + n;
        classify(
            &Input {
                dots: &buf.dots[..n],
                scale_codes: &self.scale_codes[rows.clone()],
                err_codes: &self.err_codes[rows],
            },
            q,
            threshold,
            &mut buf.approx[..n],
            &mut buf.above[..nb],
            &mut buf.reach[..nb],
        );
    }
}

/// Scratch space for one chunk of a scan.
pub struct CoarseBuf {
    pub dots: [i32; CHUNK_ROWS],
    pub approx: [f32; CHUNK_ROWS],
    pub above: [u16; CHUNK_ROWS / BLOCK_ROWS],
    pub reach: [u16; CHUNK_ROWS / BLOCK_ROWS],
}

impl CoarseBuf {
    pub fn new() -> Box<CoarseBuf> {
        Box::new(CoarseBuf {
            dots: [0; CHUNK_ROWS],
            approx: [0.0; CHUNK_ROWS],
            above: [0; CHUNK_ROWS / BLOCK_ROWS],
            reach: [0; CHUNK_ROWS / BLOCK_ROWS],
        })
    }
}

/// Integer dots `Σ c_d · q_d` of every row of consecutive blocks (`codes`) with `query`
/// (`chunks * 8` i8 values); 16 per block into `out`. Every level gives the same integers.
pub fn scan(codes: &[u8], query: &[i8], out: &mut [i32]) {
    let chunks = query.len() / CHUNK_DIMS;
    assert_eq!(codes.len(), chunks * 64 * (out.len() / BLOCK_ROWS));
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: the features were detected at run time; the lengths are checked above.
        Level::Avx512Vnni => return unsafe { scan_vnni(codes, query, out) },
        Level::Avx2 => return unsafe { scan_avx2(codes, query, out) },
        Level::Scalar => {}
    }
    scan_scalar(codes, query, out)
}

pub fn scan_scalar(codes: &[u8], query: &[i8], out: &mut [i32]) {
    let chunks = query.len() / CHUNK_DIMS;
    for (block, out) in codes
        .chunks_exact(chunks * 64)
        .zip(out.chunks_exact_mut(BLOCK_ROWS))
    {
        for (lane, o) in out.iter_mut().enumerate() {
            let mut s = 0i32;
            for (k, q) in query.chunks_exact(CHUNK_DIMS).enumerate() {
                for j in 0..4 {
                    let byte = block[k * 64 + lane * 4 + j];
                    s += (byte & 15) as i32 * q[j] as i32 + (byte >> 4) as i32 * q[4 + j] as i32;
                }
            }
            *o = s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn scan_vnni(codes: &[u8], query: &[i8], out: &mut [i32]) {
    use std::arch::x86_64::*;
    let chunks = query.len() / CHUNK_DIMS;
    let qp = query.as_ptr() as *const i32;
    let nblocks = out.len() / BLOCK_ROWS;
    let stride = chunks * 64;
    // SAFETY: codes holds nblocks*stride bytes, query chunks*8, out nblocks*16 (caller).
    unsafe {
        let low = _mm512_set1_epi8(0x0f);
        let mut b = 0;
        // Four blocks at a time: four independent accumulator chains.
        while b + 4 <= nblocks {
            let base = codes.as_ptr().add(b * stride);
            let mut acc = [_mm512_setzero_si512(); 4];
            for k in 0..chunks {
                let qa = _mm512_set1_epi32(qp.add(2 * k).read_unaligned());
                let qb = _mm512_set1_epi32(qp.add(2 * k + 1).read_unaligned());
                let p = base.add(k * 64);
                for (i, a) in acc.iter_mut().enumerate() {
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add((8 + i) * stride) as *const i8);
                    let x = _mm512_loadu_si512(p.add(i * stride) as *const _);
                    let lo = _mm512_and_si512(x, low);
                    let hi = _mm512_and_si512(_mm512_srli_epi16::<4>(x), low);
                    *a = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(*a, lo, qa), hi, qb);
                }
            }
            let o = out.as_mut_ptr().add(b * BLOCK_ROWS);
            for (i, a) in acc.iter().enumerate() {
                _mm512_storeu_si512(o.add(16 * i) as *mut _, *a);
            }
            b += 4;
        }
        while b < nblocks {
            let base = codes.as_ptr().add(b * stride);
            let mut a = _mm512_setzero_si512();
            for k in 0..chunks {
                let qa = _mm512_set1_epi32(qp.add(2 * k).read_unaligned());
                let qb = _mm512_set1_epi32(qp.add(2 * k + 1).read_unaligned());
                let x = _mm512_loadu_si512(base.add(k * 64) as *const _);
                let lo = _mm512_and_si512(x, low);
                let hi = _mm512_and_si512(_mm512_srli_epi16::<4>(x), low);
                a = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(a, lo, qa), hi, qb);
            }
            _mm512_storeu_si512(out.as_mut_ptr().add(b * BLOCK_ROWS) as *mut _, a);
            b += 1;
        }
    }
}

/// Chunks summed in i16 before widening: a `vpmaddubsw` lane is at most 2·15·127 = 3,810 and
/// each chunk adds two of them, so four chunks stay below 32,767.
const I16_CHUNKS: usize = 4;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2(codes: &[u8], query: &[i8], out: &mut [i32]) {
    use std::arch::x86_64::*;
    let chunks = query.len() / CHUNK_DIMS;
    let qp = query.as_ptr() as *const i32;
    let nblocks = out.len() / BLOCK_ROWS;
    let stride = chunks * 64;
    // SAFETY: as above.
    unsafe {
        let low = _mm256_set1_epi8(0x0f);
        let ones = _mm256_set1_epi16(1);
        for b in 0..nblocks {
            let base = codes.as_ptr().add(b * stride);
            let mut acc = [_mm256_setzero_si256(); 2];
            let mut acc16 = [_mm256_setzero_si256(); 2];
            for k in 0..chunks {
                let qa = _mm256_set1_epi32(qp.add(2 * k).read_unaligned());
                let qb = _mm256_set1_epi32(qp.add(2 * k + 1).read_unaligned());
                _mm_prefetch::<_MM_HINT_T0>(base.wrapping_add(4 * stride + k * 64) as *const i8);
                for (h, a16) in acc16.iter_mut().enumerate() {
                    let x = _mm256_loadu_si256(base.add(k * 64 + 32 * h) as *const _);
                    let lo = _mm256_and_si256(x, low);
                    let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(x), low);
                    let s = _mm256_add_epi16(
                        _mm256_maddubs_epi16(lo, qa),
                        _mm256_maddubs_epi16(hi, qb),
                    );
                    *a16 = _mm256_add_epi16(*a16, s);
                }
                if k % I16_CHUNKS == I16_CHUNKS - 1 || k + 1 == chunks {
                    for (a, a16) in acc.iter_mut().zip(acc16.iter_mut()) {
                        *a = _mm256_add_epi32(*a, _mm256_madd_epi16(*a16, ones));
                        *a16 = _mm256_setzero_si256();
                    }
                }
            }
            let o = out.as_mut_ptr().add(b * BLOCK_ROWS);
            _mm256_storeu_si256(o as *mut _, acc[0]);
            _mm256_storeu_si256(o.add(8) as *mut _, acc[1]);
        }
    }
}

/// The per-row inputs of [`classify`].
pub struct Input<'a> {
    pub dots: &'a [i32],
    pub scale_codes: &'a [u8],
    pub err_codes: &'a [u8],
}

/// For each row: `approx = ((2·dot − offset15)·(k + 1)) · unit` and `err = base + j·per_code`;
/// bit l of `above[block]` is set when `approx − err > threshold` (surely above), of
/// `reach[block]` when `approx + err >= threshold` (possibly at or above). Every level computes
/// the same f32 operations, so the results agree bit for bit.
pub fn classify(
    input: &Input,
    q: &CoarseQuery,
    threshold: f32,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) {
    let n = input.dots.len();
    assert!(n.is_multiple_of(BLOCK_ROWS));
    assert!(input.scale_codes.len() >= n && input.err_codes.len() >= n && approx.len() >= n);
    assert!(above.len() >= n / BLOCK_ROWS && reach.len() >= n / BLOCK_ROWS);
    #[cfg(target_arch = "x86_64")]
    match level() {
        // SAFETY: features detected at run time; lengths checked above.
        Level::Avx512Vnni => {
            return unsafe { classify_avx512(input, q, threshold, approx, above, reach) }
        }
        Level::Avx2 => return unsafe { classify_avx2(input, q, threshold, approx, above, reach) },
        Level::Scalar => {}
    }
    classify_scalar(input, q, threshold, approx, above, reach)
}

pub fn classify_scalar(
    input: &Input,
    q: &CoarseQuery,
    threshold: f32,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) {
    for b in 0..input.dots.len() / BLOCK_ROWS {
        let (mut up, mut re) = (0u16, 0u16);
        for l in 0..BLOCK_ROWS {
            let r = b * BLOCK_ROWS + l;
            let x = (2 * input.dots[r] - q.offset15) * (input.scale_codes[r] as i32 + 1);
            let a = x as f32 * q.unit;
            let e = (input.err_codes[r] as f32).mul_add(q.per_code, q.base);
            approx[r] = a;
            up |= ((a - e > threshold) as u16) << l;
            re |= ((a + e >= threshold) as u16) << l;
        }
        above[b] = up;
        reach[b] = re;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn classify_avx512(
    input: &Input,
    q: &CoarseQuery,
    threshold: f32,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) {
    use std::arch::x86_64::*;
    // SAFETY: every load/store covers 16 lanes of a block inside the checked lengths.
    unsafe {
        let off = _mm512_set1_epi32(q.offset15);
        let one = _mm512_set1_epi32(1);
        let unit = _mm512_set1_ps(q.unit);
        let base = _mm512_set1_ps(q.base);
        let per = _mm512_set1_ps(q.per_code);
        let t = _mm512_set1_ps(threshold);
        for b in 0..input.dots.len() / BLOCK_ROWS {
            let o = b * BLOCK_ROWS;
            let d = _mm512_loadu_si512(input.dots.as_ptr().add(o) as *const _);
            let k = _mm512_cvtepu8_epi32(_mm_loadu_si128(
                input.scale_codes.as_ptr().add(o) as *const _
            ));
            let j =
                _mm512_cvtepu8_epi32(_mm_loadu_si128(input.err_codes.as_ptr().add(o) as *const _));
            let x = _mm512_mullo_epi32(
                _mm512_sub_epi32(_mm512_add_epi32(d, d), off),
                _mm512_add_epi32(k, one),
            );
            let a = _mm512_mul_ps(_mm512_cvtepi32_ps(x), unit);
            let e = _mm512_fmadd_ps(_mm512_cvtepi32_ps(j), per, base);
            _mm512_storeu_ps(approx.as_mut_ptr().add(o), a);
            above[b] = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(_mm512_sub_ps(a, e), t);
            reach[b] = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_add_ps(a, e), t);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn classify_avx2(
    input: &Input,
    q: &CoarseQuery,
    threshold: f32,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) {
    use std::arch::x86_64::*;
    // SAFETY: as above, 8 lanes at a time.
    unsafe {
        let off = _mm256_set1_epi32(q.offset15);
        let one = _mm256_set1_epi32(1);
        let unit = _mm256_set1_ps(q.unit);
        let base = _mm256_set1_ps(q.base);
        let per = _mm256_set1_ps(q.per_code);
        let t = _mm256_set1_ps(threshold);
        for b in 0..input.dots.len() / BLOCK_ROWS {
            let (mut up, mut re) = (0u16, 0u16);
            for h in 0..2 {
                let o = b * BLOCK_ROWS + h * 8;
                let d = _mm256_loadu_si256(input.dots.as_ptr().add(o) as *const _);
                let k = _mm256_cvtepu8_epi32(_mm_loadl_epi64(
                    input.scale_codes.as_ptr().add(o) as *const _
                ));
                let j = _mm256_cvtepu8_epi32(_mm_loadl_epi64(
                    input.err_codes.as_ptr().add(o) as *const _
                ));
                let x = _mm256_mullo_epi32(
                    _mm256_sub_epi32(_mm256_add_epi32(d, d), off),
                    _mm256_add_epi32(k, one),
                );
                let a = _mm256_mul_ps(_mm256_cvtepi32_ps(x), unit);
                let e = _mm256_fmadd_ps(_mm256_cvtepi32_ps(j), per, base);
                _mm256_storeu_ps(approx.as_mut_ptr().add(o), a);
                let u = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(_mm256_sub_ps(a, e), t));
                let r = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_GE_OQ>(_mm256_add_ps(a, e), t));
                up |= (u as u16) << (h * 8);
                re |= (r as u16) << (h * 8);
            }
            above[b] = up;
            reach[b] = re;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::random_unit;
    use rand::SeedableRng;

    /// A classify implementation with its inputs bound: `(approx, above, reach)`.
    type Classifier<'a> = dyn Fn(&mut [f32], &mut [u16], &mut [u16]) + 'a;

    #[test]
    fn every_level_computes_the_same_dots_and_classes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for (dim, n) in [(50usize, 16 * 9 + 5), (8, 16), (64, 16 * 5), (3, 40)] {
            let vecs = random_unit(&mut rng, n, dim);
            let table = CoarseTable::build(&vecs, dim);
            let u = &random_unit(&mut rng, 1, dim);
            let q = table.quantise_query(u);
            let nb = table.nblocks();
            // The plain definition: dimension d of row r is a nibble at its documented place.
            let mut want = vec![0i32; nb * BLOCK_ROWS];
            for (r, w) in want.iter_mut().enumerate() {
                let (b, lane) = (r / BLOCK_ROWS, r % BLOCK_ROWS);
                for (d, &qd) in q.q.iter().enumerate() {
                    let (k, j) = (d / CHUNK_DIMS, d % CHUNK_DIMS);
                    let byte = table.codes[(b * table.chunks + k) * 64 + lane * 4 + j % 4];
                    *w += ((byte >> (4 * (j / 4))) & 15) as i32 * qd as i32;
                }
            }
            let mut got = vec![0i32; nb * BLOCK_ROWS];
            scan(&table.codes, &q.q, &mut got);
            assert_eq!(got, want, "dispatched ({:?}), dim {dim}", level());
            let mut scalar = vec![0i32; nb * BLOCK_ROWS];
            scan_scalar(&table.codes, &q.q, &mut scalar);
            assert_eq!(scalar, want, "scalar, dim {dim}");
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx2") {
                let mut avx2 = vec![0i32; nb * BLOCK_ROWS];
                unsafe { scan_avx2(&table.codes, &q.q, &mut avx2) };
                assert_eq!(avx2, want, "avx2, dim {dim}");
            }
            let input = Input {
                dots: &want,
                scale_codes: &table.scale_codes,
                err_codes: &table.err_codes,
            };
            let run = |f: &Classifier| {
                let (mut a, mut up, mut re) =
                    (vec![0f32; nb * BLOCK_ROWS], vec![0u16; nb], vec![0u16; nb]);
                f(&mut a, &mut up, &mut re);
                (a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), up, re)
            };
            let scalar = run(&|a, up, re| classify_scalar(&input, &q, 0.1, a, up, re));
            let dispatched = run(&|a, up, re| classify(&input, &q, 0.1, a, up, re));
            assert_eq!(dispatched, scalar, "classify ({:?}), dim {dim}", level());
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                let avx2 = run(&|a, up, re| unsafe { classify_avx2(&input, &q, 0.1, a, up, re) });
                assert_eq!(avx2, scalar, "classify avx2, dim {dim}");
            }
        }
    }

    #[test]
    fn approximate_scores_stay_within_the_bound_and_classes_are_sound() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let dim = 50;
        let vecs = random_unit(&mut rng, 2000, dim);
        let table = CoarseTable::build(&vecs, dim);
        let mut buf = CoarseBuf::new();
        let mut worst = 0f32;
        let per = CHUNK_ROWS / BLOCK_ROWS;
        for u in random_unit(&mut rng, 20, dim).chunks_exact(dim) {
            let q = table.quantise_query(u);
            for threshold in [-0.2, 0.0, 0.1, 0.3] {
                for first in (0..table.nblocks()).step_by(per) {
                    let nb = per.min(table.nblocks() - first);
                    table.classify_chunk(first, nb, &q, threshold, &mut buf);
                    for i in 0..nb * BLOCK_ROWS {
                        let r = first * BLOCK_ROWS + i;
                        if r >= table.rows {
                            continue;
                        }
                        let exact = crate::simd::exact_dot(&vecs[r * dim..(r + 1) * dim], u);
                        let bound = table.row_bound(r, &q);
                        let err = (exact - buf.approx[i]).abs();
                        worst = worst.max(err / bound);
                        assert!(
                            err <= bound,
                            "row {r}: |{exact} - {}| > {bound}",
                            buf.approx[i]
                        );
                        let (blk, lane) = (i / BLOCK_ROWS, i % BLOCK_ROWS);
                        if buf.above[blk] >> lane & 1 == 1 {
                            assert!(exact > threshold, "row {r} surely above at {exact}");
                        }
                        if exact >= threshold {
                            assert!(buf.reach[blk] >> lane & 1 == 1, "row {r} at {exact} missed");
                        }
                    }
                }
            }
        }
        // Rigorous, but not absurdly loose either.
        assert!(
            worst > 0.05,
            "bound looser than expected: worst ratio {worst}"
        );
    }
}
