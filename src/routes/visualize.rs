//! The visualise endpoints (API.md "Words"): a move or a word and its neighbours, projected to
//! 2-D with [`crate::viz::project`].
//!
//! Point types: `start`, `target`, `public`, `private` (the cards), `result` (the ball, a
//! vector and not a word: its `word` is the move written out, "king - man + woman"), `nearest`
//! (POST's `result_word`: the word a client says the ball landed on), `neighbor` (words the
//! HNSW index finds nearest the ball, else the start word, else the first word) and `word`
//! (words asked for by name). `intermediate_steps` is the move's path from the start word:
//! `start`, then `start ± public` (normalised), then the ball; each step with its label, its
//! coordinates in the same plane and, when there is a target, its cosine to the target. It is
//! empty when there is no move (no start word, or no card).

use super::limits::Class;
use super::matches::Sign;
use super::words::lookup;
use super::{Limits, State};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::error::{ApiError, Code, ProblemDoc};
use crate::index::NearestIndex;
use crate::scoring::{ball, Term};
use crate::simd::exact_dot;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

/// At most this many words by name in one picture (POST's `words`).
pub const MAX_WORDS: usize = 64;
/// At most this many neighbours in one picture.
pub const MAX_NEIGHBORS: usize = 50;
const DEFAULT_NEIGHBORS: usize = 10;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PointType {
    Start,
    Target,
    Public,
    Private,
    Result,
    Nearest,
    Neighbor,
    Word,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VizPoint {
    pub word: String,
    pub x: f32,
    pub y: f32,
    #[serde(rename = "type")]
    pub kind: PointType,
    /// Cosine to the target word (to the word asked about, for `GET /visualize/{word}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VizStep {
    /// The move so far, e.g. "king - man".
    pub label: String,
    pub x: f32,
    pub y: f32,
    /// Cosine to the target word, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Visualization {
    pub points: Vec<VizPoint>,
    pub intermediate_steps: Vec<VizStep>,
    /// The share of the variance of the points on each axis: two numbers in [0, 1], descending.
    pub variance_explained: [f32; 2],
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WordQuery {
    /// How many neighbours to draw, 0–50 (default 10).
    pub neighbors: Option<usize>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MoveQuery {
    pub public_word: Option<String>,
    pub private_word: Option<String>,
    /// `+` (default; `%2B` in a URL, a bare `+` reads as a space and also means plus) or `-`
    pub public_sign: Option<String>,
    pub private_sign: Option<String>,
    /// How many neighbours of the ball to draw, 0–50 (default 10).
    pub neighbors: Option<usize>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisualizeBody {
    /// Extra words to place, at most 64.
    #[serde(default)]
    pub words: Vec<String>,
    pub start_word: Option<String>,
    pub target_word: Option<String>,
    pub result_word: Option<String>,
    pub public_card: Option<String>,
    #[schema(value_type = Option<String>, example = "+")]
    pub public_sign: Option<Sign>,
    pub private_card: Option<String>,
    #[schema(value_type = Option<String>, example = "-")]
    pub private_sign: Option<Sign>,
    /// How many neighbours to draw, 0–50 (default 10).
    pub neighbors: Option<usize>,
}

/// What to draw, by name; [`draw`] looks the words up.
#[derive(Default)]
pub struct Scene<'a> {
    /// `(input, field)` pairs, for errors that name the field at fault.
    pub start: Option<(&'a str, String)>,
    pub target: Option<(&'a str, String)>,
    pub public: Option<(&'a str, String, i8)>,
    pub private: Option<(&'a str, String, i8)>,
    pub nearest: Option<(&'a str, String)>,
    pub words: Vec<(&'a str, String)>,
    pub neighbors: usize,
}

struct Item {
    word: String,
    kind: PointType,
    id: Option<WordId>,
    vector: Vec<f32>,
}

fn check_neighbors(n: Option<usize>) -> Result<usize, ApiError> {
    let n = n.unwrap_or(DEFAULT_NEIGHBORS);
    if n > MAX_NEIGHBORS {
        return Err(ApiError::new(
            Code::InvalidInput,
            format!("neighbors must be between 0 and {MAX_NEIGHBORS}, not {n}"),
        )
        .field("neighbors"));
    }
    Ok(n)
}

/// A sign from a query string: `+`, `1`, `+1` or nothing (a bare `+` in a URL decodes to a
/// space) is plus; `-` or `-1` is minus.
fn query_sign(raw: Option<&str>, field: &str) -> Result<i8, ApiError> {
    match raw.map(str::trim) {
        None | Some("" | "+" | "1" | "+1") => Ok(1),
        Some("-" | "-1") => Ok(-1),
        Some(other) => Err(ApiError::new(
            Code::BadRequest,
            format!("a sign is \"+\" or \"-\", not \"{other}\""),
        )
        .field(field)),
    }
}

fn sign_str(sign: i8) -> &'static str {
    if sign < 0 {
        "-"
    } else {
        "+"
    }
}

/// Look the scene's words up, make the move's ball and steps, find the neighbours and project
/// everything onto one plane.
pub fn draw(engine: &Engine, scene: &Scene) -> Result<Visualization, ApiError> {
    let emb = &engine.emb;
    let find = |(w, field): &(&str, String)| lookup(engine, w, field.clone());
    let start = scene.start.as_ref().map(find).transpose()?;
    let target = scene.target.as_ref().map(find).transpose()?;
    let public = match &scene.public {
        Some((w, f, s)) => Some((lookup(engine, w, f.clone())?, *s)),
        None => None,
    };
    let private = match &scene.private {
        Some((w, f, s)) => Some((lookup(engine, w, f.clone())?, *s)),
        None => None,
    };
    let nearest = scene.nearest.as_ref().map(find).transpose()?;
    let words = scene
        .words
        .iter()
        .map(find)
        .collect::<Result<Vec<_>, _>>()?;

    let mut items: Vec<Item> = Vec::new();
    let add_word = |items: &mut Vec<Item>, id: WordId, kind: PointType| {
        if !items.iter().any(|it| it.id == Some(id)) {
            items.push(Item {
                word: emb.word(id).to_string(),
                kind,
                id: Some(id),
                vector: emb.vector(id).to_vec(),
            });
        }
    };
    let roles = [
        (start, PointType::Start),
        (target, PointType::Target),
        (public.map(|p| p.0), PointType::Public),
        (private.map(|p| p.0), PointType::Private),
        (nearest, PointType::Nearest),
    ];
    for (id, kind) in roles {
        if let Some(id) = id {
            add_word(&mut items, id, kind);
        }
    }
    for &id in &words {
        add_word(&mut items, id, PointType::Word);
    }

    // The move: start, then each card in turn; the last step is the ball.
    let mut steps: Vec<(String, Vec<f32>)> = Vec::new();
    if let Some(s) = start {
        let mut terms = vec![Term { word: s, sign: 1 }];
        let mut label = emb.word(s).to_string();
        steps.push((label.clone(), emb.vector(s).to_vec()));
        for (card, sign) in [public, private].into_iter().flatten() {
            terms.push(Term { word: card, sign });
            label = format!("{label} {} {}", sign_str(sign), emb.word(card));
            let v = ball(emb, &terms).ok_or_else(|| {
                ApiError::new(
                    Code::InvalidInput,
                    format!("'{label}' cancels out: there is nothing to draw"),
                )
            })?;
            steps.push((label.clone(), v));
        }
        if steps.len() == 1 {
            steps.clear();
        }
    }
    let ball_vec = steps.last().map(|(label, v)| (label.clone(), v.clone()));
    if let Some((label, v)) = &ball_vec {
        items.push(Item {
            word: label.clone(),
            kind: PointType::Result,
            id: None,
            vector: v.clone(),
        });
    }

    // Neighbours of the ball, else of the start word, else of the first word.
    let centre: Option<Vec<f32>> = ball_vec
        .as_ref()
        .map(|(_, v)| v.clone())
        .or_else(|| start.map(|s| emb.vector(s).to_vec()))
        .or_else(|| {
            items
                .iter()
                .find(|it| it.id.is_some())
                .map(|it| it.vector.clone())
        });
    if let Some(c) = centre.filter(|_| scene.neighbors > 0) {
        let taken: Vec<WordId> = items.iter().filter_map(|it| it.id).collect();
        let skip = |id: WordId| taken.contains(&id) || emb.is_offensive(id);
        for hit in engine.hnsw.search(&c, scene.neighbors, &skip, &taken) {
            add_word(&mut items, hit.id, PointType::Neighbor);
        }
    }
    if items.is_empty() {
        return Err(ApiError::new(
            Code::InvalidInput,
            "give at least one word to draw",
        ));
    }

    // Similarities: to the target, or (a single word with neighbours) to that word.
    let reference: Option<Vec<f32>> = target
        .map(|t| emb.vector(t).to_vec())
        .or_else(|| (start.is_none() && words.len() == 1).then(|| emb.vector(words[0]).to_vec()));
    let sim = |v: &[f32]| reference.as_ref().map(|r| exact_dot(r, v));

    // One plane for the points and the middle steps (the first and last steps are points).
    let mut rows: Vec<&[f32]> = items.iter().map(|it| it.vector.as_slice()).collect();
    let middle = if steps.len() > 2 {
        &steps[1..steps.len() - 1]
    } else {
        &[][..]
    };
    rows.extend(middle.iter().map(|(_, v)| v.as_slice()));
    let anchor = |k: PointType| items.iter().position(|it| it.kind == k);
    let anchors = anchor(PointType::Start).zip(anchor(PointType::Target));
    let p = crate::viz::project(&rows, anchors);

    let points: Vec<VizPoint> = items
        .iter()
        .zip(&p.coords)
        .map(|(it, &(x, y))| VizPoint {
            word: it.word.clone(),
            x,
            y,
            kind: it.kind,
            similarity: sim(&it.vector),
        })
        .collect();
    let n_items = items.len();
    let intermediate_steps = steps
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let (x, y) = if i == 0 {
                p.coords[anchor(PointType::Start).unwrap_or(0)]
            } else if i == steps.len() - 1 {
                p.coords[anchor(PointType::Result).unwrap_or(0)]
            } else {
                p.coords[n_items + i - 1]
            };
            VizStep {
                label: label.clone(),
                x,
                y,
                similarity: sim(v),
            }
        })
        .collect();
    Ok(Visualization {
        points,
        intermediate_steps,
        variance_explained: p.variance_explained,
    })
}

#[utoipa::path(get, path = "/visualize/{word}", tag = "words",
    params(("word" = String, Path), WordQuery),
    responses((status = 200, body = Visualization), (status = 400, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
async fn visualize_word(
    state: State,
    path: web::Path<String>,
    query: web::Query<WordQuery>,
) -> Result<HttpResponse, ApiError> {
    let word = path.into_inner();
    let scene = Scene {
        words: vec![(word.as_str(), "word".into())],
        neighbors: check_neighbors(query.neighbors)?,
        ..Default::default()
    };
    Ok(HttpResponse::Ok().json(draw(&state.engine, &scene)?))
}

#[utoipa::path(get, path = "/visualize/move/{start}/{target}", tag = "words",
    params(("start" = String, Path), ("target" = String, Path), MoveQuery),
    responses((status = 200, body = Visualization), (status = 400, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
async fn visualize_move(
    state: State,
    path: web::Path<(String, String)>,
    query: web::Query<MoveQuery>,
) -> Result<HttpResponse, ApiError> {
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
        neighbors: check_neighbors(q.neighbors)?,
        ..Default::default()
    };
    Ok(HttpResponse::Ok().json(draw(&state.engine, &scene)?))
}

#[utoipa::path(post, path = "/visualize", tag = "words", request_body = VisualizeBody,
    responses((status = 200, body = Visualization), (status = 400, body = ProblemDoc), (status = 413, body = ProblemDoc), (status = 422, body = ProblemDoc), (status = 429, body = ProblemDoc)))]
async fn visualize_post(
    state: State,
    body: web::Json<VisualizeBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    if b.words.len() > MAX_WORDS {
        return Err(ApiError::new(
            Code::InvalidInput,
            format!("at most {MAX_WORDS} words, not {}", b.words.len()),
        )
        .field("words"));
    }
    fn named<'a>(w: &'a Option<String>, field: &str) -> Option<(&'a str, String)> {
        w.as_deref().map(|w| (w, field.to_string()))
    }
    let sign = |s: Option<Sign>| s.map_or(1, |s| s.0);
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
        neighbors: check_neighbors(b.neighbors)?,
    };
    Ok(HttpResponse::Ok().json(draw(&state.engine, &scene)?))
}
