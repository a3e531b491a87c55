//! The 2-D scene of the visualise endpoints: a move or a word and its neighbours, projected to
//! 2-D with [`super::projection::project`].
//!
//! Point types: `start`, `target`, `public`, `private` (the cards), `result` (the ball, a
//! vector and not a word: its `word` is the move written out, "king - man + woman"), `nearest`
//! (POST's `result_word`: the word a client says the ball landed on), `neighbor` (words the
//! HNSW index finds nearest the ball, else the start word, else the first word) and `word`
//! (words asked for by name). `intermediate_steps` is the move's path from the start word:
//! `start`, then `start ± public` (normalised), then the ball; each step with its label, its
//! coordinates in the same plane and, when there is a target, its cosine to the target. It is
//! empty when there is no move (no start word, or no card).

use super::{lookup, WordsError};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::index::NearestIndex;
use crate::scoring::{ball, CancelsOut, Term};
use crate::simd::exact_dot;
use serde::{Deserialize, Serialize};

/// Neighbours drawn when none are asked for.
pub const DEFAULT_NEIGHBORS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VizStep {
    /// The move so far, e.g. "king - man".
    pub label: String,
    pub x: f32,
    pub y: f32,
    /// Cosine to the target word, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Visualization {
    pub points: Vec<VizPoint>,
    pub intermediate_steps: Vec<VizStep>,
    /// The share of the variance of the points on each axis: two numbers in [0, 1], descending.
    pub variance_explained: [f32; 2],
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

fn sign_str(sign: i8) -> &'static str {
    if sign < 0 {
        "-"
    } else {
        "+"
    }
}

/// Look the scene's words up, make the move's ball and steps, find the neighbours and project
/// everything onto one plane.
pub fn draw(engine: &Engine, scene: &Scene) -> Result<Visualization, WordsError> {
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

    let steps = move_steps(engine, start, public, private)?;
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
        return Err(WordsError::Invalid {
            field: None,
            detail: "give at least one word to draw".into(),
        });
    }

    Ok(project(engine, &items, &steps, target, start, &words))
}

/// The throw's path: the start word, then each card in turn (normalised); the last step is the
/// ball. Empty when there is no card to throw.
fn move_steps(
    engine: &Engine,
    start: Option<WordId>,
    public: Option<(WordId, i8)>,
    private: Option<(WordId, i8)>,
) -> Result<Vec<(String, Vec<f32>)>, WordsError> {
    let emb = &engine.emb;
    let mut steps: Vec<(String, Vec<f32>)> = Vec::new();
    if let Some(s) = start {
        let mut terms = vec![Term { word: s, sign: 1 }];
        let mut label = emb.word(s).to_string();
        steps.push((label.clone(), emb.vector(s).to_vec()));
        for (card, sign) in [public, private].into_iter().flatten() {
            terms.push(Term { word: card, sign });
            label = format!("{label} {} {}", sign_str(sign), emb.word(card));
            let v = ball(emb, &terms).ok_or(CancelsOut)?;
            steps.push((label.clone(), v));
        }
        if steps.len() == 1 {
            steps.clear();
        }
    }
    Ok(steps)
}

/// Every item and the middle steps projected onto one plane, with their similarities to the
/// target (or, for a single word with its neighbours, to that word).
fn project(
    engine: &Engine,
    items: &[Item],
    steps: &[(String, Vec<f32>)],
    target: Option<WordId>,
    start: Option<WordId>,
    words: &[WordId],
) -> Visualization {
    let emb = &engine.emb;
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
    let p = super::projection::project(&rows, anchors);

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
    Visualization {
        points,
        intermediate_steps,
        variance_explained: p.variance_explained,
    }
}
