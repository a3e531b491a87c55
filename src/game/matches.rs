//! A match: lobby, rounds, moves, resolution and standings. Pure state transitions over a
//! serialisable [`Match`] (what the stores keep); words are kept as strings so a snapshot does
//! not depend on the ids of one model file.

use super::deal::{self, Card, DealSpec, Difficulty};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::error::{ApiError, Code};
use crate::scoring::{self, Contribution, Term};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const JOKER: &str = "JOKER";
/// A joker word may not be this close to the target (API.md).
pub const JOKER_MAX_COSINE: f32 = 0.85;

/// Match settings as the API names them; every field optional on input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MatchSettings {
    #[serde(rename = "N_public")]
    pub n_public: usize,
    #[serde(rename = "M_private")]
    pub m_private: usize,
    pub wildcard_ratio: f64,
    pub timeout_secs: u64,
    pub rounds: usize,
    pub max_players: usize,
    #[schema(value_type = String, example = "medium")]
    pub difficulty: Difficulty,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            n_public: 10,
            m_private: 2,
            wildcard_ratio: 0.2,
            timeout_secs: 120,
            rounds: 5,
            max_players: 8,
            difficulty: Difficulty::Medium,
        }
    }
}

/// Settings as sent: any subset, unknown fields rejected.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    #[serde(rename = "N_public")]
    pub n_public: Option<i64>,
    #[serde(rename = "M_private")]
    pub m_private: Option<i64>,
    pub wildcard_ratio: Option<f64>,
    pub timeout_secs: Option<i64>,
    pub rounds: Option<i64>,
    pub max_players: Option<i64>,
    #[schema(value_type = Option<String>, example = "medium")]
    pub difficulty: Option<Difficulty>,
}

impl SettingsInput {
    /// Fill from `defaults` and check every range (422 `invalid_settings` naming the field).
    pub fn resolve(&self, defaults: &MatchSettings) -> Result<MatchSettings, ApiError> {
        fn range(
            v: Option<i64>,
            d: usize,
            lo: i64,
            hi: i64,
            name: &str,
        ) -> Result<usize, ApiError> {
            match v {
                None => Ok(d),
                Some(x) if (lo..=hi).contains(&x) => Ok(x as usize),
                Some(x) => Err(ApiError::new(
                    Code::InvalidSettings,
                    format!("{name} must be between {lo} and {hi}, got {x}"),
                )
                .field(format!("settings.{name}"))),
            }
        }
        let wildcard_ratio = match self.wildcard_ratio {
            None => defaults.wildcard_ratio,
            Some(x) if (0.0..=1.0).contains(&x) => x,
            Some(x) => {
                return Err(ApiError::new(
                    Code::InvalidSettings,
                    format!("wildcard_ratio must be between 0 and 1, got {x}"),
                )
                .field("settings.wildcard_ratio"))
            }
        };
        Ok(MatchSettings {
            n_public: range(self.n_public, defaults.n_public, 1, 30, "N_public")?,
            m_private: range(self.m_private, defaults.m_private, 1, 10, "M_private")?,
            wildcard_ratio,
            timeout_secs: range(
                self.timeout_secs,
                defaults.timeout_secs as usize,
                10,
                3600,
                "timeout_secs",
            )? as u64,
            rounds: range(self.rounds, defaults.rounds, 1, 50, "rounds")?,
            max_players: range(self.max_players, defaults.max_players, 1, 32, "max_players")?,
            difficulty: self.difficulty.unwrap_or(defaults.difficulty),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchStatus {
    Lobby,
    InProgress,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoundStatus {
    Open,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Player {
    pub id: String,
    pub name: String,
    /// sha256 of the player's bearer token, hex.
    pub token_hash: String,
}

/// A move as submitted, normalised: words lower-cased, signs +1/-1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MoveInput {
    pub public_token: String,
    pub public_sign: i8,
    pub private_token: String,
    pub private_sign: i8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joker_override_token: Option<String>,
}

/// The score of a move (API.md "Scoring a move").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MoveResult {
    pub similarity: f32,
    pub rank: usize,
    pub nearest: String,
    pub nearest_sim: f32,
    pub contributions: Vec<ContributionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContributionView {
    pub word: String,
    pub sign: i8,
    pub share: f32,
}

impl From<Contribution> for ContributionView {
    fn from(c: Contribution) -> Self {
        ContributionView {
            word: c.word,
            sign: c.sign,
            share: c.share,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedMove {
    pub input: MoveInput,
    pub result: MoveResult,
}

/// A player's par: the best move their cards allowed (jokers aside).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ParMove {
    pub player_id: String,
    #[serde(rename = "move")]
    pub mv: MoveInput,
    pub similarity: f32,
    pub rank: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    pub id: String,
    pub number: usize,
    pub start_word: String,
    pub target_word: String,
    pub public_cards: Vec<String>,
    /// Private cards per player id (`JOKER` for a joker).
    pub hands: BTreeMap<String, Vec<String>>,
    pub deadline_ts: u64,
    pub status: RoundStatus,
    pub moves: BTreeMap<String, SubmittedMove>,
    /// Computed at deal time, revealed at resolve.
    pub par: BTreeMap<String, ParMove>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub name: String,
    pub seed: u64,
    pub settings: MatchSettings,
    pub status: MatchStatus,
    pub host_token_hash: String,
    pub players: Vec<Player>,
    pub rounds: Vec<Round>,
    pub created_at: u64,
    pub updated_at: u64,
    /// Bumped on every change: the ETag of reads, and the version of optimistic writes.
    pub version: u64,
    /// The id of the last live event of this match (`GET /match/{id}/events`); the store
    /// advances it in the same atomic write as the change the events describe.
    #[serde(default)]
    pub event_seq: u64,
}

// ---- views (what responses carry) ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlayerSummary {
    pub id: String,
    pub name: String,
    pub submitted_move: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Standing {
    pub player_id: String,
    pub player_name: String,
    pub points: f64,
    pub total_similarity: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MatchView {
    pub id: String,
    pub name: String,
    pub status: MatchStatus,
    pub settings: MatchSettings,
    pub players: Vec<PlayerSummary>,
    pub round_number: usize,
    pub current_round_id: Option<String>,
    pub standings: Vec<Standing>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CardView {
    pub token: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoundView {
    pub id: String,
    pub number: usize,
    pub start_word: String,
    pub target_word: String,
    pub public_cards: Vec<CardView>,
    pub moves_deadline_ts: u64,
    pub status: RoundStatus,
    pub submitted: Vec<String>,
    /// Once the round is resolved: everyone's moves and pars, for every player to see.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub resolution: Option<ResolveView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlayerView {
    pub id: String,
    pub name: String,
    pub private_cards: Vec<CardView>,
    pub submitted_move: bool,
    pub result: Option<MoveResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoundLeaderboardEntry {
    pub player_id: String,
    pub player_name: String,
    pub similarity: f32,
    pub rank: usize,
    pub nearest: String,
    pub nearest_sim: f32,
    #[serde(rename = "move")]
    pub mv: MoveInput,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResolveView {
    pub leaderboard: Vec<RoundLeaderboardEntry>,
    pub best_moves: Vec<ParMove>,
}

/// Names: 1–50 characters after collapsing white space; letters, digits, space, `-`, `_`.
pub fn clean_name(raw: &str, field: &str) -> Result<String, ApiError> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let len = name.chars().count();
    if !(1..=50).contains(&len) {
        return Err(ApiError::new(Code::InvalidName, "a name has 1 to 50 characters").field(field));
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_')
    {
        return Err(ApiError::new(
            Code::InvalidName,
            "a name may hold letters, digits, spaces, '-' and '_' only",
        )
        .field(field));
    }
    if rustrict::CensorStr::is_inappropriate(name.as_str()) {
        return Err(
            ApiError::new(Code::InappropriateName, "please choose another name").field(field),
        );
    }
    Ok(name)
}

fn card_view(token: &str, public: bool) -> CardView {
    let kind = if public {
        "PUBLIC"
    } else if token == JOKER {
        "JOKER"
    } else {
        "PRIVATE"
    };
    CardView {
        token: token.to_string(),
        kind: kind.to_string(),
    }
}

fn word_id(engine: &Engine, w: &str) -> Result<WordId, ApiError> {
    engine
        .emb
        .id(w)
        .ok_or_else(|| ApiError::internal(format!("dealt word '{w}' is not in the loaded model")))
}

impl Match {
    pub fn new(
        id: String,
        name: String,
        seed: u64,
        settings: MatchSettings,
        host_token_hash: String,
        now: u64,
    ) -> Match {
        Match {
            id,
            name,
            seed,
            settings,
            status: MatchStatus::Lobby,
            host_token_hash,
            players: Vec::new(),
            rounds: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 0,
            event_seq: 0,
        }
    }

    pub fn touch(&mut self, now: u64) {
        self.updated_at = now;
        self.version += 1;
    }

    pub fn current_round(&self) -> Option<&Round> {
        self.rounds.last()
    }

    pub fn player(&self, id: &str) -> Option<&Player> {
        self.players.iter().find(|p| p.id == id)
    }

    pub fn join(&mut self, player: Player, now: u64) -> Result<(), ApiError> {
        match self.status {
            MatchStatus::Lobby => {}
            _ => {
                return Err(ApiError::new(
                    Code::MatchAlreadyStarted,
                    "the match has already started",
                ))
            }
        }
        if self.players.len() >= self.settings.max_players {
            return Err(ApiError::new(
                Code::MatchFull,
                format!("the match is full ({} players)", self.settings.max_players),
            ));
        }
        self.players.push(player);
        self.touch(now);
        Ok(())
    }

    /// Whether a round may be dealt now: round 1 (`starting`) from the lobby, or the next one
    /// after the current round resolved.
    pub fn check_deal(&self, starting: bool) -> Result<(), ApiError> {
        match (self.status, starting) {
            (MatchStatus::Lobby, true) => {
                if self.players.is_empty() {
                    return Err(ApiError::new(
                        Code::MatchNotStarted,
                        "a match needs at least one player to start",
                    ));
                }
                Ok(())
            }
            (MatchStatus::InProgress, true) => Err(ApiError::new(
                Code::MatchAlreadyStarted,
                "the match has already started",
            )),
            (MatchStatus::Lobby, false) => Err(ApiError::new(
                Code::MatchNotStarted,
                "the match has not started",
            )),
            (MatchStatus::Done, _) => {
                Err(ApiError::new(Code::MatchFinished, "the match is finished"))
            }
            (MatchStatus::InProgress, false) => {
                if self.current_round().map(|r| r.status) != Some(RoundStatus::Resolved) {
                    return Err(ApiError::new(
                        Code::RoundNotResolved,
                        "the current round is still open",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Add a round dealt by [`Match::deal_next_round`] from an earlier copy of this match.
    /// `Ok(false)` if the match changed meanwhile (a player joined, a round was dealt): deal
    /// again from the fresh copy.
    pub fn apply_round(
        &mut self,
        round: Round,
        starting: bool,
        now: u64,
    ) -> Result<bool, ApiError> {
        self.check_deal(starting)?;
        let same_players = round.hands.len() == self.players.len()
            && self.players.iter().all(|p| round.hands.contains_key(&p.id));
        if round.number != self.rounds.len() + 1 || !same_players {
            return Ok(false);
        }
        let round = Round {
            deadline_ts: now + self.settings.timeout_secs,
            ..round
        };
        self.rounds.push(round);
        self.status = MatchStatus::InProgress;
        self.touch(now);
        Ok(true)
    }

    /// Deal the next round for the current players (reproducible from the match's seed and
    /// the round number). Pure: the caller runs it off the async workers and applies it.
    pub fn deal_next_round(&self, engine: &Engine, now: u64) -> Result<Round, ApiError> {
        let number = self.rounds.len() + 1;
        let spec = DealSpec {
            n_public: self.settings.n_public,
            m_private: self.settings.m_private,
            players: self.players.len(),
            wildcard_ratio: self.settings.wildcard_ratio,
            difficulty: self.settings.difficulty,
        };
        let seed = self.seed ^ (number as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let d = deal::deal(engine, &spec, seed).map_err(ApiError::internal)?;
        let w = |id: WordId| engine.emb.word(id).to_string();
        let mut hands = BTreeMap::new();
        let mut par = BTreeMap::new();
        for (p, hand) in self.players.iter().zip(&d.private) {
            let cards: Vec<String> = hand
                .iter()
                .map(|c| match c {
                    Card::Word(id) => w(*id),
                    Card::Joker => JOKER.to_string(),
                })
                .collect();
            if let Some(best) = deal::par(engine, d.start, d.target, &d.public, hand) {
                let terms = [
                    Term {
                        word: d.start,
                        sign: 1,
                    },
                    Term {
                        word: best.mv.public,
                        sign: best.mv.public_sign,
                    },
                    Term {
                        word: best.mv.private,
                        sign: best.mv.private_sign,
                    },
                ];
                let rank = scoring::ball(&engine.emb, &terms)
                    .map(|b| engine.exact.rank(&b, d.target, &terms.map(|t| t.word)))
                    .unwrap_or(0);
                par.insert(
                    p.id.clone(),
                    ParMove {
                        player_id: p.id.clone(),
                        mv: MoveInput {
                            public_token: w(best.mv.public),
                            public_sign: best.mv.public_sign,
                            private_token: w(best.mv.private),
                            private_sign: best.mv.private_sign,
                            joker_override_token: None,
                        },
                        similarity: best.similarity,
                        rank,
                    },
                );
            }
            hands.insert(p.id.clone(), cards);
        }
        Ok(Round {
            id: format!("r{number}"),
            number,
            start_word: w(d.start),
            target_word: w(d.target),
            public_cards: d.public.iter().map(|&id| w(id)).collect(),
            hands,
            deadline_ts: now + self.settings.timeout_secs,
            status: RoundStatus::Open,
            moves: BTreeMap::new(),
            par,
        })
    }

    /// Resolve the current round if every player has moved or its deadline has passed (rounds
    /// resolve lazily, when read or written). Returns whether anything changed.
    pub fn settle(&mut self, now: u64) -> bool {
        if !self.due(now) {
            return false;
        }
        if let Some(round) = self.rounds.last_mut() {
            round.status = RoundStatus::Resolved;
            if self.rounds.len() >= self.settings.rounds {
                self.status = MatchStatus::Done;
            }
            self.touch(now);
            return true;
        }
        false
    }

    /// Whether [`settle`](Self::settle) would resolve the current round at `now` (a read that
    /// needs no copy of the match to find out).
    pub fn due(&self, now: u64) -> bool {
        self.rounds.last().is_some_and(|round| {
            round.status == RoundStatus::Open
                && (round.moves.len() >= self.players.len() || now >= round.deadline_ts)
        })
    }

    /// Resolve the current round now (the host).
    pub fn resolve(&mut self, round_id: &str, now: u64) -> Result<(), ApiError> {
        let round = self.round(round_id)?;
        if round.status == RoundStatus::Resolved {
            return Ok(());
        }
        if self.current_round().map(|r| r.id.as_str()) != Some(round_id) {
            return Err(ApiError::new(Code::RoundClosed, "that round is over"));
        }
        let r = self.rounds.last_mut().expect("a current round");
        r.status = RoundStatus::Resolved;
        if self.rounds.len() >= self.settings.rounds {
            self.status = MatchStatus::Done;
        }
        self.touch(now);
        Ok(())
    }

    pub fn round(&self, round_id: &str) -> Result<&Round, ApiError> {
        self.rounds
            .iter()
            .find(|r| r.id == round_id)
            .ok_or_else(|| {
                ApiError::new(
                    Code::UnknownRound,
                    format!("no round '{}' in this match", quoted(round_id)),
                )
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
    ) -> Result<(Vec<Term>, WordId), ApiError> {
        let round = self.round(round_id)?;
        if round.status == RoundStatus::Resolved || now >= round.deadline_ts {
            return Err(ApiError::new(Code::RoundClosed, "this round is closed"));
        }
        if self.current_round().map(|r| r.id.as_str()) != Some(round_id) {
            return Err(ApiError::new(Code::RoundClosed, "this round is closed"));
        }
        if !round.public_cards.contains(&mv.public_token) {
            return Err(ApiError::new(
                Code::NotAPublicCard,
                format!(
                    "'{}' is not one of this round's public cards",
                    quoted(&mv.public_token)
                ),
            )
            .field("public_token"));
        }
        let hand = round.hands.get(player_id).map(Vec::as_slice).unwrap_or(&[]);
        if !hand.contains(&mv.private_token) {
            return Err(ApiError::new(
                Code::NotYourCard,
                format!(
                    "'{}' is not one of your private cards",
                    quoted(&mv.private_token)
                ),
            )
            .field("private_token"));
        }
        let target = word_id(engine, &round.target_word)?;
        let start = word_id(engine, &round.start_word)?;
        let public = word_id(engine, &mv.public_token)?;
        let private = if mv.private_token == JOKER {
            let raw = mv.joker_override_token.as_deref().unwrap_or("");
            joker_word(engine, raw, target)?
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
                    sign: mv.public_sign,
                },
                Term {
                    word: private,
                    sign: mv.private_sign,
                },
            ],
            target,
        ))
    }

    /// Record a scored move. The identical move again returns the stored result; another
    /// move is a conflict.
    pub fn record_move(
        &mut self,
        round_id: &str,
        player_id: &str,
        mv: MoveInput,
        result: MoveResult,
        now: u64,
    ) -> Result<MoveResult, ApiError> {
        let current = self.current_round().map(|r| r.id.clone());
        let round = self
            .rounds
            .iter_mut()
            .find(|r| r.id == round_id)
            .ok_or_else(|| {
                ApiError::new(
                    Code::UnknownRound,
                    format!("no round '{}' in this match", quoted(round_id)),
                )
            })?;
        if let Some(prev) = round.moves.get(player_id) {
            if prev.input == mv {
                return Ok(prev.result.clone());
            }
            return Err(ApiError::new(
                Code::AlreadySubmitted,
                "you have already moved this round",
            ));
        }
        if round.status == RoundStatus::Resolved
            || now >= round.deadline_ts
            || current.as_deref() != Some(round_id)
        {
            return Err(ApiError::new(Code::RoundClosed, "this round is closed"));
        }
        round.moves.insert(
            player_id.to_string(),
            SubmittedMove {
                input: mv,
                result: result.clone(),
            },
        );
        self.touch(now);
        self.settle(now);
        Ok(result)
    }

    /// The stored move of a player in a round, if any.
    pub fn stored_move(&self, round_id: &str, player_id: &str) -> Option<&SubmittedMove> {
        self.rounds
            .iter()
            .find(|r| r.id == round_id)?
            .moves
            .get(player_id)
    }

    pub fn standings(&self) -> Vec<Standing> {
        let mut table: Vec<Standing> = self
            .players
            .iter()
            .map(|p| Standing {
                player_id: p.id.clone(),
                player_name: p.name.clone(),
                points: 0.0,
                total_similarity: 0.0,
            })
            .collect();
        for round in self
            .rounds
            .iter()
            .filter(|r| r.status == RoundStatus::Resolved)
        {
            // A player who did not move scores nothing: no points, no similarity.
            let sim = |id: &str| round.moves.get(id).map(|m| m.result.similarity as f64);
            for s in table.iter_mut() {
                let Some(mine) = sim(&s.player_id) else {
                    continue;
                };
                s.total_similarity += mine;
                for other in &self.players {
                    if other.id == s.player_id {
                        continue;
                    }
                    match sim(&other.id) {
                        None => s.points += 1.0,
                        Some(o) if mine > o => s.points += 1.0,
                        Some(o) if mine == o => s.points += 0.5,
                        Some(_) => {}
                    }
                }
            }
        }
        table.sort_by(|a, b| {
            b.points
                .total_cmp(&a.points)
                .then(b.total_similarity.total_cmp(&a.total_similarity))
                .then(a.player_name.cmp(&b.player_name))
        });
        table
    }

    pub fn view(&self) -> MatchView {
        let current = self.current_round();
        MatchView {
            id: self.id.clone(),
            name: self.name.clone(),
            status: self.status,
            settings: self.settings,
            players: self
                .players
                .iter()
                .map(|p| PlayerSummary {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    submitted_move: current.is_some_and(|r| r.moves.contains_key(&p.id)),
                })
                .collect(),
            round_number: self.rounds.len(),
            current_round_id: current.map(|r| r.id.clone()),
            standings: self.standings(),
        }
    }

    pub fn round_view(&self, round: &Round) -> RoundView {
        RoundView {
            id: round.id.clone(),
            number: round.number,
            start_word: round.start_word.clone(),
            target_word: round.target_word.clone(),
            public_cards: round
                .public_cards
                .iter()
                .map(|c| card_view(c, true))
                .collect(),
            moves_deadline_ts: round.deadline_ts,
            status: round.status,
            submitted: round.moves.keys().cloned().collect(),
            resolution: self.resolve_view(round),
        }
    }

    pub fn player_view(&self, player: &Player) -> PlayerView {
        let round = self.current_round();
        let mv = round.and_then(|r| r.moves.get(&player.id));
        PlayerView {
            id: player.id.clone(),
            name: player.name.clone(),
            private_cards: round
                .and_then(|r| r.hands.get(&player.id))
                .map(|h| h.iter().map(|c| card_view(c, false)).collect())
                .unwrap_or_default(),
            submitted_move: mv.is_some(),
            result: mv.map(|m| m.result.clone()),
        }
    }

    /// The resolution of a round; `None` while it is open (nothing is revealed before).
    pub fn resolve_view(&self, round: &Round) -> Option<ResolveView> {
        if round.status != RoundStatus::Resolved {
            return None;
        }
        let name = |id: &str| self.player(id).map(|p| p.name.clone()).unwrap_or_default();
        let mut leaderboard: Vec<RoundLeaderboardEntry> = round
            .moves
            .iter()
            .map(|(pid, m)| RoundLeaderboardEntry {
                player_id: pid.clone(),
                player_name: name(pid),
                similarity: m.result.similarity,
                rank: m.result.rank,
                nearest: m.result.nearest.clone(),
                nearest_sim: m.result.nearest_sim,
                mv: m.input.clone(),
            })
            .collect();
        leaderboard.sort_by(|a, b| {
            b.similarity
                .total_cmp(&a.similarity)
                .then(a.player_name.cmp(&b.player_name))
        });
        Some(ResolveView {
            leaderboard,
            best_moves: self
                .players
                .iter()
                .filter_map(|p| round.par.get(&p.id).cloned())
                .collect(),
        })
    }
}

/// A joker's word: in the vocabulary, letters only, not offensive, not the target and not
/// within cosine 0.85 of it.
pub fn joker_word(engine: &Engine, raw: &str, target: WordId) -> Result<WordId, ApiError> {
    let field = "joker_override_token";
    let w = raw.trim().to_lowercase();
    if w.is_empty() {
        return Err(ApiError::new(
            Code::InvalidMove,
            "a JOKER needs joker_override_token: the word you play",
        )
        .field(field));
    }
    if !w.chars().all(char::is_alphabetic) {
        return Err(
            ApiError::new(Code::JokerWordForbidden, "a joker word is letters only").field(field),
        );
    }
    let Some(id) = engine.emb.id(&w) else {
        return Err(not_in_vocabulary(engine, &w, field));
    };
    if engine.emb.is_offensive(id) {
        return Err(
            ApiError::new(Code::JokerWordForbidden, "that word cannot be played").field(field),
        );
    }
    if id == target || engine.emb.cosine(id, target) > JOKER_MAX_COSINE {
        return Err(ApiError::new(
            Code::JokerWordForbidden,
            "a joker word may not be the target or a near-synonym of it",
        )
        .field(field));
    }
    Ok(id)
}

/// The error for a word (trimmed, lower-cased) the model does not know: 422
/// `word_not_in_vocabulary` with close spellings as `suggestions`, the word quoted back at most
/// [`QUOTED_MAX`] characters long; an empty word is 422 `invalid_input` (no word is close to
/// nothing).
pub fn not_in_vocabulary(engine: &Engine, w: &str, field: impl Into<String>) -> ApiError {
    if w.is_empty() {
        return ApiError::new(
            Code::InvalidInput,
            "a word is needed here, not an empty string",
        )
        .field(field);
    }
    ApiError::new(
        Code::WordNotInVocabulary,
        format!("'{}' is not in the vocabulary", quoted(w)),
    )
    .field(field)
    .suggestions(suggest(engine, w, 5))
}

/// Characters of a player's word quoted back in an error, at most.
pub const QUOTED_MAX: usize = 40;

/// `w`, or its first [`QUOTED_MAX`] characters and an ellipsis.
pub fn quoted(w: &str) -> std::borrow::Cow<'_, str> {
    match w.char_indices().nth(QUOTED_MAX) {
        None => w.into(),
        Some((cut, _)) => format!("{}…", &w[..cut]).into(),
    }
}

/// Deck words close in spelling to `w` (edit distance), for `word_not_in_vocabulary`.
pub fn suggest(engine: &Engine, w: &str, n: usize) -> Vec<String> {
    let mut scored: Vec<(usize, usize, WordId)> = engine
        .deck
        .words()
        .iter()
        .enumerate()
        .filter_map(|(i, &id)| {
            let cand = engine.emb.word(id);
            let d = edit_distance(w, cand, 3)?;
            Some((d, i, id))
        })
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(n)
        .map(|(_, _, id)| engine.emb.word(id).to_string())
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

/// Score a checked move (see [`crate::scoring::score_move`]).
pub fn score(engine: &Engine, terms: &[Term], target: WordId) -> Result<MoveResult, ApiError> {
    let s = scoring::score_move(&engine.emb, &engine.exact, terms, target).ok_or_else(|| {
        ApiError::new(
            Code::InvalidMove,
            "the words of this move cancel out: pick other signs or cards",
        )
    })?;
    Ok(MoveResult {
        similarity: s.similarity,
        rank: s.rank,
        nearest: s.nearest,
        nearest_sim: s.nearest_sim,
        contributions: s.contributions.into_iter().map(Into::into).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_back_whole_or_cut_on_a_character() {
        assert_eq!(quoted("music"), "music");
        let w = "é".repeat(QUOTED_MAX);
        assert_eq!(quoted(&w), w);
        let cut = quoted(&"é".repeat(QUOTED_MAX + 1)).into_owned();
        assert_eq!(cut, format!("{}…", "é".repeat(QUOTED_MAX)));
    }

    #[test]
    fn names_are_collapsed_checked_and_filtered() {
        assert_eq!(clean_name("  Alice   B ", "n").unwrap(), "Alice B");
        assert_eq!(clean_name("", "n").unwrap_err().code, Code::InvalidName);
        assert_eq!(
            clean_name(&"x".repeat(51), "n").unwrap_err().code,
            Code::InvalidName
        );
        assert_eq!(
            clean_name("bob<script>", "n").unwrap_err().code,
            Code::InvalidName
        );
        assert_eq!(
            clean_name("fuck you", "n").unwrap_err().code,
            Code::InappropriateName
        );
        assert!(clean_name("Zoë_2-x", "n").is_ok());
    }

    #[test]
    fn settings_ranges_name_the_field() {
        let d = MatchSettings::default();
        assert_eq!(SettingsInput::default().resolve(&d).unwrap(), d);
        let e = SettingsInput {
            n_public: Some(31),
            ..Default::default()
        }
        .resolve(&d)
        .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (Code::InvalidSettings, Some("settings.N_public"))
        );
        let e = SettingsInput {
            wildcard_ratio: Some(1.5),
            ..Default::default()
        }
        .resolve(&d)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("settings.wildcard_ratio"));
    }

    #[test]
    fn edit_distance_bounds() {
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("same", "same", 0), Some(0));
    }
}
