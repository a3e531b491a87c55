//! A match as the stores keep it: lobby, rounds, moves, and the transitions between them.
//! Pure state over a serialisable [`Match`]; words are kept as strings so a snapshot does not
//! depend on the ids of one model file.

use super::bots::BotLevel;
use super::settings::MatchSettings;
use super::shared::Shared;
use super::GameError;
use crate::scoring::{Contribution, Tier};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchStatus {
    Lobby,
    InProgress,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoundStatus {
    Open,
    Resolved,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Player {
    pub id: String,
    pub name: String,
    /// sha256 of the player's bearer token, hex; empty for a computer opponent (no token's
    /// hash is empty, so nobody can act as a bot).
    pub token_hash: String,
    /// A computer opponent's level; `None` for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotLevel>,
}

/// The sign a card is played with. Stored, and answered, as `1` or `-1`; nothing else is a
/// sign, so a move never carries a weight of 2 or 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i8", into = "i8")]
pub enum Sign {
    Plus,
    Minus,
}

impl Sign {
    /// The sign of a non-zero number (what the dealer's par search produces).
    pub fn of(x: i8) -> Sign {
        if x < 0 {
            Sign::Minus
        } else {
            Sign::Plus
        }
    }

    pub fn as_i8(self) -> i8 {
        match self {
            Sign::Plus => 1,
            Sign::Minus => -1,
        }
    }
}

impl From<Sign> for i8 {
    fn from(s: Sign) -> i8 {
        s.as_i8()
    }
}

impl TryFrom<i8> for Sign {
    type Error = String;

    fn try_from(v: i8) -> Result<Sign, String> {
        match v {
            1 => Ok(Sign::Plus),
            -1 => Ok(Sign::Minus),
            _ => Err(format!("a sign is 1 or -1, not {v}")),
        }
    }
}

impl TryFrom<&str> for Sign {
    type Error = String;

    fn try_from(v: &str) -> Result<Sign, String> {
        match v {
            "+" | "1" | "+1" => Ok(Sign::Plus),
            "-" | "-1" => Ok(Sign::Minus),
            _ => Err(format!("a sign is \"+\" or \"-\", not \"{v}\"")),
        }
    }
}

/// A move as submitted, normalised: words lower-cased, signs 1 or -1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveInput {
    pub public_token: String,
    pub public_sign: Sign,
    pub private_token: String,
    pub private_sign: Sign,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joker_override_token: Option<String>,
}

/// The score of a move (API.md "Scoring a move").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredMoveResult")]
pub struct MoveResult {
    pub similarity: f32,
    pub rank: usize,
    pub tier: Tier,
    pub nearest: String,
    pub nearest_sim: f32,
    pub contributions: Vec<ContributionView>,
}

impl MoveResult {
    /// How it compares with other moves: `(rank, similarity)` for [`crate::scoring::better_first`].
    pub fn key(&self) -> (usize, f32) {
        (self.rank, self.similarity)
    }
}

impl From<crate::scoring::MoveScore> for MoveResult {
    fn from(s: crate::scoring::MoveScore) -> MoveResult {
        MoveResult {
            similarity: s.similarity,
            rank: s.rank,
            tier: s.tier,
            nearest: s.nearest,
            nearest_sim: s.nearest_sim,
            contributions: s.contributions.into_iter().map(Into::into).collect(),
        }
    }
}

/// A [`MoveResult`] as stored: matches stored before tiers existed have none, and a tier is
/// always the rank's, so it is recomputed from the rank on the way in.
#[derive(Deserialize)]
struct StoredMoveResult {
    similarity: f32,
    rank: usize,
    nearest: String,
    nearest_sim: f32,
    contributions: Vec<ContributionView>,
}

impl From<StoredMoveResult> for MoveResult {
    fn from(s: StoredMoveResult) -> MoveResult {
        MoveResult {
            similarity: s.similarity,
            rank: s.rank,
            tier: Tier::of(s.rank),
            nearest: s.nearest,
            nearest_sim: s.nearest_sim,
            contributions: s.contributions,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub hands: Shared<BTreeMap<String, Vec<String>>>,
    pub deadline_ts: u64,
    pub status: RoundStatus,
    pub moves: BTreeMap<String, SubmittedMove>,
    /// Computed at deal time, revealed at resolve.
    pub par: Shared<BTreeMap<String, ParMove>>,
    /// Each computer opponent's move, chosen at deal time; it joins `moves` (and so counts as
    /// submitted) at its time, or as soon as every person has moved ([`Match::settle`]). A bot
    /// with a hand of jokers only has none and passes.
    #[serde(default, skip_serializing_if = "no_bots")]
    pub bots: Shared<BTreeMap<String, BotMove>>,
}

fn no_bots(bots: &BTreeMap<String, BotMove>) -> bool {
    bots.is_empty()
}

/// A computer opponent's move in a round, and when it counts as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotMove {
    #[serde(flatten)]
    pub submitted: SubmittedMove,
    /// Unix seconds.
    pub at: u64,
}

/// What [`Match::settle`] has to do: let bots move (all of them when `closing`), and resolve.
struct Pending {
    closing: bool,
    resolve: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub name: String,
    pub seed: u64,
    pub settings: MatchSettings,
    pub status: MatchStatus,
    pub host_token_hash: String,
    pub players: Shared<Vec<Player>>,
    pub rounds: Vec<Shared<Round>>,
    pub created_at: u64,
    pub updated_at: u64,
    /// Bumped on every change: the ETag of reads, and the version of optimistic writes.
    pub version: u64,
    /// The id of the last live event of this match (`GET /match/{id}/events`); the store
    /// advances it in the same atomic write as the change the events describe.
    #[serde(default)]
    pub event_seq: u64,
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
            players: Shared::default(),
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
        self.rounds.last().map(|r| &**r)
    }

    pub fn player(&self, id: &str) -> Option<&Player> {
        self.players.iter().find(|p| p.id == id)
    }

    pub fn join(&mut self, player: Player, now: u64) -> Result<(), GameError> {
        match self.status {
            MatchStatus::Lobby => {}
            _ => return Err(GameError::MatchAlreadyStarted),
        }
        if self.players.len() >= self.settings.max_players {
            return Err(GameError::MatchFull {
                max: self.settings.max_players,
            });
        }
        self.players.make_mut().push(player);
        self.touch(now);
        Ok(())
    }

    /// Whether a round may be dealt now: round 1 (`starting`) from the lobby, or the next one
    /// after the current round resolved.
    pub fn check_deal(&self, starting: bool) -> Result<(), GameError> {
        match (self.status, starting) {
            (MatchStatus::Lobby, true) => {
                if self.players.is_empty() {
                    return Err(GameError::NoPlayers);
                }
                Ok(())
            }
            (MatchStatus::InProgress, true) => Err(GameError::MatchAlreadyStarted),
            (MatchStatus::Lobby, false) => Err(GameError::MatchNotStarted),
            (MatchStatus::Done, _) => Err(GameError::MatchFinished),
            (MatchStatus::InProgress, false) => {
                if self.current_round().map(|r| r.status) != Some(RoundStatus::Resolved) {
                    return Err(GameError::RoundNotResolved);
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
    ) -> Result<bool, GameError> {
        self.check_deal(starting)?;
        let same_players = round.hands.len() == self.players.len()
            && self.players.iter().all(|p| round.hands.contains_key(&p.id));
        if round.number != self.rounds.len() + 1 || !same_players {
            return Ok(false);
        }
        // The round's clock starts when it is applied: deadline and bots' times move with it.
        let deadline_ts = now + self.settings.timeout_secs;
        let mut round = round;
        for plan in round.bots.make_mut().values_mut() {
            // (as long before the deadline as when it was dealt)
            plan.at = deadline_ts.saturating_sub(round.deadline_ts.saturating_sub(plan.at));
        }
        round.deadline_ts = deadline_ts;
        self.rounds.push(round.into());
        self.status = MatchStatus::InProgress;
        self.touch(now);
        Ok(true)
    }

    /// Bring the current round up to `now` (rounds move lazily, when read or written): a
    /// computer opponent's move counts as submitted at its time, or at once when every person
    /// has moved or the deadline passed; the round resolves when every player has moved (a bot
    /// with no move passes) or its deadline has passed. Returns whether anything changed.
    pub fn settle(&mut self, now: u64) -> bool {
        let Some(state) = self.pending(now) else {
            return false;
        };
        let round = self
            .rounds
            .last_mut()
            .expect("pending needs a round")
            .make_mut();
        for (id, plan) in &round.bots {
            if !round.moves.contains_key(id) && (state.closing || now >= plan.at) {
                round.moves.insert(id.clone(), plan.submitted.clone());
            }
        }
        if state.resolve {
            round.status = RoundStatus::Resolved;
            if self.rounds.len() >= self.settings.rounds {
                self.status = MatchStatus::Done;
            }
        }
        self.touch(now);
        true
    }

    /// Whether [`settle`](Self::settle) would change anything at `now` (a read that needs no
    /// copy of the match to find out).
    pub fn due(&self, now: u64) -> bool {
        self.pending(now).is_some()
    }

    /// The next time [`settle`](Self::settle) will have something to do by the clock alone: a
    /// computer opponent's move coming due, or the open round's deadline (`None` when no round
    /// is open). What a live event stream waits for.
    pub fn next_due(&self) -> Option<u64> {
        let round = self.rounds.last()?;
        if round.status != RoundStatus::Open {
            return None;
        }
        round
            .bots
            .iter()
            .filter(|(id, _)| !round.moves.contains_key(*id))
            .map(|(_, plan)| plan.at)
            .chain([round.deadline_ts])
            .min()
    }

    /// What [`settle`](Self::settle) has to do at `now`, if anything.
    fn pending(&self, now: u64) -> Option<Pending> {
        let round = self.rounds.last()?;
        if round.status != RoundStatus::Open {
            return None;
        }
        let moved = |id: &String| round.moves.contains_key(id);
        let people_done = self
            .players
            .iter()
            .filter(|p| p.bot.is_none())
            .all(|p| moved(&p.id));
        let closing = people_done || now >= round.deadline_ts;
        let bot_due = |(id, plan): (&String, &BotMove)| !moved(id) && (closing || now >= plan.at);
        let bots_due = round.bots.iter().any(bot_due);
        // After this settle every due bot has moved: the round resolves when then every player
        // has a move or passes.
        let all_moved = self.players.iter().all(|p| {
            moved(&p.id)
                || (p.bot.is_some()
                    && round
                        .bots
                        .get(&p.id)
                        .is_none_or(|plan| closing || now >= plan.at))
        });
        let resolve = all_moved || now >= round.deadline_ts;
        (bots_due || resolve).then_some(Pending { closing, resolve })
    }

    /// Resolve the current round now (the host). Every computer opponent's move counts: it was
    /// chosen when the round was dealt.
    pub fn resolve(&mut self, round_id: &str, now: u64) -> Result<(), GameError> {
        let round = self.round(round_id)?;
        if round.status == RoundStatus::Resolved {
            return Ok(());
        }
        if self.current_round().map(|r| r.id.as_str()) != Some(round_id) {
            return Err(GameError::RoundClosed);
        }
        let r = self.rounds.last_mut().expect("a current round").make_mut();
        for (id, plan) in &r.bots {
            r.moves
                .entry(id.clone())
                .or_insert_with(|| plan.submitted.clone());
        }
        r.status = RoundStatus::Resolved;
        if self.rounds.len() >= self.settings.rounds {
            self.status = MatchStatus::Done;
        }
        self.touch(now);
        Ok(())
    }

    pub fn round(&self, round_id: &str) -> Result<&Round, GameError> {
        self.rounds
            .iter()
            .find(|r| r.id == round_id)
            .map(|r| &**r)
            .ok_or_else(|| GameError::UnknownRound(round_id.to_string()))
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
    ) -> Result<MoveResult, GameError> {
        let round = self.round(round_id)?;
        if let Some(prev) = round.moves.get(player_id) {
            if prev.input == mv {
                return Ok(prev.result.clone());
            }
            return Err(GameError::AlreadySubmitted);
        }
        let current = self.rounds.last_mut().filter(|r| r.id == round_id);
        let Some(round) = current.filter(|r| r.status == RoundStatus::Open && now < r.deadline_ts)
        else {
            return Err(GameError::RoundClosed);
        };
        round.make_mut().moves.insert(
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_are_stored_and_answered_as_one_or_minus_one_and_nothing_else() {
        let mv = MoveInput {
            public_token: "juice".into(),
            public_sign: Sign::Plus,
            private_token: "JOKER".into(),
            private_sign: Sign::Minus,
            joker_override_token: Some("ferment".into()),
        };
        let json = serde_json::to_string(&mv).unwrap();
        assert_eq!(
            json,
            r#"{"public_token":"juice","public_sign":1,"private_token":"JOKER","private_sign":-1,"joker_override_token":"ferment"}"#
        );
        assert_eq!(serde_json::from_str::<MoveInput>(&json).unwrap(), mv);
        let bad = json.replace(r#""public_sign":1"#, r#""public_sign":2"#);
        assert!(serde_json::from_str::<MoveInput>(&bad).is_err());
        assert_eq!(Sign::try_from("-"), Ok(Sign::Minus));
        assert!(Sign::try_from("*").is_err() && Sign::try_from(0i8).is_err());
        assert_eq!((Sign::of(-1), Sign::of(1)), (Sign::Minus, Sign::Plus));
    }

    #[test]
    fn a_result_stored_before_tiers_reads_back_with_its_rank_s_tier() {
        let old =
            r#"{"similarity":0.6,"rank":12,"nearest":"wine","nearest_sim":0.7,"contributions":[]}"#;
        let r: MoveResult = serde_json::from_str(old).unwrap();
        assert_eq!((r.rank, r.tier), (12, Tier::InTheHunt));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["tier"], "in_the_hunt");
        // A stored tier never disagrees with the rank: the rank decides.
        let forged = old.replace(r#""rank":12"#, r#""rank":1,"tier":"wide""#);
        let r: MoveResult = serde_json::from_str(&forged).unwrap();
        assert_eq!(r.tier, Tier::Bacio);
    }
}
