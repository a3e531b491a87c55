//! Words as players type them: looked up in the vocabulary, and when the model does not know
//! one, an [`UnknownWord`] error that carries close spellings from the deck as suggestions.

use super::deck::Deck;
use super::{Embeddings, WordId};
use crate::text::quoted;

/// A word the vocabulary does not have, for the input field it came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnknownWord {
    /// Nothing was typed (no word is close to nothing).
    #[error("a word is needed here, not an empty string")]
    Empty { field: String },
    /// A word the model does not know, with deck words close in spelling.
    #[error("'{}' is not in the vocabulary", quoted(word))]
    NotInVocabulary {
        word: String,
        field: String,
        suggestions: Vec<String>,
    },
}

impl UnknownWord {
    /// The input field at fault.
    pub fn field(&self) -> &str {
        match self {
            UnknownWord::Empty { field } | UnknownWord::NotInVocabulary { field, .. } => field,
        }
    }
}

/// How many suggestions an unknown word gets.
pub const SUGGESTIONS: usize = 5;

/// `raw` as a player typed it (trimmed, lower-cased) looked up in the vocabulary.
pub fn lookup(
    emb: &Embeddings,
    deck: &Deck,
    raw: &str,
    field: impl Into<String>,
) -> Result<WordId, UnknownWord> {
    emb.lookup(raw)
        .ok_or_else(|| unknown(emb, deck, &raw.trim().to_lowercase(), field))
}

/// The error for a word (trimmed, lower-cased) the model does not know.
pub fn unknown(emb: &Embeddings, deck: &Deck, w: &str, field: impl Into<String>) -> UnknownWord {
    let field = field.into();
    if w.is_empty() {
        return UnknownWord::Empty { field };
    }
    UnknownWord::NotInVocabulary {
        word: w.to_string(),
        field,
        suggestions: suggest(emb, deck, w, SUGGESTIONS),
    }
}

/// Deck words close in spelling to `w` (edit distance at most 3), closest first.
pub fn suggest(emb: &Embeddings, deck: &Deck, w: &str, n: usize) -> Vec<String> {
    let mut scored: Vec<(usize, usize, WordId)> = deck
        .words()
        .iter()
        .enumerate()
        .filter_map(|(i, &id)| {
            let d = edit_distance(w, emb.word(id), 3)?;
            Some((d, i, id))
        })
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(n)
        .map(|(_, _, id)| emb.word(id).to_string())
        .collect()
}

/// Levenshtein distance if it is at most `max`.
fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + (ca != cb) as usize)
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        if cur.iter().min().copied().unwrap_or(0) > max {
            return None;
        }
        prev = cur;
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_bounds() {
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("same", "same", 0), Some(0));
    }
}
