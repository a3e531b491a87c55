//! The rules of play: what a round deals, what makes a move legal (cards, JOKER words), how it
//! is scored, what a name may be, and who may do what with a token.

use super::bots;
use super::deal::{self, Card, DealSpec};
use super::state::{
    BotMove, Match, MoveInput, MoveResult, ParMove, Player, Round, RoundStatus, Sign, SubmittedMove,
};
use super::{GameError, JokerRule, NameRule};
use crate::embeddings::{vocab, WordId};
use crate::engine::Engine;
use crate::scoring::{self, Term};
use crate::tokens::token_matches;
use std::collections::BTreeMap;

pub const JOKER: &str = "JOKER";
/// A joker word may not be this close to the target (API.md).
pub const JOKER_MAX_COSINE: f32 = 0.85;

fn word_id(engine: &Engine, w: &str) -> Result<WordId, GameError> {
    engine
        .emb
        .id(w)
        .ok_or_else(|| GameError::Internal(format!("dealt word '{w}' is not in the loaded model")))
}

impl Match {
    /// Deal the next round for the current players (reproducible from the match's seed and
    /// the round number). Pure: the caller runs it off the async workers and applies it.
    #[tracing::instrument(level = "debug", skip_all, fields(match_id = %self.id))]
    pub fn deal_next_round(&self, engine: &Engine, now: u64) -> Result<Round, GameError> {
        let number = self.rounds.len() + 1;
        let spec = DealSpec {
            n_public: self.settings.n_public,
            m_private: self.settings.m_private,
            players: self.players.len(),
            wildcard_ratio: self.settings.wildcard_ratio,
            difficulty: self.settings.difficulty,
        };
        let seed = self.seed ^ (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let d = deal::deal(engine, &spec, seed).map_err(|e| GameError::Internal(e.to_string()))?;
        let w = |id: WordId| engine.emb.word(id).to_string();
        let as_input = |mv: &deal::Move| MoveInput {
            public_token: w(mv.public),
            public_sign: Sign::of(mv.public_sign),
            private_token: w(mv.private),
            private_sign: Sign::of(mv.private_sign),
            joker_override_token: None,
        };
        let mut hands = BTreeMap::new();
        let mut par = BTreeMap::new();
        let mut plans = BTreeMap::new();
        // Par and the bots' moves come from one ordering of each hand's moves, rank first, all
        // hands ranked in one pass over the vocabulary (see `bots`).
        let hand_refs: Vec<&[Card]> = d.private.iter().map(Vec::as_slice).collect();
        let orders = bots::order_hands(engine, d.start, d.target, &d.public, &hand_refs);
        for (seat, ((p, hand), ordered)) in
            self.players.iter().zip(&d.private).zip(orders).enumerate()
        {
            let cards: Vec<String> = hand
                .iter()
                .map(|c| match c {
                    Card::Word(id) => w(*id),
                    Card::Joker => JOKER.to_string(),
                })
                .collect();
            if let Some(best) = ordered.first() {
                par.insert(
                    p.id.clone(),
                    ParMove {
                        player_id: p.id.clone(),
                        mv: as_input(&best.mv),
                        similarity: best.similarity,
                        // Shown to players: the rank as the move is scored.
                        rank: bots::rank_of(engine, d.start, d.target, &best.mv),
                    },
                );
            }
            if let Some(level) = p.bot {
                let mut rng = bots::rng(self.seed, number, seat);
                let at = now + bots::move_time(&mut rng, self.settings.timeout_secs);
                if let Some(i) = bots::pick(level, ordered.len(), &mut rng) {
                    let mv = &ordered[i].mv;
                    let result = score(engine, &bots::terms(d.start, mv), d.target)?;
                    let submitted = SubmittedMove {
                        input: as_input(mv),
                        result,
                    };
                    plans.insert(p.id.clone(), BotMove { submitted, at });
                }
            }
            hands.insert(p.id.clone(), cards);
        }
        Ok(Round {
            id: format!("r{number}"),
            number,
            start_word: w(d.start),
            target_word: w(d.target),
            public_cards: d.public.iter().map(|&id| w(id)).collect(),
            hands: hands.into(),
            deadline_ts: now + self.settings.timeout_secs,
            status: RoundStatus::Open,
            moves: BTreeMap::new(),
            par: par.into(),
            bots: plans.into(),
        })
    }

    /// Check a move against the round's rules and the player's cards; returns the move's terms
    /// (start first) and target, ready to score. Does not change the match.
    pub fn check_move(
        &self,
        engine: &Engine,
        round_id: &str,
        player_id: &str,
        mv: &MoveInput,
        now: u64,
    ) -> Result<(Vec<Term>, WordId), GameError> {
        let round = self.round(round_id)?;
        if round.status == RoundStatus::Resolved || now >= round.deadline_ts {
            return Err(GameError::RoundClosed);
        }
        if self.current_round().map(|r| r.id.as_str()) != Some(round_id) {
            return Err(GameError::RoundClosed);
        }
        if !round.public_cards.contains(&mv.public_token) {
            return Err(GameError::NotAPublicCard(mv.public_token.clone()));
        }
        let hand = round.hands.get(player_id).map(Vec::as_slice).unwrap_or(&[]);
        if !hand.contains(&mv.private_token) {
            return Err(GameError::NotYourCard(mv.private_token.clone()));
        }
        let target = word_id(engine, &round.target_word)?;
        let start = word_id(engine, &round.start_word)?;
        let public = word_id(engine, &mv.public_token)?;
        let private = if mv.private_token == JOKER {
            let raw = mv.joker_override_token.as_deref().unwrap_or("");
            let id = joker_word(engine, raw, target)?;
            // Not a word already in the move, nor a near-copy of one ("boats" after "boat").
            let w = engine.emb.word(id);
            if [start, public]
                .into_iter()
                .any(|m| m == id || crate::scoring::near_copy(engine.emb.word(m), w))
            {
                return Err(GameError::JokerWordForbidden(JokerRule::InTheMove));
            }
            id
        } else {
            word_id(engine, &mv.private_token)?
        };
        Ok((
            vec![
                Term {
                    word: start,
                    sign: 1,
                },
                Term {
                    word: public,
                    sign: mv.public_sign.as_i8(),
                },
                Term {
                    word: private,
                    sign: mv.private_sign.as_i8(),
                },
            ],
            target,
        ))
    }
}

/// A joker's word: in the vocabulary, letters only, not offensive, not the target and not
/// within cosine 0.85 of it. (Not a word of the move either: [`Match::check_move`] sees the
/// move.)
pub fn joker_word(engine: &Engine, raw: &str, target: WordId) -> Result<WordId, GameError> {
    let w = raw.trim().to_lowercase();
    if w.is_empty() {
        return Err(GameError::JokerWordMissing);
    }
    if !w.chars().all(char::is_alphabetic) {
        return Err(GameError::JokerWordForbidden(JokerRule::LettersOnly));
    }
    let Some(id) = engine.emb.id(&w) else {
        return Err(vocab::unknown(&engine.emb, &engine.deck, &w, "joker_override_token").into());
    };
    if engine.emb.is_offensive(id) {
        return Err(GameError::JokerWordForbidden(JokerRule::Offensive));
    }
    if id == target || engine.emb.cosine(id, target) > JOKER_MAX_COSINE {
        return Err(GameError::JokerWordForbidden(JokerRule::NearTarget));
    }
    Ok(id)
}

/// Score a checked move (see [`crate::scoring::score_move`]).
pub fn score(engine: &Engine, terms: &[Term], target: WordId) -> Result<MoveResult, GameError> {
    let s = scoring::score_move(&engine.emb, &engine.exact, terms, target)
        .ok_or(scoring::CancelsOut)?;
    Ok(s.into())
}

/// A name a person chose (a match's, a player's, a puzzle profile's), as the rules allow it:
/// 1–50 characters after collapsing white space; letters (with their combining marks), digits,
/// space, `-`, `_`; no profanity (see [`Name::parse`]). Made only by [`Name::parse`], so
/// whatever holds one holds a valid name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// `raw` as typed; `field` names the input in the error.
    ///
    /// Profanity is what rustrict finds inappropriate (profane, offensive, sexual or severely
    /// mean, at any level; digits and look-alike letters read as letters, spaced and repeated
    /// letters joined), read the way names are written:
    /// - a run of two or more digits at the start or end of a word is a number, not letters
    ///   (`J12` is not "jiz", `J49` not "jap"; `sh1t`, `5hit` and `n166er` still read as words);
    /// - a capital inside a word starts a new word (`LuckyStar` is "Lucky Star");
    /// - Greek and Cyrillic letters stand only for the Latin letter they look like, and the
    ///   letters of other non-Latin scripts for none (rustrict reads Georgian `ეთერ` as a slur);
    /// - a finding that joins the end of one word to the start of another (`Ale[x Cock]burn`)
    ///   counts only if it spans whole words (`f u c k`); a mild one that is not offensive
    ///   (`hell` in `Helland`) counts only as a whole word;
    /// - real names that contain a listed word (Hancock, Dickinson, Kumar, Fukuda, Phúc,
    ///   Pornthip, …) are false positives.
    ///
    /// `tests/data/names/` holds the lists this is measured on (tests/foundation/names.rs).
    pub fn parse(raw: &str, field: &str) -> Result<Name, GameError> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let invalid = |reason| GameError::InvalidName {
            field: field.to_string(),
            reason,
        };
        let len = name.chars().count();
        if !(1..=50).contains(&len) {
            return Err(invalid(NameRule::Length));
        }
        if !allowed_characters(&name) {
            return Err(invalid(NameRule::Characters));
        }
        if super::name_filter::is_inappropriate(&name) {
            return Err(GameError::InappropriateName {
                field: field.to_string(),
            });
        }
        Ok(Name(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether free text a player writes for others to read (a feedback comment) is
/// inappropriate, read the way names are ([`Name::parse`]), with its white space collapsed.
pub fn is_inappropriate_text(raw: &str) -> bool {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    super::name_filter::is_inappropriate(&text)
}

/// Letters (with the combining marks that complete them: Devanagari vowel signs, Thai tone
/// marks, the Tamil virama, at most three after one letter, so no "Zalgo" stacks), digits,
/// space, `-` and `_`.
fn allowed_characters(name: &str) -> bool {
    let mut marks = 0;
    let mut after_letter = false;
    for c in name.chars() {
        if unicode_normalization::char::is_combining_mark(c) {
            marks += 1;
            if !after_letter || marks > 3 {
                return false;
            }
            continue;
        }
        marks = 0;
        after_letter = c.is_alphanumeric();
        if !(after_letter || c == ' ' || c == '-' || c == '_') {
            return false;
        }
    }
    true
}

// ---- who may do what: capabilities are tokens, stored as hashes ----

/// The host's token, or: forbidden for a player's token, invalid for any other.
pub fn require_host(m: &Match, token_hash: &str) -> Result<(), GameError> {
    if token_matches(token_hash, &m.host_token_hash) {
        return Ok(());
    }
    if m.players
        .iter()
        .any(|p| token_matches(token_hash, &p.token_hash))
    {
        return Err(GameError::NotHost);
    }
    Err(GameError::InvalidToken)
}

/// The player a token belongs to: forbidden for the host's token, invalid for any other.
pub fn token_player<'a>(m: &'a Match, token_hash: &str) -> Result<&'a Player, GameError> {
    if let Some(p) = m
        .players
        .iter()
        .find(|p| token_matches(token_hash, &p.token_hash))
    {
        return Ok(p);
    }
    if token_matches(token_hash, &m.host_token_hash) {
        return Err(GameError::HostIsNotAPlayer);
    }
    Err(GameError::InvalidToken)
}

/// The token's player, who must be `player_id` (unknown if there is no such player, forbidden
/// if it is someone else).
pub fn require_player<'a>(
    m: &'a Match,
    token_hash: &str,
    player_id: &str,
) -> Result<&'a Player, GameError> {
    let me = token_player(m, token_hash)?;
    if me.id == player_id {
        Ok(me)
    } else if m.player(player_id).is_none() {
        Err(GameError::UnknownPlayer(player_id.to_string()))
    } else {
        Err(GameError::OtherPlayersToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_error(raw: &str) -> GameError {
        Name::parse(raw, "n").unwrap_err()
    }

    #[test]
    fn names_are_collapsed_checked_and_filtered() {
        assert_eq!(
            Name::parse("  Alice   B ", "n").unwrap().as_str(),
            "Alice B"
        );
        let invalid = |e: GameError| matches!(e, GameError::InvalidName { .. });
        assert!(invalid(name_error("")));
        assert!(invalid(name_error(&"x".repeat(51))));
        assert!(invalid(name_error("bob<script>")));
        assert!(matches!(
            name_error("fuck you"),
            GameError::InappropriateName { .. }
        ));
        assert!(Name::parse("Zoë_2-x", "n").is_ok());
    }

    #[test]
    fn letters_of_every_script_keep_their_combining_marks() {
        // Devanagari, Tamil, Bengali and Thai write vowels and tones as combining marks, and
        // decomposed Latin puts the accent after its letter.
        for ok in ["प्रिया", "அருண்", "সুমন", "สมศักดิ์", "Zoe\u{308}"]
        {
            assert!(Name::parse(ok, "n").is_ok(), "{ok} refused");
        }
        let invalid =
            |raw: &str| matches!(Name::parse(raw, "n"), Err(GameError::InvalidName { .. }));
        // A mark with no letter to sit on, and a stack of them ("Zalgo" text).
        assert!(invalid("\u{301}abc"));
        assert!(invalid("a \u{301}"));
        assert!(invalid("Ze\u{301}\u{302}\u{303}\u{304}"));
    }

    #[test]
    fn the_name_filter_reads_names_as_names() {
        let refused = |raw: &str| {
            matches!(
                Name::parse(raw, "n"),
                Err(GameError::InappropriateName { .. })
            )
        };
        // Numbers, camel case, other scripts and real names that contain a listed word.
        let accepted = "J12|J49|Ace_07|neo2000|LuckyStar|H2O|Hancock|Alex Cockburn|Fukuda|Phúc|\
                        Kumar|Helland|Софија|ეთერ|Pornthip";
        for ok in accepted.split('|') {
            assert!(!refused(ok), "{ok} refused");
        }
        // Disguises: digits inside a word or alone at its edge, look-alike letters, spaces,
        // words inside tags; and a mild word on its own.
        let disguised = "sh1t|5hit|n166er|fu\u{441}k|f u c k|f_u_c_k|fuuuuck|xX_fuck_Xx|xxfuckxx|\
                         FuCk|gookslayer|phuck|hell|fuck2000";
        for bad in disguised.split('|') {
            assert!(refused(bad), "{bad} accepted");
        }
    }
}
