//! Feedback on a deal (API.md "Practice, free throws and feedback"): the rules a piece of
//! feedback meets before it is stored. No HTTP here: the routes parse the body, this checks
//! it, the progress store keeps it.

use crate::embeddings::vocab::{self, UnknownWord};
use crate::engine::Engine;
use crate::store::progress::{Feedback, FeedbackWord, FeedbackWords};

/// The throw a player suggests: 1 to this many words.
pub const MAX_WORDS: usize = 3;
/// A comment's length, in characters.
pub const MAX_COMMENT_CHARS: usize = 280;
/// The length of a context's `id` and `round_id`, in characters.
pub const MAX_ID_CHARS: usize = 100;

/// Why a piece of feedback is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeedbackError {
    #[error("words must hold 1 to {MAX_WORDS} words (the throw you suggest), not {0}")]
    WordCount(usize),
    #[error("{field} must be 1 to {MAX_ID_CHARS} characters")]
    Id { field: &'static str },
    #[error("comment must be at most {MAX_COMMENT_CHARS} characters, not {0}")]
    CommentTooLong(usize),
    #[error("the comment was refused as inappropriate: please say it another way")]
    InappropriateComment,
    #[error(transparent)]
    UnknownWord(#[from] UnknownWord),
}

impl FeedbackError {
    /// The input field at fault.
    pub fn field(&self) -> String {
        match self {
            FeedbackError::WordCount(_) => "words".into(),
            FeedbackError::Id { field } => (*field).into(),
            FeedbackError::CommentTooLong(_) | FeedbackError::InappropriateComment => {
                "comment".into()
            }
            FeedbackError::UnknownWord(w) => w.field().into(),
        }
    }
}

/// A piece of feedback as sent (the enums already parsed to their API spellings).
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub kind: &'static str,
    pub id: &'a str,
    pub round_id: Option<&'a str>,
    pub start: &'a str,
    pub target: &'a str,
    /// Each word as typed, with its sign (±1).
    pub words: &'a [(&'a str, i8)],
    pub vote: &'static str,
    pub comment: Option<&'a str>,
}

/// Check a draft: 1–3 words, every word (and the start and target) in the vocabulary, ids of
/// 1–100 characters, a comment of at most 280 characters that is not inappropriate (read as
/// names are: [`crate::game::rules::is_inappropriate_text`]). Words are kept in their
/// vocabulary form; a blank comment is no comment.
pub fn check(
    engine: &Engine,
    d: Draft<'_>,
    id: String,
    at_ms: i64,
) -> Result<Feedback, FeedbackError> {
    if !(1..=MAX_WORDS).contains(&d.words.len()) {
        return Err(FeedbackError::WordCount(d.words.len()));
    }
    let context_id = bounded_id(d.id, "context.id")?;
    let round_id = d
        .round_id
        .map(|r| bounded_id(r, "context.round_id"))
        .transpose()?;
    let word = |raw: &str, field: String| -> Result<String, FeedbackError> {
        let w = vocab::lookup(&engine.emb, &engine.deck, raw, field)?;
        Ok(engine.emb.word(w).to_string())
    };
    let start = word(d.start, "start".into())?;
    let target = word(d.target, "target".into())?;
    let words = d
        .words
        .iter()
        .enumerate()
        .map(|(i, &(raw, sign))| {
            Ok(FeedbackWord {
                word: word(raw, format!("words[{i}].word"))?,
                sign,
            })
        })
        .collect::<Result<Vec<_>, FeedbackError>>()?;
    let comment = d.comment.map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = comment {
        let len = c.chars().count();
        if len > MAX_COMMENT_CHARS {
            return Err(FeedbackError::CommentTooLong(len));
        }
        if crate::game::rules::is_inappropriate_text(c) {
            return Err(FeedbackError::InappropriateComment);
        }
    }
    Ok(Feedback {
        id,
        created_at_ms: at_ms,
        context_kind: d.kind.to_string(),
        context_id,
        round_id,
        start,
        target,
        words: FeedbackWords(words),
        vote: d.vote.to_string(),
        comment: comment.map(String::from),
    })
}

fn bounded_id(raw: &str, field: &'static str) -> Result<String, FeedbackError> {
    let id = raw.trim();
    if (1..=MAX_ID_CHARS).contains(&id.chars().count()) {
        Ok(id.to_string())
    } else {
        Err(FeedbackError::Id { field })
    }
}
