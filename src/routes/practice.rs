//! Practice courts and free throws (API.md "Practice, free throws and feedback").

use super::input;
use super::limits::Class;
use super::matches::SignInput;
use super::problem::{ApiError, ProblemDoc};
use super::schemas;
use super::{Limits, State};
use crate::game::deal::Difficulty;
use crate::game::MoveResult;
use crate::play::practice::Court;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig, limits: &Limits) {
    cfg.service(web::resource("/practice").route(web::post().to(open)))
        .service(
            web::resource("/practice/{court_id}/throw")
                .route(web::post().to(throw))
                .wrap(limits.class(Class::Solve)),
        )
        .service(
            web::resource("/score")
                .route(web::post().to(score))
                .wrap(limits.class(Class::Visualize)),
        );
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// `easy`, `medium` (the default) or `hard`.
    #[serde(default)]
    #[schema(value_type = Option<schemas::Difficulty>)]
    pub difficulty: Option<Difficulty>,
    /// Any text of at most 100 characters: the same text deals the same court.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub seed: Option<String>,
}

/// A court as dealt: the same `court_id` always deals it, on any instance.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct CourtView {
    pub court_id: String,
    #[schema(value_type = schemas::Difficulty)]
    pub difficulty: Difficulty,
    pub start_word: String,
    pub target_word: String,
    pub public_cards: Vec<String>,
    pub private_cards: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThrowBody {
    pub public_token: String,
    /// `"+"` or `"-"` (1 or -1 also accepted)
    #[schema(value_type = String, example = "+")]
    pub public_sign: SignInput,
    pub private_token: String,
    #[schema(value_type = String, example = "-")]
    pub private_sign: SignInput,
}

/// A move as a court's par names it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct CourtMove {
    pub public_token: String,
    pub public_sign: i8,
    pub private_token: String,
    pub private_sign: i8,
}

/// The court's best move (rank first), revealed with every throw.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct CourtPar {
    #[serde(rename = "move")]
    pub mv: CourtMove,
    pub similarity: f32,
    pub rank: usize,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThrowResponse {
    #[serde(flatten)]
    #[schema(inline, value_type = schemas::MoveResult)]
    pub scored: MoveResult,
    pub par: CourtPar,
    /// The share of the way from the start word's similarity to par's that the throw covered:
    /// 0 at or below the start word, 1 at par (above 1 past par's similarity).
    pub of_par: f32,
}

fn court_view(state: &State, c: &Court) -> CourtView {
    let w = |id| state.engine.emb.word(id).to_string();
    CourtView {
        court_id: c.id.to_string(),
        difficulty: c.id.difficulty,
        start_word: w(c.start),
        target_word: w(c.target),
        public_cards: c.public.iter().map(|&id| w(id)).collect(),
        private_cards: c.private.iter().map(|&id| w(id)).collect(),
    }
}

#[utoipa::path(post, path = "/practice", tag = "practice", request_body = OpenBody,
    responses((status = 201, body = CourtView), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn open(state: State, body: input::Json<OpenBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let difficulty = body.difficulty.unwrap_or_default();
    let data = state.clone();
    // A deal searches the index: off the async workers, as a match's deal.
    let court = web::block(move || data.practice.open(difficulty, body.seed.as_deref()))
        .await
        .map_err(|e| ApiError::internal(format!("the deal stopped: {e}")))??;
    Ok(HttpResponse::Created().json(court_view(&state, &court)))
}

#[utoipa::path(post, path = "/practice/{court_id}/throw", tag = "practice", params(("court_id" = String, Path)), request_body = ThrowBody,
    security((), ("bearer" = [])),
    responses((status = 200, body = ThrowResponse), (status = 400, body = ProblemDoc), (status = 401, body = ProblemDoc), (status = 404, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 503, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn throw(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: input::Json<ThrowBody>,
) -> Result<HttpResponse, ApiError> {
    let token = super::puzzles::optional_token(&req)?;
    let practice = &state.practice;
    let court = match practice.cached(&path) {
        Some(court) => court,
        // Not dealt on this instance yet: deal it from its id, off the async workers.
        None => {
            let (data, id) = (state.clone(), path.clone());
            web::block(move || data.practice.court(&id))
                .await
                .map_err(|e| ApiError::internal(format!("the deal stopped: {e}")))??
        }
    };
    let started = std::time::Instant::now();
    let t = practice.throw(
        &court,
        &body.public_token,
        body.public_sign.0.as_i8(),
        &body.private_token,
        body.private_sign.0.as_i8(),
    )?;
    state
        .metrics
        .observe_scoring(started.elapsed().as_secs_f64());
    // With a profile token the throw counts in the profile, stored before the answer (503
    // `progress_unavailable` when the store is down: nothing half-written).
    if let Some(hash) = token {
        let player = state
            .progress
            .player(&hash)
            .await?
            .ok_or_else(super::puzzles::invalid_profile_token)?;
        let court_id = court.id.to_string();
        state
            .progress
            .record_practice_throw(&player.id, &court_id, t.of_par as f64, state.clock.now_ms())
            .await?;
    }
    let w = |id| state.engine.emb.word(id).to_string();
    let par = CourtPar {
        mv: CourtMove {
            public_token: w(court.par.mv.public),
            public_sign: court.par.mv.public_sign,
            private_token: w(court.par.mv.private),
            private_sign: court.par.mv.private_sign,
        },
        similarity: court.par.similarity,
        rank: court.par.rank,
    };
    Ok(HttpResponse::Ok().json(ThrowResponse {
        scored: t.score.into(),
        par,
        of_par: t.of_par,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreeWord {
    pub word: String,
    /// `1` or `-1` (`"+"`/`"-"` also accepted)
    #[schema(value_type = i8, example = 1)]
    pub sign: SignInput,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreBody {
    pub start: String,
    pub target: String,
    /// 1–3 words, each with its sign.
    #[schema(min_items = 1, max_items = 3)]
    pub words: Vec<FreeWord>,
}

#[utoipa::path(post, path = "/score", tag = "practice", request_body = ScoreBody,
    responses((status = 200, body = schemas::MoveResult), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn score(state: State, body: input::Json<ScoreBody>) -> Result<HttpResponse, ApiError> {
    let words: Vec<(&str, i8)> = body
        .words
        .iter()
        .map(|w| (w.word.as_str(), w.sign.0.as_i8()))
        .collect();
    let started = std::time::Instant::now();
    let s = crate::words::free_throw(&state.engine, &body.start, &body.target, &words)?;
    state
        .metrics
        .observe_scoring(started.elapsed().as_secs_f64());
    Ok(HttpResponse::Ok().json(MoveResult::from(s)))
}
