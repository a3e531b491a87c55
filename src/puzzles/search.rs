//! The exhaustive search for a puzzle's best moves.
//!
//! A move is `start ± a ± b` with two different cards. Its similarity depends only on the set
//! `{a, b}` and the signs, so each unordered pair is searched once (the listed card first in
//! `allowed_cards` order is the public card; with a wildcard, the listed card is the public
//! card and the deck word the private one). Every candidate is screened in closed form from
//! plain cosines,
//!
//! `cos(ball, t) = (s·t + σa a·t + σb b·t) / √(|s|² + |a|² + |b|² + 2(σa s·a + σb s·b + σa σb a·b))`,
//!
//! and the best [`SCREEN`] are rescored exactly as a move is scored
//! ([`crate::scoring::combine`] then [`crate::simd::exact_dot`]), so the similarities
//! reported here are the ones `score_move` returns for the same move.

use crate::embeddings::{Embeddings, WordId};
use crate::scoring::{combine, Term};
use crate::simd::exact_dot;
use std::cmp::Ordering;

/// How many screened candidates are rescored exactly.
pub const SCREEN: usize = 64;

/// One candidate move: cards `a` (public) and `b` (private) with their signs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub a: WordId,
    pub sign_a: i8,
    pub b: WordId,
    pub sign_b: i8,
    pub similarity: f32,
    /// Tie-break key: position of the pair in enumeration order.
    order: u64,
}

impl Found {
    pub fn terms(&self, start: WordId) -> [Term; 3] {
        crate::scoring::move_terms(start, (self.a, self.sign_a), (self.b, self.sign_b))
    }
}

/// Best first: higher similarity, then enumeration order.
fn best_first(x: &(f64, u64), y: &(f64, u64)) -> Ordering {
    y.0.total_cmp(&x.0).then(x.1.cmp(&y.1))
}

/// A screened candidate: (approximate similarity, enumeration order) and (a, σa, b, σb).
type Screened = ((f64, u64), (WordId, i8, WordId, i8));

/// Keeps the best `k` screened candidates without holding them all.
struct Screen {
    k: usize,
    floor: f64,
    items: Vec<Screened>,
}

impl Screen {
    fn new(k: usize) -> Screen {
        Screen {
            k,
            floor: f64::NEG_INFINITY,
            items: Vec::with_capacity(4 * k),
        }
    }

    #[inline]
    fn offer(&mut self, sim: f64, order: u64, mv: (WordId, i8, WordId, i8)) {
        if sim < self.floor {
            return;
        }
        self.items.push(((sim, order), mv));
        if self.items.len() >= 4 * self.k {
            self.trim();
        }
    }

    fn trim(&mut self) {
        if self.items.len() > self.k {
            self.items
                .select_nth_unstable_by(self.k - 1, |x, y| best_first(&x.0, &y.0));
            self.items.truncate(self.k);
            self.floor = self
                .items
                .iter()
                .map(|x| x.0 .0)
                .fold(f64::INFINITY, f64::min);
        }
    }
}

/// The inputs of a search: the start and target, the listed cards (near-synonyms of the
/// target already removed), and the wildcard words (empty without a wildcard).
pub struct SearchInput<'a> {
    pub start: WordId,
    pub target: WordId,
    pub cards: &'a [WordId],
    pub wildcard_words: &'a [WordId],
}

/// The result: the best `top` moves (exact similarities, best first) and how many distinct
/// moves there are.
pub struct SearchResult {
    pub best: Vec<Found>,
    pub moves: usize,
}

const SIGNS: [(i8, i8); 4] = [(1, 1), (1, -1), (-1, 1), (-1, -1)];

/// Search every move of `input` and return the best `top`.
pub fn search(emb: &Embeddings, input: &SearchInput<'_>, top: usize) -> SearchResult {
    let v = |id: WordId| emb.vector(id);
    let d = |a: WordId, b: WordId| exact_dot(v(a), v(b)) as f64;
    let (s, t) = (input.start, input.target);
    let st = d(s, t);
    let ss = d(s, s);
    let n = input.cards.len();
    let ct: Vec<f64> = input.cards.iter().map(|&c| d(c, t)).collect();
    let cs: Vec<f64> = input.cards.iter().map(|&c| d(c, s)).collect();
    let cc: Vec<f64> = input.cards.iter().map(|&c| d(c, c)).collect();

    let mut screen = Screen::new(SCREEN.max(top));
    let mut moves = 0usize;
    let mut order = 0u64;
    let eval = |screen: &mut Screen,
                order: &mut u64,
                a: (WordId, f64, f64, f64),
                b: (WordId, f64, f64, f64),
                ab: f64|
     -> usize {
        // a = (id, ·t, ·s, ·self)
        let mut valid = 0;
        for (sa, sb) in SIGNS {
            let (fa, fb) = (sa as f64, sb as f64);
            let n2 = ss + a.3 + b.3 + 2.0 * (fa * a.2 + fb * b.2 + fa * fb * ab);
            *order += 1;
            if n2 <= 1e-12 {
                continue;
            }
            let sim = (st + fa * a.1 + fb * b.1) / n2.sqrt();
            screen.offer(sim, *order, (a.0, sa, b.0, sb));
            valid += 1;
        }
        valid
    };
    for i in 0..n {
        for j in i + 1..n {
            let ab = d(input.cards[i], input.cards[j]);
            moves += eval(
                &mut screen,
                &mut order,
                (input.cards[i], ct[i], cs[i], cc[i]),
                (input.cards[j], ct[j], cs[j], cc[j]),
                ab,
            );
        }
    }
    for &w in input.wildcard_words {
        let wv = v(w);
        let wt = exact_dot(wv, v(t)) as f64;
        let ws = exact_dot(wv, v(s)) as f64;
        let ww = exact_dot(wv, wv) as f64;
        for i in 0..n {
            let ab = exact_dot(v(input.cards[i]), wv) as f64;
            moves += eval(
                &mut screen,
                &mut order,
                (input.cards[i], ct[i], cs[i], cc[i]),
                (w, wt, ws, ww),
                ab,
            );
        }
    }
    screen.trim();

    let target = emb.vector(t);
    let mut best: Vec<Found> = screen
        .items
        .into_iter()
        .filter_map(|((_, order), (a, sign_a, b, sign_b))| {
            let mut f = Found {
                a,
                sign_a,
                b,
                sign_b,
                similarity: 0.0,
                order,
            };
            let (ball, _) = combine(emb, &f.terms(s))?;
            f.similarity = exact_dot(&ball, target);
            Some(f)
        })
        .collect();
    best.sort_by(|x, y| {
        y.similarity
            .total_cmp(&x.similarity)
            .then(x.order.cmp(&y.order))
    });
    best.truncate(top);
    SearchResult { best, moves }
}
