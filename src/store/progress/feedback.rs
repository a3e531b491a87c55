//! Feedback on deals (`POST /feedback`, `GET /admin/feedback`): stored before the answer, listed
//! newest first.

use super::{Backend, ProgressError, ProgressStore};
use serde::{Deserialize, Serialize};

/// One word of the throw a player suggests, in its vocabulary form, with its sign (±1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackWord {
    pub word: String,
    pub sign: i8,
}

/// The suggested throw, kept as JSON text (`[{"word": "king", "sign": 1}, …]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FeedbackWords(pub Vec<FeedbackWord>);

impl TryFrom<String> for FeedbackWords {
    type Error = serde_json::Error;
    fn try_from(json: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&json)
    }
}

/// One piece of feedback, as stored. The enums of the API (`kind`, `vote`) are kept as their
/// API spellings: the HTTP layer checks them before they get here.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Feedback {
    pub id: String,
    pub created_at_ms: i64,
    pub context_kind: String,
    pub context_id: String,
    pub round_id: Option<String>,
    #[sqlx(rename = "start_word")]
    pub start: String,
    #[sqlx(rename = "target_word")]
    pub target: String,
    #[sqlx(try_from = "String")]
    pub words: FeedbackWords,
    pub vote: String,
    pub comment: Option<String>,
}

const INSERT_FEEDBACK: &str = "INSERT INTO feedback
    (id, created_at_ms, context_kind, context_id, round_id, start_word, target_word, words, vote, comment)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const LIST_FEEDBACK: &str = "SELECT id, created_at_ms, context_kind, context_id, round_id,
        start_word, target_word, words, vote, comment
    FROM feedback WHERE created_at_ms >= $1
    ORDER BY created_at_ms DESC, seq DESC
    LIMIT $2";

impl ProgressStore {
    /// Store a piece of feedback (one statement: it is there, or nothing is).
    #[tracing::instrument(level = "debug", name = "progress.add_feedback", skip_all)]
    pub async fn add_feedback(&self, f: &Feedback) -> Result<(), ProgressError> {
        let words = serde_json::to_string(&f.words)
            .map_err(|e| ProgressError::Internal(format!("feedback words: {e}")))?;
        each_backend!(self, pool => self.guard("store feedback", async {
            sqlx::query(INSERT_FEEDBACK)
                .bind(&f.id)
                .bind(f.created_at_ms)
                .bind(&f.context_kind)
                .bind(&f.context_id)
                .bind(&f.round_id)
                .bind(&f.start)
                .bind(&f.target)
                .bind(&words)
                .bind(&f.vote)
                .bind(&f.comment)
                .execute(pool)
                .await
                .map(|_| ())
        }).await)
    }

    /// Feedback stored at or after `since_ms`, newest first, at most `limit`.
    #[tracing::instrument(level = "debug", name = "progress.feedback", skip_all)]
    pub async fn feedback(
        &self,
        since_ms: i64,
        limit: u32,
    ) -> Result<Vec<Feedback>, ProgressError> {
        each_backend!(self, pool => self.guard("read feedback", async {
            sqlx::query_as(LIST_FEEDBACK)
                .bind(since_ms)
                .bind(limit as i64)
                .fetch_all(pool)
                .await
        }).await)
    }
}
