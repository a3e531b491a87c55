//! 3CosAdd: the words nearest `normalise(Σ positive − Σ negative)`, exactly (every word) or
//! through the HNSW index.

use super::{lookup, WordsError};
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::index::{Hit, NearestIndex};
use crate::scoring::{ball, CancelsOut, Term};

/// At most this many words in one query.
pub const MAX_TERMS: usize = 10;

/// An analogy query (`topn` is taken as given: the HTTP edge keeps it within 1–100).
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub positive: &'a [String],
    pub negative: &'a [String],
    pub topn: usize,
    pub exclude_inputs: bool,
    pub exact: bool,
}

/// A word and its cosine to the query's vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub word: String,
    pub similarity: f32,
}

/// The `topn` words nearest the query's vector (never an offensive word; never an input word
/// when `exclude_inputs`).
pub fn solve(engine: &Engine, q: &Query) -> Result<Vec<Answer>, WordsError> {
    if q.positive.is_empty() {
        return Err(WordsError::invalid(
            "positive",
            "give at least one positive word",
        ));
    }
    if q.positive.len() + q.negative.len() > MAX_TERMS {
        return Err(WordsError::invalid(
            "positive",
            format!("at most {MAX_TERMS} words in all"),
        ));
    }
    let signed = [("positive", q.positive, 1i8), ("negative", q.negative, -1)];
    let mut terms = Vec::new();
    for (field, words, sign) in signed {
        for (i, w) in words.iter().enumerate() {
            let word = lookup(engine, w, format!("{field}[{i}]"))?;
            terms.push(Term { word, sign });
        }
    }
    let v = ball(&engine.emb, &terms).ok_or(CancelsOut)?;
    let inputs: Vec<WordId> = terms.iter().map(|t| t.word).collect();
    let skip =
        |id: WordId| (q.exclude_inputs && inputs.contains(&id)) || engine.emb.is_offensive(id);
    let hits: Vec<Hit> = if q.exact {
        engine.exact.top_k(&v, q.topn, &skip)
    } else {
        engine.hnsw.search(&v, q.topn, &skip, &inputs)
    };
    Ok(hits
        .iter()
        .map(|h| Answer {
            word: engine.emb.word(h.id).to_string(),
            similarity: h.sim,
        })
        .collect())
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
