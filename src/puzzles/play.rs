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
use crate::embeddings::vocab::{self, UnknownWord};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::scoring::{move_terms, score_move, CancelsOut, MoveScore};
use crate::text::quoted;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Why a solve is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PuzzleError {
    #[error("no puzzle '{}'", quoted(.0))]
    UnknownPuzzle(String),
    #[error("the puzzle catalogue is empty")]
    EmptyCatalogue,
    /// A card outside the puzzle's cards; `cards` lists them.
    #[error("'{}' is not one of this puzzle's cards: {}{}", quoted(word), cards.join(", "), if *wildcard { WILDCARD_NOTE } else { "" })]
    NotAnAllowedCard {
        word: String,
        field: &'static str,
        cards: Vec<String>,
        wildcard: bool,
    },
    #[error("only one of the two cards may be a free (wildcard) word: the other must be one of the puzzle's cards")]
    OneWildcardOnly,
    #[error("the public and the private card must differ")]
    SameCards,
    #[error(transparent)]
    UnknownWord(#[from] UnknownWord),
    #[error(transparent)]
    CancelsOut(#[from] CancelsOut),
}

const WILDCARD_NOTE: &str = " (one card may be any common word other than the start, the target or a near-synonym of it, but the other must be listed)";

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

    /// The puzzle, or [`PuzzleError::UnknownPuzzle`].
    pub fn get(&self, id: &str) -> Result<&LoadedPuzzle, PuzzleError> {
        self.catalogue
            .get(id)
            .ok_or_else(|| PuzzleError::UnknownPuzzle(id.to_string()))
    }

    /// Turn the words of a solve into a legal move of `p`: a card outside the puzzle's cards
    /// (naming the field), an unknown word in a wildcard puzzle, or the same card twice are
    /// refused.
    pub fn check(
        &self,
        engine: &Engine,
        p: &LoadedPuzzle,
        public: &str,
        public_sign: i8,
        private: &str,
        private_sign: i8,
    ) -> Result<PuzzleMoveInput, PuzzleError> {
        let word = |raw: &str, field: &'static str| -> Result<WordId, PuzzleError> {
            engine.emb.lookup(raw).ok_or_else(|| {
                let w = raw.trim().to_lowercase();
                if p.has_wildcard {
                    vocab::unknown(&engine.emb, &engine.deck, &w, field).into()
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
            Err(CardRejection::SameCards) => Err(PuzzleError::SameCards),
            Err(CardRejection::NotAllowed(CardSlot::Public)) => {
                Err(not_allowed(p, engine.emb.word(a), "public_token"))
            }
            Err(CardRejection::NotAllowed(CardSlot::Private)) => {
                Err(not_allowed(p, engine.emb.word(b), "private_token"))
            }
            Err(CardRejection::OneWildcardOnly) => Err(PuzzleError::OneWildcardOnly),
        }
    }

    /// The score of a legal move of `p` (memoised).
    #[tracing::instrument(level = "debug", skip_all, fields(puzzle_id = %p.id))]
    pub fn score(
        &self,
        engine: &Engine,
        p: &LoadedPuzzle,
        mv: PuzzleMoveInput,
    ) -> Result<Arc<MoveScore>, PuzzleError> {
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
            .ok_or(CancelsOut)?;
        if let Some(mut m) = memo.and_then(|m| m.write().ok()) {
            if m.len() < MEMO_CAP {
                m.insert(mv, score.clone());
            }
        }
        Ok(score)
    }
}

fn not_allowed(p: &LoadedPuzzle, w: &str, field: &'static str) -> PuzzleError {
    PuzzleError::NotAnAllowedCard {
        word: w.to_string(),
        field,
        cards: p.allowed_cards.clone(),
        wildcard: p.has_wildcard,
    }
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

/// Where a player stands on a puzzle, for the share line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Solved,
    NotSolvedYet,
    GaveUp,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Solved => "solved",
            Verdict::NotSolvedYet => "not solved yet",
            Verdict::GaveUp => "gave up",
        }
    }
}

/// A line a player can paste: puzzle name, difficulty, stars, similarity (when there is one:
/// a give-up without a stored attempt has none) and the verdict — never a card, the nearest
/// word or anything else from the answer.
pub fn share_text(
    p: &LoadedPuzzle,
    stars: u8,
    similarity: Option<f32>,
    verdict: Verdict,
) -> String {
    let s = stars.min(3) as usize;
    let earned = "★".repeat(s) + &"☆".repeat(3 - s);
    let difficulty = p.difficulty.as_str();
    let similarity = similarity
        .map(|s| format!(" · similarity {s:.3}"))
        .unwrap_or_default();
    format!(
        "Word Bocce · {} ({difficulty}) · {earned}{similarity} · {}",
        p.name,
        verdict.as_str()
    )
}
