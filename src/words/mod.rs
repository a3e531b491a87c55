//! Words beyond a match: the 3CosAdd analogy search and the 2-D scene of a move or a word with
//! its neighbours. Pure: the engine in, values out; the HTTP layer only parses and serialises.

pub mod analogy;
pub mod projection;
pub mod scene;

use crate::embeddings::vocab::{self, UnknownWord};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::scoring::CancelsOut;

/// Why a words request is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WordsError {
    /// A value outside its rule (`field` names the input, when one is at fault).
    #[error("{detail}")]
    Invalid {
        field: Option<String>,
        detail: String,
    },
    #[error(transparent)]
    UnknownWord(#[from] UnknownWord),
    #[error(transparent)]
    CancelsOut(#[from] CancelsOut),
}

impl WordsError {
    pub fn invalid(field: &str, detail: impl Into<String>) -> WordsError {
        WordsError::Invalid {
            field: Some(field.to_string()),
            detail: detail.into(),
        }
    }
}

/// A word as a player typed it, looked up (an unknown word carries suggestions).
pub fn lookup(
    engine: &Engine,
    word: &str,
    field: impl Into<String>,
) -> Result<WordId, UnknownWord> {
    vocab::lookup(&engine.emb, &engine.deck, word, field)
}
