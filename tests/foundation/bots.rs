//! Calibration of the computer opponents (docs/game-design.md, "Computer opponents"): over 500
//! seeded deals of the default table, each level plays the same hand; the table of mean rank,
//! mean similarity and who beats whom (rank first) is printed, and the levels must be strictly
//! ordered in it. A baseline player who always plays the single card closest to the target
//! (public and private, both added) is measured beside them.
//!
//! `cargo test --release --test foundation bot_levels -- --nocapture` prints the table.

use crate::common::engine;
use std::cmp::Ordering;
use word_bocce::embeddings::WordId;
use word_bocce::game::bots::{self, BotLevel, OrderedMove};
use word_bocce::game::deal::{self, Card, DealSpec, Difficulty, Move};
use word_bocce::scoring::better_first;

const DEALS: u64 = 500;

/// A move's (rank, similarity), exactly as it is scored.
fn scored(start: WordId, target: WordId, mv: &Move) -> (usize, f32) {
    let e = engine();
    let terms = bots::terms(start, mv);
    let s = word_bocce::scoring::score_move(&e.emb, &e.exact, &terms, target).expect("a ball");
    (s.rank, s.similarity)
}

/// The baseline: the public card and the private word card each closest to the target, added.
fn closest_cards(start: WordId, target: WordId, public: &[WordId], hand: &[Card]) -> Move {
    let e = engine();
    let closest = |ids: &mut dyn Iterator<Item = WordId>| {
        ids.max_by(|&a, &b| e.emb.cosine(a, target).total_cmp(&e.emb.cosine(b, target)))
            .expect("a card")
    };
    let _ = start; // the baseline reads only the cards
    Move {
        public: closest(&mut public.iter().copied()),
        public_sign: 1,
        private: closest(&mut hand.iter().filter_map(|c| c.word())),
        private_sign: 1,
    }
}

#[test]
fn bot_levels_are_strictly_ordered_over_500_deals() {
    let e = engine();
    let spec = DealSpec {
        n_public: 10,
        m_private: 2,
        players: 1,
        wildcard_ratio: 0.0,
        difficulty: Difficulty::Medium,
    };
    // Players: easy, medium, hard, par, the baseline.
    const N: usize = 5;
    let names = ["easy", "medium", "hard", "par", "closest card"];
    let mut rank_sum = [0f64; N];
    let mut log_rank_sum = [0f64; N];
    let mut sim_sum = [0f64; N];
    let mut wins = [[0f64; N]; N];
    let mut deals = 0u64;
    for seed in 0..DEALS {
        let Ok(d) = deal::deal(e, &spec, 1_000 + seed) else {
            continue;
        };
        deals += 1;
        let hand = &d.private[0];
        let ordered: Vec<OrderedMove> = bots::order_hand(e, d.start, d.target, &d.public, hand);
        let mut rng = bots::rng(seed, 1, 0);
        let mut results = [(0usize, 0f32); N];
        for (i, level) in BotLevel::ALL.iter().enumerate() {
            let k = bots::pick(*level, ordered.len(), &mut rng).expect("a word card");
            results[i] = scored(d.start, d.target, &ordered[k].mv);
        }
        results[4] = scored(
            d.start,
            d.target,
            &closest_cards(d.start, d.target, &d.public, hand),
        );
        for i in 0..N {
            rank_sum[i] += results[i].0 as f64;
            log_rank_sum[i] += (results[i].0 as f64).ln();
            sim_sum[i] += results[i].1 as f64;
            for j in 0..N {
                // Strict wins: the same move (or rank and similarity) is a tie, counted nowhere.
                wins[i][j] += (better_first(results[i], results[j]) == Ordering::Less) as u8 as f64;
            }
        }
    }
    assert!(deals >= 490, "only {deals} of {DEALS} deals dealt");
    let n = deals as f64;
    let mean_rank: Vec<f64> = rank_sum.iter().map(|s| s / n).collect();
    let median_like: Vec<f64> = log_rank_sum.iter().map(|s| (s / n).exp()).collect();
    let mean_sim: Vec<f64> = sim_sum.iter().map(|s| s / n).collect();
    eprintln!("{deals} deals (default table, medium), each level on the same hand; \"beats\": strictly better, rank first:");
    eprintln!(
        "| player | mean rank | geometric mean rank | mean similarity | beats easy | beats medium | beats hard | beats par | beats closest card |"
    );
    eprintln!("|---|---|---|---|---|---|---|---|---|");
    for i in 0..N {
        let beats: Vec<String> = (0..N)
            .map(|j| {
                if i == j {
                    "–".to_string()
                } else {
                    format!("{:.0} %", 100.0 * wins[i][j] / n)
                }
            })
            .collect();
        eprintln!(
            "| {} | {:.0} | {:.1} | {:.3} | {} |",
            names[i],
            mean_rank[i],
            median_like[i],
            mean_sim[i],
            beats.join(" | ")
        );
    }
    // Strictly ordered: each level has a lower (better) typical rank, a higher mean similarity
    // and beats the level below more often than it loses to it.
    for i in 0..3 {
        assert!(
            median_like[i + 1] < median_like[i],
            "{} vs {}",
            names[i + 1],
            names[i]
        );
        assert!(
            mean_sim[i + 1] > mean_sim[i],
            "{} vs {}",
            names[i + 1],
            names[i]
        );
        assert!(
            wins[i + 1][i] > wins[i][i + 1],
            "{} vs {}",
            names[i + 1],
            names[i]
        );
    }
    // Par is the hand's best move by rank: another level beats it only where the batch rank
    // that ordered the hand was one off the scored rank (see the next test).
    for i in 0..3 {
        assert!(
            wins[i][3] <= 0.01 * n,
            "{} beat par in {} deals",
            names[i],
            wins[i][3]
        );
    }
}

/// The batch ranks that order a hand agree with the ranks moves are scored with: equal for
/// nearly every move, never more than one apart (a tie of cosines within f32 rounding).
#[test]
fn batch_ranks_agree_with_scored_ranks() {
    let e = engine();
    let spec = DealSpec {
        n_public: 10,
        m_private: 3,
        players: 2,
        wildcard_ratio: 0.0,
        difficulty: Difficulty::Hard,
    };
    let (mut moves, mut equal) = (0, 0);
    for seed in 0..12u64 {
        let Ok(d) = deal::deal(e, &spec, 9_000 + seed) else {
            continue;
        };
        let hands: Vec<&[Card]> = d.private.iter().map(Vec::as_slice).collect();
        for ordered in bots::order_hands(e, d.start, d.target, &d.public, &hands) {
            assert_eq!(ordered.len(), 10 * 3 * 4);
            for m in &ordered {
                let exact = bots::rank_of(e, d.start, d.target, &m.mv);
                assert!(exact.abs_diff(m.rank) <= 1, "{} vs {exact}", m.rank);
                moves += 1;
                equal += (exact == m.rank) as usize;
            }
            assert!(ordered.windows(2).all(|w| better_first(
                (w[0].rank, w[0].similarity),
                (w[1].rank, w[1].similarity)
            ) != Ordering::Greater));
        }
    }
    eprintln!("batch ranks: {equal} of {moves} equal to the scored rank");
    assert!(
        moves >= 2_000 && equal * 1000 >= moves * 995,
        "{equal} of {moves}"
    );
}
