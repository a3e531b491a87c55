//! `POST /feedback` and `GET /admin/feedback` (API.md "Practice, free throws and feedback").

use super::input;
use super::limits::Class;
use super::matches::SignInput;
use super::meta::require_admin;
use super::problem::{ApiError, ProblemDoc};
use super::{Limits, State};
use crate::play::feedback::{check, Draft};
use crate::store::progress::Feedback;
use crate::tokens::new_id;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// Feedback listed by default (at most 1000: `FeedbackQuery`).
pub const LIST_DEFAULT: u32 = 100;

pub fn configure(cfg: &mut web::ServiceConfig, limits: &Limits) {
    cfg.service(
        web::resource("/feedback")
            .route(web::post().to(post_feedback))
            .wrap(limits.class(Class::Feedback)),
    )
    // Not a resource: without ADMIN_TOKEN it must look absent to every method (as /admin/stats).
    .route("/admin/feedback", web::get().to(list_feedback));
}

/// What the feedback is about.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContextKind {
    Match,
    Puzzle,
    Practice,
}

impl ContextKind {
    fn as_str(self) -> &'static str {
        match self {
            ContextKind::Match => "match",
            ContextKind::Puzzle => "puzzle",
            ContextKind::Practice => "practice",
        }
    }
}

/// How the deal played, compared with the throw the player suggests.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Vote {
    MoreFun,
    Same,
    TooEasy,
    Odd,
}

impl Vote {
    fn as_str(self) -> &'static str {
        match self {
            Vote::MoreFun => "more_fun",
            Vote::Same => "same",
            Vote::TooEasy => "too_easy",
            Vote::Odd => "odd",
        }
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedbackContext {
    #[schema(value_type = ContextKind)]
    pub kind: String,
    /// The match, puzzle or practice court (1–100 characters).
    #[schema(min_length = 1, max_length = 100, example = "m3f2a9c01d4b5e6f7")]
    pub id: String,
    /// The round of a match (1–100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 100, example = "r2")]
    pub round_id: Option<String>,
}

/// The context as sent: `kind` must be one of the kinds.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextInput {
    pub kind: ContextKind,
    #[schema(min_length = 1, max_length = 100, example = "m3f2a9c01d4b5e6f7")]
    pub id: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100, example = "r2")]
    pub round_id: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThrowWordInput {
    #[schema(example = "crown")]
    pub word: String,
    /// `1` or `-1` (`"+"`/`"-"` also accepted)
    #[schema(value_type = i8, example = 1)]
    pub sign: SignInput,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    pub context: ContextInput,
    #[schema(example = "king")]
    pub start: String,
    #[schema(example = "queen")]
    pub target: String,
    /// The throw the player suggests: 1–3 vocabulary words.
    #[schema(min_items = 1, max_items = 3)]
    pub words: Vec<ThrowWordInput>,
    pub vote: Vote,
    /// At most 280 characters, nothing inappropriate.
    #[serde(default)]
    #[schema(max_length = 280)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedbackCreated {
    pub id: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThrowWord {
    pub word: String,
    /// `1` or `-1`.
    pub sign: i8,
}

/// A stored piece of feedback.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedbackItem {
    pub id: String,
    /// When it was stored (Unix seconds).
    pub created_at: i64,
    pub context: FeedbackContext,
    pub start: String,
    pub target: String,
    pub words: Vec<ThrowWord>,
    #[schema(value_type = Vote)]
    pub vote: String,
    pub comment: Option<String>,
}

impl From<Feedback> for FeedbackItem {
    fn from(f: Feedback) -> Self {
        FeedbackItem {
            id: f.id,
            created_at: f.created_at_ms.div_euclid(1000),
            context: FeedbackContext {
                kind: f.context_kind,
                id: f.context_id,
                round_id: f.round_id,
            },
            start: f.start,
            target: f.target,
            words: f
                .words
                .0
                .into_iter()
                .map(|w| ThrowWord {
                    word: w.word,
                    sign: w.sign,
                })
                .collect(),
            vote: f.vote,
            comment: f.comment,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct FeedbackQuery {
    /// Unix seconds: only feedback stored at or after then (default: all).
    #[validate(range(
        min = 0,
        max = 100_000_000_000i64,
        message = "since must be a Unix time in seconds, 0 or more"
    ))]
    #[param(minimum = 0, maximum = 100_000_000_000i64)]
    pub since: Option<i64>,
    /// 1–1000, default 100
    #[validate(range(
        min = 1,
        max = 1000,
        message = "limit must be a whole number between 1 and 1000"
    ))]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[utoipa::path(post, path = "/feedback", tag = "feedback", request_body = FeedbackBody,
    responses((status = 201, body = FeedbackCreated), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc),
        (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc),
        (status = 503, description = "the progress store is down: nothing was stored", body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn post_feedback(
    state: State,
    body: input::Json<FeedbackBody>,
) -> Result<HttpResponse, ApiError> {
    let words: Vec<(&str, i8)> = body
        .words
        .iter()
        .map(|w| (w.word.as_str(), w.sign.0.as_i8()))
        .collect();
    let draft = Draft {
        kind: body.context.kind.as_str(),
        id: &body.context.id,
        round_id: body.context.round_id.as_deref(),
        start: &body.start,
        target: &body.target,
        words: &words,
        vote: body.vote.as_str(),
        comment: body.comment.as_deref(),
    };
    let feedback = check(&state.engine, draft, new_id("f"), state.clock.now_ms())?;
    state.progress.add_feedback(&feedback).await?;
    Ok(HttpResponse::Created().json(FeedbackCreated { id: feedback.id }))
}

#[utoipa::path(get, path = "/admin/feedback", tag = "feedback", params(FeedbackQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "newest first", body = [FeedbackItem]),
        (status = 401, description = "no token, or not `ADMIN_TOKEN`", body = ProblemDoc),
        (status = 404, description = "`ADMIN_TOKEN` is not set: the route looks absent", body = ProblemDoc),
        (status = 503, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list_feedback(state: State, req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    // The token first: without it the route tells nothing, not even what its query takes.
    require_admin(&state, &req)?;
    let q = input::Query::<FeedbackQuery>::extract(&req).await?;
    validator::Validate::validate(&*q).map_err(ApiError::from)?;
    let since_ms = q.since.unwrap_or(0).saturating_mul(1000);
    let limit = q.limit.map_or(LIST_DEFAULT, |n| n as u32);
    let rows = state
        .progress
        .feedback(since_ms, limit)
        .await
        .map_err(ApiError::from)?;
    let items: Vec<FeedbackItem> = rows.into_iter().map(FeedbackItem::from).collect();
    Ok(HttpResponse::Ok().json(items))
}
