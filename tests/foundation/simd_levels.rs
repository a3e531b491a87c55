//! The kernels are chosen at run time (AVX-512 VNNI, AVX2, scalar) and must give the same
//! results. This process uses the best level the CPU has; the lower ones are checked by running
//! [`reference_agreement_sample`] again in child processes with `WORD_BOCCE_SIMD` capped.

use crate::common::{engine, reference_count_above, reference_rank, reference_sims, reference_top};
use std::process::Command;
use word_bocce::eval::move_queries;
use word_bocce::index::{Hit, NearestIndex};
use word_bocce::simd;

const TEST: &str = "simd_levels::reference_agreement_sample";

/// A compact version of the `exact_vs_reference` checks, cheap enough to repeat per level.
#[test]
fn reference_agreement_sample() {
    let e = engine();
    eprintln!("simd level: {}", simd::level().name());
    for (i, q) in move_queries(&e.emb, &e.deck, 40, 0x51d).iter().enumerate() {
        let words = q.words();
        let sims = reference_sims(&e.emb, &q.ball);
        let top = reference_top(&sims, &words, 100);
        for k in [1, 10, 100] {
            let got: Vec<(u32, u32)> = e
                .exact
                .top_k(&q.ball, k, &words)
                .iter()
                .map(|h| (h.id, h.sim.to_bits()))
                .collect();
            let want: Vec<(u32, u32)> = top[..k]
                .iter()
                .map(|&id| (id, sims[id as usize].to_bits()))
                .collect();
            assert_eq!(
                got,
                want,
                "level {}: query {i}, k {k}",
                simd::level().name()
            );
        }
        for target in [q.target, top[0], top[4], top[49]] {
            assert_eq!(
                e.exact.rank(&q.ball, target, &words),
                reference_rank(&sims, target, &words),
                "level {}: query {i}",
                simd::level().name()
            );
        }
        for t in [0.9, 0.5, 0.0, -0.5, sims[top[9] as usize]] {
            assert_eq!(
                e.exact.count_above(&q.ball, t, &words),
                reference_count_above(&sims, t, &words),
                "level {}: query {i}, threshold {t}",
                simd::level().name()
            );
        }
        // HNSW reports exact cosines at every level, best first.
        let hits = e.hnsw.search(&q.ball, 10, &words, &words);
        for h in &hits {
            assert_eq!(h.sim.to_bits(), sims[h.id as usize].to_bits());
        }
        assert!(hits
            .windows(2)
            .all(|w| Hit::best_first(&w[0], &w[1]).is_le()));
    }
    // The batch ranks of a round's moves: within one of the exact rank, and the same at every
    // level (the line is compared across levels by the test below).
    eprintln!("batch ranks: {:?}", batch_ranks_sample());
    // The fast dot stays within a rounding error of the exact one.
    let v = e.emb.vector(123);
    for id in (0..e.emb.len() as u32).step_by(97) {
        let (fast, exact) = (
            simd::dot(e.emb.vector(id), v),
            simd::exact_dot(e.emb.vector(id), v),
        );
        assert!((fast - exact).abs() <= 1e-5, "{fast} vs {exact}");
    }
}

/// The ranks `index::moves` gives every move of a made-up round (start, target and 12 cards
/// from the deck), each checked against the exact rank of its ball.
fn batch_ranks_sample() -> Vec<usize> {
    use word_bocce::index::moves::{ranks, CardMove};
    let e = engine();
    let words = e.deck.words();
    let (start, target) = (words[40], words[41]);
    let cards: Vec<u32> = words[100..112].to_vec();
    let mut moves = Vec::new();
    for p in 0..6 {
        for q in 6..12 {
            for (a, b) in [(1, 1), (1, -1), (-1, 1), (-1, -1)] {
                moves.push(CardMove {
                    public: p,
                    public_sign: a,
                    private: q,
                    private_sign: b,
                });
            }
        }
    }
    let got = ranks(&e.emb, start, target, &cards, &moves);
    for (m, &r) in moves.iter().zip(&got) {
        let terms = word_bocce::scoring::move_terms(
            start,
            (cards[m.public], m.public_sign),
            (cards[m.private], m.private_sign),
        );
        let ball = word_bocce::scoring::ball(&e.emb, &terms).unwrap();
        let exact = e.exact.rank(&ball, target, &terms.map(|t| t.word));
        assert!(exact.abs_diff(r) <= 1, "{m:?}: {r} vs exact {exact}");
    }
    got
}

#[test]
fn every_simd_level_agrees_with_the_reference() {
    if std::env::var_os("WORD_BOCCE_SIMD").is_some() {
        // A child run, or a level forced from outside: this process checks only that level.
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for level in ["avx2", "scalar"] {
        let out = Command::new(&exe)
            .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env("WORD_BOCCE_SIMD", level)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "WORD_BOCCE_SIMD={level}: the reference checks failed:\n{stdout}\n{stderr}"
        );
        // Its batch ranks are this process's, to the last one.
        let mine = format!("batch ranks: {:?}", batch_ranks_sample());
        assert!(
            stderr.contains(&mine),
            "WORD_BOCCE_SIMD={level}: other batch ranks than {mine}:\n{stderr}"
        );
        // The child ran at the requested level (or below it, on a CPU without AVX2).
        assert!(
            stderr.contains(&format!("simd level: {level}"))
                || stderr.contains("simd level: scalar"),
            "WORD_BOCCE_SIMD={level}: the child reported another level:\n{stderr}"
        );
    }
}
