//! The deck dealt to players: 10,000 frequent, well-shaped, inoffensive words.

use crate::common::{engine, id_of};
use word_bocce::embeddings::deck::{is_deck_shaped, is_unfit_to_deal, DEFAULT_DECK_SIZE};
use word_bocce::embeddings::WordId;

/// Slurs and obscenities a player must never be dealt. Not all are in the vocabulary; the test
/// requires that enough of them are, so that it means something.
const NEVER_DEALT: &[&str] = &[
    "nigger",
    "niggers",
    "nigga",
    "faggot",
    "faggots",
    "fag",
    "cunt",
    "cunts",
    "fuck",
    "fucking",
    "fucked",
    "fucker",
    "motherfucker",
    "shit",
    "shitty",
    "bullshit",
    "whore",
    "whores",
    "slut",
    "sluts",
    "bitch",
    "bitches",
    "kike",
    "chink",
    "chinks",
    "spic",
    "wetback",
    "gook",
    "raghead",
    "towelhead",
    "tranny",
    "retard",
    "retarded",
    "dyke",
    "twat",
    "pussy",
    "dick",
    "cock",
    "cocks",
    "asshole",
    "wanker",
    "porn",
    "porno",
    "blowjob",
    "rape",
    "rapist",
    "coon",
    "paki",
    "negro",
];

const ORDINARY: &[&str] = &[
    "house", "music", "water", "king", "queen", "city", "tree", "river", "happy", "dog",
];

#[test]
fn the_deck_is_ten_thousand_frequent_clean_words() {
    let e = engine();
    let emb = &e.emb;
    let deck = &e.deck;
    assert_eq!(deck.len(), DEFAULT_DECK_SIZE);
    assert_eq!(deck.len(), 10_000);
    let words = deck.words();

    // Most frequent first: ids (the model's frequency order) strictly increase.
    assert!(
        words.windows(2).all(|w| w[0] < w[1]),
        "deck ids are not strictly increasing"
    );
    for &id in words {
        let w = emb.word(id);
        assert!(is_deck_shaped(w), "'{w}' is not deck-shaped");
        assert!(!is_unfit_to_deal(w), "'{w}' is unfit to deal");
        assert!(deck.contains(id));
    }
    // And it is exactly the most frequent such words: every word skipped before the last
    // deck word was skipped for a reason.
    let last = *words.last().unwrap();
    let mut member = vec![false; emb.len()];
    for &id in words {
        member[id as usize] = true;
    }
    for id in 0..=last {
        let w = emb.word(id);
        if !member[id as usize] {
            assert!(
                !is_deck_shaped(w) || is_unfit_to_deal(w),
                "'{w}' (id {id}) is a clean deck-shaped word but was left out"
            );
            assert!(!deck.contains(id));
        }
    }
    assert!(!deck.contains(emb.len() as WordId + 10));

    let mut in_vocab = Vec::new();
    for &w in NEVER_DEALT {
        if let Some(id) = emb.lookup(w) {
            in_vocab.push(w);
            assert!(!deck.contains(id), "'{w}' is in the deck");
        }
    }
    eprintln!(
        "{} of {} listed slurs/obscenities are in the vocabulary, none dealt: {in_vocab:?}",
        in_vocab.len(),
        NEVER_DEALT.len()
    );
    assert!(
        in_vocab.len() >= 5,
        "only {} listed words are in the vocabulary: {in_vocab:?}",
        in_vocab.len()
    );

    for &w in ORDINARY {
        assert!(deck.contains(id_of(w)), "'{w}' is not in the deck");
    }
}

/// The listed slurs and obscenities are also never shown nor played as a JOKER, while ordinary
/// words a running-text filter flags ("wife", "jewish", "fukushima") are playable.
#[test]
fn slurs_are_never_played_and_ordinary_words_are() {
    let e = engine();
    let target = id_of("garden");
    let mut shown = Vec::new();
    for &w in NEVER_DEALT {
        if let Some(id) = e.emb.lookup(w) {
            let played = word_bocce::game::rules::joker_word(e, w, target);
            if let Err(err) = &played {
                let problem = word_bocce::routes::problem::ApiError::from(err.clone());
                assert_eq!(problem.code.as_str(), "joker_word_forbidden", "'{w}'");
            }
            if !e.emb.is_offensive(id) || played.is_ok() {
                shown.push(w);
            }
        }
    }
    assert!(shown.is_empty(), "not hidden: {shown:?}");
    for w in [
        "wife",
        "husband",
        "marriage",
        "jewish",
        "gay",
        "pregnant",
        "fukushima",
    ] {
        assert!(!e.emb.is_offensive(id_of(w)), "'{w}' is hidden");
        assert!(
            word_bocce::game::rules::joker_word(e, w, target).is_ok(),
            "'{w}' refused as a joker"
        );
    }
}
