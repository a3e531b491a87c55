//! The visualise endpoints (API.md "Words"): the query and body parsing; the scene itself is
//! [`crate::words::scene`].

use super::input;
use super::limits::Class;
use super::matches::SignInput;
use super::problem::{ApiError, Code, ProblemDoc};
use super::schemas;
use super::{Limits, State};
use crate::game::Sign;
use crate::words::scene::{draw, Scene, DEFAULT_NEIGHBORS};
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use validator::Validate;

pub fn configure(cfg: &mut web::ServiceConfig, limits: &Limits) {
    // One scope, so the three routes share the visualisation quota.
    cfg.service(
        web::scope("/visualize")
            .wrap(limits.class(Class::Visualize))
            .service(web::resource("").route(web::post().to(visualize_post)))
            .service(web::resource("/move/{start}/{target}").route(web::get().to(visualize_move)))
            .service(web::resource("/{word}").route(web::get().to(visualize_word))),
    );
}

#[derive(validator::Validate, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WordQuery {
    /// How many neighbours to draw, 0–50 (default 10).
    #[validate(range(
        min = 0,
        max = 50,
        message = "neighbors must be a whole number between 0 and 50"
    ))]
    #[param(minimum = 0, maximum = 50)]
    pub neighbors: Option<i64>,
}

#[derive(validator::Validate, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MoveQuery {
    pub public_word: Option<String>,
    pub private_word: Option<String>,
    /// `+` (default; `%2B` in a URL, a bare `+` reads as a space and also means plus) or `-`
    pub public_sign: Option<String>,
    pub private_sign: Option<String>,
    /// How many neighbours of the ball to draw, 0–50 (default 10).
    #[validate(range(
        min = 0,
        max = 50,
        message = "neighbors must be a whole number between 0 and 50"
    ))]
    #[param(minimum = 0, maximum = 50)]
    pub neighbors: Option<i64>,
}

#[derive(validator::Validate, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisualizeBody {
    /// Extra words to place, at most 64.
    #[serde(default)]
    #[validate(length(max = 64, message = "at most 64 words"))]
    pub words: Vec<String>,
    pub start_word: Option<String>,
    pub target_word: Option<String>,
    pub result_word: Option<String>,
    pub public_card: Option<String>,
    #[schema(value_type = Option<String>, example = "+")]
    pub public_sign: Option<SignInput>,
    pub private_card: Option<String>,
    #[schema(value_type = Option<String>, example = "-")]
    pub private_sign: Option<SignInput>,
    /// How many neighbours to draw, 0–50 (default 10).
    #[validate(range(
        min = 0,
        max = 50,
        message = "neighbors must be a whole number between 0 and 50"
    ))]
    #[schema(minimum = 0, maximum = 50)]
    pub neighbors: Option<i64>,
}

/// The neighbours asked for (already validated), or the default.
fn neighbors(n: Option<i64>) -> usize {
    n.map_or(DEFAULT_NEIGHBORS, |n| n as usize)
}

/// A sign from a query string: `+`, `1`, `+1` or nothing (a bare `+` in a URL decodes to a
/// space) is plus; `-` or `-1` is minus.
fn query_sign(raw: Option<&str>, field: &str) -> Result<i8, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(1),
        Some(s) => Sign::try_from(s)
            .map(Sign::as_i8)
            .map_err(|e| ApiError::new(Code::BadRequest, e).field(field)),
    }
}

#[utoipa::path(get, path = "/visualize/{word}", tag = "words",
    params(("word" = String, Path), WordQuery),
    responses((status = 200, body = schemas::Visualization), (status = 400, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn visualize_word(
    state: State,
    path: web::Path<String>,
    query: input::Query<WordQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let word = path.into_inner();
    let scene = Scene {
        words: vec![(word.as_str(), "word".into())],
        neighbors: neighbors(query.neighbors),
        ..Default::default()
    };
    Ok(HttpResponse::Ok().json(draw(&state.engine, &scene)?))
}

#[utoipa::path(get, path = "/visualize/move/{start}/{target}", tag = "words",
    params(("start" = String, Path), ("target" = String, Path), MoveQuery),
    responses((status = 200, body = schemas::Visualization), (status = 400, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn visualize_move(
    state: State,
    path: web::Path<(String, String)>,
    query: input::Query<MoveQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let (start, target) = path.into_inner();
    let q = query.into_inner();
    let card = |w: &Option<String>, field: &str, sign: &Option<String>, sign_field: &str| {
        w.as_ref()
            .map(|w| {
                Ok::<_, ApiError>((
                    w.clone(),
                    field.to_string(),
                    query_sign(sign.as_deref(), sign_field)?,
                ))
            })
            .transpose()
    };
    let public = card(&q.public_word, "public_word", &q.public_sign, "public_sign")?;
    let private = card(
        &q.private_word,
        "private_word",
        &q.private_sign,
        "private_sign",
    )?;
    let scene = Scene {
        start: Some((start.as_str(), "start".into())),
        target: Some((target.as_str(), "target".into())),
        public: public.as_ref().map(|(w, f, s)| (w.as_str(), f.clone(), *s)),
        private: private
            .as_ref()
            .map(|(w, f, s)| (w.as_str(), f.clone(), *s)),
        neighbors: neighbors(q.neighbors),
        ..Default::default()
    };
    Ok(HttpResponse::Ok().json(draw(&state.engine, &scene)?))
}

#[utoipa::path(post, path = "/visualize", tag = "words", request_body = VisualizeBody,
    responses((status = 200, body = schemas::Visualization), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn visualize_post(
    state: State,
    body: input::Json<VisualizeBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    b.validate()?;
    fn named<'a>(w: &'a Option<String>, field: &str) -> Option<(&'a str, String)> {
        w.as_deref().map(|w| (w, field.to_string()))
    }
    let sign = |s: Option<SignInput>| s.map_or(1, |s| s.0.as_i8());
    let scene = Scene {
        start: named(&b.start_word, "start_word"),
        target: named(&b.target_word, "target_word"),
        public: b
            .public_card
            .as_deref()
            .map(|w| (w, "public_card".to_string(), sign(b.public_sign))),
        private: b
            .private_card
            .as_deref()
            .map(|w| (w, "private_card".to_string(), sign(b.private_sign))),
        nearest: named(&b.result_word, "result_word"),
        words: b
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_str(), format!("words[{i}]")))
            .collect(),
        neighbors: neighbors(b.neighbors),
    };
    Ok(HttpResponse::Ok().json(draw(&state.engine, &scene)?))
}
