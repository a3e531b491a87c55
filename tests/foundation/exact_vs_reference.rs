//! The exact index (an int8 scan with exact rescoring) must agree bit for bit with the plain
//! definition: score every row with `exact_dot`, sort best first, ties by lower id.

use crate::common::{
    engine, reference_count_above, reference_order, reference_rank, reference_sims, reference_top,
    rng,
};
use rand::Rng;
use word_bocce::embeddings::WordId;
use word_bocce::eval::move_queries;
use word_bocce::index::{Hit, NoSkip};

fn show(hits: &[Hit]) -> Vec<(WordId, u32)> {
    hits.iter().map(|h| (h.id, h.sim.to_bits())).collect()
}

#[test]
fn top_k_equals_the_scalar_reference() {
    let e = engine();
    for (i, q) in move_queries(&e.emb, &e.deck, 300, 0x70b).iter().enumerate() {
        let words = q.words();
        let sims = reference_sims(&e.emb, &q.ball);
        let order = reference_top(&sims, &words, 100);
        for k in [1, 10, 100] {
            let want: Vec<Hit> = order[..k]
                .iter()
                .map(|&id| Hit {
                    id,
                    sim: sims[id as usize],
                })
                .collect();
            let got = e.exact.top_k(&q.ball, k, &words);
            assert_eq!(
                show(&got),
                show(&want),
                "query {i} ({:?}), k = {k}: top_k differs from the reference",
                words.map(|w| e.emb.word(w))
            );
        }
        if i % 30 == 0 {
            // Without a skip list the move's own words compete too.
            let all = reference_top(&sims, &[], 10);
            let got = e.exact.top_k(&q.ball, 10, &NoSkip);
            let want: Vec<WordId> = all[..10].to_vec();
            assert_eq!(got.iter().map(|h| h.id).collect::<Vec<_>>(), want);
        }
    }
}

#[test]
fn top_k_edge_cases() {
    let e = engine();
    let q = &move_queries(&e.emb, &e.deck, 1, 0xed9e)[0];
    assert!(e.exact.top_k(&q.ball, 0, &NoSkip).is_empty());
    // k larger than the vocabulary: every word, once, best first.
    let n = e.emb.len();
    let all = e.exact.top_k(&q.ball, n + 5, &q.words());
    assert_eq!(all.len(), n - 3);
    let sims = reference_sims(&e.emb, &q.ball);
    assert_eq!(
        all.iter().map(|h| h.id).collect::<Vec<_>>(),
        reference_order(&sims, &q.words())
    );
}

#[test]
fn rank_equals_the_scalar_reference() {
    let e = engine();
    let n = e.emb.len() as WordId;
    let mut r = rng(0x4a2c);
    let mut checked = 0;
    for (i, q) in move_queries(&e.emb, &e.deck, 500, 0x4a2b)
        .iter()
        .enumerate()
    {
        let words = q.words();
        let sims = reference_sims(&e.emb, &q.ball);
        let order = reference_top(&sims, &words, 50);
        // The move's target, a random word, and words close to the ball, where rank matters.
        let mut targets = vec![
            q.target,
            r.random_range(0..n),
            order[0],
            order[4],
            order[49],
        ];
        if i % 5 == 0 {
            // Targets that are move words themselves (a card can be the target).
            targets.push(words[1]);
        }
        for target in targets {
            let want = reference_rank(&sims, target, &words);
            let got = e.exact.rank(&q.ball, target, &words);
            assert_eq!(
                got,
                want,
                "query {i}: rank of '{}' (cos {}) differs",
                e.emb.word(target),
                sims[target as usize]
            );
            checked += 1;
        }
        assert_eq!(e.exact.rank(&q.ball, order[0], &words), 1);
        assert_eq!(e.exact.rank(&q.ball, order[4], &words), 5);
        assert_eq!(e.exact.rank(&q.ball, order[49], &words), 50);
    }
    assert!(checked >= 2_500);
}

#[test]
fn count_above_equals_the_scalar_reference() {
    let e = engine();
    for (i, q) in move_queries(&e.emb, &e.deck, 100, 0xc0a).iter().enumerate() {
        let words = q.words();
        let sims = reference_sims(&e.emb, &q.ball);
        let order = reference_top(&sims, &[], 1000);
        // Fixed thresholds, and thresholds exactly at a word's cosine (ties are not above).
        let mut thresholds = vec![0.9, 0.5, 0.0, -0.5, -1.5, 1.5];
        thresholds.extend([0, 9, 999].map(|j| sims[order[j] as usize]));
        for t in thresholds {
            for skip in [&words[..], &[], &[words[0], words[0], words[2]]] {
                let want = reference_count_above(&sims, t, skip);
                let got = e.exact.count_above(&q.ball, t, skip);
                assert_eq!(got, want, "query {i}, threshold {t}, skip {skip:?}");
            }
        }
    }
}
