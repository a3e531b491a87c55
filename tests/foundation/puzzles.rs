//! The puzzle catalogue (`puzzles/*.json`) against the committed model: it validates, its
//! optimum is the exhaustive one, its thresholds behave, its top moves are scored as a move is,
//! the daily rotation is stable, and bad catalogues are reported without panicking.

use crate::common::{crate_path, engine};
use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;
use word_bocce::embeddings::WordId;
use word_bocce::game::deal::Difficulty;
use word_bocce::puzzles::{
    self, check, CardRejection, CardSlot, Catalogue, LoadedPuzzle, ProblemKind, MAX_CARD_COSINE,
    TOP_MOVES,
};
use word_bocce::scoring::{better_first, combine, near_copy, score_move, Term, Tier};
use word_bocce::simd::exact_dot;

/// The committed catalogue, loaded once.
fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| {
        let engine = engine();
        let c = Catalogue::load(engine, &crate_path(puzzles::DEFAULT_DIR));
        eprintln!(
            "catalogue: {} puzzles loaded and precomputed in {} ms",
            c.len(),
            c.load_time().as_millis()
        );
        c
    })
}

/// The similarity of `start ± a ± b` to `target`, by the definition (as `score_move` does).
fn sim(start: WordId, a: (WordId, i8), b: (WordId, i8), target: WordId) -> Option<f32> {
    let emb = &engine().emb;
    let terms = [
        Term {
            word: start,
            sign: 1,
        },
        Term {
            word: a.0,
            sign: a.1,
        },
        Term {
            word: b.0,
            sign: b.1,
        },
    ];
    let (ball, _) = combine(emb, &terms)?;
    Some(exact_dot(&ball, emb.vector(target)))
}

/// A wildcard word by the rule, written out independently of the catalogue's code.
fn wildcard_rule(p: &LoadedPuzzle, id: WordId) -> bool {
    let e = engine();
    let w = e.emb.word(id);
    e.deck.contains(id)
        && id != p.start
        && id != p.target
        && !near_copy(w, &p.start_word)
        && !near_copy(w, &p.target_word)
        && e.emb.cosine(id, p.target) <= MAX_CARD_COSINE
}

/// Every legal move of a puzzle, by brute force: every ordered pair of distinct listed cards,
/// and with a wildcard every listed card with every wildcard word (both orders give the same
/// sum, so one is enough), each with both signs. Returns (similarity, a, sign a, b, sign b).
fn brute_force(p: &LoadedPuzzle) -> Vec<(f32, WordId, i8, WordId, i8)> {
    let e = engine();
    let mut out = Vec::new();
    let signs = [(1i8, 1i8), (1, -1), (-1, 1), (-1, -1)];
    for &a in &p.card_ids {
        for &b in &p.card_ids {
            if a == b {
                continue;
            }
            for (sa, sb) in signs {
                if let Some(s) = sim(p.start, (a, sa), (b, sb), p.target) {
                    out.push((s, a, sa, b, sb));
                }
            }
        }
    }
    if p.has_wildcard {
        for &w in e.deck.words() {
            if p.card_ids.contains(&w) || !wildcard_rule(p, w) {
                continue;
            }
            for &a in &p.card_ids {
                for (sa, sb) in signs {
                    if let Some(s) = sim(p.start, (a, sa), (w, sb), p.target) {
                        out.push((s, a, sa, w, sb));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn the_committed_catalogue_validates() {
    let c = catalogue();
    for p in c.problems() {
        eprintln!("problem: {p}");
    }
    assert!(c.problems().is_empty(), "{} problems", c.problems().len());
    let s = c.summary();
    eprintln!("{s:?}");
    assert!(c.len() >= 60, "{} puzzles", c.len());
    for d in Difficulty::ALL {
        let n = c.list(Some(d)).len();
        assert!(n >= 15, "{d:?}: {n} puzzles");
    }
    assert_eq!(c.list(None).len(), c.len());
    assert_eq!(s.easy + s.medium + s.hard, s.puzzles);
    // Ids are unique, in the files themselves (not only after the duplicate filter).
    let (specs, problems) = puzzles::spec::read_dir(&crate_path(puzzles::DEFAULT_DIR));
    assert!(problems.is_empty());
    assert_eq!(specs.len(), c.len());
    let ids: HashSet<&str> = specs.iter().map(|s| s.spec.id.as_str()).collect();
    assert_eq!(ids.len(), specs.len(), "duplicate ids in the catalogue");
    for p in c.puzzles() {
        assert_eq!(c.get(&p.id).map(|q| q.id.as_str()), Some(p.id.as_str()));
        assert!(p.allowed_cards.len() >= puzzles::MIN_CARDS, "{}", p.id);
        assert_ne!(p.start, p.target);
        for &card in &p.card_ids {
            let cos = engine().emb.cosine(card, p.target);
            assert!(
                cos <= MAX_CARD_COSINE,
                "{}: {} at {cos}",
                p.id,
                engine().emb.word(card)
            );
        }
    }
    // Loading (reading, validating, the exhaustive searches and the top moves with exact rank
    // and nearest word) is quick.
    let t = std::time::Instant::now();
    let again = Catalogue::load(engine(), &crate_path(puzzles::DEFAULT_DIR));
    let ms = t.elapsed().as_millis();
    eprintln!("reloading the catalogue took {ms} ms");
    assert_eq!(again.len(), c.len());
    assert!(ms < 10_000, "loading took {ms} ms");
}

#[test]
fn the_optimum_is_the_brute_force_optimum_and_earns_three_stars() {
    let c = catalogue();
    let emb = &engine().emb;
    for p in c.puzzles() {
        let all = brute_force(p);
        let best = all
            .iter()
            .copied()
            .max_by(|x, y| x.0.total_cmp(&y.0))
            .expect("moves");
        let o = p.optimal_similarity;
        assert!(
            (best.0 - o).abs() <= 1e-6,
            "{}: brute force {} vs catalogue {o}",
            p.id,
            best.0
        );
        // The same move, unless another one ties within rounding.
        let bm = &p.best_move;
        let same = |(_, a, sa, b, sb): (f32, WordId, i8, WordId, i8)| {
            let x = [(a, sa), (b, sb)];
            x.contains(&(bm.public_id, bm.public_sign))
                && x.contains(&(bm.private_id, bm.private_sign))
        };
        let near_ties = all.iter().filter(|m| m.0 >= best.0 - 1e-6).count();
        if near_ties <= 2 {
            assert!(same(best), "{}: best move differs", p.id);
        }
        assert_eq!(bm.similarity, o);
        assert_eq!(
            sim(
                p.start,
                (bm.public_id, bm.public_sign),
                (bm.private_id, bm.private_sign),
                p.target
            ),
            Some(o)
        );
        assert_eq!(emb.word(bm.public_id), bm.public_card);
        // Thresholds rise from the start word's similarity to the optimum.
        let s = p.start_similarity;
        let [one, two, three] = p.stars_thresholds.as_array();
        assert!(
            s < one && one < two && two < three && three <= o,
            "{}: {s} {one} {two} {three} {o}",
            p.id
        );
        assert!(s < p.win_threshold && p.win_threshold <= three, "{}", p.id);
        assert_eq!(p.stars(o), 3, "{}", p.id);
        assert!(p.passed(o), "{}", p.id);
        assert_eq!(p.stars(s), 0, "{}", p.id);
        assert!(!p.passed(s), "{}", p.id);
        assert_eq!(p.stars(one), 1);
        assert_eq!(p.stars(two), 2);
        assert_eq!(p.stars(-1.0), 0);
        assert_eq!(p.stars(1.0), 3);
        assert!(o - s >= puzzles::MIN_GAIN);
        // The count of moves searched is the brute force's, halved (each unordered pair once).
        if !p.has_wildcard {
            assert_eq!(p.move_count * 2, all.len(), "{}", p.id);
        } else {
            let listed = all.iter().filter(|m| p.card_ids.contains(&m.3)).count();
            assert_eq!(p.move_count, listed / 2 + (all.len() - listed), "{}", p.id);
        }
    }
}

/// The calibration of the threshold formula: over every legal move of every puzzle without a
/// wildcard, how many earn 1, 2 and 3 stars. The optimum always earns 3; a random legal move
/// rarely does.
#[test]
fn random_moves_rarely_earn_three_stars() {
    let c = catalogue();
    let (mut total, mut counts, mut pass) = (0usize, [0usize; 4], 0usize);
    let mut per_puzzle_three = Vec::new();
    for p in c.puzzles().iter().filter(|p| !p.has_wildcard) {
        let all = brute_force(p);
        let mut three = 0;
        for m in &all {
            let st = p.stars(m.0) as usize;
            counts[st] += 1;
            three += (st == 3) as usize;
            pass += p.passed(m.0) as usize;
        }
        total += all.len();
        per_puzzle_three.push(three as f64 / all.len() as f64);
    }
    let f = |n: usize| n as f64 / total as f64;
    per_puzzle_three.sort_by(f64::total_cmp);
    eprintln!(
        "{total} legal moves: 0★ {:.3}, 1★ {:.3}, 2★ {:.3}, 3★ {:.3}; passed {:.3}; \
         worst puzzle 3★ share {:.3}",
        f(counts[0]),
        f(counts[1]),
        f(counts[2]),
        f(counts[3]),
        f(pass),
        per_puzzle_three.last().copied().unwrap_or(0.0)
    );
    // With a wildcard the moves run to the hundred thousands; few reach the top.
    for p in c.puzzles().iter().filter(|p| p.has_wildcard) {
        let all = brute_force(p);
        let n = |k: u8| all.iter().filter(|m| p.stars(m.0) >= k).count();
        eprintln!(
            "{} (wildcard): {} moves, {} pass, {} earn 2 stars, {} earn 3",
            p.id,
            all.len(),
            n(1),
            n(2),
            n(3)
        );
        assert!((n(3) as f64) < 0.01 * all.len() as f64, "{}", p.id);
    }
    assert!(f(counts[3]) < 0.03, "3 stars too common: {}", f(counts[3]));
    assert!(f(pass) < 0.35, "passing too common: {}", f(pass));
    assert!(f(pass) > 0.05, "passing too rare: {}", f(pass));
    assert!(per_puzzle_three.last().copied().unwrap_or(0.0) < 0.10);
}

#[test]
fn top_moves_are_scored_like_moves() {
    let c = catalogue();
    let e = engine();
    let emb = &e.emb;
    for p in c.puzzles() {
        let moves = p.move_count;
        assert_eq!(p.all_moves.len(), TOP_MOVES.min(moves), "{}", p.id);
        // The best move is the most similar (stars are counted in similarity); the top moves
        // are in rank-first order (a lower rank first, then a higher similarity).
        assert!(
            p.all_moves
                .iter()
                .all(|m| m.similarity <= p.best_move.similarity),
            "{}: best_move is not the most similar",
            p.id
        );
        assert_eq!(p.best_move.similarity, p.optimal_similarity);
        let mut seen = HashSet::new();
        for (i, m) in p.all_moves.iter().enumerate() {
            if i > 0 {
                let prev = &p.all_moves[i - 1];
                assert_ne!(
                    better_first((prev.rank, prev.similarity), (m.rank, m.similarity)),
                    std::cmp::Ordering::Greater,
                    "{}: order",
                    p.id
                );
            }
            assert_eq!(m.tier, Tier::of(m.rank));
            let key = {
                let mut k = [(m.public_id, m.public_sign), (m.private_id, m.private_sign)];
                k.sort();
                k
            };
            assert!(seen.insert(key), "{}: a move listed twice", p.id);
            assert!(p.check_cards(e, m.public_id, m.private_id).is_ok());
            assert_eq!(emb.word(m.public_id), m.public_card);
            assert_eq!(emb.word(m.private_id), m.private_card);
            let terms = [
                Term {
                    word: p.start,
                    sign: 1,
                },
                Term {
                    word: m.public_id,
                    sign: m.public_sign,
                },
                Term {
                    word: m.private_id,
                    sign: m.private_sign,
                },
            ];
            let (ball, _) = combine(emb, &terms).expect("a real move");
            let rank = e
                .exact
                .rank(&ball, p.target, &[p.start, m.public_id, m.private_id]);
            assert_eq!(m.rank, rank, "{}: rank", p.id);
            assert_eq!(
                Some(m.similarity),
                sim(
                    p.start,
                    (m.public_id, m.public_sign),
                    (m.private_id, m.private_sign),
                    p.target
                )
            );
            let scored = score_move(emb, &e.exact, &terms, p.target).unwrap();
            assert_eq!(scored.nearest, m.nearest);
            let nearest = emb.id(&m.nearest).expect("nearest is a vocabulary word");
            assert!(!emb.is_offensive(nearest), "{}: {}", p.id, m.nearest);
            if m.rank == 1 {
                assert_eq!(nearest, p.target, "{}", p.id);
            }
            if nearest != p.target {
                for w in [&p.start_word, &m.public_card, &m.private_card] {
                    assert!(
                        nearest != emb.id(w).unwrap() && !near_copy(w, &m.nearest),
                        "{}: nearest {} is move word {w} or a near-copy",
                        p.id,
                        m.nearest
                    );
                }
            }
        }
    }
}

#[test]
fn the_daily_puzzle_is_stable_and_rotates() {
    let c = catalogue();
    let d = |y, m, day| c.daily((y, m, day)).expect("a puzzle").id.clone();
    assert_eq!(d(2025, 3, 14), d(2025, 3, 14));
    // Stable across restarts: a second load picks the same puzzles.
    let again = Catalogue::load(engine(), &crate_path(puzzles::DEFAULT_DIR));
    let mut ids = HashSet::new();
    let start = puzzles::days_from_civil(2025, 12, 20);
    for i in 0..60 {
        let date = puzzles::civil_from_days(start + i);
        let p = c.daily(date).unwrap();
        assert_eq!(again.daily(date).unwrap().id, p.id);
        ids.insert(p.id.clone());
    }
    eprintln!("60 consecutive days give {} different puzzles", ids.len());
    assert!(ids.len() >= 50, "{} different puzzles", ids.len());
    assert!(c.daily_at(word_bocce::clock::system_now()).is_some());
    let empty = Catalogue::from_specs(engine(), Vec::new(), Vec::new());
    assert!(empty.daily((2025, 1, 1)).is_none());
}

#[test]
fn cards_are_checked_by_the_puzzle_rules() {
    let c = catalogue();
    let e = engine();
    let plain = c.puzzles().iter().find(|p| !p.has_wildcard).unwrap();
    let (a, b) = (plain.card_ids[0], plain.card_ids[1]);
    assert_eq!(plain.check_cards(e, a, b), Ok(()));
    assert_eq!(plain.check_cards(e, a, a), Err(CardRejection::SameCards));
    let outsider = e
        .deck
        .words()
        .iter()
        .copied()
        .find(|&w| !plain.is_listed(w) && w != plain.start && w != plain.target)
        .unwrap();
    assert_eq!(
        plain.check_cards(e, a, outsider),
        Err(CardRejection::NotAllowed(CardSlot::Private))
    );
    assert_eq!(
        plain.check_cards(e, outsider, a),
        Err(CardRejection::NotAllowed(CardSlot::Public))
    );
    let wild = c
        .puzzles()
        .iter()
        .find(|p| p.has_wildcard)
        .expect("the catalogue has wildcard puzzles");
    let a = wild.card_ids[0];
    let words: Vec<WordId> = e
        .deck
        .words()
        .iter()
        .copied()
        .filter(|&w| !wild.is_listed(w) && wild.wildcard_ok(e, w))
        .take(2)
        .collect();
    assert_eq!(wild.check_cards(e, a, words[0]), Ok(()));
    assert_eq!(wild.check_cards(e, words[0], a), Ok(()));
    assert_eq!(
        wild.check_cards(e, words[0], words[1]),
        Err(CardRejection::OneWildcardOnly)
    );
    // The target, the start and near-synonyms of the target are never wildcard words.
    assert!(!wild.wildcard_ok(e, wild.target));
    assert!(!wild.wildcard_ok(e, wild.start));
    assert!(wild.check_cards(e, a, wild.target).is_err());
}

#[test]
fn the_check_report_lists_problems_and_the_summary() {
    let mut out = Vec::new();
    check::write_report(&mut out, catalogue(), true).unwrap();
    let text = String::from_utf8(out).unwrap();
    eprintln!("{text}");
    assert!(!text.contains("problem:"));
    assert!(text.contains(&format!("{} puzzles:", catalogue().len())));
    assert!(text.contains("start similarity"));
    assert!(text.contains("optimum"));
}

// ---------------------------------------------------------------------------------------------
// Bad catalogues
// ---------------------------------------------------------------------------------------------

fn puzzle_json(id: &str, start: &str, target: &str, cards: &[&str]) -> String {
    serde_json::json!({
        "id": id, "difficulty": "easy", "name": "N", "description": "D",
        "start_word": start, "target_word": target, "allowed_cards": cards, "hint": "H"
    })
    .to_string()
}

const GOOD_CARDS: &[&str] = &[
    "Germany", "japan", "china", "europe", "asia", "beer", "sushi", "korea",
];

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn bad_puzzles_are_left_out_and_reported_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = puzzle_json("good", "berlin", "TOKYO", GOOD_CARDS);
    let missing = puzzle_json(
        "missing-word",
        "berlin",
        "tokyo",
        &["germany", "japan", "xyzzyq", "china", "asia"],
    );
    write(d, "a.json", &format!("[{good}, {missing}]"));
    let dup = puzzle_json(
        "good",
        "paris",
        "rome",
        &["france", "italy", "pope", "vatican"],
    );
    write(d, "b.json", &format!("[{dup}]"));
    let synonyms = puzzle_json(
        "all-synonyms",
        "weekend",
        "monday",
        &["tuesday", "wednesday", "thursday", "friday"],
    );
    write(d, "c.json", &format!("[{synonyms}]"));
    write(d, "d.json", "[{\"id\": \"broken\", ");
    let typo = good
        .replace("\"hint\"", "\"hnit\"")
        .replace("\"good\"", "\"typo\"");
    write(d, "e.json", &format!("[{typo}]"));
    write(d, "notes.txt", "not a catalogue file");

    let c = Catalogue::load(engine(), d);
    for p in c.problems() {
        eprintln!("problem: {p}");
    }
    assert_eq!(
        c.puzzles()
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        ["good"]
    );
    let good = c.get("good").unwrap();
    assert_eq!(good.target_word, "tokyo");
    assert!(good.allowed_cards.contains(&"germany".to_string()));
    assert_eq!(good.source, d.join("a.json"));

    let find = |id: &str| {
        c.problems()
            .iter()
            .filter(|p| p.puzzle.as_deref() == Some(id))
            .collect::<Vec<_>>()
    };
    let m = find("missing-word");
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].kind,
        ProblemKind::UnknownWord {
            field: "card",
            word: "xyzzyq".into()
        }
    );
    assert!(m[0].to_string().contains("missing-word"), "{}", m[0]);
    assert!(m[0].to_string().contains("xyzzyq"));

    let dups = find("good");
    assert_eq!(dups.len(), 1);
    assert!(matches!(dups[0].kind, ProblemKind::DuplicateId { .. }));
    assert_eq!(dups[0].source, d.join("b.json"));

    let syn = find("all-synonyms");
    assert_eq!(syn.len(), 1);
    match &syn[0].kind {
        ProblemKind::TooFewCards { left, removed, .. } => {
            assert_eq!(*left, 0);
            assert_eq!(removed.len(), 4);
        }
        k => panic!("expected TooFewCards, got {k:?}"),
    }

    let broken: Vec<_> = c
        .problems()
        .iter()
        .filter(|p| p.source == d.join("d.json"))
        .collect();
    assert_eq!(broken.len(), 1);
    assert!(matches!(broken[0].kind, ProblemKind::MalformedJson(_)));
    assert!(broken[0].to_string().contains("d.json"), "{}", broken[0]);

    let typo = find("typo");
    assert_eq!(typo.len(), 1);
    assert!(matches!(&typo[0].kind, ProblemKind::BadPuzzle(m) if m.contains("hnit")));
    assert_eq!(c.problems().len(), 5);

    // A missing directory and an empty one are problems too, not panics.
    let c = Catalogue::load(engine(), &d.join("nope"));
    assert!(c.is_empty());
    assert!(matches!(c.problems()[0].kind, ProblemKind::Unreadable(_)));
    let empty = tempfile::tempdir().unwrap();
    let c = Catalogue::load(engine(), empty.path());
    assert_eq!(c.problems()[0].kind, ProblemKind::NoFiles);
}

#[test]
fn other_word_and_rule_problems_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let items = [
        puzzle_json("same-word", "berlin", "Berlin", GOOD_CARDS),
        puzzle_json("Bad Id", "berlin", "tokyo", GOOD_CARDS),
        puzzle_json("card-is-target", "berlin", "tokyo", &["tokyo", "japan", "china", "asia", "korea"]),
        puzzle_json("no-gain", "monday", "tuesday", &["beer", "sushi", "wall", "bank"]),
        puzzle_json("bad-vocab", "berlin", "tokyo", GOOD_CARDS).replace(
            "\"hint\"",
            "\"domain_vocab\": [\"capital\", \"qqqzzx\"], \"hint\"",
        ),
        puzzle_json("fixed-ok", "berlin", "tokyo", GOOD_CARDS).replace(
            "\"hint\"",
            "\"stars_thresholds\": {\"1\": 0.6, \"2\": 0.7, \"3\": 0.8}, \"win_threshold\": 0.65, \"hint\"",
        ),
        puzzle_json("fixed-too-high", "berlin", "tokyo", GOOD_CARDS).replace(
            "\"hint\"",
            "\"stars_thresholds\": {\"1\": 0.6, \"2\": 0.7, \"3\": 0.99}, \"hint\"",
        ),
        puzzle_json("wild", "berlin", "tokyo", &["germany", "china", "europe", "asia", "WILDCARD"]),
    ];
    write(d, "x.json", &format!("[{}]", items.join(",")));
    let c = Catalogue::load(engine(), d);
    for p in c.problems() {
        eprintln!("problem: {p}");
    }
    let kinds = |id: &str| {
        c.problems()
            .iter()
            .filter(|p| p.puzzle.as_deref() == Some(id))
            .map(|p| p.kind.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds("same-word"), [ProblemKind::StartIsTarget]);
    assert_eq!(kinds("Bad Id"), [ProblemKind::InvalidId("Bad Id".into())]);
    assert!(matches!(
        &kinds("card-is-target")[..],
        [ProblemKind::BadCard { word, .. }] if word == "tokyo"
    ));
    assert!(matches!(
        &kinds("no-gain")[..],
        [ProblemKind::NoImprovement { .. }]
    ));
    assert_eq!(
        kinds("bad-vocab"),
        [ProblemKind::UnknownWord {
            field: "domain_vocab word",
            word: "qqqzzx".into()
        }]
    );
    assert!(matches!(
        &kinds("fixed-too-high")[..],
        [ProblemKind::BadThresholds(_)]
    ));
    let fixed = c.get("fixed-ok").expect("fixed thresholds load");
    assert!(fixed.fixed_thresholds);
    assert_eq!(fixed.stars_thresholds.as_array(), [0.6, 0.7, 0.8]);
    assert_eq!(fixed.win_threshold, 0.65);
    assert_eq!(fixed.stars(0.75), 2);
    // A wildcard reaches further than the listed cards alone.
    let wild = c.get("wild").expect("the wildcard puzzle loads");
    assert!(wild.has_wildcard);
    assert!(!wild.allowed_cards.iter().any(|w| w == "WILDCARD"));
    assert!(wild.move_count > 1000);
    let listed_only = brute_force(&LoadedPuzzle {
        has_wildcard: false,
        ..wild.clone()
    })
    .iter()
    .map(|m| m.0)
    .fold(f32::MIN, f32::max);
    assert!(wild.optimal_similarity > listed_only);
    assert_eq!(c.len(), 2);
}
