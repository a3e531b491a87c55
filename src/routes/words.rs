//! `POST /analogy` and `GET /test/analogies` (API.md "Words").

use super::input;
use super::limits::Class;
use super::problem::{ApiError, ProblemDoc};
use super::{Limits, State};
use crate::engine::Engine;
use crate::words::analogy::{self, CLASSIC};
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig, limits: &Limits) {
    cfg.service(
        web::resource("/analogy")
            .route(web::post().to(analogy))
            .wrap(limits.class(Class::Visualize)),
    )
    .service(web::resource("/test/analogies").route(web::get().to(test_analogies)));
}

#[derive(Deserialize, utoipa::ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct AnalogyBody {
    pub positive: Vec<String>,
    #[serde(default)]
    pub negative: Vec<String>,
    /// How many answers, 1–100 (default 10).
    #[serde(default = "default_topn")]
    #[validate(range(
        min = 1,
        max = 100,
        message = "topn must be a whole number between 1 and 100"
    ))]
    #[schema(minimum = 1, maximum = 100)]
    pub topn: i64,
    #[serde(default = "yes")]
    pub exclude_inputs: bool,
    #[serde(default)]
    pub exact: bool,
}

fn default_topn() -> i64 {
    10
}

fn yes() -> bool {
    true
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, utoipa::ToSchema)]
pub struct Scored {
    pub word: String,
    pub similarity: f32,
}

#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnalogyResult {
    pub results: Vec<Scored>,
    pub exact: bool,
}

impl AnalogyBody {
    fn query(&self) -> analogy::Query<'_> {
        analogy::Query {
            positive: &self.positive,
            negative: &self.negative,
            topn: self.topn as usize,
            exclude_inputs: self.exclude_inputs,
            exact: self.exact,
        }
    }
}

/// 3CosAdd (see [`analogy::solve`]).
pub fn solve(engine: &Engine, body: &AnalogyBody) -> Result<AnalogyResult, ApiError> {
    validator::Validate::validate(body)?;
    let answers = analogy::solve(engine, &body.query())?;
    Ok(AnalogyResult {
        results: answers
            .into_iter()
            .map(|a| Scored {
                word: a.word,
                similarity: a.similarity,
            })
            .collect(),
        exact: body.exact,
    })
}

#[utoipa::path(post, path = "/analogy", tag = "words", request_body = AnalogyBody,
    responses((status = 200, body = AnalogyResult), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
#[tracing::instrument(level = "debug", skip_all)]
async fn analogy(state: State, body: input::Json<AnalogyBody>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(solve(&state.engine, &body)?))
}

#[utoipa::path(get, path = "/test/analogies", tag = "words", responses((status = 200, description = "summary and results of the classic checks")))]
#[tracing::instrument(level = "debug", skip_all)]
async fn test_analogies(state: State) -> Result<HttpResponse, ApiError> {
    let engine = &state.engine;
    let mut results = Vec::new();
    let (mut rank1, mut top3) = (0, 0);
    for &(a, b, c, expected) in CLASSIC {
        let body = AnalogyBody {
            positive: vec![a.into(), c.into()],
            negative: vec![b.into()],
            topn: 3,
            exclude_inputs: true,
            exact: true,
        };
        let got = solve(engine, &body)?;
        let words: Vec<String> = got.results.iter().map(|s| s.word.clone()).collect();
        let is1 = words.first().map(String::as_str) == Some(expected);
        let is3 = words.iter().any(|w| w == expected);
        rank1 += is1 as usize;
        top3 += is3 as usize;
        results.push(serde_json::json!({
            "query": format!("{a} - {b} + {c}"),
            "expected": expected,
            "top_3": got.results,
            "rank_1": is1,
            "in_top_3": is3,
        }));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "summary": {"total_tests": CLASSIC.len(), "rank_1": rank1, "top_3": top3},
        "results": results,
    })))
}
