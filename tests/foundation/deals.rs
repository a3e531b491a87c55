//! Deals: designed, fair and reproducible rounds, checked on the committed model against the
//! rules of `../shared/API.md` ("Dealing"), with the definitions written out here.
//!
//! The `calibration_*` tests are ignored: they print the measurements behind the constants of
//! `src/game/deal.rs` (`cargo test --release --test foundation deals::calibration --
//! --ignored --nocapture --test-threads 1`).

use crate::common::{engine, rng};
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use word_bocce::embeddings::deck::is_unfit_to_deal;
use word_bocce::embeddings::WordId;
use word_bocce::engine::Engine;
use word_bocce::game::deal::{
    deal, deal_traced, deal_with_bands, is_function_word, par, role_of, Bands, Card, Deal,
    DealError, DealSpec, Difficulty, Miss, Par, Role, CARD_MAX_TARGET_COSINE,
};
use word_bocce::scoring::{ball, near_copy, Term};
use word_bocce::simd::exact_dot;

/// What one deal showed.
struct Seen {
    base: f32,
    /// Lowest par minus `cos(start, target)` (None: every hand is all jokers).
    improvement: Option<f32>,
    /// Highest par minus lowest par.
    spread: Option<f32>,
    all_roles: bool,
    missing_roles: Vec<Role>,
    pars_with_minus: usize,
    pars: usize,
    /// Per dealt word card: its role and its gain as a private card (the best similarity it
    /// reaches with the other public cards, minus `cos(start, target)`).
    gains: Vec<(Role, f32)>,
}

fn jokers_expected(m: usize, ratio: f64) -> usize {
    if ratio >= 1.0 {
        m
    } else {
        ((m as f64 * ratio).round() as usize).min(m.saturating_sub(1))
    }
}

fn say(e: &Engine, id: WordId) -> &str {
    e.emb.word(id)
}

/// Check every dealing rule on `d`; panics naming the rule and the deal.
fn check_rules(e: &Engine, spec: &DealSpec, d: &Deal) -> Seen {
    let emb = &e.emb;
    let bands = spec.difficulty.bands();
    let ctx = format!("{spec:?}: {} -> {}", say(e, d.start), say(e, d.target));
    // Start and target.
    for (what, id) in [("start", d.start), ("target", d.target)] {
        assert!(e.deck.contains(id), "{ctx}: {what} outside the deck");
        assert!(!is_unfit_to_deal(say(e, id)), "{ctx}: offensive {what}");
        assert!(
            !is_function_word(say(e, id)),
            "{ctx}: {what} is a function word"
        );
    }
    assert_ne!(d.start, d.target, "{ctx}");
    assert!(
        !near_copy(say(e, d.start), say(e, d.target)),
        "{ctx}: near-copies"
    );
    let base = emb.cosine(d.start, d.target);
    let (lo, hi) = bands.start_cosine;
    assert!(
        (lo..=hi).contains(&base),
        "{ctx}: cos(start, target) {base} outside [{lo}, {hi}]"
    );

    // Shapes.
    assert_eq!(d.public.len(), spec.n_public, "{ctx}: public cards");
    assert_eq!(d.private.len(), spec.players, "{ctx}: hands");
    let jokers = jokers_expected(spec.m_private, spec.wildcard_ratio);
    for hand in &d.private {
        assert_eq!(hand.len(), spec.m_private, "{ctx}: hand size");
        let j = hand.iter().filter(|c| **c == Card::Joker).count();
        assert_eq!(j, jokers, "{ctx}: jokers in a hand");
    }

    // Every word card: allowed, distinct, not a near-copy of another, with its role.
    let mut cards: Vec<WordId> = d.public.clone();
    for hand in &d.private {
        cards.extend(hand.iter().filter_map(|c| match c {
            Card::Word(id) => Some(*id),
            Card::Joker => None,
        }));
    }
    let distinct: BTreeSet<WordId> = cards.iter().copied().collect();
    assert_eq!(distinct.len(), cards.len(), "{ctx}: a word dealt twice");
    for (i, &c) in cards.iter().enumerate() {
        let w = say(e, c);
        assert!(e.deck.contains(c), "{ctx}: '{w}' outside the deck");
        assert!(!is_unfit_to_deal(w), "{ctx}: offensive card '{w}'");
        assert!(!is_function_word(w), "{ctx}: function word '{w}'");
        assert!(
            c != d.start && c != d.target,
            "{ctx}: '{w}' is the start or target"
        );
        assert!(
            !near_copy(w, say(e, d.start)) && !near_copy(w, say(e, d.target)),
            "{ctx}: '{w}' is a near-copy of the start or target"
        );
        let ct = emb.cosine(c, d.target);
        assert!(
            ct <= CARD_MAX_TARGET_COSINE,
            "{ctx}: '{w}' is a near-synonym of the target ({ct})"
        );
        for &o in &cards[..i] {
            assert!(!near_copy(w, say(e, o)), "{ctx}: '{w}' and '{}'", say(e, o));
        }
    }
    let role_ids: Vec<WordId> = d.roles.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        role_ids, cards,
        "{ctx}: one role per word card, in dealt order"
    );
    let mut seen_roles = BTreeSet::new();
    for &(id, role) in &d.roles {
        let (cs, ct) = (emb.cosine(id, d.start), emb.cosine(id, d.target));
        assert_eq!(
            role_of(cs, ct),
            Some(role),
            "{ctx}: '{}' dealt as {role:?} with cs {cs} ct {ct}",
            say(e, id)
        );
        seen_roles.insert(role);
    }

    let gains: Vec<(Role, f32)> = d
        .roles
        .iter()
        .filter_map(|&(id, role)| {
            let others: Vec<WordId> = d.public.iter().copied().filter(|&p| p != id).collect();
            par(e, d.start, d.target, &others, &[Card::Word(id)])
                .map(|p| (role, p.similarity - base))
        })
        .collect();

    // Fairness: every hand has an improving move; pars within the band.
    let pars: Vec<Par> = d
        .private
        .iter()
        .filter_map(|h| par(e, d.start, d.target, &d.public, h))
        .collect();
    let words_in_hand = spec.m_private - jokers;
    if words_in_hand == 0 {
        assert!(pars.is_empty(), "{ctx}: a par without word cards");
        return Seen {
            base,
            improvement: None,
            spread: None,
            all_roles: seen_roles.len() == 4,
            missing_roles: Role::ALL
                .into_iter()
                .filter(|r| !seen_roles.contains(r))
                .collect(),
            pars_with_minus: 0,
            pars: 0,
            gains,
        };
    }
    assert_eq!(pars.len(), spec.players, "{ctx}: a hand without a par");
    let low = pars
        .iter()
        .map(|p| p.similarity)
        .fold(f32::INFINITY, f32::min);
    let high = pars
        .iter()
        .map(|p| p.similarity)
        .fold(f32::NEG_INFINITY, f32::max);
    assert!(
        low - base >= bands.min_improvement,
        "{ctx}: a par improves by {} only (need {})",
        low - base,
        bands.min_improvement
    );
    assert!(
        high - low <= bands.par_band,
        "{ctx}: pars spread over {} (band {})",
        high - low,
        bands.par_band
    );
    Seen {
        base,
        improvement: Some(low - base),
        spread: Some(high - low),
        all_roles: seen_roles.len() == 4,
        missing_roles: Role::ALL
            .into_iter()
            .filter(|r| !seen_roles.contains(r))
            .collect(),
        pars_with_minus: pars
            .iter()
            .filter(|p| p.mv.public_sign < 0 || p.mv.private_sign < 0)
            .count(),
        pars: pars.len(),
        gains,
    }
}

/// A seeded spec in the ranges the brief asks for.
fn varied_spec(i: u64) -> DealSpec {
    let mut r = rng(0xdea1 ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    DealSpec {
        n_public: r.random_range(3..=15),
        m_private: r.random_range(1..=4),
        players: r.random_range(1..=8),
        wildcard_ratio: [0.0, 0.1, 0.2, 0.25, 0.34, 0.5][r.random_range(0..6)],
        difficulty: Difficulty::ALL[(i % 3) as usize],
    }
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len().max(1) as f32
}

fn quantile(v: &[f32], p: f64) -> f32 {
    let mut v = v.to_vec();
    v.sort_by(f32::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn a_thousand_deals_follow_the_rules() {
    let e = engine();
    let n = 1_000u64;
    let mut improvements: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    let mut bases: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    let mut spreads: BTreeMap<&str, Vec<f32>> = BTreeMap::new();
    let mut all_roles = 0usize;
    let mut missing: BTreeMap<Role, usize> = BTreeMap::new();
    let mut role_gains: Vec<Vec<f32>> = vec![Vec::new(); 4];
    let mut with_minus = 0usize;
    let mut pars = 0usize;
    let mut misses: BTreeMap<Miss, usize> = BTreeMap::new();
    let t = Instant::now();
    for i in 0..n {
        let spec = varied_spec(i);
        let (d, trace) = deal_traced(e, &spec, i);
        let d = d.unwrap_or_else(|err| panic!("seed {i}, {spec:?}: {err}"));
        for m in trace.misses {
            *misses.entry(m).or_default() += 1;
        }
        let seen = check_rules(e, &spec, &d);
        let key = match spec.difficulty {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        };
        bases.entry(key).or_default().push(seen.base);
        if let (Some(imp), Some(spread)) = (seen.improvement, seen.spread) {
            improvements.entry(key).or_default().push(imp);
            spreads.entry(key).or_default().push(spread);
        }
        all_roles += seen.all_roles as usize;
        for r in seen.missing_roles {
            *missing.entry(r).or_default() += 1;
        }
        for (role, g) in seen.gains {
            role_gains[role as usize].push(g);
        }
        with_minus += seen.pars_with_minus;
        pars += seen.pars;
    }
    let elapsed = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} varied deals (players 1-8, N_public 3-15, M_private 1-4, wildcards 0-0.5) with \
         their checks in {:.2} s; attempts thrown away: {misses:?}",
        elapsed
    );
    for key in ["easy", "medium", "hard"] {
        let imp = &improvements[key];
        eprintln!(
            "  {key:6}: cos(start, target) mean {:.3}; lowest par improvement mean {:.3} \
             (p5 {:.3}, min {:.3}); par spread mean {:.3} (max {:.3})",
            mean(&bases[key]),
            mean(imp),
            quantile(imp, 0.05),
            quantile(imp, 0.0),
            mean(&spreads[key]),
            quantile(&spreads[key], 1.0)
        );
    }
    let rate = all_roles as f64 / n as f64;
    eprintln!(
        "  all four roles dealt in {all_roles}/{n} deals ({:.1}%); pars using a minus sign: \
         {with_minus}/{pars}; deals missing a role, by role: {missing:?}",
        rate * 100.0
    );
    let g: Vec<f32> = role_gains.iter().map(|v| mean(v)).collect();
    eprintln!(
        "  mean gain of a card as a private card: pull {:.3}, subtract {:.3}, lure {:.3}, \
         near-miss {:.3} ({} cards)",
        g[0],
        g[1],
        g[2],
        g[3],
        role_gains.iter().map(Vec::len).sum::<usize>()
    );
    // Roles do what they say: pulls pull hardest, near-misses less than pulls, subtract cards
    // (which carry the start word) least.
    assert!(
        g[0] > g[3] && g[3] > g[1] && g[2] > g[1],
        "gains by role: {g:?}"
    );
    assert!(
        rate >= 0.95,
        "only {all_roles}/{n} deals have a card of every role"
    );
    let (ez, md, hd) = (
        mean(&improvements["easy"]),
        mean(&improvements["medium"]),
        mean(&improvements["hard"]),
    );
    assert!(
        ez > md && md > hd,
        "mean par improvement: easy {ez}, medium {md}, hard {hd}"
    );
    let (bz, bm, bh) = (
        mean(&bases["easy"]),
        mean(&bases["medium"]),
        mean(&bases["hard"]),
    );
    assert!(
        bz > bm && bm > bh,
        "mean cos(start, target): easy {bz}, medium {bm}, hard {bh}"
    );
}

#[test]
fn extreme_settings_still_deal_fairly() {
    let e = engine();
    let specs = [
        (30, 10, 32, 0.0),
        (1, 10, 32, 0.0),
        (1, 1, 32, 0.0),
        (30, 1, 32, 0.0),
        (1, 1, 1, 0.0),
        (10, 10, 32, 0.5),
        (10, 2, 8, 1.0),
        (10, 1, 8, 0.99),
        (30, 10, 32, 0.9),
    ];
    for d in Difficulty::ALL {
        for (n_public, m_private, players, wildcard_ratio) in specs {
            let spec = DealSpec {
                n_public,
                m_private,
                players,
                wildcard_ratio,
                difficulty: d,
            };
            let t = Instant::now();
            let seeds = 3;
            for seed in 0..seeds {
                let deal = deal(e, &spec, seed).unwrap_or_else(|err| panic!("{spec:?}: {err}"));
                check_rules(e, &spec, &deal);
            }
            eprintln!(
                "{spec:?}: {:.1} ms a deal (with its checks)",
                t.elapsed().as_secs_f64() * 1e3 / seeds as f64
            );
        }
    }
}

#[test]
fn deals_are_reproducible_and_seeds_differ() {
    let e = engine();
    let mut seen: Vec<Deal> = Vec::new();
    for i in 0..150u64 {
        let spec = varied_spec(i);
        let a = deal(e, &spec, i).expect("a deal");
        let b = deal(e, &spec, i).expect("a deal");
        assert_eq!(a, b, "seed {i}: the same seed dealt twice differs");
        let json = serde_json::to_string(&a).expect("a deal serialises");
        let back: Deal = serde_json::from_str(&json).expect("and deserialises");
        assert_eq!(back, a);
        let c = deal(e, &spec, i + 10_000).expect("a deal");
        assert_ne!(a, c, "seeds {i} and {} dealt the same round", i + 10_000);
        seen.push(a);
    }
    // Different seeds, different rounds: no two of the 150 deals are equal, and the
    // (start, target) pairs are nearly all different.
    for i in 0..seen.len() {
        for j in 0..i {
            assert_ne!(seen[i], seen[j], "seeds {i} and {j}");
        }
    }
    let pairs: BTreeSet<(WordId, WordId)> = seen.iter().map(|d| (d.start, d.target)).collect();
    assert!(
        pairs.len() >= 145,
        "{} distinct (start, target) of 150",
        pairs.len()
    );
    // A deal reached from another thread is the same deal.
    let spec = varied_spec(7);
    let here = deal(e, &spec, 7).expect("a deal");
    let there = std::thread::spawn(move || deal(engine(), &spec, 7).expect("a deal"))
        .join()
        .expect("the thread");
    assert_eq!(here, there);
}

#[test]
fn invalid_specs_are_refused() {
    let e = engine();
    let spec = DealSpec {
        n_public: 10,
        m_private: 2,
        players: 0,
        wildcard_ratio: 0.2,
        difficulty: Difficulty::Medium,
    };
    assert!(matches!(deal(e, &spec, 1), Err(DealError::InvalidSpec(_))));
    let spec = DealSpec {
        n_public: 0,
        players: 2,
        ..spec
    };
    assert!(matches!(deal(e, &spec, 1), Err(DealError::InvalidSpec(_))));
}

/// The similarity of `start ± p ± q` to the target: f64 throughout, from the definition.
fn similarity_f64(e: &Engine, start: WordId, target: WordId, mv: (WordId, i8, WordId, i8)) -> f64 {
    let emb = &e.emb;
    let (p, ps, q, qs) = mv;
    let sum: Vec<f64> = (0..emb.dim())
        .map(|k| {
            f64::from(emb.vector(start)[k])
                + f64::from(ps) * f64::from(emb.vector(p)[k])
                + f64::from(qs) * f64::from(emb.vector(q)[k])
        })
        .collect();
    let norm = sum.iter().map(|x| x * x).sum::<f64>().sqrt();
    let t = emb.vector(target);
    sum.iter()
        .zip(t)
        .map(|(x, &y)| x / norm * f64::from(y))
        .sum()
}

/// Every legal move of a hand, with the similarity a submitted move would score.
fn brute_force(
    e: &Engine,
    start: WordId,
    target: WordId,
    public: &[WordId],
    hand: &[Card],
) -> Vec<((WordId, i8, WordId, i8), f32)> {
    let mut out = Vec::new();
    for &p in public {
        for c in hand {
            let Card::Word(q) = *c else { continue };
            if q == p {
                continue;
            }
            for ps in [1i8, -1] {
                for qs in [1i8, -1] {
                    let terms = [
                        Term {
                            word: start,
                            sign: 1,
                        },
                        Term { word: p, sign: ps },
                        Term { word: q, sign: qs },
                    ];
                    let b = ball(&e.emb, &terms).expect("distinct words do not cancel");
                    out.push(((p, ps, q, qs), exact_dot(&b, e.emb.vector(target))));
                }
            }
        }
    }
    out
}

fn assert_par_is_brute_force(
    e: &Engine,
    start: WordId,
    target: WordId,
    public: &[WordId],
    hand: &[Card],
) {
    let all = brute_force(e, start, target, public, hand);
    let got = par(e, start, target, public, hand);
    if all.is_empty() {
        assert_eq!(got, None);
        return;
    }
    let got = got.expect("a par when there is a legal move");
    let best = all
        .iter()
        .map(|(_, s)| *s)
        .fold(f32::NEG_INFINITY, f32::max);
    assert_eq!(got.similarity, best, "par is not the best move");
    let mv = (
        got.mv.public,
        got.mv.public_sign,
        got.mv.private,
        got.mv.private_sign,
    );
    let listed = all
        .iter()
        .find(|(m, _)| *m == mv)
        .expect("par is a legal move");
    assert_eq!(listed.1, got.similarity, "par's similarity is its move's");
    let f64_sim = similarity_f64(e, start, target, mv);
    assert!(
        (f64_sim - f64::from(got.similarity)).abs() < 1e-5,
        "par {} vs the definition {f64_sim}",
        got.similarity
    );
}

#[test]
fn par_is_the_best_move_by_brute_force() {
    let e = engine();
    // The hands of real deals.
    let mut hands = 0;
    for i in 0..100u64 {
        let spec = varied_spec(i);
        let d = deal(e, &spec, i).expect("a deal");
        for hand in &d.private {
            assert_par_is_brute_force(e, d.start, d.target, &d.public, hand);
            hands += 1;
        }
    }
    // Random hands of deck words, jokers mixed in, around random starts and targets.
    let words = e.deck.words();
    let mut r = rng(0x9a7);
    for _ in 0..300 {
        let mut pick = || words[r.random_range(0..words.len())];
        let (start, target) = (pick(), pick());
        let public: Vec<WordId> = (0..1 + (pick() % 6) as usize).map(|_| pick()).collect();
        let mut hand: Vec<Card> = (0..1 + (pick() % 4) as usize)
            .map(|_| Card::Word(pick()))
            .collect();
        if pick() % 3 == 0 {
            hand.push(Card::Joker);
        }
        // Cards that repeat a public card or the start are skipped or allowed as the rules do.
        let public: Vec<WordId> = public
            .into_iter()
            .filter(|&p| p != start && p != target)
            .collect();
        assert_par_is_brute_force(e, start, target, &public, &hand);
        hands += 1;
    }
    eprintln!("par matched the brute force on {hands} hands");
    // No word card, or no public card: no par.
    let (s, t) = (words[10], words[20]);
    assert_eq!(
        par(e, s, t, &[words[30]], &[Card::Joker, Card::Joker]),
        None
    );
    assert_eq!(par(e, s, t, &[], &[Card::Word(words[40])]), None);
}

#[test]
fn default_deal_timing() {
    let e = engine();
    for d in Difficulty::ALL {
        let spec = DealSpec {
            n_public: 10,
            m_private: 2,
            players: 8,
            wildcard_ratio: 0.2,
            difficulty: d,
        };
        let _ = deal(e, &spec, 0).expect("a deal");
        let mut ms = Vec::new();
        for seed in 1..=200 {
            let t = Instant::now();
            let _ = deal(e, &spec, seed).expect("a deal");
            ms.push((t.elapsed().as_secs_f64() * 1e3) as f32);
        }
        eprintln!(
            "deal for 8 players, 10 public, 2 private, {d:?}: mean {:.2} ms, p50 {:.2}, p99 \
             {:.2}, max {:.2} (200 deals, one thread)",
            mean(&ms),
            quantile(&ms, 0.5),
            quantile(&ms, 0.99),
            quantile(&ms, 1.0)
        );
    }
    for d in Difficulty::ALL {
        let spec = DealSpec {
            n_public: 30,
            m_private: 10,
            players: 32,
            wildcard_ratio: 0.0,
            difficulty: d,
        };
        let t = Instant::now();
        for seed in 0..20 {
            let _ = deal(e, &spec, seed).expect("a deal");
        }
        eprintln!(
            "deal for 32 players, 30 public, 10 private, no joker, {d:?}: mean {:.1} ms (20 \
             deals)",
            t.elapsed().as_secs_f64() * 1e3 / 20.0
        );
    }
}

fn print_deal(e: &Engine, spec: &DealSpec, d: &Deal) {
    let emb = &e.emb;
    let card = |id: WordId| {
        format!(
            "{} ({:?}, cs {:.2}, ct {:.2})",
            say(e, id),
            d.role(id).expect("a role"),
            emb.cosine(id, d.start),
            emb.cosine(id, d.target)
        )
    };
    let sign = |s: i8| if s > 0 { "+" } else { "-" };
    eprintln!(
        "{:?}: {} -> {} (cos {:.3})",
        spec.difficulty,
        say(e, d.start),
        say(e, d.target),
        emb.cosine(d.start, d.target)
    );
    let public: Vec<String> = d.public.iter().map(|&p| card(p)).collect();
    eprintln!("  public: {}", public.join(", "));
    for (i, hand) in d.private.iter().enumerate() {
        let cards: Vec<String> = hand
            .iter()
            .map(|c| match c {
                Card::Word(id) => card(*id),
                Card::Joker => "JOKER".to_string(),
            })
            .collect();
        let p = par(e, d.start, d.target, &d.public, hand).expect("a par");
        eprintln!(
            "  player {}: {} | par {} {}{} {}{} = {:.3} (+{:.3})",
            i + 1,
            cards.join(", "),
            say(e, d.start),
            sign(p.mv.public_sign),
            say(e, p.mv.public),
            sign(p.mv.private_sign),
            say(e, p.mv.private),
            p.similarity,
            p.similarity - emb.cosine(d.start, d.target)
        );
    }
}

#[test]
fn sample_deals() {
    let e = engine();
    for (i, d) in Difficulty::ALL.into_iter().enumerate() {
        let spec = DealSpec {
            n_public: 6,
            m_private: 3,
            players: 3,
            wildcard_ratio: 0.34,
            difficulty: d,
        };
        let seed = 2024 + i as u64;
        let deal = deal(e, &spec, seed).expect("a deal");
        check_rules(e, &spec, &deal);
        print_deal(e, &spec, &deal);
    }
}

// ---------------------------------------------------------------------------------------------
// Calibration (ignored): the measurements behind the constants.
// ---------------------------------------------------------------------------------------------

fn summary(v: &[f32]) -> String {
    if v.is_empty() {
        return "n=0".into();
    }
    format!(
        "n={} p5={:.3} p25={:.3} p50={:.3} p75={:.3} p95={:.3} mean={:.3}",
        v.len(),
        quantile(v, 0.05),
        quantile(v, 0.25),
        quantile(v, 0.5),
        quantile(v, 0.75),
        quantile(v, 0.95),
        mean(v)
    )
}

/// The cosine landscape of the model: random deck pairs, a target's k-th deck neighbour,
/// near-synonyms per threshold.
#[test]
#[ignore]
fn calibration_model() {
    let e = engine();
    let emb = &e.emb;
    let words = e.deck.words();
    let mut r = rng(7);
    let pairs: Vec<f32> = (0..20_000)
        .map(|_| {
            let a = words[r.random_range(0..words.len())];
            let b = words[r.random_range(0..words.len())];
            emb.cosine(a, b)
        })
        .collect();
    eprintln!("random deck pairs: {}", summary(&pairs));
    let ranks = [1usize, 2, 5, 10, 25, 50, 100, 200, 300, 400];
    let mut by_rank: Vec<Vec<f32>> = vec![Vec::new(); ranks.len()];
    let mut above: BTreeMap<u32, Vec<f32>> = BTreeMap::new();
    for _ in 0..500 {
        let target = words[r.random_range(0..5_000)];
        let deck = &e.deck;
        let skip = |id: WordId| !deck.contains(id) || id == target;
        let hits = e
            .hnsw
            .search_ef(emb.vector(target), 400, 400, &skip, &[target]);
        for (i, &k) in ranks.iter().enumerate() {
            if let Some(h) = hits.get(k - 1) {
                by_rank[i].push(h.sim);
            }
        }
        for th in [75u32, 80, 85] {
            let n = hits.iter().filter(|h| h.sim > th as f32 / 100.0).count();
            above.entry(th).or_default().push(n as f32);
        }
    }
    for (i, k) in ranks.iter().enumerate() {
        eprintln!("a target's deck neighbour #{k}: {}", summary(&by_rank[i]));
    }
    for (th, v) in above {
        eprintln!("deck words above 0.{th} to a target: {}", summary(&v));
    }
    for (lo, hi) in [(0.3f32, 0.4f32), (0.4, 0.5), (0.5, 0.6), (0.6, 0.7)] {
        let mut out = Vec::new();
        while out.len() < 10 {
            let a = words[r.random_range(0..5_000)];
            let b = words[r.random_range(0..5_000)];
            let c = emb.cosine(a, b);
            if c >= lo && c < hi {
                out.push(format!("{}-{}", emb.word(a), emb.word(b)));
            }
        }
        eprintln!("random pairs in [{lo}, {hi}): {}", out.join(" "));
    }
}

/// Deals at the default settings per difficulty (or per `DEAL_VARIANTS`, bands written
/// `lo,hi,margin,band,position,pull,subtract,lure,nearmiss` separated by `;`).
#[test]
#[ignore]
fn calibration_deals() {
    let e = engine();
    let emb = &e.emb;
    let variants: Vec<(String, Bands)> = match std::env::var("DEAL_VARIANTS") {
        Ok(v) if !v.is_empty() => v
            .split(';')
            .map(|x| {
                let f: Vec<f64> = x.split(',').map(|y| y.parse().expect("a number")).collect();
                let bands = Bands {
                    start_cosine: (f[0] as f32, f[1] as f32),
                    min_improvement: f[2] as f32,
                    par_band: f[3] as f32,
                    window_position: f[4],
                    public_mix: [f[5] as u32, f[6] as u32, f[7] as u32, f[8] as u32],
                };
                (x.to_string(), bands)
            })
            .collect(),
        _ => Difficulty::ALL
            .iter()
            .map(|d| (format!("{d:?}"), d.bands()))
            .collect(),
    };
    for (name, bands) in variants {
        let spec = DealSpec {
            n_public: 10,
            m_private: 2,
            players: 8,
            wildcard_ratio: 0.2,
            difficulty: Difficulty::Medium,
        };
        let mut misses = BTreeMap::<Miss, usize>::new();
        let (mut base, mut imp, mut spread) = (Vec::new(), Vec::new(), Vec::new());
        let mut windows = vec![Vec::new(); 3];
        let mut pools = vec![Vec::new(); 4];
        let mut gains = vec![Vec::new(); 4];
        let mut dealt = [0usize; 4];
        let (mut all_roles, mut minus, mut hands) = (0, 0, 0);
        let n = 300;
        let t = Instant::now();
        for seed in 0..n {
            let (r, trace) = deal_with_bands(e, &spec, &bands, seed);
            for m in trace.misses {
                *misses.entry(m).or_default() += 1;
            }
            let d = r.expect("a deal");
            for (i, p) in trace.pools.iter().enumerate() {
                pools[i].push(*p as f32);
            }
            if let Some(w) = trace.windows {
                for i in 0..3 {
                    windows[i].push(w[i]);
                }
            }
            let b = emb.cosine(d.start, d.target);
            base.push(b);
            let pars: Vec<Par> = d
                .private
                .iter()
                .map(|h| par(e, d.start, d.target, &d.public, h).expect("a par"))
                .collect();
            hands += pars.len();
            minus += pars
                .iter()
                .filter(|p| p.mv.public_sign < 0 || p.mv.private_sign < 0)
                .count();
            let low = pars
                .iter()
                .map(|p| p.similarity)
                .fold(f32::INFINITY, f32::min);
            let high = pars
                .iter()
                .map(|p| p.similarity)
                .fold(f32::NEG_INFINITY, f32::max);
            imp.push(low - b);
            spread.push(high - low);
            let mut seen = BTreeSet::new();
            for &(id, role) in &d.roles {
                dealt[role as usize] += 1;
                seen.insert(role);
                let others: Vec<WordId> = d.public.iter().copied().filter(|&p| p != id).collect();
                if let Some(p) = par(e, d.start, d.target, &others, &[Card::Word(id)]) {
                    gains[role as usize].push(p.similarity - b);
                }
            }
            all_roles += (seen.len() == 4) as usize;
        }
        eprintln!(
            "{name}: {:.2} ms a deal, thrown away {misses:?}, dealt by role {dealt:?}, all \
             roles in {all_roles}/{n}, pars using a minus {minus}/{hands}",
            t.elapsed().as_secs_f64() * 1e3 / n as f64
        );
        eprintln!("  cos(start, target) {}", summary(&base));
        eprintln!("  lowest par improvement {}", summary(&imp));
        eprintln!("  par spread {}", summary(&spread));
        for (i, w) in ["lowest", "highest", "chosen"].iter().enumerate() {
            eprintln!("  {w} workable window floor {}", summary(&windows[i]));
        }
        for role in Role::ALL {
            let i = role as usize;
            eprintln!(
                "  {role:?}: candidates {}; gain as a private card {}",
                summary(&pools[i]),
                summary(&gains[i])
            );
        }
    }
}
