//! Scoring a move, as `docs/api.md` ("Scoring a move") defines it.
//!
//! `ball = normalise(start ± card ± card)`; `similarity = cos(ball, target)`; `rank` = 1 + the
//! words (outside the move's words and the target) closer to the ball than the target, exact
//! over the whole vocabulary; `nearest` = the word nearest the ball that is not a move word, a
//! near-copy of one, or offensive (the target is never skipped); `contributions` = each word's
//! share of the similarity.

use crate::embeddings::{Embeddings, WordId};
use crate::index::ExactIndex;
use crate::simd::exact_dot;
use serde::Serialize;

/// The words of a move cancel out: the ball has no direction, so the move has no score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the words of this move cancel out: pick other signs or cards")]
pub struct CancelsOut;

/// One word of a move with its sign (+1 or -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub word: WordId,
    pub sign: i8,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub word: String,
    pub sign: i8,
    pub share: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MoveScore {
    pub similarity: f32,
    pub rank: usize,
    pub nearest: String,
    pub nearest_sim: f32,
    pub contributions: Vec<Contribution>,
}

/// The terms of a move: `start + ps·public + qs·private`.
pub fn move_terms(start: WordId, public: (WordId, i8), private: (WordId, i8)) -> [Term; 3] {
    [
        Term {
            word: start,
            sign: 1,
        },
        Term {
            word: public.0,
            sign: public.1,
        },
        Term {
            word: private.0,
            sign: private.1,
        },
    ]
}

/// `Σ sign·v(word)` and its norm; `None` when the terms cancel out (a zero vector).
pub fn combine(emb: &Embeddings, terms: &[Term]) -> Option<(Vec<f32>, f32)> {
    let mut sum = vec![0f64; emb.dim()];
    for t in terms {
        for (s, &x) in sum.iter_mut().zip(emb.vector(t.word)) {
            *s += t.sign as f64 * x as f64;
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm.is_nan() || norm <= 1e-6 {
        return None;
    }
    Some((
        (sum.iter().map(|x| (x / norm) as f32).collect()),
        norm as f32,
    ))
}

/// The normalised ball of a move, or `None` if its words cancel out.
pub fn ball(emb: &Embeddings, terms: &[Term]) -> Option<Vec<f32>> {
    combine(emb, terms).map(|(b, _)| b)
}

/// Whether `a` and `b` are near-copies: one contains the other, or they share their first
/// five letters ("boat"/"boats", "explain"/"explained").
pub fn near_copy(a: &str, b: &str) -> bool {
    if a.contains(b) || b.contains(a) {
        return true;
    }
    let mut x = a.chars();
    let mut y = b.chars();
    for _ in 0..5 {
        match (x.next(), y.next()) {
            (Some(c), Some(d)) if c == d => {}
            _ => return false,
        }
    }
    true
}

/// Score a move of `terms` (start word first) against `target`.
#[tracing::instrument(level = "debug", skip_all)]
pub fn score_move(
    emb: &Embeddings,
    exact: &ExactIndex,
    terms: &[Term],
    target: WordId,
) -> Option<MoveScore> {
    let (ball, norm) = combine(emb, terms)?;
    let similarity = exact_dot(&ball, emb.vector(target));
    let move_words: Vec<WordId> = terms.iter().map(|t| t.word).collect();
    let move_strs: Vec<&str> = terms.iter().map(|t| emb.word(t.word)).collect();
    let skip = |id: WordId| {
        if id == target {
            return false;
        }
        let w = emb.word(id);
        move_words.contains(&id)
            || move_strs.iter().any(|m| near_copy(m, w))
            || emb.is_offensive(id)
    };
    // The rank's scan passes every word nearer the ball than the target: the nearest allowed
    // one is picked there, exactly; without one, the target is the nearest word.
    let (rank, nearer) = exact.rank_and_nearest(&ball, target, &move_words, &skip);
    let nearest = match nearer {
        Some(hit) if hit.sim > similarity => (hit.id, hit.sim),
        _ => (target, similarity),
    };
    let contributions = terms
        .iter()
        .map(|t| Contribution {
            word: emb.word(t.word).to_string(),
            sign: t.sign,
            share: t.sign as f32 * emb.cosine(t.word, target) / norm,
        })
        .collect();
    Some(MoveScore {
        similarity,
        rank,
        nearest: emb.word(nearest.0).to_string(),
        nearest_sim: nearest.1,
        contributions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_copies() {
        assert!(near_copy("boat", "boats"));
        assert!(near_copy("explain", "explained"));
        assert!(near_copy("running", "run"));
        assert!(near_copy("develop", "developer"));
        assert!(near_copy("national", "nationwide"));
        assert!(!near_copy("king", "queen"));
        assert!(!near_copy("paris", "party"));
        assert!(!near_copy("cat", "dog"));
    }
}
