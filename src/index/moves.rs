//! The ranks of many moves of one round at once: what par and the computer opponents order a
//! hand's moves by, for the price of a few scans instead of one per move.
//!
//! Every move of a round is `ball ∝ s + a·p + b·q` (start, a public card, a private card,
//! signs ±1), and a word `w` is nearer the ball than the target `t` exactly when
//! `w·s + a w·p + b w·q > t·s + a t·p + b t·q` (the norm divides both sides). So one pass over
//! the vocabulary computes each word's dot with the start and with every card of the round —
//! a handful of columns — and counts, for every move, the words above its threshold from those
//! columns. The pass goes block by block (a tile of rows is transposed so that the dots of 16
//! rows with one query are 16 lanes of one vector; the columns of a block stay in the L1
//! cache while every move is counted on it), and nothing the size of the vocabulary is held.
//!
//! The result is in f32 from the model's vectors, not the exact scan's last-bit definition
//! (`ExactIndex::rank`): a word within about 1e-6 of the target's cosine may fall on the other
//! side, so a rank can differ by one from the scored one. It orders moves; the moves a player
//! is shown are scored exactly.

use crate::embeddings::{Embeddings, WordId};

/// One move to rank: the indexes of its public and private card in the card list, and signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardMove {
    pub public: usize,
    pub public_sign: i8,
    pub private: usize,
    pub private_sign: i8,
}

/// Rows per tile (lanes of the column kernel).
const TILE: usize = 16;
/// Rows per block: the columns of one block are counted for every move before the next.
const BLOCK: usize = 512;
/// Queries computed together (independent accumulators).
const GROUP: usize = 4;

/// `Σ_k row[k]·q[k]` in index order with fused multiply-adds, as the column kernel computes
/// each lane, so the two agree to the bit.
fn dot_in_order(row: &[f32], q: &[f32]) -> f32 {
    let mut acc = 0f32;
    for (x, y) in row.iter().zip(q) {
        acc = x.mul_add(*y, acc);
    }
    acc
}

/// The ranks (`1 +` the words nearer the ball than the target, the move's own words and the
/// target left out) of `moves` of the round `start → target` over the cards `cards`.
pub fn ranks(
    emb: &Embeddings,
    start: WordId,
    target: WordId,
    cards: &[WordId],
    moves: &[CardMove],
) -> Vec<usize> {
    let dim = emb.dim();
    // Queries: the start word, then every card.
    let mut queries: Vec<f32> = Vec::with_capacity((1 + cards.len()) * dim);
    queries.extend_from_slice(emb.vector(start));
    for &c in cards {
        queries.extend_from_slice(emb.vector(c));
    }
    let nq = 1 + cards.len();
    // A word's value for a move: its dots with the move's three words, signed. The target's
    // and the round's own words' dots are each computed once (a round of 32 hands has thousands
    // of moves over a few hundred dots).
    let value = |dots: &mut Dots, w: usize, m: &CardMove| {
        let mut col = |j: usize| dots.get(w, j);
        col(0)
            + m.public_sign as f32 * col(1 + m.public)
            + m.private_sign as f32 * col(1 + m.private)
    };
    // Row 0: the target; row 1 + i: query i's own word (the start, then the cards).
    let mut words: Vec<&[f32]> = vec![emb.vector(target)];
    words.extend(queries.chunks_exact(dim));
    let mut dots = Dots::new(&words, &queries, dim);
    let thresholds: Vec<f32> = moves.iter().map(|m| value(&mut dots, 0, m)).collect();
    let mut counts = vec![0usize; moves.len()];
    count_above(
        emb.vectors(),
        dim,
        &queries,
        nq,
        moves,
        &thresholds,
        &mut counts,
    );
    moves
        .iter()
        .zip(counts)
        .zip(&thresholds)
        .map(|((m, count), &thr)| {
            // The move's own words are not counted (the target never is: it is not above
            // itself). Each with its row of `dots` (1 + its query index).
            let own = [
                (start, 1),
                (cards[m.public], 2 + m.public),
                (cards[m.private], 2 + m.private),
            ];
            let mut seen: Vec<WordId> = Vec::with_capacity(3);
            let mut above = count;
            for (w, row) in own {
                if w != target && !seen.contains(&w) {
                    seen.push(w);
                    if value(&mut dots, row, m) > thr {
                        above -= 1;
                    }
                }
            }
            1 + above
        })
        .collect()
}

/// [`dot_in_order`] of a few words with the queries, each pair computed once, when first
/// asked for.
struct Dots<'a> {
    words: &'a [&'a [f32]],
    queries: &'a [f32],
    dim: usize,
    nq: usize,
    /// `words × queries`, NaN until computed (a dot of unit vectors is never NaN).
    cache: Vec<f32>,
}

impl<'a> Dots<'a> {
    fn new(words: &'a [&'a [f32]], queries: &'a [f32], dim: usize) -> Dots<'a> {
        let nq = queries.len() / dim;
        Dots {
            words,
            queries,
            dim,
            nq,
            cache: vec![f32::NAN; words.len() * nq],
        }
    }

    fn get(&mut self, w: usize, j: usize) -> f32 {
        let slot = &mut self.cache[w * self.nq + j];
        if slot.is_nan() {
            *slot = dot_in_order(
                self.words[w],
                &self.queries[j * self.dim..(j + 1) * self.dim],
            );
        }
        *slot
    }
}

/// For every move, how many rows have a value above its threshold.
fn count_above(
    vectors: &[f32],
    dim: usize,
    queries: &[f32],
    nq: usize,
    moves: &[CardMove],
    thresholds: &[f32],
    counts: &mut [usize],
) {
    // Padded with zero queries to a multiple of GROUP (their columns are never read).
    let padded = nq.div_ceil(GROUP) * GROUP;
    let owned: Vec<f32>;
    let queries = if padded == nq {
        queries
    } else {
        let mut q = queries[..nq * dim].to_vec();
        q.resize(padded * dim, 0.0);
        owned = q;
        &owned[..]
    };
    let nq = padded;
    let level = crate::simd::level();
    #[cfg(target_arch = "x86_64")]
    {
        use crate::simd::Level;
        // SAFETY: the features were detected at run time.
        match level {
            Level::Avx512Vnni => {
                return unsafe {
                    count_above_avx512(level, vectors, dim, queries, nq, moves, thresholds, counts)
                }
            }
            Level::Avx2 => {
                return unsafe {
                    count_above_avx2(level, vectors, dim, queries, nq, moves, thresholds, counts)
                }
            }
            Level::Scalar => {}
        }
    }
    count_above_generic(level, vectors, dim, queries, nq, moves, thresholds, counts)
}

/// [`count_above_generic`] compiled for AVX-512 (its transposes and counts vectorise to it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn count_above_avx512(
    level: crate::simd::Level,
    vectors: &[f32],
    dim: usize,
    queries: &[f32],
    nq: usize,
    moves: &[CardMove],
    thresholds: &[f32],
    counts: &mut [usize],
) {
    count_above_generic(level, vectors, dim, queries, nq, moves, thresholds, counts)
}

/// [`count_above_generic`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn count_above_avx2(
    level: crate::simd::Level,
    vectors: &[f32],
    dim: usize,
    queries: &[f32],
    nq: usize,
    moves: &[CardMove],
    thresholds: &[f32],
    counts: &mut [usize],
) {
    count_above_generic(level, vectors, dim, queries, nq, moves, thresholds, counts)
}

/// `tile[k * TILE + l] = rows[l * dim + k]` for a whole tile of TILE rows: in registers, 8 × 8
/// blocks, with AVX2 (on AVX-512 machines too), else value by value.
#[inline(always)]
fn transpose_tile(level: crate::simd::Level, rows: &[f32], dim: usize, tile: &mut [f32]) {
    assert!(rows.len() >= TILE * dim && tile.len() >= TILE * dim);
    #[cfg(target_arch = "x86_64")]
    {
        use crate::simd::Level;
        match level {
            // SAFETY: the features were detected at run time; lengths checked above.
            // (AVX-512's two-source permutes were slower here than AVX2's 8 × 8 shuffles.)
            Level::Avx512Vnni | Level::Avx2 => return unsafe { transpose_avx2(rows, dim, tile) },
            Level::Scalar => {}
        }
    }
    let _ = level;
    for k in 0..dim {
        let out = &mut tile[k * TILE..(k + 1) * TILE];
        for (l, o) in out.iter_mut().enumerate() {
            *o = rows[l * dim + k];
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose_avx2(rows: &[f32], dim: usize, tile: &mut [f32]) {
    use std::arch::x86_64::*;
    // 8 × 8 blocks in registers: butterflies exchanging 4, 2 and 1 values between pairs of
    // rows (128-bit halves, 64-bit pairs, single values).
    let full = dim / 8 * 8;
    for g in [0, 8] {
        for kb in (0..full).step_by(8) {
            let mut r = [_mm256_setzero_ps(); 8];
            for (l, x) in r.iter_mut().enumerate() {
                // SAFETY: row g + l's values kb..kb + 8 lie in rows (kb + 8 <= dim).
                *x = unsafe { _mm256_loadu_ps(rows.as_ptr().add((g + l) * dim + kb)) };
            }
            for i in [0, 1, 2, 3] {
                let (a, b) = (r[i], r[i + 4]);
                r[i] = _mm256_permute2f128_ps::<0x20>(a, b);
                r[i + 4] = _mm256_permute2f128_ps::<0x31>(a, b);
            }
            for i in [0, 1, 4, 5] {
                let (a, b) = (r[i], r[i + 2]);
                r[i] = _mm256_shuffle_ps::<0x44>(a, b);
                r[i + 2] = _mm256_shuffle_ps::<0xEE>(a, b);
            }
            for i in [0, 2, 4, 6] {
                let (a, b) = (r[i], r[i + 1]);
                r[i] = _mm256_blend_ps::<0xAA>(a, _mm256_moveldup_ps(b));
                r[i + 1] = _mm256_blend_ps::<0xAA>(_mm256_movehdup_ps(a), b);
            }
            for (k, x) in r.iter().enumerate() {
                // SAFETY: tile holds TILE * dim values, kb + k < dim and g + 8 <= TILE.
                unsafe { _mm256_storeu_ps(tile.as_mut_ptr().add((kb + k) * TILE + g), *x) };
            }
        }
    }
    for k in full..dim {
        for l in 0..TILE {
            tile[k * TILE + l] = rows[l * dim + k];
        }
    }
}

/// The dots of a transposed tile's 16 rows with GROUP queries (`queries`: GROUP × dim), each
/// lane a fused multiply-add chain in index order (as [`dot_in_order`]).
#[inline(always)]
fn tile_dots(
    level: crate::simd::Level,
    tile: &[f32],
    dim: usize,
    queries: &[f32],
    acc: &mut [[f32; TILE]; GROUP],
) {
    assert!(tile.len() >= dim * TILE && queries.len() >= GROUP * dim);
    #[cfg(target_arch = "x86_64")]
    {
        use crate::simd::Level;
        match level {
            // SAFETY: the features were detected at run time; lengths checked above.
            Level::Avx512Vnni => return unsafe { tile_dots_avx512(tile, dim, queries, acc) },
            Level::Avx2 => return unsafe { tile_dots_avx2(tile, dim, queries, acc) },
            Level::Scalar => {}
        }
    }
    let _ = level;
    for k in 0..dim {
        let col = &tile[k * TILE..(k + 1) * TILE];
        for (jj, a) in acc.iter_mut().enumerate() {
            let y = queries[jj * dim + k];
            for l in 0..TILE {
                a[l] = col[l].mul_add(y, a[l]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn tile_dots_avx512(
    tile: &[f32],
    dim: usize,
    queries: &[f32],
    acc: &mut [[f32; TILE]; GROUP],
) {
    use std::arch::x86_64::*;
    let mut a = [_mm512_setzero_ps(); GROUP];
    for k in 0..dim {
        // SAFETY: the caller checked tile.len() >= dim * TILE and queries.len() >= GROUP * dim.
        unsafe {
            let col = _mm512_loadu_ps(tile.as_ptr().add(k * TILE));
            for (jj, x) in a.iter_mut().enumerate() {
                let y = _mm512_set1_ps(*queries.get_unchecked(jj * dim + k));
                *x = _mm512_fmadd_ps(col, y, *x);
            }
        }
    }
    for (jj, x) in a.iter().enumerate() {
        // SAFETY: acc[jj] holds TILE (16) floats.
        unsafe { _mm512_storeu_ps(acc[jj].as_mut_ptr(), *x) };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tile_dots_avx2(
    tile: &[f32],
    dim: usize,
    queries: &[f32],
    acc: &mut [[f32; TILE]; GROUP],
) {
    use std::arch::x86_64::*;
    let mut lo = [_mm256_setzero_ps(); GROUP];
    let mut hi = [_mm256_setzero_ps(); GROUP];
    for k in 0..dim {
        // SAFETY: the caller checked tile.len() >= dim * TILE and queries.len() >= GROUP * dim.
        unsafe {
            let p = tile.as_ptr().add(k * TILE);
            let (c0, c1) = (_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8)));
            for jj in 0..GROUP {
                let y = _mm256_set1_ps(*queries.get_unchecked(jj * dim + k));
                lo[jj] = _mm256_fmadd_ps(c0, y, lo[jj]);
                hi[jj] = _mm256_fmadd_ps(c1, y, hi[jj]);
            }
        }
    }
    for jj in 0..GROUP {
        // SAFETY: acc[jj] holds TILE (16) floats.
        unsafe {
            _mm256_storeu_ps(acc[jj].as_mut_ptr(), lo[jj]);
            _mm256_storeu_ps(acc[jj].as_mut_ptr().add(8), hi[jj]);
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn count_above_generic(
    level: crate::simd::Level,
    vectors: &[f32],
    dim: usize,
    queries: &[f32],
    nq: usize,
    moves: &[CardMove],
    thresholds: &[f32],
    counts: &mut [usize],
) {
    let rows = vectors.len() / dim;
    // cols[j * BLOCK + r]: row r's dot with query j, for the rows of one block.
    let mut cols = vec![0f32; nq * BLOCK];
    let mut tile = vec![0f32; dim * TILE];
    let mut first = 0;
    while first < rows {
        let n = BLOCK.min(rows - first);
        for t0 in (0..n).step_by(TILE) {
            let lanes = TILE.min(n - t0);
            // Transpose the tile: tile[k * TILE + l] = row (first + t0 + l), value k (a short
            // last tile repeats its last row).
            let r0 = first + t0;
            if lanes == TILE {
                transpose_tile(level, &vectors[r0 * dim..(r0 + TILE) * dim], dim, &mut tile);
            } else {
                for l in 0..TILE {
                    let r = r0 + l.min(lanes - 1);
                    for k in 0..dim {
                        tile[k * TILE + l] = vectors[r * dim + k];
                    }
                }
            }
            // GROUP queries at a time (the query list is padded to a multiple of GROUP):
            // independent accumulators, so the fused multiply-adds of one query do not wait
            // on each other.
            for j0 in (0..nq).step_by(GROUP) {
                let mut acc = [[0f32; TILE]; GROUP];
                tile_dots(
                    level,
                    &tile,
                    dim,
                    &queries[j0 * dim..(j0 + GROUP) * dim],
                    &mut acc,
                );
                for (jj, a) in acc.iter().enumerate() {
                    let j = j0 + jj;
                    cols[j * BLOCK + t0..j * BLOCK + t0 + lanes].copy_from_slice(&a[..lanes]);
                }
            }
        }
        let s = &cols[..n];
        for (i, m) in moves.iter().enumerate() {
            let p = &cols[(1 + m.public) * BLOCK..(1 + m.public) * BLOCK + n];
            let q = &cols[(1 + m.private) * BLOCK..(1 + m.private) * BLOCK + n];
            let (a, b, thr) = (m.public_sign as f32, m.private_sign as f32, thresholds[i]);
            let mut c = 0u32;
            for r in 0..n {
                c += (s[r] + a * p[r] + b * q[r] > thr) as u32;
            }
            counts[i] += c as usize;
        }
        first += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_is_transposed_alike_at_every_level() {
        use crate::simd::{level, Level};
        for dim in [5, 16, 50, 300] {
            let rows: Vec<f32> = (0..TILE * dim).map(|i| i as f32).collect();
            let mut want = vec![0f32; TILE * dim];
            transpose_tile(Level::Scalar, &rows, dim, &mut want);
            for (k, chunk) in want.chunks(TILE).enumerate() {
                for (l, &x) in chunk.iter().enumerate() {
                    assert_eq!(x, rows[l * dim + k]);
                }
            }
            let mut got = vec![0f32; TILE * dim];
            transpose_tile(level(), &rows, dim, &mut got);
            assert_eq!(got, want, "dim {dim}, level {}", level().name());
        }
    }

    #[test]
    fn dots_in_order_are_what_the_lanes_compute() {
        // 3 rows of dim 5 against one query: lane-wise accumulation in index order equals the
        // scalar definition bit for bit.
        let rows: Vec<f32> = (0..15)
            .map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0)
            .collect();
        let q = [0.3f32, -0.1, 0.7, 0.2, -0.45];
        let moves = [CardMove {
            public: 0,
            public_sign: 1,
            private: 0,
            private_sign: -1,
        }];
        // With p = q = the query and signs +, -: value = row·start; count rows above 0.
        let mut queries = q.to_vec();
        queries.extend_from_slice(&q);
        let mut counts = [0usize];
        count_above(&rows, 5, &queries, 2, &moves, &[0.0], &mut counts);
        let expected = rows
            .chunks(5)
            .filter(|r| dot_in_order(r, &q) + dot_in_order(r, &q) - dot_in_order(r, &q) > 0.0)
            .count();
        assert_eq!(counts[0], expected);
    }
}
