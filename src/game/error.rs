//! Why the rules refuse something. One variant per condition; the HTTP layer gives each its
//! problem code in one place (`routes::problem`), so the same condition reads the same on every
//! route.

use crate::embeddings::vocab::UnknownWord;
use crate::scoring::CancelsOut;
use crate::text::quoted;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GameError {
    // ---- the match's state ----
    #[error("the match has already started")]
    MatchAlreadyStarted,
    #[error("the match is full ({max} players)")]
    MatchFull { max: usize },
    #[error("a match needs at least one player to start")]
    NoPlayers,
    #[error("the match has not started")]
    MatchNotStarted,
    #[error("the match is finished")]
    MatchFinished,
    #[error("the current round is still open")]
    RoundNotResolved,
    #[error("the match has no round yet: the host starts it")]
    NoRoundYet,
    #[error("no round '{}' in this match", quoted(.0))]
    UnknownRound(String),
    #[error("this round is closed")]
    RoundClosed,
    #[error("you have already moved this round")]
    AlreadySubmitted,

    // ---- who may do what (capabilities) ----
    #[error("that token is not valid for this match")]
    InvalidToken,
    #[error("only the host may do that")]
    NotHost,
    #[error("the host token is not a player's token: join as a player")]
    HostIsNotAPlayer,
    #[error("that token belongs to another player")]
    OtherPlayersToken,
    #[error("player_id does not match your token")]
    PlayerIdMismatch,
    #[error("no player '{}' in this match", quoted(.0))]
    UnknownPlayer(String),

    // ---- a move ----
    #[error("'{}' is not one of this round's public cards", quoted(.0))]
    NotAPublicCard(String),
    #[error("'{}' is not one of your private cards", quoted(.0))]
    NotYourCard(String),
    #[error("a JOKER needs joker_override_token: the word you play")]
    JokerWordMissing,
    #[error("{0}")]
    JokerWordForbidden(JokerRule),
    #[error(transparent)]
    UnknownWord(#[from] UnknownWord),
    #[error(transparent)]
    CancelsOut(#[from] CancelsOut),

    // ---- names and settings ----
    #[error("{reason}")]
    InvalidName { field: String, reason: NameRule },
    #[error("please choose another name")]
    InappropriateName { field: String },
    #[error("{detail}")]
    InvalidSettings { field: String, detail: String },

    /// A broken invariant (a dealt word missing from the loaded model, a deal that found no
    /// round): a bug or a bad deployment, never the player's fault.
    #[error("{0}")]
    Internal(String),
}

/// Which rule a JOKER's word broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JokerRule {
    #[error("a joker word is letters only")]
    LettersOnly,
    #[error("that word cannot be played")]
    Offensive,
    #[error("a joker word may not be the target or a near-synonym of it")]
    NearTarget,
    #[error("a joker word may not be a word already in the move (the start word, the public card) or a near-copy of one")]
    InTheMove,
}

/// Which rule a name broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameRule {
    #[error("a name has 1 to 50 characters")]
    Length,
    #[error("a name may hold letters, digits, spaces, '-' and '_' only")]
    Characters,
}
