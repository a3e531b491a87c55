//! The deck: the words cards, starts and targets are drawn from.

use super::{Embeddings, WordId};
use rustrict::{CensorStr, Type};

/// Default number of words in the deck.
pub const DEFAULT_DECK_SIZE: usize = 10_000;

/// Whether a word must never be dealt, chosen or shown as a label: rustrict's inappropriate
/// (profane, offensive, sexual or mean at moderate or higher), or offensive/sexual at any level.
pub fn is_offensive(word: &str) -> bool {
    word.is(Type::INAPPROPRIATE) || word.is((Type::OFFENSIVE | Type::SEXUAL) & Type::MILD_OR_HIGHER)
}

/// The shape a deck word must have: lowercase ASCII letters, 3 to 10 of them, with a vowel.
pub fn is_deck_shaped(word: &str) -> bool {
    (3..=10).contains(&word.len())
        && word.bytes().all(|b| b.is_ascii_lowercase())
        && word.bytes().any(|b| b"aeiouy".contains(&b))
}

/// The curated deck: the `size` most frequent deck-shaped, inoffensive words of the model
/// (model files are in frequency order).
#[derive(Debug, Clone)]
pub struct Deck {
    words: Vec<WordId>,
    member: Vec<bool>,
}

impl Deck {
    pub fn build(emb: &Embeddings, size: usize) -> Deck {
        let mut words = Vec::with_capacity(size);
        let mut member = vec![false; emb.len()];
        for id in 0..emb.len() as WordId {
            if words.len() == size {
                break;
            }
            let w = emb.word(id);
            if is_deck_shaped(w) && !emb.is_offensive(id) {
                words.push(id);
                member[id as usize] = true;
            }
        }
        Deck { words, member }
    }

    /// Deck words, most frequent first.
    pub fn words(&self) -> &[WordId] {
        &self.words
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn contains(&self, id: WordId) -> bool {
        self.member.get(id as usize).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_filter() {
        for w in ["cat", "house", "rhythm", "strawberry"] {
            assert!(is_deck_shaped(w), "{w}");
        }
        for w in ["it", "Cat", "don't", "x1", "brrr", "extraordinary", "café"] {
            assert!(!is_deck_shaped(w), "{w}");
        }
    }

    #[test]
    fn offensive_words_are_caught_and_ordinary_ones_are_not() {
        for w in [
            "nigger", "faggot", "cunt", "fuck", "shit", "whore", "retard", "kike", "chink",
        ] {
            assert!(is_offensive(w), "{w} should be offensive");
        }
        for w in [
            "assassin",
            "class",
            "scunthorpe",
            "grass",
            "cocktail",
            "button",
            "bass",
        ] {
            assert!(!is_offensive(w), "{w} should be fine");
        }
    }
}
