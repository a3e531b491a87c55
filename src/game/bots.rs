//! Computer opponents (API.md "Computer opponents"): seats that play from their own dealt hand
//! at a chosen strength, never seeing anyone else's cards or moves.
//!
//! A hand's moves are put in order once, when the round is dealt: every move of every hand
//! (jokers aside) with its similarity and its rank, all ranked in one pass over the
//! vocabulary ([`crate::index::moves`]), sorted rank first (API.md "Comparing moves"). That
//! order is where par comes from (its first move) and where each level draws its move: `easy`
//! from the first 45, `medium` from the first 12, `hard` from the first 3, `par` the first. A bot's move is chosen then, and counted as submitted at a time of its
//! own within the round ([`move_time`]) or as soon as every other player has moved; see
//! `Match::settle`. The figures of each level are in docs/game-design.md ("Computer
//! opponents").

use super::deal::{self, Card, Move};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::index::moves::CardMove;
use crate::scoring::{self, better_first, Term};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How strongly a computer opponent plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BotLevel {
    Easy,
    Medium,
    Hard,
    Par,
}

impl BotLevel {
    pub const ALL: [BotLevel; 4] = [
        BotLevel::Easy,
        BotLevel::Medium,
        BotLevel::Hard,
        BotLevel::Par,
    ];

    /// How many of the hand's best moves the level draws from.
    pub fn pool(self) -> usize {
        match self {
            BotLevel::Easy => 45,
            BotLevel::Medium => 12,
            BotLevel::Hard => 3,
            BotLevel::Par => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BotLevel::Easy => "easy",
            BotLevel::Medium => "medium",
            BotLevel::Hard => "hard",
            BotLevel::Par => "par",
        }
    }

    /// The name a bot gets when the host gives none: "Hard bot", "Hard bot 2", ….
    pub fn default_name(self, nth: usize) -> String {
        let mut level = self.as_str().to_string();
        level[..1].make_ascii_uppercase();
        if nth <= 1 {
            format!("{level} bot")
        } else {
            format!("{level} bot {nth}")
        }
    }
}

/// A move of a hand with its similarity and its rank (from [`crate::index::moves::ranks`]:
/// the order is exact, the rank may differ by one from the scored rank at a tie of cosines).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderedMove {
    pub mv: Move,
    pub similarity: f32,
    pub rank: usize,
}

/// The terms of a dealt move, start first.
pub fn terms(start: WordId, mv: &Move) -> [Term; 3] {
    scoring::move_terms(
        start,
        (mv.public, mv.public_sign),
        (mv.private, mv.private_sign),
    )
}

/// The exact rank of a dealt move, as it is scored (0 if its words cancel out).
pub fn rank_of(engine: &Engine, start: WordId, target: WordId, mv: &Move) -> usize {
    let t = terms(start, mv);
    scoring::ball(&engine.emb, &t)
        .map(|b| engine.exact.rank(&b, target, &t.map(|t| t.word)))
        .unwrap_or(0)
}

/// Every hand's moves best first, rank first (API.md "Comparing moves"); empty for a hand of
/// jokers. All hands of a round are ranked in one pass over the vocabulary.
pub fn order_hands(
    engine: &Engine,
    start: WordId,
    target: WordId,
    public: &[WordId],
    hands: &[&[Card]],
) -> Vec<Vec<OrderedMove>> {
    let per_hand: Vec<Vec<deal::Par>> = hands
        .iter()
        .map(|hand| deal::hand_moves(engine, start, target, public, hand))
        .collect();
    // The cards of the round, each once, and every move as indexes into them.
    let mut cards: Vec<WordId> = public.to_vec();
    let index = |w: WordId, cards: &mut Vec<WordId>| match cards.iter().position(|&c| c == w) {
        Some(i) => i,
        None => {
            cards.push(w);
            cards.len() - 1
        }
    };
    let mut all: Vec<CardMove> = Vec::new();
    for moves in &per_hand {
        for m in moves {
            let public = index(m.mv.public, &mut cards);
            let private = index(m.mv.private, &mut cards);
            all.push(CardMove {
                public,
                public_sign: m.mv.public_sign,
                private,
                private_sign: m.mv.private_sign,
            });
        }
    }
    let mut ranks =
        crate::index::moves::ranks(&engine.emb, start, target, &cards, &all).into_iter();
    per_hand
        .into_iter()
        .map(|moves| {
            let mut ordered: Vec<OrderedMove> = moves
                .into_iter()
                .map(|p| OrderedMove {
                    mv: p.mv,
                    similarity: p.similarity,
                    rank: ranks.next().expect("a rank per move"),
                })
                .collect();
            // Stable: equal moves keep the similarity order.
            ordered.sort_by(|a, b| better_first((a.rank, a.similarity), (b.rank, b.similarity)));
            ordered
        })
        .collect()
}

/// One hand's moves best first (see [`order_hands`]).
pub fn order_hand(
    engine: &Engine,
    start: WordId,
    target: WordId,
    public: &[WordId],
    hand: &[Card],
) -> Vec<OrderedMove> {
    order_hands(engine, start, target, public, &[hand])
        .pop()
        .unwrap_or_default()
}

/// The random source of one bot in one round: reproducible from the match's seed, the round
/// and the seat.
pub fn rng(match_seed: u64, round: usize, seat: usize) -> ChaCha8Rng {
    let mix = match_seed
        ^ (round as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ ((seat as u64) + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    ChaCha8Rng::seed_from_u64(mix ^ 0xB075)
}

/// Which of `ordered` moves a bot of `level` plays: drawn evenly from the first
/// `level.pool()`. `None` for a hand with no move (jokers only): the bot passes.
pub fn pick(level: BotLevel, moves: usize, rng: &mut ChaCha8Rng) -> Option<usize> {
    let pool = level.pool().min(moves);
    (pool > 0).then(|| rng.random_range(0..pool))
}

/// The earliest a bot's move counts as submitted: 3 s into the round; the latest: 60 % of the
/// round's time (3 s when that is shorter).
pub const FIRST_MOVE_SECS: u64 = 3;

/// When, counted from the deal, a bot's move counts as submitted: evenly between
/// [`FIRST_MOVE_SECS`] and 60 % of the round's `timeout_secs`.
pub fn move_time(rng: &mut ChaCha8Rng, timeout_secs: u64) -> u64 {
    let last = (timeout_secs * 6 / 10).max(FIRST_MOVE_SECS);
    rng.random_range(FIRST_MOVE_SECS..=last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_draw_from_ever_fewer_moves() {
        let pools: Vec<usize> = BotLevel::ALL.iter().map(|l| l.pool()).collect();
        assert_eq!(pools, [45, 12, 3, 1]);
        let mut r = rng(7, 1, 0);
        for _ in 0..200 {
            assert_eq!(pick(BotLevel::Par, 80, &mut r), Some(0));
            assert!(pick(BotLevel::Hard, 80, &mut r).unwrap() < 3);
            assert!(pick(BotLevel::Easy, 20, &mut r).unwrap() < 20);
        }
        assert_eq!(pick(BotLevel::Easy, 0, &mut r), None);
        // Every move of the pool is drawn, not only the first.
        let seen: std::collections::BTreeSet<usize> = (0..300)
            .filter_map(|_| pick(BotLevel::Medium, 80, &mut r))
            .collect();
        assert_eq!(seen.len(), 12);
    }

    #[test]
    fn a_bot_moves_between_three_seconds_and_sixty_percent_of_the_round() {
        let mut r = rng(1, 2, 3);
        let times: Vec<u64> = (0..500).map(|_| move_time(&mut r, 120)).collect();
        assert!(times.iter().all(|&t| (3..=72).contains(&t)), "{times:?}");
        assert!(times.iter().any(|&t| t < 20) && times.iter().any(|&t| t > 55));
        assert!((0..50).all(|_| move_time(&mut r, 10) <= 6));
        assert!((0..50).all(|_| move_time(&mut r, 4) == 3));
    }

    #[test]
    fn names_and_seeds() {
        assert_eq!(BotLevel::Hard.default_name(1), "Hard bot");
        assert_eq!(BotLevel::Par.default_name(3), "Par bot 3");
        assert_eq!(
            serde_json::to_value(BotLevel::Medium).unwrap(),
            serde_json::json!("medium")
        );
        // Another seat or round draws differently; the same draws the same.
        let draw = |s, r, seat| rng(s, r, seat).random::<u64>();
        assert_eq!(draw(5, 1, 0), draw(5, 1, 0));
        assert_ne!(draw(5, 1, 0), draw(5, 1, 1));
        assert_ne!(draw(5, 1, 0), draw(5, 2, 0));
    }
}
