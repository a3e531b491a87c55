//! Dot-product kernels with SIMD chosen at run time and a scalar fallback.
//!
//! Two kinds of dot product live here:
//! - [`dot`]: fast f32 dot product used while *searching* (graph traversal, first passes).
//! - [`exact_dot`]: the one definition of a cosine that the service *reports*: f64 accumulation
//!   in index order, so every path (exact scan, HNSW rerank, rank, tests) agrees to the last bit.
//!
//! And the int8 kernels of the rank's quantised scan over a block-transposed table (see
//! `index::quant`): [`scan_blocks_u8i8`] (integer dot products 16 rows at a time) and
//! [`classify`] (approximate cosines and their bounds against a threshold), which
//! [`scan_classify`] runs as one pass (fused into one kernel at the AVX-512 level). Every
//! implementation (AVX-512 VNNI, AVX2, scalar) returns bit-identical results.

use std::sync::OnceLock;

mod scan_classify;
pub use scan_classify::{scan_classify, scan_query_max, ChunkRows, TwoPartQuery};

/// Which instruction set the kernels use on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Scalar,
    Avx2,
    Avx512Vnni,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2",
            Level::Avx512Vnni => "avx512-vnni",
        }
    }
}

static LEVEL: OnceLock<Level> = OnceLock::new();

/// The best instruction set this CPU supports; `WORD_BOCCE_SIMD=scalar|avx2` caps it (for tests
/// and benchmarks of the fallbacks).
pub fn level() -> Level {
    *LEVEL.get_or_init(|| {
        let cap = std::env::var("WORD_BOCCE_SIMD").unwrap_or_default();
        detect(&cap)
    })
}

#[cfg(target_arch = "x86_64")]
fn detect(cap: &str) -> Level {
    if cap == "scalar" {
        return Level::Scalar;
    }
    let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let vnni = avx2
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512vnni");
    if vnni && cap != "avx2" {
        Level::Avx512Vnni
    } else if avx2 {
        Level::Avx2
    } else {
        Level::Scalar
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect(_cap: &str) -> Level {
    Level::Scalar
}

/// f32 dot product of two equal-length slices, SIMD when available.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(target_arch = "x86_64")]
    {
        if level() != Level::Scalar {
            // SAFETY: AVX2 and FMA were detected at run time.
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_scalar(a, b)
}

pub fn dot_scalar(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        for l in 0..8 {
            acc[l] += a[c * 8 + l] * b[c * 8 + l];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for i in chunks * 8..a.len() {
        s += a[i] * b[i];
    }
    s
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut i = 0;
    // SAFETY (whole block): every load reads 8 floats at offsets i..i+8 <= n.
    unsafe {
        while i + 16 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                acc1,
            );
            i += 16;
        }
        if i + 8 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            i += 8;
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let hi = _mm256_extractf128_ps(acc, 1);
        let lo = _mm256_castps256_ps128(acc);
        let s4 = _mm_add_ps(hi, lo);
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        let s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
        let mut s = _mm_cvtss_f32(s1);
        while i < n {
            s += *pa.add(i) * *pb.add(i);
            i += 1;
        }
        s
    }
}

/// The reported cosine of two unit vectors: f64 accumulation in index order, deterministic on
/// every machine and every code path.
#[inline]
pub fn exact_dot(a: &[f32], b: &[f32]) -> f32 {
    let mut s = 0f64;
    for (x, y) in a.iter().zip(b) {
        s += *x as f64 * *y as f64;
    }
    s as f32
}

/// Rows per block of the transposed int8 table.
pub const BLOCK_ROWS: usize = 16;
/// Dimensions per group: a block is `groups` chunks of 16 rows x 4 dims (64 bytes each).
pub const GROUP_DIMS: usize = 4;

/// Integer dot products of every row of consecutive blocks with the query. A block is
/// `groups` chunks of 16 rows x 4 u8 (64 bytes each); `query` holds `groups * 4` i8 values in
/// -64..=64 (so the AVX2 path cannot saturate); `out` gets 16 values per block.
#[inline]
pub fn scan_blocks_u8i8(blocks: &[u8], query: &[i8], out: &mut [i32]) {
    let groups = query.len() / GROUP_DIMS;
    debug_assert_eq!(blocks.len(), groups * 64 * (out.len() / BLOCK_ROWS));
    #[cfg(target_arch = "x86_64")]
    {
        match level() {
            // SAFETY: the features were detected at run time (AVX-512 implies AVX2); lengths
            // checked above. (The rank's AVX-512 scan is fused: `scan_classify`.)
            Level::Avx512Vnni | Level::Avx2 => return unsafe { scan_avx2(blocks, query, out) },
            Level::Scalar => {}
        }
    }
    scan_scalar(blocks, query, out)
}

pub fn scan_scalar(blocks: &[u8], query: &[i8], out: &mut [i32]) {
    let groups = query.len() / GROUP_DIMS;
    for (block, out) in blocks
        .chunks_exact(groups * 64)
        .zip(out.chunks_exact_mut(BLOCK_ROWS))
    {
        out.fill(0);
        for (g, q) in query.chunks_exact(GROUP_DIMS).enumerate() {
            let chunk = &block[g * 64..g * 64 + 64];
            for (r, o) in out.iter_mut().enumerate() {
                let row = &chunk[r * 4..r * 4 + 4];
                *o += row
                    .iter()
                    .zip(q)
                    .map(|(&a, &b)| a as i32 * b as i32)
                    .sum::<i32>();
            }
        }
    }
}

/// The groups of a 50-dimensional model (the committed GloVe vectors): its scan is compiled
/// with the group loop unrolled (half the instructions of the loop with a run-time count).
const GLOVE_GROUPS: usize = 13;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2(blocks: &[u8], query: &[i8], out: &mut [i32]) {
    // SAFETY: the same contract; the features are enabled here too.
    unsafe {
        match query.len() / GROUP_DIMS {
            GLOVE_GROUPS => scan_avx2_groups::<GLOVE_GROUPS>(blocks, query, out),
            _ => scan_avx2_groups::<0>(blocks, query, out),
        }
    }
}

/// [`scan_avx2`] for `G` groups (`0`: as many as the query has).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2_groups<const G: usize>(blocks: &[u8], query: &[i8], out: &mut [i32]) {
    use std::arch::x86_64::*;
    let groups = if G == 0 { query.len() / GROUP_DIMS } else { G };
    debug_assert_eq!(groups, query.len() / GROUP_DIMS);
    let qp = query.as_ptr() as *const i32;
    let nblocks = out.len() / BLOCK_ROWS;
    let stride = groups * 64;
    // SAFETY: as above.
    unsafe {
        let ones = _mm256_set1_epi16(1);
        for b in 0..nblocks {
            let base = blocks.as_ptr().add(b * stride);
            let mut lo = _mm256_setzero_si256();
            let mut hi = _mm256_setzero_si256();
            for g in 0..groups {
                let q = _mm256_set1_epi32(qp.add(g).read_unaligned());
                let b0 = _mm256_loadu_si256(base.add(g * 64) as *const _);
                let b1 = _mm256_loadu_si256(base.add(g * 64 + 32) as *const _);
                // u8 x i8 pairs summed to i16: 255*64*2 < 32767, no saturation.
                lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_maddubs_epi16(b0, q), ones));
                hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_maddubs_epi16(b1, q), ones));
            }
            let o = out.as_mut_ptr().add(b * BLOCK_ROWS);
            _mm256_storeu_si256(o as *mut _, lo);
            _mm256_storeu_si256(o.add(8) as *mut _, hi);
        }
    }
}

/// How [`classify`] turns integer dots into approximate cosines and error bounds, and the
/// threshold it classifies them against.
#[derive(Debug, Clone, Copy)]
pub struct Classify {
    /// Subtracted from every integer dot (undoes the rows' +128 offset).
    pub corr: i32,
    /// The query's scale (times each row's scale gives the cosine per integer unit).
    pub qscale: f32,
    /// The same for the second part of the query.
    pub lo_corr: i32,
    pub lo_qscale: f32,
    /// Row r's scale is `(scale_codes[r] + 1) * scale_unit`.
    pub scale_unit: f32,
    /// Row r's error bound is `base + (err_codes[r] * err_unit) * per_err`.
    pub err_unit: f32,
    pub base: f32,
    pub per_err: f32,
    pub threshold: f32,
}

/// The per-row inputs of [`classify`].
pub struct ClassifyInput<'a> {
    pub dots: &'a [i32],
    pub lo_dots: &'a [i32],
    pub scale_codes: &'a [u8],
    pub err_codes: &'a [u8],
}

/// For each row of a chunk: `approx = ((dot − corr) · qscale + (lo − lo_corr) · lo_qscale) ·
/// scale` and `err = base + err_v · per_err`, with the row's scale and error `err_v` decoded
/// from its codes; bit r of `above[block]` is set when `approx − err > threshold` (surely above) and
/// bit r of `reach[block]` when `approx + err >= threshold` (possibly at or above).
#[inline]
pub fn classify(
    input: &ClassifyInput,
    c: &Classify,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) {
    let ClassifyInput {
        dots,
        scale_codes,
        err_codes,
        ..
    } = *input;
    let n = dots.len();
    assert!(
        n.is_multiple_of(BLOCK_ROWS)
            && scale_codes.len() >= n
            && err_codes.len() >= n
            && approx.len() >= n
    );
    debug_assert!(above.len() >= n / BLOCK_ROWS && reach.len() >= n / BLOCK_ROWS);
    #[cfg(target_arch = "x86_64")]
    {
        match level() {
            // SAFETY: features detected at run time (AVX-512 implies AVX2); lengths checked
            // above.
            Level::Avx512Vnni | Level::Avx2 => {
                return unsafe { classify_avx2(input, c, approx, above, reach) }
            }
            Level::Scalar => {}
        }
    }
    classify_scalar(input, c, approx, above, reach)
}

pub fn classify_scalar(
    input: &ClassifyInput,
    c: &Classify,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) {
    let ClassifyInput {
        dots,
        lo_dots,
        scale_codes,
        err_codes,
    } = *input;
    for b in 0..dots.len() / BLOCK_ROWS {
        let (mut up, mut re) = (0u16, 0u16);
        for l in 0..BLOCK_ROWS {
            let r = b * BLOCK_ROWS + l;
            let hi = (dots[r] - c.corr) as f32 * c.qscale;
            let lo = (lo_dots[r] - c.lo_corr) as f32 * c.lo_qscale;
            let a = (hi + lo) * ((scale_codes[r] as u32 + 1) as f32 * c.scale_unit);
            let e = (err_codes[r] as f32 * c.err_unit).mul_add(c.per_err, c.base);
            approx[r] = a;
            up |= ((a - e > c.threshold) as u16) << l;
            re |= ((a + e >= c.threshold) as u16) << l;
        }
        above[b] = up;
        reach[b] = re;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn classify_avx2(
    input: &ClassifyInput,
    c: &Classify,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) {
    use std::arch::x86_64::*;
    let ClassifyInput {
        dots,
        lo_dots,
        scale_codes,
        err_codes,
    } = *input;
    // SAFETY: as above, 8 lanes at a time.
    unsafe {
        let corr = _mm256_set1_epi32(c.corr);
        let qs = _mm256_set1_ps(c.qscale);
        let lo_corr = _mm256_set1_epi32(c.lo_corr);
        let lo_qs = _mm256_set1_ps(c.lo_qscale);
        let base = _mm256_set1_ps(c.base);
        let per = _mm256_set1_ps(c.per_err);
        let t = _mm256_set1_ps(c.threshold);
        let su = _mm256_set1_ps(c.scale_unit);
        let eu = _mm256_set1_ps(c.err_unit);
        let one = _mm256_set1_epi32(1);
        for b in 0..dots.len() / BLOCK_ROWS {
            let (mut up, mut re) = (0u16, 0u16);
            for h in 0..2 {
                let o = b * BLOCK_ROWS + h * 8;
                let k =
                    _mm256_cvtepu8_epi32(_mm_loadl_epi64(scale_codes.as_ptr().add(o) as *const _));
                let j =
                    _mm256_cvtepu8_epi32(_mm_loadl_epi64(err_codes.as_ptr().add(o) as *const _));
                let d =
                    _mm256_sub_epi32(_mm256_loadu_si256(dots.as_ptr().add(o) as *const _), corr);
                let l = _mm256_sub_epi32(
                    _mm256_loadu_si256(lo_dots.as_ptr().add(o) as *const _),
                    lo_corr,
                );
                let hi = _mm256_mul_ps(_mm256_cvtepi32_ps(d), qs);
                let lo = _mm256_mul_ps(_mm256_cvtepi32_ps(l), lo_qs);
                let scale = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(k, one)), su);
                let a = _mm256_mul_ps(_mm256_add_ps(hi, lo), scale);
                let err = _mm256_mul_ps(_mm256_cvtepi32_ps(j), eu);
                let e = _mm256_fmadd_ps(err, per, base);
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

/// The number of bits set in `masks` (a scan's per-block row masks).
#[inline]
pub fn count_bits(masks: &[u16]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if level() != Level::Scalar && std::is_x86_feature_detected!("popcnt") {
        // SAFETY: the feature was detected at run time.
        return unsafe { count_bits_popcnt(masks) };
    }
    masks.iter().map(|m| m.count_ones() as usize).sum()
}

/// [`count_bits`] with the `popcnt` instruction (the crate's baseline target has none, so
/// `count_ones` elsewhere is a dozen instructions), four masks at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn count_bits_popcnt(masks: &[u16]) -> usize {
    let mut chunks = masks.chunks_exact(4);
    let mut n = 0usize;
    for c in &mut chunks {
        let w = c[0] as u64 | (c[1] as u64) << 16 | (c[2] as u64) << 32 | (c[3] as u64) << 48;
        n += w.count_ones() as usize;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|m| m.count_ones() as usize)
        .sum::<usize>()
}

/// Integer dot product of one row-major u8 row with an i8 query (values in -64..=64) of the
/// same length (used by graph traversal).
#[inline]
pub fn row_dot_u8i8(row: &[u8], query: &[i8]) -> i32 {
    debug_assert_eq!(row.len(), query.len());
    #[cfg(target_arch = "x86_64")]
    {
        if level() != Level::Scalar && row.len().is_multiple_of(32) && query.len() == row.len() {
            // SAFETY: AVX2 detected; both slices hold the same multiple of 32 bytes.
            return unsafe { row_dot_avx2(row, query) };
        }
    }
    row.iter()
        .zip(query)
        .map(|(&a, &b)| a as i32 * b as i32)
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn row_dot_avx2(row: &[u8], query: &[i8]) -> i32 {
    use std::arch::x86_64::*;
    // SAFETY: equal lengths, a multiple of 32, checked by the caller.
    unsafe {
        let ones = _mm256_set1_epi16(1);
        let mut s = _mm256_setzero_si256();
        let mut i = 0;
        while i < row.len() {
            let r = _mm256_loadu_si256(row.as_ptr().add(i) as *const _);
            let q = _mm256_loadu_si256(query.as_ptr().add(i) as *const _);
            s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(r, q), ones));
            i += 32;
        }
        let hi = _mm256_extracti128_si256(s, 1);
        let s4 = _mm_add_epi32(_mm256_castsi256_si128(s), hi);
        let s2 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0b01_00_11_10));
        let s1 = _mm_add_epi32(s2, _mm_shuffle_epi32(s2, 0b10_11_00_01));
        _mm_cvtsi128_si32(s1)
    }
}

/// [`row_dot_u8i8`] of one row with two queries at once (the two parts of a quantised query):
/// the row is loaded once.
#[inline]
pub fn row_dot2_u8i8(row: &[u8], q1: &[i8], q2: &[i8]) -> (i32, i32) {
    debug_assert!(row.len() == q1.len() && row.len() == q2.len());
    #[cfg(target_arch = "x86_64")]
    {
        if level() != Level::Scalar
            && row.len().is_multiple_of(32)
            && q1.len() == row.len()
            && q2.len() == row.len()
        {
            // SAFETY: AVX2 detected; the three slices hold the same multiple of 32 bytes.
            return unsafe { row_dot2_avx2(row, q1, q2) };
        }
    }
    let dot = |q: &[i8]| row.iter().zip(q).map(|(&a, &b)| a as i32 * b as i32).sum();
    (dot(q1), dot(q2))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn row_dot2_avx2(row: &[u8], q1: &[i8], q2: &[i8]) -> (i32, i32) {
    use std::arch::x86_64::*;
    // SAFETY: equal lengths, a multiple of 32, checked by the caller.
    unsafe {
        let ones = _mm256_set1_epi16(1);
        let (mut s1, mut s2) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        let mut i = 0;
        while i < row.len() {
            let r = _mm256_loadu_si256(row.as_ptr().add(i) as *const _);
            let a = _mm256_loadu_si256(q1.as_ptr().add(i) as *const _);
            let b = _mm256_loadu_si256(q2.as_ptr().add(i) as *const _);
            s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_maddubs_epi16(r, a), ones));
            s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(_mm256_maddubs_epi16(r, b), ones));
            i += 32;
        }
        // Both sums at once: s1's halves in the low lane, s2's in the high one.
        let lo = _mm256_permute2x128_si256::<0x20>(s1, s2);
        let hi = _mm256_permute2x128_si256::<0x31>(s1, s2);
        let s = _mm256_add_epi32(lo, hi);
        let s = _mm256_add_epi32(s, _mm256_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm256_add_epi32(s, _mm256_shuffle_epi32::<0b10_11_00_01>(s));
        (_mm256_extract_epi32::<0>(s), _mm256_extract_epi32::<4>(s))
    }
}

/// Hint the CPU to fetch the cache line holding `p`.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn simd_dot_matches_scalar() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for n in [1usize, 7, 8, 15, 16, 17, 50, 64, 300] {
            let a: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let r = exact_dot(&a, &b);
            assert!((dot(&a, &b) - r).abs() < 1e-4, "n={n}");
            assert!((dot_scalar(&a, &b) - r).abs() < 1e-4, "n={n}");
        }
    }

    #[test]
    fn int8_kernels_agree_bit_for_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for (groups, nblocks) in [(1usize, 1usize), (13, 7), (16, 4), (13, 9)] {
            let blocks: Vec<u8> = (0..groups * 64 * nblocks).map(|_| rng.random()).collect();
            let query: Vec<i8> = (0..groups * 4)
                .map(|_| rng.random_range(-64..=64))
                .collect();
            // Plain definition: row r of block b, dim d = 4g+k sits at b*stride + g*64 + r*4 + k.
            let mut want = vec![0i32; nblocks * BLOCK_ROWS];
            for b in 0..nblocks {
                for r in 0..BLOCK_ROWS {
                    for d in 0..groups * 4 {
                        let byte = blocks[b * groups * 64 + (d / 4) * 64 + r * 4 + d % 4];
                        want[b * BLOCK_ROWS + r] += byte as i32 * query[d] as i32;
                    }
                }
            }
            let mut got = vec![0i32; nblocks * BLOCK_ROWS];
            scan_blocks_u8i8(&blocks, &query, &mut got);
            assert_eq!(got, want, "dispatched ({:?})", level());
            let mut got = vec![0i32; nblocks * BLOCK_ROWS];
            scan_scalar(&blocks, &query, &mut got);
            assert_eq!(got, want, "scalar");
            #[cfg(target_arch = "x86_64")]
            if is_x86_feature_detected!("avx2") {
                let mut got = vec![0i32; nblocks * BLOCK_ROWS];
                unsafe { scan_avx2(&blocks, &query, &mut got) };
                assert_eq!(got, want, "avx2");
            }
        }
    }

    #[test]
    fn count_bits_counts_every_mask_whatever_the_length() {
        let masks: Vec<u16> = (0..67u32)
            .map(|i| (i.wrapping_mul(0x9E37_79B9) >> 7) as u16)
            .collect();
        for n in [0, 1, 3, 4, 5, 64, 67] {
            let want: u32 = masks[..n].iter().map(|m| m.count_ones()).sum();
            assert_eq!(count_bits(&masks[..n]), want as usize, "{n} masks");
        }
        assert_eq!(count_bits(&[u16::MAX; 64]), 1024);
    }

    #[test]
    fn row_dots_agree_with_their_definition() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for len in [32, 64, 128, 50] {
            let row: Vec<u8> = (0..len).map(|_| rng.random()).collect();
            let q1: Vec<i8> = (0..len).map(|_| rng.random_range(-64..=64)).collect();
            let q2: Vec<i8> = (0..len).map(|_| rng.random_range(-64..=64)).collect();
            let def =
                |q: &[i8]| -> i32 { row.iter().zip(q).map(|(&a, &b)| a as i32 * b as i32).sum() };
            assert_eq!(row_dot_u8i8(&row, &q1), def(&q1), "len {len}");
            assert_eq!(
                row_dot2_u8i8(&row, &q1, &q2),
                (def(&q1), def(&q2)),
                "len {len}"
            );
        }
    }
}
