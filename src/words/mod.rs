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

/// At most this many words besides the start in a free throw (API.md `POST /score`).
pub const MAX_THROW_WORDS: usize = 3;

/// A free throw (`POST /score`): `start ± words…` scored against `target` exactly as a move is
/// ("Scoring a move"), for any 1–3 vocabulary words that are not offensive. `words` are the
/// words as typed, each with its sign (+1 or -1).
pub fn free_throw(
    engine: &Engine,
    start: &str,
    target: &str,
    words: &[(&str, i8)],
) -> Result<crate::scoring::MoveScore, WordsError> {
    if words.is_empty() || words.len() > MAX_THROW_WORDS {
        return Err(WordsError::invalid(
            "words",
            format!(
                "a throw has 1 to {MAX_THROW_WORDS} words, not {}",
                words.len()
            ),
        ));
    }
    let decent = |id: WordId, field: &str| {
        if engine.emb.is_offensive(id) {
            Err(WordsError::invalid(
                field,
                "that word is not played in Word Bocce",
            ))
        } else {
            Ok(id)
        }
    };
    let start = decent(lookup(engine, start, "start")?, "start")?;
    let target = decent(lookup(engine, target, "target")?, "target")?;
    let mut terms = vec![crate::scoring::Term {
        word: start,
        sign: 1,
    }];
    for (i, (w, sign)) in words.iter().enumerate() {
        let field = format!("words[{i}].word");
        let word = decent(lookup(engine, w, field.as_str())?, &field)?;
        terms.push(crate::scoring::Term { word, sign: *sign });
    }
    crate::scoring::score_move(&engine.emb, &engine.exact, &terms, target)
        .ok_or(WordsError::CancelsOut(CancelsOut))
}
