//! The OpenAPI schemas of the domain's values that responses carry (a match, a round, a move,
//! a puzzle move…). The domain types themselves know nothing of OpenAPI: each is described here,
//! field for field, under its own name, and `schemas_match_what_is_served` checks every one
//! against a real value serialised by the domain type, so a field added there and not here
//! fails the test suite.

#![allow(dead_code)] // The structs exist for their schemas only.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MatchStatus {
    Lobby,
    InProgress,
    Done,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoundStatus {
    Open,
    Resolved,
}

/// How hard a deal (or a puzzle) is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

/// A rank's name (API.md "Comparing moves"): `bacio` #1, `close` #2–10, `in_the_hunt` #11–100,
/// `wide` #101–1000, `long_way_off` beyond.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Bacio,
    Close,
    InTheHunt,
    Wide,
    LongWayOff,
}

/// A computer opponent's strength: `easy` plays one of its hand's 45 best moves, `medium` one
/// of the 12 best, `hard` one of the 3 best, `par` the best.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BotLevel {
    Easy,
    Medium,
    Hard,
    Par,
}

/// A computer opponent's seat.
#[derive(Serialize, ToSchema)]
pub struct BotSeat {
    pub id: String,
    pub name: String,
    pub bot: BotLevel,
}

/// Match settings as the API names them; every field optional on input.
#[derive(Serialize, ToSchema)]
pub struct MatchSettings {
    #[serde(rename = "N_public")]
    pub n_public: usize,
    #[serde(rename = "M_private")]
    pub m_private: usize,
    pub wildcard_ratio: f64,
    pub timeout_secs: u64,
    pub rounds: usize,
    pub max_players: usize,
    pub difficulty: Difficulty,
}

/// Settings as sent: any subset, unknown fields rejected.
#[derive(Serialize, ToSchema)]
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
    pub difficulty: Option<Difficulty>,
}

/// A move as submitted, normalised: words lower-cased, signs 1 or -1.
#[derive(Serialize, ToSchema)]
pub struct MoveInput {
    pub public_token: String,
    #[schema(example = 1)]
    pub public_sign: i8,
    pub private_token: String,
    #[schema(example = -1)]
    pub private_sign: i8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joker_override_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContributionView {
    pub word: String,
    pub sign: i8,
    pub share: f32,
}

/// The score of a move (API.md "Scoring a move").
#[derive(Serialize, ToSchema)]
pub struct MoveResult {
    pub similarity: f32,
    pub rank: usize,
    pub tier: Tier,
    pub nearest: String,
    pub nearest_sim: f32,
    pub contributions: Vec<ContributionView>,
}

/// A player's par: the best move their cards allowed (jokers aside).
#[derive(Serialize, ToSchema)]
pub struct ParMove {
    pub player_id: String,
    #[serde(rename = "move")]
    pub mv: MoveInput,
    pub similarity: f32,
    pub rank: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Standing {
    pub player_id: String,
    pub player_name: String,
    pub points: f64,
    pub total_similarity: f64,
}

#[derive(Serialize, ToSchema)]
pub struct PlayerSummary {
    pub id: String,
    pub name: String,
    pub submitted_move: bool,
    /// A computer opponent's level; absent for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot: Option<BotLevel>,
}

#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct CardView {
    pub token: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct PlayerView {
    pub id: String,
    pub name: String,
    pub private_cards: Vec<CardView>,
    pub submitted_move: bool,
    pub result: Option<MoveResult>,
}

#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct ResolveView {
    pub leaderboard: Vec<RoundLeaderboardEntry>,
    pub best_moves: Vec<ParMove>,
}

/// One move of a puzzle with its score: `best_move` and each of `all_moves`.
#[derive(Serialize, ToSchema)]
pub struct PuzzleMove {
    pub public_card: String,
    pub private_card: String,
    pub public_sign: i8,
    pub private_sign: i8,
    pub similarity: f32,
    /// Exact rank of the target among the words nearest the ball (`ExactIndex::rank`).
    pub rank: usize,
    pub tier: Tier,
    /// The word nearest the ball, other than the move's words, their near-copies and offensive
    /// words (found with the HNSW index).
    pub nearest: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PointType {
    Start,
    Target,
    Public,
    Private,
    Result,
    Nearest,
    Neighbor,
    Word,
}

#[derive(Serialize, ToSchema)]
pub struct VizPoint {
    pub word: String,
    pub x: f32,
    pub y: f32,
    #[serde(rename = "type")]
    pub kind: PointType,
    /// Cosine to the target word (to the word asked about, for `GET /visualize/{word}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

#[derive(Serialize, ToSchema)]
pub struct VizStep {
    /// The move so far, e.g. "king - man".
    pub label: String,
    pub x: f32,
    pub y: f32,
    /// Cosine to the target word, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

#[derive(Serialize, ToSchema)]
pub struct Visualization {
    pub points: Vec<VizPoint>,
    pub intermediate_steps: Vec<VizStep>,
    /// The share of the variance of the points on each axis: two numbers in [0, 1], descending.
    pub variance_explained: [f32; 2],
}

#[cfg(test)]
mod tests {
    use crate::game::views::{
        CardView, MatchView, PlayerSummary, PlayerView, ResolveView, RoundLeaderboardEntry,
        RoundView,
    };
    use crate::game::{
        ContributionView, MatchSettings, MatchStatus, MoveInput, MoveResult, ParMove, RoundStatus,
        SettingsInput, Sign,
    };
    use crate::words::scene::{PointType, Visualization, VizPoint, VizStep};
    use serde_json::{json, Value};

    /// Every value the schemas describe, as the domain serialises it, with every optional
    /// field present.
    fn served() -> Vec<(&'static str, Value)> {
        let mv = MoveInput {
            public_token: "juice".into(),
            public_sign: Sign::Plus,
            private_token: "JOKER".into(),
            private_sign: Sign::Minus,
            joker_override_token: Some("ferment".into()),
        };
        let contribution = ContributionView {
            word: "juice".into(),
            sign: 1,
            share: 0.2,
        };
        let result = MoveResult {
            similarity: 0.5,
            rank: 12,
            tier: crate::scoring::Tier::InTheHunt,
            nearest: "wine".into(),
            nearest_sim: 0.6,
            contributions: vec![contribution.clone()],
        };
        let par = ParMove {
            player_id: "p1".into(),
            mv: mv.clone(),
            similarity: 0.7,
            rank: 3,
        };
        let standing = crate::game::standings::Standing {
            player_id: "p1".into(),
            player_name: "Ann".into(),
            points: 1.0,
            total_similarity: 0.5,
        };
        let entry = RoundLeaderboardEntry {
            player_id: "p1".into(),
            player_name: "Ann".into(),
            similarity: 0.5,
            rank: 12,
            tier: crate::scoring::Tier::InTheHunt,
            nearest: "wine".into(),
            nearest_sim: 0.6,
            mv: mv.clone(),
        };
        let resolution = ResolveView {
            leaderboard: vec![entry.clone()],
            best_moves: vec![par.clone()],
        };
        let card = CardView {
            token: "juice".into(),
            kind: "PUBLIC".into(),
        };
        let summary = PlayerSummary {
            id: "p1".into(),
            name: "Ann".into(),
            submitted_move: true,
            bot: Some(crate::game::BotLevel::Hard),
        };
        let seat = crate::game::views::BotSeat {
            id: "p2".into(),
            name: "Hard bot".into(),
            bot: crate::game::BotLevel::Hard,
        };
        let settings_input = SettingsInput {
            n_public: Some(10),
            m_private: Some(2),
            wildcard_ratio: Some(0.2),
            timeout_secs: Some(120),
            rounds: Some(5),
            max_players: Some(8),
            difficulty: Some(crate::game::deal::Difficulty::Medium),
        };
        let puzzle_move = crate::puzzles::PuzzleMove {
            public_card: "king".into(),
            private_card: "boy".into(),
            public_sign: 1,
            private_sign: -1,
            similarity: 0.8,
            rank: 1,
            tier: crate::scoring::Tier::Bacio,
            nearest: "queen".into(),
            nearest_sim: 0.8,
            public_id: 0,
            private_id: 1,
        };
        let point = VizPoint {
            word: "king".into(),
            x: 0.1,
            y: -0.2,
            kind: PointType::Start,
            similarity: Some(0.5),
        };
        let step = VizStep {
            label: "king - man".into(),
            x: 0.0,
            y: 0.3,
            similarity: Some(0.4),
        };
        let to = |v: &dyn erased::Ser| v.value();
        vec![
            ("MatchSettings", to(&MatchSettings::default())),
            ("SettingsInput", to(&settings_input)),
            ("MoveInput", to(&mv)),
            ("ContributionView", to(&contribution)),
            ("MoveResult", to(&result)),
            ("ParMove", to(&par)),
            ("Standing", to(&standing)),
            ("PlayerSummary", to(&summary)),
            ("BotSeat", to(&seat)),
            (
                "MatchView",
                to(&MatchView {
                    id: "m1".into(),
                    name: "Friday".into(),
                    status: MatchStatus::InProgress,
                    settings: MatchSettings::default(),
                    players: vec![summary.clone()],
                    round_number: 1,
                    current_round_id: Some("r1".into()),
                    standings: vec![standing.clone()],
                }),
            ),
            ("CardView", to(&card)),
            (
                "RoundView",
                to(&RoundView {
                    id: "r1".into(),
                    number: 1,
                    start_word: "fruit".into(),
                    target_word: "wine".into(),
                    public_cards: vec![card.clone()],
                    moves_deadline_ts: 1,
                    status: RoundStatus::Resolved,
                    submitted: vec!["p1".into()],
                    resolution: Some(resolution.clone()),
                }),
            ),
            (
                "PlayerView",
                to(&PlayerView {
                    id: "p1".into(),
                    name: "Ann".into(),
                    private_cards: vec![card.clone()],
                    submitted_move: true,
                    result: Some(result.clone()),
                }),
            ),
            ("RoundLeaderboardEntry", to(&entry)),
            ("ResolveView", to(&resolution)),
            ("PuzzleMove", to(&puzzle_move)),
            ("VizPoint", to(&point)),
            ("VizStep", to(&step)),
            (
                "Visualization",
                to(&Visualization {
                    points: vec![point.clone()],
                    intermediate_steps: vec![step.clone()],
                    variance_explained: [0.6, 0.3],
                }),
            ),
        ]
    }

    /// `serde_json::to_value` behind a trait object, so one list can hold every type.
    mod erased {
        pub trait Ser {
            fn value(&self) -> serde_json::Value;
        }
        impl<T: serde::Serialize> Ser for T {
            fn value(&self) -> serde_json::Value {
                serde_json::to_value(self).expect("serialisable")
            }
        }
    }

    #[test]
    fn schemas_match_what_is_served() {
        let doc = serde_json::to_value(crate::routes::openapi::document()).unwrap();
        let schemas = &doc["components"]["schemas"];
        for (name, value) in served() {
            let props: std::collections::BTreeSet<&String> = schemas[name]["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("no schema {name} in the document"))
                .keys()
                .collect();
            let fields: std::collections::BTreeSet<&String> =
                value.as_object().expect("an object").keys().collect();
            assert_eq!(
                props, fields,
                "{name}: schema properties against served fields"
            );
        }
        for (name, values) in [
            ("MatchStatus", json!(["LOBBY", "IN_PROGRESS", "DONE"])),
            ("RoundStatus", json!(["OPEN", "RESOLVED"])),
            (
                "Tier",
                serde_json::to_value(crate::scoring::Tier::ALL).unwrap(),
            ),
            (
                "BotLevel",
                serde_json::to_value(crate::game::BotLevel::ALL).unwrap(),
            ),
            (
                "PointType",
                serde_json::to_value([
                    PointType::Start,
                    PointType::Target,
                    PointType::Public,
                    PointType::Private,
                    PointType::Result,
                    PointType::Nearest,
                    PointType::Neighbor,
                    PointType::Word,
                ])
                .unwrap(),
            ),
        ] {
            assert_eq!(schemas[name]["enum"], values, "{name}");
        }
        assert_eq!(
            serde_json::to_value([
                MatchStatus::Lobby,
                MatchStatus::InProgress,
                MatchStatus::Done
            ])
            .unwrap(),
            json!(["LOBBY", "IN_PROGRESS", "DONE"])
        );
    }
}
