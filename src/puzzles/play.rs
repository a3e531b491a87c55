//! Playing the catalogue: checking a solve's cards, scoring it, and what a solve reports
//! (stars, progress, a spoiler-free share line). No HTTP here.
//!
//! A puzzle has few legal moves (about 170 pairs of cards × signs without a wildcard), and a
//! move's score does not depend on who plays it, so scores are memoised per puzzle: the first
//! solve of a move pays for the exact rank over the whole vocabulary (about 0.3 ms), every
//! later one of the same move (the daily puzzle is played by everyone) reads it back. The memo
//! of a puzzle holds at most [`MEMO_CAP`] moves (a wildcard puzzle has ~400,000); moves beyond
//! that are scored each time.

use super::{CardRejection, CardSlot, Catalogue, LoadedPuzzle};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::error::{ApiError, Code};
use crate::game::matches::{not_in_vocabulary, quoted};
use crate::scoring::{move_terms, score_move, MoveScore};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Moves memoised per puzzle, at most.
pub const MEMO_CAP: usize = 4096;

/// A move as the player chose it (signs are ±1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PuzzleMoveInput {
    pub public: WordId,
    pub public_sign: i8,
    pub private: WordId,
    pub private_sign: i8,
}

type Memo = RwLock<HashMap<PuzzleMoveInput, Arc<MoveScore>>>;

/// The catalogue with its score memos.
pub struct Puzzles {
    catalogue: Catalogue,
    memos: HashMap<String, Memo>,
}

impl Puzzles {
    pub fn new(catalogue: Catalogue) -> Puzzles {
        let memos = catalogue
            .puzzles()
            .iter()
            .map(|p| (p.id.clone(), RwLock::new(HashMap::new())))
            .collect();
        Puzzles { catalogue, memos }
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The puzzle, or 404 `unknown_puzzle`.
    pub fn get(&self, id: &str) -> Result<&LoadedPuzzle, ApiError> {
        self.catalogue.get(id).ok_or_else(|| {
            ApiError::new(Code::UnknownPuzzle, format!("no puzzle '{}'", quoted(id)))
        })
    }

    /// Turn the words of a solve into a legal move of `p`: 422 `not_an_allowed_card` (naming
    /// the field) for a card outside the puzzle's cards, `word_not_in_vocabulary` for an
    /// unknown word in a wildcard puzzle, `invalid_move` for the same card twice.
    pub fn check(
        &self,
        engine: &Engine,
        p: &LoadedPuzzle,
        public: &str,
        public_sign: i8,
        private: &str,
        private_sign: i8,
    ) -> Result<PuzzleMoveInput, ApiError> {
        let word = |raw: &str, field: &str| -> Result<WordId, ApiError> {
            engine.emb.lookup(raw).ok_or_else(|| {
                let w = raw.trim().to_lowercase();
                if p.has_wildcard {
                    not_in_vocabulary(engine, &w, field)
                } else {
                    not_allowed(p, &w, field)
                }
            })
        };
        let a = word(public, "public_token")?;
        let b = word(private, "private_token")?;
        match p.check_cards(engine, a, b) {
            Ok(()) => Ok(PuzzleMoveInput {
                public: a,
                public_sign,
                private: b,
                private_sign,
            }),
            Err(CardRejection::SameCards) => Err(ApiError::new(
                Code::InvalidMove,
                "the public and the private card must differ",
            )
            .field("private_token")),
            Err(CardRejection::NotAllowed(CardSlot::Public)) => {
                Err(not_allowed(p, engine.emb.word(a), "public_token"))
            }
            Err(CardRejection::NotAllowed(CardSlot::Private)) => {
                Err(not_allowed(p, engine.emb.word(b), "private_token"))
            }
            Err(CardRejection::OneWildcardOnly) => Err(ApiError::new(
                Code::NotAnAllowedCard,
                "only one of the two cards may be a free (wildcard) word: the other must be one of the puzzle's cards",
            )
            .field("private_token")),
        }
    }

    /// The score of a legal move of `p` (memoised).
    pub fn score(
        &self,
        engine: &Engine,
        p: &LoadedPuzzle,
        mv: PuzzleMoveInput,
    ) -> Result<Arc<MoveScore>, ApiError> {
        let memo = self.memos.get(&p.id);
        if let Some(hit) = memo
            .and_then(|m| m.read().ok())
            .and_then(|m| m.get(&mv).cloned())
        {
            return Ok(hit);
        }
        let terms = move_terms(
            p.start,
            (mv.public, mv.public_sign),
            (mv.private, mv.private_sign),
        );
        let score = score_move(&engine.emb, &engine.exact, &terms, p.target)
            .map(Arc::new)
            .ok_or_else(|| {
                ApiError::new(
                    Code::InvalidMove,
                    "the words of this move cancel out: pick other signs or cards",
                )
            })?;
        if let Some(mut m) = memo.and_then(|m| m.write().ok()) {
            if m.len() < MEMO_CAP {
                m.insert(mv, score.clone());
            }
        }
        Ok(score)
    }
}

fn not_allowed(p: &LoadedPuzzle, w: &str, field: &str) -> ApiError {
    let extra = if p.has_wildcard {
        " (one card may be any common word other than the start, the target or a near-synonym of it, but the other must be listed)"
    } else {
        ""
    };
    ApiError::new(
        Code::NotAnAllowedCard,
        format!(
            "'{}' is not one of this puzzle's cards: {}{extra}",
            quoted(w),
            p.allowed_cards.join(", ")
        ),
    )
    .field(field)
}

/// How far a similarity went from the start word's towards the optimum: 0 at the start
/// word, 1 at the best move (negative when the move made things worse).
pub fn progress(p: &LoadedPuzzle, similarity: f32) -> f32 {
    let span = p.optimal_similarity - p.start_similarity;
    if span <= 0.0 {
        return 0.0;
    }
    ((similarity - p.start_similarity) / span).min(1.0)
}

/// A line a player can paste: puzzle name, difficulty, stars and similarity — never a card,
/// the nearest word or anything else from the answer.
pub fn share_text(p: &LoadedPuzzle, stars: u8, similarity: f32, passed: bool) -> String {
    let s = stars.min(3) as usize;
    let earned = "★".repeat(s) + &"☆".repeat(3 - s);
    let verdict = if passed { "solved" } else { "not solved yet" };
    let difficulty = match p.difficulty {
        crate::game::deal::Difficulty::Easy => "easy",
        crate::game::deal::Difficulty::Medium => "medium",
        crate::game::deal::Difficulty::Hard => "hard",
    };
    format!(
        "Word Bocce · {} ({difficulty}) · {earned} · similarity {similarity:.3} · {verdict}",
        p.name
    )
}
