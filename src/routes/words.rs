//! `POST /analogy` and `GET /test/analogies` (API.md "Words").

use super::limits::Class;
use super::{Limits, State};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::error::{ApiError, Code, ProblemDoc};
use crate::game::matches::not_in_vocabulary;
use crate::index::{Hit, NearestIndex};
use crate::scoring::{ball, Term};
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalogyBody {
    pub positive: Vec<String>,
    #[serde(default)]
    pub negative: Vec<String>,
    #[serde(default = "default_topn")]
    pub topn: usize,
    #[serde(default = "yes")]
    pub exclude_inputs: bool,
    #[serde(default)]
    pub exact: bool,
}

fn default_topn() -> usize {
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

const MAX_TERMS: usize = 10;

pub(crate) fn lookup(engine: &Engine, word: &str, field: String) -> Result<WordId, ApiError> {
    engine
        .emb
        .lookup(word)
        .ok_or_else(|| not_in_vocabulary(engine, &word.trim().to_lowercase(), field))
}

/// 3CosAdd: the words nearest `normalise(Σ positive − Σ negative)`.
pub fn solve(engine: &Engine, body: &AnalogyBody) -> Result<AnalogyResult, ApiError> {
    if body.positive.is_empty() {
        return Err(
            ApiError::new(Code::InvalidInput, "give at least one positive word").field("positive"),
        );
    }
    if body.positive.len() + body.negative.len() > MAX_TERMS {
        return Err(ApiError::new(
            Code::InvalidInput,
            format!("at most {MAX_TERMS} words in all"),
        )
        .field("positive"));
    }
    if !(1..=100).contains(&body.topn) {
        return Err(
            ApiError::new(Code::InvalidInput, "topn must be between 1 and 100").field("topn"),
        );
    }
    let signed = [
        ("positive", &body.positive, 1i8),
        ("negative", &body.negative, -1),
    ];
    let mut terms = Vec::new();
    for (field, words, sign) in signed {
        for (i, w) in words.iter().enumerate() {
            let word = lookup(engine, w, format!("{field}[{i}]"))?;
            terms.push(Term { word, sign });
        }
    }
    let q = ball(&engine.emb, &terms).ok_or_else(|| {
        ApiError::new(Code::InvalidInput, "the words cancel out").field("negative")
    })?;
    let inputs: Vec<WordId> = terms.iter().map(|t| t.word).collect();
    let skip =
        |id: WordId| (body.exclude_inputs && inputs.contains(&id)) || engine.emb.is_offensive(id);
    let hits: Vec<Hit> = if body.exact {
        engine.exact.top_k(&q, body.topn, &skip)
    } else {
        engine.hnsw.search(&q, body.topn, &skip, &inputs)
    };
    Ok(AnalogyResult {
        results: hits
            .iter()
            .map(|h| Scored {
                word: engine.emb.word(h.id).to_string(),
                similarity: h.sim,
            })
            .collect(),
        exact: body.exact,
    })
}

#[utoipa::path(post, path = "/analogy", tag = "words", request_body = AnalogyBody,
    responses((status = 200, body = AnalogyResult), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc)))]
async fn analogy(state: State, body: web::Json<AnalogyBody>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(solve(&state.engine, &body)?))
}

/// The classic checks: a − b + c should give `expected`.
pub const CLASSIC: &[(&str, &str, &str, &str)] = &[
    ("king", "man", "woman", "queen"),
    ("paris", "france", "germany", "berlin"),
    ("paris", "france", "italy", "rome"),
    ("tokyo", "japan", "china", "beijing"),
    ("man", "king", "queen", "woman"),
    ("brother", "man", "woman", "sister"),
    ("uncle", "man", "woman", "aunt"),
    ("walking", "walk", "swim", "swimming"),
    ("bigger", "big", "small", "smaller"),
    ("france", "paris", "london", "england"),
    ("good", "better", "bad", "worse"),
    ("husband", "man", "woman", "wife"),
];

#[utoipa::path(get, path = "/test/analogies", tag = "words", responses((status = 200, description = "summary and results of the classic checks")))]
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
