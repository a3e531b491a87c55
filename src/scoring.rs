//! Scoring a move, as `docs/api.md` ("Scoring a move") defines it.
//!
//! `ball = normalise(start ± card ± card)`; `similarity = cos(ball, target)`; `rank` = 1 + the
//! words (outside the move's words and the target) closer to the ball than the target, exact
//! over the whole vocabulary; `nearest` = the word nearest the ball that is not a move word, a
//! near-copy of one, or offensive (the target is never skipped); `contributions` = each word's
//! share of the similarity.

use crate::embeddings::{Embeddings, WordId};
use crate::index::ExactIndex;
use crate::simd::exact_dot;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The name of a rank, as players read it (API.md "Comparing moves"): `#1` is a *bacio* (the
/// ball kissed the target), `#2`–`#10` close, `#11`–`#100` in the hunt, `#101`–`#1000` wide,
/// anything further a long way off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Bacio,
    Close,
    InTheHunt,
    Wide,
    LongWayOff,
}

impl Tier {
    pub const ALL: [Tier; 5] = [
        Tier::Bacio,
        Tier::Close,
        Tier::InTheHunt,
        Tier::Wide,
        Tier::LongWayOff,
    ];

    /// The tier of `rank` (ranks start at 1; 0, the rank of nothing, is a long way off).
    pub fn of(rank: usize) -> Tier {
        match rank {
            1 => Tier::Bacio,
            2..=10 => Tier::Close,
            11..=100 => Tier::InTheHunt,
            101..=1000 => Tier::Wide,
            _ => Tier::LongWayOff,
        }
    }

    /// The name clients see (`"in_the_hunt"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Bacio => "bacio",
            Tier::Close => "close",
            Tier::InTheHunt => "in_the_hunt",
            Tier::Wide => "wide",
            Tier::LongWayOff => "long_way_off",
        }
    }
}

/// How moves compare (API.md "Comparing moves"): rank first — the lower rank is better — and
/// a higher similarity breaks a tie of ranks. `Less` means `a` is the better move, so sorting
/// with this puts the best first. A rank of 0 (no rank) is worse than every rank.
pub fn better_first(a: (usize, f32), b: (usize, f32)) -> Ordering {
    let key = |r: usize| if r == 0 { usize::MAX } else { r };
    key(a.0).cmp(&key(b.0)).then(b.1.total_cmp(&a.1))
}

/// The words of a move cancel out: the ball has no direction, so the move has no score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the words of this move cancel out: pick other signs or cards")]
pub struct CancelsOut;

/// One word of a move with its sign (+1 or -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub word: WordId,
    pub sign: i8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub word: String,
    pub sign: i8,
    pub share: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveScore {
    pub similarity: f32,
    pub rank: usize,
    pub tier: Tier,
    pub nearest: String,
    pub nearest_sim: f32,
    pub contributions: Vec<Contribution>,
}

/// The terms of a move: `start + ps·public + qs·private`.
pub fn move_terms(start: WordId, public: (WordId, i8), private: (WordId, i8)) -> [Term; 3] {
    [
        Term {
            word: start,
            sign: 1,
        },
        Term {
            word: public.0,
            sign: public.1,
        },
        Term {
            word: private.0,
            sign: private.1,
        },
    ]
}

/// `Σ sign·v(word)` and its norm; `None` when the terms cancel out (a zero vector).
pub fn combine(emb: &Embeddings, terms: &[Term]) -> Option<(Vec<f32>, f32)> {
    let mut sum = vec![0f64; emb.dim()];
    for t in terms {
        for (s, &x) in sum.iter_mut().zip(emb.vector(t.word)) {
            *s += t.sign as f64 * x as f64;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm.is_nan() || norm <= 1e-6 {
        return None;
    }
    Some((
        (sum.iter().map(|x| (x / norm) as f32).collect()),
        norm as f32,
    ))
}

/// The normalised ball of a move, or `None` if its words cancel out.
pub fn ball(emb: &Embeddings, terms: &[Term]) -> Option<Vec<f32>> {
    combine(emb, terms).map(|(b, _)| b)
}

/// Whether `a` and `b` are near-copies: one contains the other, or they share their first
/// five letters ("boat"/"boats", "explain"/"explained").
pub fn near_copy(a: &str, b: &str) -> bool {
    if a.contains(b) || b.contains(a) {
        return true;
    }
    let mut x = a.chars();
    let mut y = b.chars();
    for _ in 0..5 {
        match (x.next(), y.next()) {
            (Some(c), Some(d)) if c == d => {}
            _ => return false,
        }
    }
    true
}

/// Score a move of `terms` (start word first) against `target`.
#[tracing::instrument(level = "debug", skip_all)]
pub fn score_move(
    emb: &Embeddings,
    exact: &ExactIndex,
    terms: &[Term],
    target: WordId,
) -> Option<MoveScore> {
    let (ball, norm) = combine(emb, terms)?;
    let similarity = exact_dot(&ball, emb.vector(target));
    let move_words: Vec<WordId> = terms.iter().map(|t| t.word).collect();
    let move_strs: Vec<&str> = terms.iter().map(|t| emb.word(t.word)).collect();
    let skip = |id: WordId| {
        if id == target {
            return false;
        }
        let w = emb.word(id);
        move_words.contains(&id)
            || move_strs.iter().any(|m| near_copy(m, w))
            || emb.is_offensive(id)
    };
    // The rank's scan passes every word nearer the ball than the target: the nearest allowed
    // one is picked there, exactly; without one, the target is the nearest word.
    let (rank, nearer) = exact.rank_and_nearest(&ball, target, &move_words, &skip);
    let nearest = match nearer {
        Some(hit) if hit.sim > similarity => (hit.id, hit.sim),
        _ => (target, similarity),
    };
    let contributions = terms
        .iter()
        .map(|t| Contribution {
            word: emb.word(t.word).to_string(),
            sign: t.sign,
            share: t.sign as f32 * emb.cosine(t.word, target) / norm,
        })
        .collect();
    Some(MoveScore {
        similarity,
        rank,
        tier: Tier::of(rank),
        nearest: emb.word(nearest.0).to_string(),
        nearest_sim: nearest.1,
        contributions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_name_the_rank_bands() {
        let cases = [
            (1, Tier::Bacio),
            (2, Tier::Close),
            (10, Tier::Close),
            (11, Tier::InTheHunt),
            (100, Tier::InTheHunt),
            (101, Tier::Wide),
            (1000, Tier::Wide),
            (1001, Tier::LongWayOff),
            (400_000, Tier::LongWayOff),
        ];
        for (rank, tier) in cases {
            assert_eq!(Tier::of(rank), tier, "rank {rank}");
            assert_eq!(
                serde_json::to_value(tier).unwrap(),
                serde_json::json!(tier.as_str())
            );
        }
    }

    #[test]
    fn moves_compare_rank_first_then_similarity() {
        // A lower rank wins even with a lower similarity (the old rule said otherwise).
        assert_eq!(better_first((3, 0.50), (7, 0.60)), Ordering::Less);
        assert_eq!(better_first((7, 0.60), (3, 0.50)), Ordering::Greater);
        // The same rank: the higher similarity wins; the same both: a tie.
        assert_eq!(better_first((5, 0.61), (5, 0.60)), Ordering::Less);
        assert_eq!(better_first((5, 0.60), (5, 0.60)), Ordering::Equal);
        // No rank (0) is worse than any rank.
        assert_eq!(better_first((0, 0.9), (400_000, 0.1)), Ordering::Greater);
        let mut moves = vec![(12, 0.7), (1, 0.5), (12, 0.8), (2, 0.9)];
        moves.sort_by(|a, b| better_first(*a, *b));
        assert_eq!(moves, [(1, 0.5), (2, 0.9), (12, 0.8), (12, 0.7)]);
    }

    #[test]
    fn near_copies() {
        assert!(near_copy("boat", "boats"));
        assert!(near_copy("explain", "explained"));
        assert!(near_copy("running", "run"));
        assert!(near_copy("develop", "developer"));
        assert!(near_copy("national", "nationwide"));
        assert!(!near_copy("king", "queen"));
        assert!(!near_copy("paris", "party"));
        assert!(!near_copy("cat", "dog"));
    }
}
