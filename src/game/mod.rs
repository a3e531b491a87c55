//! The game's rules: a match's state and transitions, what makes a move legal and how it is
//! scored, dealing, standings, and the projections of a match that responses and live events
//! share. Pure: no I/O, no web framework, so a handler, a computer opponent, a practice court
//! and a test all play by the same functions. Why something is refused is a [`GameError`].

pub mod bots;
pub mod deal;
pub mod error;
mod name_filter;
pub mod rules;
pub mod settings;
pub mod shared;
pub mod standings;
pub mod state;
pub mod views;

pub use bots::BotLevel;
pub use error::{GameError, JokerRule, NameRule};
pub use rules::{Name, JOKER, JOKER_MAX_COSINE};
pub use settings::{MatchSettings, SettingsInput};
pub use shared::Shared;
pub use state::{
    BotMove, ContributionView, Match, MatchStatus, MoveInput, MoveResult, ParMove, Player, Round,
    RoundStatus, Sign, SubmittedMove,
};
