//! The deck: the words cards, starts and targets are drawn from.

use super::{Embeddings, WordId};
use rustrict::{CensorStr, Type};

/// Default number of words in the deck.
pub const DEFAULT_DECK_SIZE: usize = 10_000;

/// Words rustrict rates offensive that are nobody's slur: people, faiths, places, history.
/// Hiding "gay", "jewish" or "hitler" from a nearest word or an analogy answer does harm or
/// makes the game lie. They are still never dealt (see [`is_unfit_to_deal`]).
const NOT_SLURS: &[&str] = &[
    "adolf",
    "auschwitz",
    "bisexual",
    "bonner",
    "cracker",
    "crackers",
    "fascism",
    "fascist",
    "fascists",
    "gay",
    "gays",
    "ghetto",
    "heterosexual",
    "hitler",
    "holocaust",
    "homosexual",
    "homosexuality",
    "homosexuals",
    "jew",
    "jewish",
    "jews",
    "klan",
    "lesbian",
    "lesbians",
    "nazi",
    "nazis",
    "nazism",
    "niger",
    "queer",
    "shiite",
    "shiites",
    "transgender",
];

/// Slurs and obscenities rustrict misses or rates only mildly offensive on a single word (it
/// rates "africans" and "autistic" mild too, so mild offence alone cannot tell; "porno" and
/// "cocks" are not whole-word findings for it).
const ALSO_OFFENSIVE: &[&str] = &[
    "cocks",
    "dago",
    "gook",
    "jap",
    "japs",
    "negro",
    "paki",
    "porno",
    "raghead",
    "rapist",
    "spic",
    "towelhead",
    "wetback",
    "wop",
];

/// Whether rustrict's finding covers the word itself, not a part of it ("hitchc***",
/// "k**ar", "f**ushima" are other words that contain a flagged one; it may keep the first
/// letter of a whole-word finding: "f***").
fn flagged_whole(word: &str) -> bool {
    let stars = word.censor().chars().filter(|&c| c == '*').count();
    stars > 0 && stars + 1 >= word.chars().count()
}

/// Whether a word is a slur or profanity, and so never shown (a nearest word, a label of the
/// picture, an analogy answer) nor played as a JOKER: profane or offensive at moderate or
/// higher or severely sexual where rustrict's finding is the whole word and the word is not in
/// [`NOT_SLURS`], and the words of [`ALSO_OFFENSIVE`].
/// (rustrict judges running text; on single dictionary words its substring matches and mild
/// ratings hid 250 of the 30,000 commonest words, "wife" and "fukushima" among them.)
pub fn is_offensive(word: &str) -> bool {
    if ALSO_OFFENSIVE.contains(&word) {
        return true;
    }
    let flagged = word.is((Type::PROFANE | Type::OFFENSIVE) & Type::MODERATE_OR_HIGHER)
        || word.is(Type::SEXUAL & Type::SEVERE);
    flagged && flagged_whole(word) && !NOT_SLURS.contains(&word)
}

/// Whether a word may never be dealt as a card, a start or a target (matches and puzzles):
/// the offensive ones, and anything rustrict finds inappropriate or offensive/sexual at any
/// level, substrings included — dealt words stay family-friendly, and a false alarm there
/// only costs the deck one word.
pub fn is_unfit_to_deal(word: &str) -> bool {
    is_offensive(word) || flagged_widely(word)
}

/// rustrict's wide net: inappropriate, or offensive/sexual at any level, substrings included
/// (with [`is_offensive`], what [`is_unfit_to_deal`] means; the word store judges each word
/// once with the two).
pub(crate) fn flagged_widely(word: &str) -> bool {
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
            if is_deck_shaped(w) && !emb.is_unfit_to_deal(id) {
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
    fn slurs_and_profanity_are_caught_and_ordinary_words_are_not() {
        for w in [
            "nigger", "faggot", "cunt", "fuck", "shit", "whore", "retard", "kike", "chink", "spic",
            "gook", "wetback", "tranny", "porn", "bitch",
        ] {
            assert!(is_offensive(w), "{w} should be offensive");
            assert!(is_unfit_to_deal(w), "{w} is never dealt");
        }
        // Ordinary words, words that merely contain a flagged one, people, faiths, places.
        for w in [
            "assassin",
            "class",
            "scunthorpe",
            "grass",
            "cocktail",
            "button",
            "bass",
            "wife",
            "husband",
            "marriage",
            "pregnant",
            "gay",
            "jewish",
            "africans",
            "autistic",
            "hitchcock",
            "fukushima",
            "schwarzenegger",
            "hitler",
        ] {
            assert!(!is_offensive(w), "{w} should be fine");
        }
        // Dealt words stay family-friendly: rustrict's wider net, substrings included.
        for w in ["sex", "suicide", "wife", "gay", "hitchcock"] {
            assert!(is_unfit_to_deal(w), "{w} is not dealt");
        }
        assert!(!is_unfit_to_deal("garden"));
    }
}
