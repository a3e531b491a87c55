//! One table of stable error codes, each with its status and title, from which every error
//! body is built: an RFC 9457 problem document (`application/problem+json`).

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
}
