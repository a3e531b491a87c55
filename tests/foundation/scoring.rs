//! Scoring a move: similarity, rank, nearest word and contributions, checked against
//! definitions computed independently here.

use crate::common::{engine, id_of, reference_rank, reference_sims, reference_top};
use word_bocce::embeddings::deck::is_offensive;
use word_bocce::embeddings::WordId;
use word_bocce::eval::move_queries;
use word_bocce::scoring::{ball, near_copy, score_move, Term};
use word_bocce::simd::exact_dot;

/// `Σ sign·v` in f64 and its norm.
fn sum_and_norm(terms: &[Term]) -> (Vec<f64>, f64) {
    let emb = &engine().emb;
    let mut sum = vec![0f64; emb.dim()];
    for t in terms {
        for (s, &x) in sum.iter_mut().zip(emb.vector(t.word)) {
            *s += f64::from(t.sign) * f64::from(x);
        }
    }
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    (sum, norm)
}

fn cos64(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum()
}

/// The nearest allowed word by definition: not a move word, not a near-copy of one, not
/// offensive, unless it is the target.
fn allowed(word: WordId, terms: &[Term], target: WordId) -> bool {
    let emb = &engine().emb;
    if word == target {
        return true;
    }
    let w = emb.word(word);
    !terms.iter().any(|t| t.word == word)
        && !terms.iter().any(|t| near_copy(emb.word(t.word), w))
        && !is_offensive(w)
}

#[test]
fn score_move_matches_its_definition() {
    let e = engine();
    let emb = &e.emb;
    let queries = move_queries(emb, &e.deck, 400, 0x5c0e);
    let mut nearest_checked = 0usize;
    let mut rank_one = 0usize;
    for (i, q) in queries.iter().enumerate() {
        // Moves of three terms, and of two (start ± one card).
        let terms: &[Term] = if i % 4 == 3 { &q.terms[..2] } else { &q.terms };
        let target = q.target;
        let s = score_move(emb, &e.exact, terms, target).expect("a scorable move");
        let ctx = format!(
            "query {i}: {:?} -> '{}'",
            terms
                .iter()
                .map(|t| (t.sign, emb.word(t.word)))
                .collect::<Vec<_>>(),
            emb.word(target)
        );

        // The ball, computed independently.
        let (sum, norm) = sum_and_norm(terms);
        let b: Vec<f32> = sum.iter().map(|x| (x / norm) as f32).collect();
        let lib_ball = ball(emb, terms).expect("ball");
        assert!(
            b.iter().zip(&lib_ball).all(|(x, y)| (x - y).abs() <= 1e-6),
            "{ctx}: ball differs"
        );

        // similarity = exact cosine of ball and target.
        let sim = exact_dot(&lib_ball, emb.vector(target));
        assert_eq!(s.similarity.to_bits(), sim.to_bits(), "{ctx}: similarity");
        assert!((f64::from(s.similarity) - cos64(&b, emb.vector(target))).abs() < 1e-6);

        // rank: exact, over the whole vocabulary.
        let move_words: Vec<WordId> = terms.iter().map(|t| t.word).collect();
        let sims = reference_sims(emb, &lib_ball);
        assert_eq!(
            s.rank,
            reference_rank(&sims, target, &move_words),
            "{ctx}: rank"
        );
        // The nearest word is the best allowed word, exactly: the rank's scan picks it.
        // (A card can be the target; the target is never skipped.)
        let others: Vec<WordId> = move_words
            .iter()
            .copied()
            .filter(|&w| w != target)
            .collect();
        let best = reference_top(&sims, &others, 1000)
            .into_iter()
            .find(|&w| allowed(w, terms, target))
            .expect("some word is allowed");
        assert_eq!(
            s.nearest,
            emb.word(best),
            "{ctx}: the nearest word is not the best allowed word"
        );
        nearest_checked += 1;

        // contributions: one per term in order, start first with sign +1, shares summing to the
        // similarity, each sign·cos(word, target) / |Σ sign·v|.
        assert_eq!(s.contributions.len(), terms.len(), "{ctx}");
        assert_eq!(s.contributions[0].sign, 1, "{ctx}: the start word's sign");
        for (c, t) in s.contributions.iter().zip(terms) {
            assert_eq!(c.word, emb.word(t.word), "{ctx}");
            assert_eq!(c.sign, t.sign, "{ctx}");
            let want = f64::from(t.sign) * cos64(emb.vector(t.word), emb.vector(target)) / norm;
            assert!(
                (f64::from(c.share) - want).abs() <= 1e-5,
                "{ctx}: share of '{}' is {} but sign·cos/|Σ| = {want}",
                c.word,
                c.share
            );
        }
        let total: f32 = s.contributions.iter().map(|c| c.share).sum();
        assert!(
            (total - s.similarity).abs() <= 1e-5,
            "{ctx}: shares sum to {total}, similarity {}",
            s.similarity
        );

        // nearest: an allowed word, at least as close as the target, and its cosine exact.
        let nearest = emb
            .id(&s.nearest)
            .unwrap_or_else(|| panic!("{ctx}: nearest '{}' not in the model", s.nearest));
        assert!(
            allowed(nearest, terms, target),
            "{ctx}: nearest '{}' is a move word, a near-copy or offensive",
            s.nearest
        );
        assert!(
            s.nearest_sim >= s.similarity,
            "{ctx}: nearest_sim < similarity"
        );
        assert_eq!(
            s.nearest_sim.to_bits(),
            exact_dot(&lib_ball, emb.vector(nearest)).to_bits(),
            "{ctx}: nearest_sim is not the exact cosine"
        );
        assert!(s.rank >= 1);
        if s.rank == 1 {
            rank_one += 1;
            assert_eq!(
                s.nearest,
                emb.word(target),
                "{ctx}: rank 1 but nearest is not the target"
            );
        }
        if s.nearest != emb.word(target) {
            assert!(s.rank > 1, "{ctx}: another word is nearest but rank is 1");
        }
    }
    eprintln!(
        "score_move: nearest checked against the exact best allowed word in {nearest_checked} moves; rank 1 in {rank_one}/{}",
        queries.len()
    );
    assert_eq!(nearest_checked, queries.len());
}

/// A target that is the best word around the ball has rank 1 and is its own nearest word.
#[test]
fn hitting_the_best_word_is_rank_one() {
    let e = engine();
    let emb = &e.emb;
    for q in move_queries(emb, &e.deck, 50, 0x1a1) {
        let words = q.words();
        let best = e.exact.top_k(&q.ball, 1, &words)[0].id;
        let s = score_move(emb, &e.exact, &q.terms, best).unwrap();
        assert_eq!(s.rank, 1);
        assert_eq!(s.nearest, emb.word(best));
        assert_eq!(s.nearest_sim, s.similarity);
    }
}

#[test]
fn cancelling_moves_are_refused_not_nan() {
    let e = engine();
    let emb = &e.emb;
    let (x, y, t) = (id_of("house"), id_of("music"), id_of("water"));
    let term = |word, sign| Term { word, sign };
    for terms in [
        vec![term(x, 1), term(x, -1)],
        vec![term(x, 1), term(y, 1), term(y, -1), term(x, -1)],
        vec![term(x, 1), term(y, -1), term(x, -1), term(y, 1)],
    ] {
        assert!(ball(emb, &terms).is_none(), "{terms:?}");
        let s = score_move(emb, &e.exact, &terms, t);
        assert!(s.is_none(), "a cancelling move was scored: {s:?}");
    }
    // x + y − y is just x: scorable, finite, and x itself is never the nearest word.
    let terms = [term(x, 1), term(y, 1), term(y, -1)];
    let s = score_move(emb, &e.exact, &terms, t).expect("x + y - y is x");
    assert!(s.similarity.is_finite() && s.nearest_sim.is_finite());
    assert!((s.similarity - emb.cosine(x, t)).abs() <= 1e-6);
    assert_ne!(s.nearest, "house");
    assert!(!near_copy("house", &s.nearest), "{}", s.nearest);
}

#[test]
fn king_minus_man_plus_woman_is_queen() {
    let e = engine();
    let emb = &e.emb;
    let (king, man, woman, queen) = (id_of("king"), id_of("man"), id_of("woman"), id_of("queen"));
    let terms = [
        Term {
            word: king,
            sign: 1,
        },
        Term {
            word: man,
            sign: -1,
        },
        Term {
            word: woman,
            sign: 1,
        },
    ];
    let b = ball(emb, &terms).unwrap();
    let best = e.exact.top_k(&b, 1, &[king, man, woman]);
    assert_eq!(emb.word(best[0].id), "queen");

    // Scored against queen: a perfect move. Against another target, queen is the nearest word.
    let s = score_move(emb, &e.exact, &terms, queen).unwrap();
    assert_eq!((s.rank, s.nearest.as_str()), (1, "queen"));
    let s = score_move(emb, &e.exact, &terms, id_of("banana")).unwrap();
    assert!(s.rank > 1);
    assert_eq!(s.nearest, "queen");
    assert!(s.nearest_sim > s.similarity);
}
