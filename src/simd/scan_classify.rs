//! The rank's first pass, [`scan_classify`]: every block of a chunk scored with the query's
//! first part and classified against the threshold; a block with a row that classification
//! leaves undecided scored with the query's second part and classified again with the tighter
//! bound. At the AVX-512 level in one kernel: each block's dots stay in registers and are
//! classified at once, and the second part is scored while the block is still in L1 — no dots
//! stored and read back, no call per undecided block. Every level gives the same results as
//! the definition, [`scan_classify_scalar`], bit for bit.

use super::{classify, level, scan_blocks_u8i8, Classify, ClassifyInput, Level, BLOCK_ROWS};

/// The widest query values [`scan_classify`] takes at this machine's level: 127 where it runs
/// `vpdpbusd` (four u8 × i8 products added into 32 bits: no saturation), 64 where AVX2's
/// `maddubs` adds two products into 16 bits (255 · 64 · 2 < 32,767).
pub fn scan_query_max() -> i8 {
    match level() {
        Level::Avx512Vnni => 127,
        Level::Avx2 | Level::Scalar => 64,
    }
}
#[cfg(target_arch = "x86_64")]
use super::{GLOVE_GROUPS, GROUP_DIMS};

/// A chunk of the block-transposed table: `above.len()` blocks of `groups * 64` bytes, and each
/// row's scale and error codes.
pub struct ChunkRows<'a> {
    pub blocks: &'a [u8],
    pub scale_codes: &'a [u8],
    pub err_codes: &'a [u8],
}

/// A two-part query (`hi`, `lo`: `groups * 4` values in `-m..=m`, `m` =
/// [`scan_query_max`]) and the constants of its two
/// classifications: `first` with the first part's bound (its `lo_qscale` is unused), `both`
/// with the two parts' bound. The two differ only in their bound (`base`, `per_err`) and
/// `lo_qscale`: the fused kernel reads the rest from `first`.
pub struct TwoPartQuery<'a> {
    pub hi: &'a [i8],
    pub lo: &'a [i8],
    pub first: Classify,
    pub both: Classify,
}

/// Classify every row of the chunk as [`classify`] does (`approx`, `above`, `reach`), with the
/// first part of the query, and again with both parts for the blocks that hold a row the first
/// leaves undecided (`reach` but not `above`). Returns the mask of those blocks (bit j: block j,
/// whose `approx` values then carry the `both` bound). At most 64 blocks.
#[inline]
pub fn scan_classify(
    rows: &ChunkRows,
    q: &TwoPartQuery,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) -> u64 {
    let nb = above.len();
    let n = nb * BLOCK_ROWS;
    assert!(
        nb <= 64
            && reach.len() == nb
            && approx.len() == n
            && q.hi.len() == q.lo.len()
            && rows.blocks.len() == nb * q.hi.len() * 16
            && rows.scale_codes.len() == n
            && rows.err_codes.len() == n
    );
    debug_assert!({
        let (f, b) = (&q.first, &q.both);
        (
            f.corr,
            f.qscale,
            f.lo_corr,
            f.scale_unit,
            f.err_unit,
            f.threshold,
        ) == (
            b.corr,
            b.qscale,
            b.lo_corr,
            b.scale_unit,
            b.err_unit,
            b.threshold,
        )
    });
    #[cfg(target_arch = "x86_64")]
    {
        let glove = q.hi.len() / GROUP_DIMS == GLOVE_GROUPS;
        match (level(), glove) {
            // SAFETY: the features were detected at run time; lengths checked above.
            (Level::Avx512Vnni, true) => unsafe {
                return vnni::<GLOVE_GROUPS>(rows, q, approx, above, reach);
            },
            (Level::Avx512Vnni, false) => unsafe {
                return vnni::<0>(rows, q, approx, above, reach);
            },
            (Level::Avx2, _) => return scan_classify_passes(rows, q, approx, above, reach),
            (Level::Scalar, _) => {}
        }
    }
    scan_classify_scalar(rows, q, approx, above, reach)
}

/// The definition: the scalar scan and classification as separate passes
/// ([`scan_classify_passes`] with [`scan_scalar`](super::scan_scalar) and
/// [`classify_scalar`](super::classify_scalar)).
pub fn scan_classify_scalar(
    rows: &ChunkRows,
    q: &TwoPartQuery,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) -> u64 {
    let kernels = Kernels {
        scan: super::scan_scalar,
        classify: super::classify_scalar,
    };
    passes(&kernels, rows, q, approx, above, reach)
}

/// A scan kernel and a classification kernel.
struct Kernels {
    scan: fn(&[u8], &[i8], &mut [i32]),
    classify: fn(&ClassifyInput, &Classify, &mut [f32], &mut [u16], &mut [u16]),
}

/// The same as separate passes over the chunk through the dispatched kernels: the scan of
/// every block, the classification of every row, then each undecided block again. The AVX2
/// level's path: fused, its sixteen registers spill (measured: 3,764–4,289 ranks/s against
/// 4,783–4,952 for the passes, 2026-12-05).
pub fn scan_classify_passes(
    rows: &ChunkRows,
    q: &TwoPartQuery,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) -> u64 {
    debug_assert!(
        q.hi.iter().chain(q.lo).all(|x| (-64..=64).contains(x)),
        "AVX2's kernel would saturate"
    );
    let kernels = Kernels {
        scan: scan_blocks_u8i8,
        classify,
    };
    passes(&kernels, rows, q, approx, above, reach)
}

fn passes(
    k: &Kernels,
    rows: &ChunkRows,
    q: &TwoPartQuery,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) -> u64 {
    let nb = above.len();
    let len = q.hi.len() * 16;
    let n = nb * BLOCK_ROWS;
    let (mut dots, mut lo_dots) = ([0i32; 64 * BLOCK_ROWS], [0i32; 64 * BLOCK_ROWS]);
    let (dots, lo_dots) = (&mut dots[..n], &mut lo_dots[..n]);
    (k.scan)(rows.blocks, q.hi, dots);
    let first = Classify {
        lo_qscale: 0.0,
        ..q.first
    };
    let input = ClassifyInput {
        dots,
        lo_dots,
        scale_codes: rows.scale_codes,
        err_codes: rows.err_codes,
    };
    (k.classify)(&input, &first, approx, above, reach);
    let mut refined = 0u64;
    for j in 0..nb {
        if reach[j] & !above[j] == 0 {
            continue;
        }
        refined |= 1 << j;
        let r = j * BLOCK_ROWS..(j + 1) * BLOCK_ROWS;
        (k.scan)(
            &rows.blocks[j * len..(j + 1) * len],
            q.lo,
            &mut lo_dots[r.clone()],
        );
        let input = ClassifyInput {
            dots: &dots[r.clone()],
            lo_dots: &lo_dots[r.clone()],
            scale_codes: &rows.scale_codes[r.clone()],
            err_codes: &rows.err_codes[r.clone()],
        };
        (k.classify)(
            &input,
            &q.both,
            &mut approx[r],
            &mut above[j..j + 1],
            &mut reach[j..j + 1],
        );
    }
    refined
}

/// AVX-512: four blocks' first-part dots at a time (four accumulator chains), each block
/// classified from its register.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn vnni<const G: usize>(
    rows: &ChunkRows,
    q: &TwoPartQuery,
    approx: &mut [f32],
    above: &mut [u16],
    reach: &mut [u16],
) -> u64 {
    use std::arch::x86_64::*;
    let groups = if G == 0 { q.hi.len() / GROUP_DIMS } else { G };
    let stride = groups * 64;
    let nb = above.len();
    let hp = q.hi.as_ptr() as *const i32;
    let lp = q.lo.as_ptr() as *const i32;
    let (f, t2) = (&q.first, &q.both);
    // SAFETY: every load is inside the lengths `scan_classify` checked; the features are
    // enabled.
    unsafe {
        let corr = _mm512_set1_epi32(f.corr);
        let qs = _mm512_set1_ps(f.qscale);
        let lo_corr = _mm512_set1_epi32(t2.lo_corr);
        let lo_qs = _mm512_set1_ps(t2.lo_qscale);
        let (base1, per1) = (_mm512_set1_ps(f.base), _mm512_set1_ps(f.per_err));
        let (base2, per2) = (_mm512_set1_ps(t2.base), _mm512_set1_ps(t2.per_err));
        let t = _mm512_set1_ps(f.threshold);
        let su = _mm512_set1_ps(f.scale_unit);
        let eu = _mm512_set1_ps(f.err_unit);
        let one = _mm512_set1_epi32(1);
        let mut refined = 0u64;
        let mut b = 0;
        while b < nb {
            // Four blocks at a time (four independent accumulator chains), then the rest one
            // by one.
            let m = if b + 4 <= nb { 4 } else { 1 };
            let base = rows.blocks.as_ptr().add(b * stride);
            let mut acc = [_mm512_setzero_si512(); 4];
            if m == 4 {
                for g in 0..groups {
                    let x = _mm512_set1_epi32(hp.add(g).read_unaligned());
                    let p = base.add(g * 64);
                    // Stream ahead: the lines of the blocks two iterations on.
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(8 * stride) as *const i8);
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(9 * stride) as *const i8);
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(10 * stride) as *const i8);
                    _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(11 * stride) as *const i8);
                    for (i, a) in acc.iter_mut().enumerate() {
                        let v = _mm512_loadu_si512(p.add(i * stride) as *const _);
                        *a = _mm512_dpbusd_epi32(*a, v, x);
                    }
                }
            } else {
                for g in 0..groups {
                    let x = _mm512_set1_epi32(hp.add(g).read_unaligned());
                    let v = _mm512_loadu_si512(base.add(g * 64) as *const _);
                    acc[0] = _mm512_dpbusd_epi32(acc[0], v, x);
                }
            }
            // Classify each block from its first-part dots.
            for (i, &dots) in acc.iter().enumerate().take(m) {
                let o = (b + i) * BLOCK_ROWS;
                let k = _mm512_cvtepu8_epi32(_mm_loadu_si128(
                    rows.scale_codes.as_ptr().add(o) as *const _
                ));
                let j = _mm512_cvtepu8_epi32(_mm_loadu_si128(
                    rows.err_codes.as_ptr().add(o) as *const _
                ));
                let scale = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(k, one)), su);
                let err = _mm512_mul_ps(_mm512_cvtepi32_ps(j), eu);
                let hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(dots, corr)), qs);
                let mut a = _mm512_mul_ps(hi, scale);
                let e = _mm512_fmadd_ps(err, per1, base1);
                let mut up = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(_mm512_sub_ps(a, e), t);
                let mut re = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_add_ps(a, e), t);
                if re & !up != 0 {
                    refined |= 1 << (b + i);
                    let block = base.add(i * stride);
                    // Two chains: the block is in L1, latency is what is left.
                    let (mut l0, mut l1) = (_mm512_setzero_si512(), _mm512_setzero_si512());
                    let mut g = 0;
                    while g + 2 <= groups {
                        let p = block.add(g * 64);
                        let x0 = _mm512_set1_epi32(lp.add(g).read_unaligned());
                        let x1 = _mm512_set1_epi32(lp.add(g + 1).read_unaligned());
                        l0 = _mm512_dpbusd_epi32(l0, _mm512_loadu_si512(p as *const _), x0);
                        l1 = _mm512_dpbusd_epi32(l1, _mm512_loadu_si512(p.add(64) as *const _), x1);
                        g += 2;
                    }
                    if g < groups {
                        let x0 = _mm512_set1_epi32(lp.add(g).read_unaligned());
                        let p = block.add(g * 64);
                        l0 = _mm512_dpbusd_epi32(l0, _mm512_loadu_si512(p as *const _), x0);
                    }
                    let l = _mm512_sub_epi32(_mm512_add_epi32(l0, l1), lo_corr);
                    let lo = _mm512_mul_ps(_mm512_cvtepi32_ps(l), lo_qs);
                    a = _mm512_mul_ps(_mm512_add_ps(hi, lo), scale);
                    let e = _mm512_fmadd_ps(err, per2, base2);
                    up = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(_mm512_sub_ps(a, e), t);
                    re = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_add_ps(a, e), t);
                }
                _mm512_storeu_ps(approx.as_mut_ptr().add(o), a);
                above[b + i] = up;
                reach[b + i] = re;
            }
            b += m;
        }
        refined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A scan of the chunk into `approx`, `above` and `reach`, returning the refined blocks.
    type Kernel<'a> = dyn Fn(&mut [f32], &mut [u16], &mut [u16]) -> u64 + 'a;

    /// Random blocks and codes, a random two-part query, and thresholds that leave some blocks
    /// undecided by the first part and some not: every implementation gives the same approximate
    /// cosines, masks and refined blocks as the definition.
    #[test]
    fn fused_kernels_agree_with_the_separate_passes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut refined_seen = (0, 0);
        let cases = [(13usize, 64usize), (13, 7), (16, 5), (1, 3), (13, 1)];
        // Every case in AVX2's range, then in this level's (wider at AVX-512).
        for ((groups, nb), max) in cases
            .iter()
            .map(|&c| (c, 64i8))
            .chain(cases.iter().map(|&c| (c, scan_query_max())))
        {
            let blocks: Vec<u8> = (0..groups * 64 * nb).map(|_| rng.random()).collect();
            let n = nb * BLOCK_ROWS;
            let scale_codes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let err_codes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
            let part = |rng: &mut rand_chacha::ChaCha8Rng| -> Vec<i8> {
                (0..groups * 4)
                    .map(|_| rng.random_range(-max..=max))
                    .collect()
            };
            let (hi, lo) = (part(&mut rng), part(&mut rng));
            for threshold in [-0.2f32, 0.0, 0.05, 0.3] {
                let c = Classify {
                    corr: 128 * hi.iter().map(|&x| x as i32).sum::<i32>(),
                    qscale: 1.0 / (64.0 * 60.0),
                    lo_corr: 128 * lo.iter().map(|&x| x as i32).sum::<i32>(),
                    lo_qscale: 1.0 / (64.0 * 60.0 * 64.0),
                    scale_unit: 1.0 / 256.0,
                    err_unit: 1e-4,
                    base: 0.02,
                    per_err: 1.0,
                    threshold,
                };
                let q = TwoPartQuery {
                    hi: &hi,
                    lo: &lo,
                    first: c,
                    both: Classify {
                        base: 0.002,
                        per_err: 0.5,
                        ..c
                    },
                };
                let rows = ChunkRows {
                    blocks: &blocks,
                    scale_codes: &scale_codes,
                    err_codes: &err_codes,
                };
                let run = |f: &Kernel| {
                    let (mut a, mut up, mut re) = (vec![0f32; n], vec![0u16; nb], vec![0u16; nb]);
                    let refined = f(&mut a, &mut up, &mut re);
                    (a, up, re, refined)
                };
                let want = run(&|a, up, re| scan_classify_scalar(&rows, &q, a, up, re));
                refined_seen.0 += want.3.count_ones();
                refined_seen.1 += nb as u32 - want.3.count_ones();
                let got = run(&|a, up, re| scan_classify(&rows, &q, a, up, re));
                assert_eq!(
                    got,
                    want,
                    "dispatched ({:?}), {groups} groups, ±{max}",
                    level()
                );
                if max == 64 {
                    let got = run(&|a, up, re| scan_classify_passes(&rows, &q, a, up, re));
                    assert_eq!(got, want, "passes, {groups} groups");
                }
            }
        }
        assert!(
            refined_seen.0 > 0 && refined_seen.1 > 0,
            "both kinds of block were exercised: {refined_seen:?}"
        );
    }
}
