//! The puzzle contract (API.md "Puzzles"): the catalogue, solving, giving up, the daily
//! puzzle, profiles and leaderboards.

use super::input;
use super::limits::Class;
use super::matches::SignInput;
use super::schemas;
use super::{bearer_hash, Limits, State};
use crate::game::deal::Difficulty;
use crate::game::ContributionView;
use crate::game::Name;
use crate::puzzles::daily;
use crate::puzzles::play::{progress, share_text, Verdict};
use crate::puzzles::{LoadedPuzzle, PuzzleMove, StarThresholds};
use crate::routes::problem::{ApiError, Code, ProblemDoc};
use crate::store::progress::{Attempt, DailyStats, PracticeStats};
use crate::tokens::{hash_token, new_id, new_token};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

/// Leaderboard lines returned by default, and at most.
pub const LEADERBOARD_DEFAULT: u32 = 10;

pub fn configure(cfg: &mut web::ServiceConfig, limits: &Limits) {
    cfg.service(web::resource("/puzzles").route(web::get().to(list)))
        .service(web::resource("/puzzles/daily").route(web::get().to(daily)))
        .service(web::resource("/puzzle/{id}").route(web::get().to(get_puzzle)))
        .service(
            web::resource("/puzzle/{id}/solve")
                .route(web::post().to(solve))
                .wrap(limits.class(Class::Solve)),
        )
        .service(web::resource("/puzzle/{id}/give-up").route(web::post().to(give_up)))
        .service(web::resource("/puzzle/{id}/leaderboard").route(web::get().to(leaderboard)))
        .service(
            web::resource("/players")
                .route(web::post().to(create_player))
                .wrap(limits.class(Class::Join)),
        )
        .service(web::resource("/players/me").route(web::get().to(me)));
}

/// A puzzle in the list.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PuzzleSummary {
    pub id: String,
    #[schema(value_type = schemas::Difficulty)]
    pub difficulty: Difficulty,
    pub name: String,
    pub description: String,
    pub start_word: String,
    pub target_word: String,
}

impl From<&LoadedPuzzle> for PuzzleSummary {
    fn from(p: &LoadedPuzzle) -> Self {
        PuzzleSummary {
            id: p.id.clone(),
            difficulty: p.difficulty,
            name: p.name.clone(),
            description: p.description.clone(),
            start_word: p.start_word.clone(),
            target_word: p.target_word.clone(),
        }
    }
}

/// A puzzle with everything needed to play it (but not its answer).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PuzzleDetail {
    #[serde(flatten)]
    pub summary: PuzzleSummary,
    /// The cards a move may use (near-synonyms of the target, cosine > 0.85, removed).
    pub allowed_cards: Vec<String>,
    /// Whether one of the two cards may be any common word.
    pub has_wildcard: bool,
    pub hint: String,
    #[schema(value_type = Object, example = json!({"1": 0.62, "2": 0.7, "3": 0.75}))]
    pub stars_thresholds: StarThresholds,
    pub win_threshold: f32,
    pub optimal_similarity: f32,
    /// `cos(start, target)`: where a player begins.
    pub start_similarity: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_vocab: Option<Vec<String>>,
    /// The UTC date (`YYYY-MM-DD`) it is the puzzle of (only from `/puzzles/daily`).
    #[schema(example = "2026-12-04")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

impl From<&LoadedPuzzle> for PuzzleDetail {
    fn from(p: &LoadedPuzzle) -> Self {
        PuzzleDetail {
            summary: p.into(),
            allowed_cards: p.allowed_cards.clone(),
            has_wildcard: p.has_wildcard,
            hint: p.hint.clone(),
            stars_thresholds: p.stars_thresholds,
            win_threshold: p.win_threshold,
            optimal_similarity: p.optimal_similarity,
            start_similarity: p.start_similarity,
            domain_vocab: p.domain_vocab.clone(),
            date: None,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolveBody {
    pub public_token: String,
    /// `1` or `-1` (`"+"`/`"-"` also accepted, as in matches)
    #[schema(value_type = i8, example = 1)]
    pub public_sign: SignInput,
    pub private_token: String,
    #[schema(value_type = i8, example = -1)]
    pub private_sign: SignInput,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SolveResponse {
    pub similarity: f32,
    /// Exact rank of the target around the ball (1: the ball landed on it).
    pub rank: usize,
    #[schema(value_type = schemas::Tier)]
    pub tier: crate::scoring::Tier,
    #[schema(value_type = Vec<schemas::ContributionView>)]
    pub contributions: Vec<ContributionView>,
    /// The word nearest the ball, other than the move's words and their near-copies.
    pub nearest_word: String,
    /// 0–3.
    pub stars: u8,
    pub passed: bool,
    pub win_threshold: f32,
    /// How far the move went from the start word's similarity (0) to the optimum (1).
    pub progress: f32,
    /// `similarity − start_similarity`.
    pub improvement: f32,
    pub start_similarity: f32,
    pub optimal_similarity: f32,
    pub public_used: String,
    pub private_used: String,
    pub public_sign: i8,
    pub private_sign: i8,
    /// Only once the attempt passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schemas::PuzzleMove>)]
    pub best_move: Option<PuzzleMove>,
    /// The top 20 moves, best first; only once the attempt passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<schemas::PuzzleMove>>)]
    pub all_moves: Option<Vec<PuzzleMove>>,
    /// Whether the attempt was stored for the profile whose token came with it.
    pub progress_saved: bool,
    /// Puzzle name, stars and similarity: nothing from the answer.
    pub share_text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GiveUpResponse {
    pub puzzle_id: String,
    #[schema(value_type = schemas::PuzzleMove)]
    pub best_move: PuzzleMove,
    #[schema(value_type = Vec<schemas::PuzzleMove>)]
    pub all_moves: Vec<PuzzleMove>,
    pub optimal_similarity: f32,
    /// Whether the give-up was recorded for the profile whose token came with it.
    pub progress_saved: bool,
    /// Puzzle name, the player's best stars and similarity (with a token) and "gave up":
    /// nothing from the answer.
    pub share_text: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlayerBody {
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewPlayer {
    pub player_id: String,
    pub name: String,
    /// The profile token: shown once, send it as `Authorization: Bearer …`.
    pub token: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PuzzleProgressView {
    pub puzzle_id: String,
    /// `null` when the puzzle was only given up.
    pub best_similarity: Option<f32>,
    pub stars: u8,
    pub attempts: u32,
    /// When the puzzle was first passed (Unix seconds); `null` if never.
    pub first_solved_at: Option<i64>,
    pub gave_up: bool,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Me {
    pub player_id: String,
    pub name: String,
    pub total_stars: u32,
    /// Puzzles passed.
    pub solved: u32,
    /// Attempts over every puzzle.
    pub attempts: u32,
    /// Consecutive UTC days, ending today or yesterday, with a passing solve of that day's
    /// daily puzzle (made on that day).
    pub streak: u32,
    /// The longest such run.
    pub best_streak: u32,
    /// UTC days with any attempt at that day's daily puzzle.
    pub days_played: u32,
    pub practice: PracticeView,
    pub puzzles: Vec<PuzzleProgressView>,
}

/// Practice courts thrown on with this profile's token.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PracticeView {
    /// Distinct courts thrown on.
    pub courts: u32,
    /// Every throw.
    pub throws: u32,
    /// The mean over courts of the best `of_par` on each; 0 with no throws.
    pub best_of_par_mean: f64,
}

impl From<PracticeStats> for PracticeView {
    fn from(p: PracticeStats) -> Self {
        PracticeView {
            courts: p.courts,
            throws: p.throws,
            best_of_par_mean: p.best_of_par_mean,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeaderboardEntry {
    pub player_name: String,
    /// The best similarity the player found before the answer was shown to them.
    pub best_similarity: f32,
    pub stars: u8,
    /// When they reached it (Unix seconds).
    pub solved_at: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `easy`, `medium` or `hard`
    #[param(value_type = Option<schemas::Difficulty>)]
    pub difficulty: Option<Difficulty>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// A UTC date `YYYY-MM-DD`, from the first day of the rotation (2026-11-23) to today;
    /// default today.
    #[param(example = "2026-12-01")]
    pub date: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// 1–100, default 10
    #[validate(range(
        min = 1,
        max = 100,
        message = "limit must be a whole number between 1 and 100"
    ))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The hash of the profile token if the request has an `Authorization` header (401
/// `missing_token` if that header holds no bearer token); `None` without one.
pub(crate) fn optional_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        bearer_hash(req).map(Some)
    } else {
        Ok(None)
    }
}

pub(crate) fn invalid_profile_token() -> ApiError {
    ApiError::new(
        Code::InvalidToken,
        "that is not a puzzle profile token (create one with POST /players)",
    )
}

#[utoipa::path(get, path = "/puzzles", tag = "puzzles", params(ListQuery),
    responses((status = 200, body = [PuzzleSummary]), (status = 400, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn list(state: State, q: input::Query<ListQuery>) -> HttpResponse {
    let list: Vec<PuzzleSummary> = state
        .puzzles
        .catalogue()
        .list(q.difficulty)
        .into_iter()
        .map(PuzzleSummary::from)
        .collect();
    HttpResponse::Ok().json(list)
}

#[utoipa::path(get, path = "/puzzles/daily", tag = "puzzles", params(DailyQuery),
    responses((status = 200, body = PuzzleDetail), (status = 400, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 422, description = "`date` is not a date, is before the first day of the rotation, or is still to come", body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn daily(state: State, q: input::Query<DailyQuery>) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let day = match &q.date {
        Some(date) => daily::archive_day(date, now)?,
        None => daily::day_of(now),
    };
    let p = state
        .puzzles
        .catalogue()
        .daily_on(day)
        .ok_or_else(|| ApiError::new(Code::UnknownPuzzle, "the puzzle catalogue is empty"))?;
    let mut view = PuzzleDetail::from(p);
    view.date = Some(daily::format_day(day));
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(get, path = "/puzzle/{id}", tag = "puzzles", params(("id" = String, Path)),
    responses((status = 200, body = PuzzleDetail), (status = 404, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn get_puzzle(state: State, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let p = state.puzzles.get(&path)?;
    Ok(HttpResponse::Ok().json(PuzzleDetail::from(p)))
}

#[utoipa::path(post, path = "/puzzle/{id}/solve", tag = "puzzles", params(("id" = String, Path)),
    request_body = SolveBody, security((), ("bearer" = [])),
    responses((status = 200, body = SolveResponse), (status = 400, body = ProblemDoc), (status = 401, body = ProblemDoc), (status = 413, body = ProblemDoc),
        (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc),
        (status = 503, description = "a token came with the solve and the progress store is down", body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn solve(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: input::Json<SolveBody>,
) -> Result<HttpResponse, ApiError> {
    let token = optional_token(&req)?;
    let puzzles = &state.puzzles;
    let p = puzzles.get(&path)?;
    let mv = puzzles.check(
        &state.engine,
        p,
        &body.public_token,
        body.public_sign.0.as_i8(),
        &body.private_token,
        body.private_sign.0.as_i8(),
    )?;
    let clock = std::time::Instant::now();
    let score = puzzles.score(&state.engine, p, mv)?;
    state.metrics.observe_scoring(clock.elapsed().as_secs_f64());
    let emb = &state.engine.emb;
    let (public_used, private_used) = (emb.word(mv.public), emb.word(mv.private));
    let similarity = score.similarity;
    let stars = p.stars(similarity);
    let passed = p.passed(similarity);
    let progress_saved = match token {
        None => false,
        Some(hash) => {
            // One reading of the clock: the day it counts for is the day it is stored on.
            let at_ms = state.clock.now_ms();
            let attempt = Attempt {
                puzzle_id: &p.id,
                public_card: public_used,
                public_sign: mv.public_sign,
                private_card: private_used,
                private_sign: mv.private_sign,
                similarity,
                stars,
                passed,
                at_ms,
                daily_day: puzzles
                    .catalogue()
                    .daily_day(&p.id, at_ms.max(0) as u64 / 1000),
            };
            state
                .progress
                .record(&hash, &attempt)
                .await?
                .ok_or_else(invalid_profile_token)?;
            true
        }
    };
    state.metrics.puzzle_solved(stars);
    Ok(HttpResponse::Ok().json(SolveResponse {
        similarity,
        rank: score.rank,
        tier: score.tier,
        contributions: score
            .contributions
            .iter()
            .cloned()
            .map(Into::into)
            .collect(),
        nearest_word: score.nearest.clone(),
        stars,
        passed,
        win_threshold: p.win_threshold,
        progress: progress(p, similarity),
        improvement: similarity - p.start_similarity,
        start_similarity: p.start_similarity,
        optimal_similarity: p.optimal_similarity,
        public_used: public_used.to_string(),
        private_used: private_used.to_string(),
        public_sign: mv.public_sign,
        private_sign: mv.private_sign,
        best_move: passed.then(|| p.best_move.clone()),
        all_moves: passed.then(|| p.all_moves.clone()),
        progress_saved,
        share_text: share_text(
            p,
            stars,
            Some(similarity),
            if passed {
                Verdict::Solved
            } else {
                Verdict::NotSolvedYet
            },
        ),
    }))
}

#[utoipa::path(post, path = "/puzzle/{id}/give-up", tag = "puzzles", params(("id" = String, Path)),
    security((), ("bearer" = [])),
    responses((status = 200, body = GiveUpResponse), (status = 401, body = ProblemDoc), (status = 404, body = ProblemDoc),
        (status = 503, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn give_up(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = optional_token(&req)?;
    let p = state.puzzles.get(&path)?;
    let best = match token {
        None => None,
        Some(hash) => Some(
            state
                .progress
                .give_up(&hash, &p.id, state.clock.now_ms())
                .await?
                .ok_or_else(invalid_profile_token)?,
        ),
    };
    let (stars, similarity) = best.map_or((0, None), |b| (b.stars, b.best_similarity));
    Ok(HttpResponse::Ok().json(GiveUpResponse {
        puzzle_id: p.id.clone(),
        best_move: p.best_move.clone(),
        all_moves: p.all_moves.clone(),
        optimal_similarity: p.optimal_similarity,
        progress_saved: best.is_some(),
        share_text: share_text(p, stars, similarity, Verdict::GaveUp),
    }))
}

#[utoipa::path(get, path = "/puzzle/{id}/leaderboard", tag = "puzzles", params(("id" = String, Path), LeaderboardQuery),
    responses((status = 200, body = [LeaderboardEntry]), (status = 404, body = ProblemDoc), (status = 422, body = ProblemDoc),
        (status = 503, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn leaderboard(
    state: State,
    path: web::Path<String>,
    q: input::Query<LeaderboardQuery>,
) -> Result<HttpResponse, ApiError> {
    let p = state.puzzles.get(&path)?;
    validator::Validate::validate(&*q)?;
    let limit = q.limit.map_or(LEADERBOARD_DEFAULT, |n| n as u32);
    let rows = state.progress.leaderboard(&p.id, limit).await?;
    let entries: Vec<LeaderboardEntry> = rows
        .into_iter()
        .map(|r| LeaderboardEntry {
            stars: p.stars(r.similarity),
            player_name: r.player_name,
            best_similarity: r.similarity,
            solved_at: r.solved_at_ms / 1000,
        })
        .collect();
    Ok(HttpResponse::Ok().json(entries))
}

#[utoipa::path(post, path = "/players", tag = "puzzles", request_body = NewPlayerBody,
    responses((status = 201, body = NewPlayer), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc),
        (status = 429, body = ProblemDoc), (status = 503, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn create_player(
    state: State,
    body: input::Json<NewPlayerBody>,
) -> Result<HttpResponse, ApiError> {
    let name = Name::parse(&body.name, "name")?.into_string();
    let token = new_token();
    let id = new_id("u");
    state
        .progress
        .create_player(&id, &name, &hash_token(&token), state.clock.now_ms())
        .await?;
    Ok(HttpResponse::Created().json(NewPlayer {
        player_id: id,
        name,
        token,
    }))
}

#[utoipa::path(get, path = "/players/me", tag = "puzzles", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ProblemDoc), (status = 503, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn me(state: State, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let hash = bearer_hash(&req)?;
    let player = state
        .progress
        .player(&hash)
        .await?
        .ok_or_else(invalid_profile_token)?;
    let rows = state.progress.progress(&player.id).await?;
    let today = daily::day_of(state.clock.now());
    let (
        DailyStats {
            streak,
            best_streak,
            days_played,
        },
        practice,
    ) = state.progress.stats(&player.id, today).await?;
    let puzzles: Vec<PuzzleProgressView> = rows
        .into_iter()
        .map(|r| PuzzleProgressView {
            puzzle_id: r.puzzle_id,
            best_similarity: r.best_similarity,
            stars: r.stars,
            attempts: r.attempts,
            first_solved_at: r.first_solved_at_ms.map(|ms| ms / 1000),
            gave_up: r.gave_up,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Me {
        player_id: player.id,
        name: player.name,
        total_stars: puzzles.iter().map(|p| p.stars as u32).sum(),
        solved: puzzles
            .iter()
            .filter(|p| p.first_solved_at.is_some())
            .count() as u32,
        attempts: puzzles.iter().map(|p| p.attempts).sum(),
        streak,
        best_streak,
        days_played,
        practice: practice.into(),
        puzzles,
    }))
}
