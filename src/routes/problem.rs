//! One table of stable error codes, each with its status and title, from which every error
//! body is built: an RFC 9457 problem document (`application/problem+json`).
//!
//! The domain's errors ([`GameError`], [`PuzzleError`], [`UnknownWord`], [`StoreError`], …)
//! know nothing of HTTP; each is given its code, field and status here, once, by an exhaustive
//! match (a new variant does not compile until it has its code), so the same condition reads
//! the same on every route.

use crate::embeddings::vocab::UnknownWord;
use crate::game::GameError;
use crate::play::feedback::FeedbackError;
use crate::play::practice::PracticeError;
use crate::play::PlayError;
use crate::puzzles::daily::DateError;
use crate::puzzles::play::PuzzleError;
use crate::scoring::CancelsOut;
use crate::store::idempotency::IdempotencyError;
use crate::store::progress::{ProgressError, RETRY_AFTER_SECS as PROGRESS_RETRY_AFTER_SECS};
use crate::store::StoreError;
use crate::words::WordsError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Every error code the API can return. `code` strings never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    BadRequest,
    MissingToken,
    InvalidToken,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    UnknownMatch,
    UnknownRound,
    UnknownPlayer,
    UnknownWord,
    UnknownPuzzle,
    UnknownCourt,
    MatchAlreadyStarted,
    MatchNotStarted,
    RoundClosed,
    AlreadySubmitted,
    RoundNotResolved,
    MatchFull,
    MatchFinished,
    Conflict,
    RequestTimeout,
    PayloadTooLarge,
    InvalidName,
    InappropriateName,
    NotYourCard,
    NotAPublicCard,
    WordNotInVocabulary,
    JokerWordForbidden,
    InvalidSettings,
    NotAnAllowedCard,
    InvalidMove,
    InvalidInput,
    IdempotencyKeyReused,
    RateLimited,
    StoreUnavailable,
    ProgressUnavailable,
    ShuttingDown,
    TooManyStreams,
    TooManyMatches,
    Internal,
}

impl Code {
    /// The whole table: code string, HTTP status, title. Exhaustive: a new code does not
    /// compile until it has all three.
    pub fn spec(self) -> (&'static str, u16, &'static str) {
        use Code::*;
        match self {
            BadRequest => ("bad_request", 400, "Bad request"),
            MissingToken => ("missing_token", 401, "Missing token"),
            InvalidToken => ("invalid_token", 401, "Invalid token"),
            Forbidden => ("forbidden", 403, "Forbidden"),
            NotFound => ("not_found", 404, "Not found"),
            MethodNotAllowed => ("method_not_allowed", 405, "Method not allowed"),
            UnknownMatch => ("unknown_match", 404, "Unknown match"),
            UnknownRound => ("unknown_round", 404, "Unknown round"),
            UnknownPlayer => ("unknown_player", 404, "Unknown player"),
            UnknownWord => ("unknown_word", 404, "Unknown word"),
            UnknownPuzzle => ("unknown_puzzle", 404, "Unknown puzzle"),
            UnknownCourt => ("unknown_court", 404, "Unknown practice court"),
            MatchAlreadyStarted => ("match_already_started", 409, "Match already started"),
            MatchNotStarted => ("match_not_started", 409, "Match not started"),
            RoundClosed => ("round_closed", 409, "Round closed"),
            AlreadySubmitted => ("already_submitted", 409, "Already submitted"),
            RoundNotResolved => ("round_not_resolved", 409, "Round not resolved"),
            MatchFull => ("match_full", 409, "Match full"),
            MatchFinished => ("match_finished", 409, "Match finished"),
            Conflict => ("conflict", 409, "Conflict"),
            RequestTimeout => ("request_timeout", 408, "Request timeout"),
            PayloadTooLarge => ("payload_too_large", 413, "Payload too large"),
            InvalidName => ("invalid_name", 422, "Invalid name"),
            InappropriateName => ("inappropriate_name", 422, "Inappropriate name"),
            NotYourCard => ("not_your_card", 422, "Not your card"),
            NotAPublicCard => ("not_a_public_card", 422, "Not a public card"),
            WordNotInVocabulary => ("word_not_in_vocabulary", 422, "Word not in vocabulary"),
            JokerWordForbidden => ("joker_word_forbidden", 422, "Joker word forbidden"),
            InvalidSettings => ("invalid_settings", 422, "Invalid settings"),
            NotAnAllowedCard => ("not_an_allowed_card", 422, "Not an allowed card"),
            InvalidMove => ("invalid_move", 422, "Invalid move"),
            InvalidInput => ("invalid_input", 422, "Invalid input"),
            IdempotencyKeyReused => ("idempotency_key_reused", 422, "Idempotency key reused"),
            RateLimited => ("rate_limited", 429, "Too many requests"),
            StoreUnavailable => ("store_unavailable", 503, "Store unavailable"),
            ProgressUnavailable => ("progress_unavailable", 503, "Progress unavailable"),
            ShuttingDown => ("shutting_down", 503, "Shutting down"),
            TooManyStreams => ("too_many_streams", 503, "Too many event streams"),
            TooManyMatches => ("too_many_matches", 503, "Too many matches"),
            Internal => ("internal_error", 500, "Internal error"),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.spec().0
    }

    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.spec().1).expect("valid status in the code table")
    }
}

/// An error as the API reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: Code,
    pub detail: String,
    pub field: Option<String>,
    pub suggestions: Option<Vec<String>>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError {
            code,
            detail: detail.into(),
            field: None,
            suggestions: None,
            retry_after: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    pub fn suggestions(mut self, words: Vec<String>) -> ApiError {
        self.suggestions = Some(words);
        self
    }

    pub fn retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after = Some(secs);
        self
    }

    /// A 500: the cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(Code::Internal, "an internal error occurred")
    }

    pub fn problem(&self) -> Problem<'_> {
        let (code, status, title) = self.code.spec();
        Problem {
            type_: format!("/errors/{code}"),
            title,
            status,
            detail: &self.detail,
            code,
            field: self.field.as_deref(),
            suggestions: self.suggestions.as_deref(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl std::error::Error for ApiError {}

/// The problem document as the OpenAPI document describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    pub field: Option<String>,
    pub suggestions: Option<Vec<String>>,
}

/// The problem document.
#[derive(Debug, Serialize)]
pub struct Problem<'a> {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: &'a str,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestions: Option<&'a [String]>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.code == Code::RequestTimeout {
            // What is left of the request may never come: do not wait for it.
            res.force_close();
        }
        res.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

// ---- the domain's errors, each mapped once ----

impl From<UnknownWord> for ApiError {
    fn from(e: UnknownWord) -> ApiError {
        let detail = e.to_string();
        match e {
            UnknownWord::Empty { field } => ApiError::new(Code::InvalidInput, detail).field(field),
            UnknownWord::NotInVocabulary {
                field, suggestions, ..
            } => ApiError::new(Code::WordNotInVocabulary, detail)
                .field(field)
                .suggestions(suggestions),
        }
    }
}

impl From<CancelsOut> for ApiError {
    fn from(e: CancelsOut) -> ApiError {
        ApiError::new(Code::InvalidMove, e.to_string())
    }
}

/// A value out of its range at the edge (a request's body or query, checked with `validator`):
/// 422 `invalid_input` naming the field (the first by name, when several are out of range).
impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> ApiError {
        let fields = e.field_errors();
        let first = fields
            .iter()
            .min_by(|a, b| a.0.cmp(b.0))
            .and_then(|(field, errors)| Some((field.to_string(), errors.first()?.clone())));
        match first {
            Some((field, error)) => {
                let detail = error
                    .message
                    .map(|m| m.into_owned())
                    .unwrap_or_else(|| format!("{field} is out of its range"));
                ApiError::new(Code::InvalidInput, detail).field(field)
            }
            None => ApiError::new(Code::InvalidInput, e.to_string()),
        }
    }
}

impl From<GameError> for ApiError {
    fn from(e: GameError) -> ApiError {
        use GameError as G;
        let detail = e.to_string();
        let new = |code| ApiError::new(code, detail.clone());
        match e {
            G::MatchAlreadyStarted => new(Code::MatchAlreadyStarted),
            G::MatchFull { .. } => new(Code::MatchFull),
            G::NoPlayers | G::MatchNotStarted => new(Code::MatchNotStarted),
            G::MatchFinished => new(Code::MatchFinished),
            G::RoundNotResolved => new(Code::RoundNotResolved),
            G::NoRoundYet | G::UnknownRound(_) => new(Code::UnknownRound),
            G::RoundClosed => new(Code::RoundClosed),
            G::AlreadySubmitted => new(Code::AlreadySubmitted),
            G::InvalidToken => new(Code::InvalidToken),
            G::NotHost | G::HostIsNotAPlayer | G::OtherPlayersToken => new(Code::Forbidden),
            G::PlayerIdMismatch => new(Code::Forbidden).field("player_id"),
            G::UnknownPlayer(_) => new(Code::UnknownPlayer),
            G::NotAPublicCard(_) => new(Code::NotAPublicCard).field("public_token"),
            G::NotYourCard(_) => new(Code::NotYourCard).field("private_token"),
            G::JokerWordMissing => new(Code::InvalidMove).field("joker_override_token"),
            G::JokerWordForbidden(_) => new(Code::JokerWordForbidden).field("joker_override_token"),
            G::UnknownWord(w) => w.into(),
            G::CancelsOut(c) => c.into(),
            G::InvalidName { field, .. } => new(Code::InvalidName).field(field),
            G::InappropriateName { field } => new(Code::InappropriateName).field(field),
            G::InvalidSettings { field, .. } => new(Code::InvalidSettings).field(field),
            G::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<PracticeError> for ApiError {
    fn from(e: PracticeError) -> ApiError {
        let detail = e.to_string();
        match e {
            PracticeError::UnknownCourt(_) => ApiError::new(Code::UnknownCourt, detail),
            PracticeError::SeedTooLong => ApiError::new(Code::InvalidInput, detail).field("seed"),
            PracticeError::Game(g) => g.into(),
        }
    }
}

impl From<PuzzleError> for ApiError {
    fn from(e: PuzzleError) -> ApiError {
        use PuzzleError as P;
        let detail = e.to_string();
        match e {
            P::UnknownPuzzle(_) | P::EmptyCatalogue => ApiError::new(Code::UnknownPuzzle, detail),
            P::NotAnAllowedCard { field, .. } => {
                ApiError::new(Code::NotAnAllowedCard, detail).field(field)
            }
            P::OneWildcardOnly => {
                ApiError::new(Code::NotAnAllowedCard, detail).field("private_token")
            }
            P::SameCards => ApiError::new(Code::InvalidMove, detail).field("private_token"),
            P::UnknownWord(w) => w.into(),
            P::CancelsOut(c) => c.into(),
        }
    }
}

impl From<FeedbackError> for ApiError {
    fn from(e: FeedbackError) -> ApiError {
        let field = e.field();
        match e {
            FeedbackError::UnknownWord(w) => w.into(),
            FeedbackError::WordCount(_)
            | FeedbackError::Id { .. }
            | FeedbackError::CommentTooLong(_)
            | FeedbackError::InappropriateComment => {
                ApiError::new(Code::InvalidInput, e.to_string()).field(field)
            }
        }
    }
}

impl From<DateError> for ApiError {
    fn from(e: DateError) -> ApiError {
        match e {
            DateError::Malformed { .. }
            | DateError::BeforeFirstDay { .. }
            | DateError::Future { .. } => {
                ApiError::new(Code::InvalidInput, e.to_string()).field("date")
            }
        }
    }
}

impl From<WordsError> for ApiError {
    fn from(e: WordsError) -> ApiError {
        let detail = e.to_string();
        match e {
            WordsError::Invalid { field, .. } => {
                let e = ApiError::new(Code::InvalidInput, detail);
                match field {
                    Some(f) => e.field(f),
                    None => e,
                }
            }
            WordsError::UnknownWord(w) => w.into(),
            WordsError::CancelsOut(c) => c.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let detail = e.to_string();
        match e {
            StoreError::NotFound(_) => ApiError::new(Code::UnknownMatch, detail),
            StoreError::Unavailable { retry_after } => {
                ApiError::new(Code::StoreUnavailable, detail).retry_after(retry_after)
            }
            StoreError::Contended { retry_after } => {
                ApiError::new(Code::Conflict, detail).retry_after(retry_after)
            }
            StoreError::Full { retry_after, .. } => {
                ApiError::new(Code::TooManyMatches, detail).retry_after(retry_after)
            }
            StoreError::Rejected(g) => g.into(),
            StoreError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<PlayError> for ApiError {
    fn from(e: PlayError) -> ApiError {
        match e {
            PlayError::Game(g) => g.into(),
            PlayError::Store(s) => s.into(),
        }
    }
}

impl From<ProgressError> for ApiError {
    fn from(e: ProgressError) -> ApiError {
        match e {
            ProgressError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "progress store unavailable");
                ApiError::new(
                    Code::ProgressUnavailable,
                    "progress cannot be saved or read right now; nothing was recorded. Try again shortly, or play without a token",
                )
                .retry_after(PROGRESS_RETRY_AFTER_SECS)
            }
            ProgressError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<IdempotencyError> for ApiError {
    fn from(e: IdempotencyError) -> ApiError {
        let detail = e.to_string();
        match e {
            IdempotencyError::Reused => {
                ApiError::new(Code::IdempotencyKeyReused, detail).field("Idempotency-Key")
            }
            IdempotencyError::StillRunning { retry_after } => {
                ApiError::new(Code::Conflict, detail).retry_after(retry_after)
            }
            IdempotencyError::Store(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_documents_carry_the_table_entry() {
        let e = ApiError::new(
            Code::WordNotInVocabulary,
            "'xyzzy' is not in the vocabulary",
        )
        .field("joker_override_token")
        .suggestions(vec!["fuzzy".into()]);
        let v = serde_json::to_value(e.problem()).unwrap();
        assert_eq!(v["type"], "/errors/word_not_in_vocabulary");
        assert_eq!(v["status"], 422);
        assert_eq!(v["code"], "word_not_in_vocabulary");
        assert_eq!(v["field"], "joker_override_token");
        assert_eq!(v["suggestions"][0], "fuzzy");
        let v = serde_json::to_value(ApiError::new(Code::MatchFull, "full").problem()).unwrap();
        assert!(v.get("field").is_none() && v.get("suggestions").is_none());
    }

    #[test]
    fn only_internal_errors_are_5xx_other_than_503() {
        use Code::*;
        for c in [
            BadRequest,
            MatchFull,
            RateLimited,
            StoreUnavailable,
            ShuttingDown,
            Internal,
        ] {
            let s = c.status().as_u16();
            assert!(s < 500 || s == 503 || c == Internal, "{c:?}");
        }
    }

    #[test]
    fn one_condition_one_code_on_every_route() {
        // Words that cancel out: a match move, a puzzle solve and an analogy alike.
        let codes = [
            ApiError::from(GameError::CancelsOut(CancelsOut)).code,
            ApiError::from(PuzzleError::CancelsOut(CancelsOut)).code,
            ApiError::from(WordsError::CancelsOut(CancelsOut)).code,
        ];
        assert_eq!(codes, [Code::InvalidMove; 3]);
        // An unknown word keeps its field and suggestions wherever it was typed.
        let w = UnknownWord::NotInVocabulary {
            word: "xyzzy".into(),
            field: "positive[0]".into(),
            suggestions: vec!["fuzzy".into()],
        };
        for e in [
            ApiError::from(GameError::UnknownWord(w.clone())),
            ApiError::from(PuzzleError::UnknownWord(w.clone())),
            ApiError::from(WordsError::UnknownWord(w.clone())),
        ] {
            assert_eq!(e.code, Code::WordNotInVocabulary);
            assert_eq!(e.field.as_deref(), Some("positive[0]"));
            assert_eq!(e.suggestions.as_deref(), Some(&["fuzzy".to_string()][..]));
            assert_eq!(e.detail, "'xyzzy' is not in the vocabulary");
        }
        let empty = UnknownWord::Empty {
            field: "start".into(),
        };
        assert_eq!(ApiError::from(empty).code, Code::InvalidInput);
    }

    #[test]
    fn a_refused_change_keeps_its_rule_and_an_outage_says_when_to_retry() {
        let e = ApiError::from(StoreError::Rejected(GameError::MatchFull { max: 2 }));
        assert_eq!(
            (e.code, e.detail.as_str()),
            (Code::MatchFull, "the match is full (2 players)")
        );
        let e = ApiError::from(PlayError::Store(StoreError::Unavailable { retry_after: 2 }));
        assert_eq!((e.code, e.retry_after), (Code::StoreUnavailable, Some(2)));
        let e = ApiError::from(StoreError::NotFound("m1".into()));
        assert_eq!(
            (e.code, e.detail.as_str()),
            (Code::UnknownMatch, "no match 'm1'")
        );
        let e = ApiError::from(ProgressError::Unavailable("down".into()));
        assert_eq!(
            (e.code, e.retry_after),
            (Code::ProgressUnavailable, Some(2))
        );
        let e = ApiError::from(GameError::NotYourCard("tea".into()));
        assert_eq!(
            (e.code, e.field.as_deref(), e.detail.as_str()),
            (
                Code::NotYourCard,
                Some("private_token"),
                "'tea' is not one of your private cards"
            )
        );
    }
}
