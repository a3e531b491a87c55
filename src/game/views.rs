//! What a match looks like from outside: the projections that responses and live events share
//! (a round's resolution is sent both as the resolve response and in the `round_resolved`
//! event, so these belong to the game, not to one route). Nothing private is in a view that
//! is not meant for its reader: hands only in a player's own view, moves only once resolved.

use super::bots::BotLevel;
use super::settings::MatchSettings;
use super::standings::Standing;
use super::state::{
    Match, MatchStatus, MoveInput, MoveResult, ParMove, Player, Round, RoundStatus,
};
use super::JOKER;
use crate::scoring::{better_first, Tier};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlayerSummary {
    pub id: String,
    pub name: String,
    pub submitted_move: bool,
    /// A computer opponent's level; absent for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotLevel>,
}

/// A seat as `POST /match/{id}/bots` answers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BotSeat {
    pub id: String,
    pub name: String,
    pub bot: BotLevel,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardView {
    pub token: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlayerView {
    pub id: String,
    pub name: String,
    pub private_cards: Vec<CardView>,
    pub submitted_move: bool,
    pub result: Option<MoveResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoundLeaderboardEntry {
    pub player_id: String,
    pub player_name: String,
    pub similarity: f32,
    pub rank: usize,
    pub tier: Tier,
    pub nearest: String,
    pub nearest_sim: f32,
    #[serde(rename = "move")]
    pub mv: MoveInput,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResolveView {
    pub leaderboard: Vec<RoundLeaderboardEntry>,
    pub best_moves: Vec<ParMove>,
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

impl Match {
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
                    bot: p.bot,
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
                tier: m.result.tier,
                nearest: m.result.nearest.clone(),
                nearest_sim: m.result.nearest_sim,
                mv: m.input.clone(),
            })
            .collect();
        // Rank first, then similarity (API.md "Comparing moves"); a tie by name.
        leaderboard.sort_by(|a, b| {
            better_first((a.rank, a.similarity), (b.rank, b.similarity))
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
