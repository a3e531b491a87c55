//! The puzzle catalogue (`puzzles/*.json`), validated against the loaded model, with
//! everything a solve needs computed once at load.
//!
//! A puzzle is a start word, a target word and a set of allowed cards; a move is
//! `start ± card ± card` with two different cards, scored like a match move
//! ([`crate::scoring::score_move`]). With the literal `WILDCARD` among its cards, one of the two
//! cards of a move may be any deck word (see [`LoadedPuzzle::wildcard_ok`]); the other must be
//! a listed card.
//!
//! Loading ([`Catalogue::load`]) never fails: every problem (unreadable directory, malformed
//! file, unknown field, word not in the vocabulary or offensive, duplicate id, fewer than
//! [`MIN_CARDS`] cards left once the near-synonyms of the target are removed, no real
//! improvement over the start word, inconsistent fixed thresholds) leaves that puzzle (or
//! file) out with a warning, and is listed by [`Catalogue::problems`] and by
//! `word-bocce check-puzzles`.
//!
//! Thresholds, unless a puzzle fixes them, come from the start word's similarity `s` and the
//! optimum `o` (see [`derived_thresholds`]): `1★ = win = s + 0.50·(o − s)`,
//! `2★ = s + 0.75·(o − s)`, `3★ = s + 0.90·(o − s)`. Calibrated on the committed catalogue
//! (11,452 legal moves of its 66 puzzles without a wildcard): 14.7% of legal moves pass,
//! 5.5% earn 2 stars and 2.0% earn 3 (at most 5.6% in any one puzzle; the median puzzle has 3
//! three-star moves); only 35% of legal moves improve on the start word at all.

pub mod check;
pub mod daily;
pub mod play;
pub mod search;
pub mod spec;

pub use spec::{Problem, ProblemKind, PuzzleSpec, SourcedSpec, StarThresholds, WILDCARD};

use crate::embeddings::{Embeddings, WordId};
use crate::engine::Engine;
use crate::game::deal::Difficulty;
use crate::scoring::{near_copy, score_move};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the catalogue lives by default (relative to the working directory).
pub const DEFAULT_DIR: &str = crate::config::DEFAULT_PUZZLES_DIR;
/// Cards with a cosine above this to the target are removed from `allowed_cards` as served.
pub const MAX_CARD_COSINE: f32 = 0.85;
/// Cards a puzzle must keep once its near-synonyms of the target are removed.
pub const MIN_CARDS: usize = 4;
/// The optimum must beat the start word's similarity by at least this.
pub const MIN_GAIN: f32 = 0.05;
/// How many top moves are kept (`all_moves`).
pub const TOP_MOVES: usize = 20;
/// How many of the most similar moves are scored (exact rank) when the catalogue loads; the
/// [`TOP_MOVES`] best of them by rank first (API.md "Comparing moves") are the top moves.
pub const RANKED_MOVES: usize = 32;
/// Fractions of the way from the start similarity to the optimum for 1, 2 and 3 stars.
pub const STAR_FRACTIONS: [f32; 3] = [0.50, 0.75, 0.90];
/// Fraction of the way from the start similarity to the optimum needed to pass (= 1 star).
pub const WIN_FRACTION: f32 = 0.50;

/// The thresholds derived from the start similarity `s` and the optimum `o`:
/// stars at `s + f·(o − s)` for `f` in [`STAR_FRACTIONS`], win at [`WIN_FRACTION`].
pub fn derived_thresholds(start: f32, optimum: f32) -> (StarThresholds, f32) {
    let at = |f: f32| start + f * (optimum - start);
    (
        StarThresholds {
            one: at(STAR_FRACTIONS[0]),
            two: at(STAR_FRACTIONS[1]),
            three: at(STAR_FRACTIONS[2]),
        },
        at(WIN_FRACTION),
    )
}

/// One move of a puzzle with its score: `best_move` and each of `all_moves`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PuzzleMove {
    pub public_card: String,
    pub private_card: String,
    pub public_sign: i8,
    pub private_sign: i8,
    pub similarity: f32,
    /// Exact rank of the target among the words nearest the ball (`ExactIndex::rank`).
    pub rank: usize,
    pub tier: crate::scoring::Tier,
    /// The word nearest the ball, other than the move's words, their near-copies and offensive
    /// words (found with the HNSW index).
    pub nearest: String,
    #[serde(skip)]
    pub nearest_sim: f32,
    #[serde(skip)]
    pub public_id: WordId,
    #[serde(skip)]
    pub private_id: WordId,
}

/// Which card of a move a rejection is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardSlot {
    Public,
    Private,
}

/// Why a pair of cards is not a legal move of a puzzle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardRejection {
    #[error("the two cards must differ")]
    SameCards,
    #[error("the {0:?} card is not an allowed card of this puzzle")]
    NotAllowed(CardSlot),
    #[error("only one of the two cards may be a wildcard word")]
    OneWildcardOnly,
}

/// A validated puzzle with its optimum, top moves and thresholds.
#[derive(Debug, Clone)]
pub struct LoadedPuzzle {
    pub id: String,
    pub difficulty: Difficulty,
    pub name: String,
    pub description: String,
    pub hint: String,
    /// Lower-case vocabulary forms.
    pub start_word: String,
    pub target_word: String,
    pub start: WordId,
    pub target: WordId,
    /// The listed cards as served: vocabulary forms, in catalogue order, without the
    /// near-synonyms of the target and without the `WILDCARD` literal.
    pub allowed_cards: Vec<String>,
    pub card_ids: Vec<WordId>,
    /// Cards of the catalogue removed as near-synonyms of the target (cosine > 0.85).
    pub removed_cards: Vec<String>,
    pub has_wildcard: bool,
    pub domain_vocab: Option<Vec<String>>,
    pub stars_thresholds: StarThresholds,
    pub win_threshold: f32,
    /// Whether the thresholds come from the catalogue (else derived).
    pub fixed_thresholds: bool,
    /// `cos(start, target)`.
    pub start_similarity: f32,
    /// The best move's similarity.
    pub optimal_similarity: f32,
    pub best_move: PuzzleMove,
    /// The best [`TOP_MOVES`] moves, best first (each pair of cards and signs once).
    pub all_moves: Vec<PuzzleMove>,
    /// How many distinct moves (pairs of cards × signs) the search covered.
    pub move_count: usize,
    /// The catalogue file it came from.
    pub source: PathBuf,
}

impl LoadedPuzzle {
    /// Stars earned by a move of this similarity (0–3).
    pub fn stars(&self, similarity: f32) -> u8 {
        self.stars_thresholds
            .as_array()
            .iter()
            .filter(|&&t| similarity >= t)
            .count() as u8
    }

    /// Whether a move of this similarity passes the puzzle.
    pub fn passed(&self, similarity: f32) -> bool {
        similarity >= self.win_threshold
    }

    /// Whether `id` is one of the listed cards (as served).
    pub fn is_listed(&self, id: WordId) -> bool {
        self.card_ids.contains(&id)
    }

    /// Whether `id` may be played as the wildcard card: the puzzle has a wildcard and `id` is
    /// a deck word, not the start or the target, not a near-copy of either, and not a
    /// near-synonym of the target (cosine > 0.85).
    pub fn wildcard_ok(&self, engine: &Engine, id: WordId) -> bool {
        self.has_wildcard && wildcard_word(engine, self.start, self.target, id)
    }

    /// Whether `public` and `private` make a legal move: two different cards, both listed, or
    /// (with a wildcard) one listed and the other a wildcard word.
    pub fn check_cards(
        &self,
        engine: &Engine,
        public: WordId,
        private: WordId,
    ) -> Result<(), CardRejection> {
        if public == private {
            return Err(CardRejection::SameCards);
        }
        match (self.is_listed(public), self.is_listed(private)) {
            (true, true) => Ok(()),
            (true, false) if self.wildcard_ok(engine, private) => Ok(()),
            (false, true) if self.wildcard_ok(engine, public) => Ok(()),
            (false, false) if self.wildcard_ok(engine, public) => {
                if self.wildcard_ok(engine, private) {
                    Err(CardRejection::OneWildcardOnly)
                } else {
                    Err(CardRejection::NotAllowed(CardSlot::Private))
                }
            }
            (true, false) => Err(CardRejection::NotAllowed(CardSlot::Private)),
            _ => Err(CardRejection::NotAllowed(CardSlot::Public)),
        }
    }
}

/// See [`LoadedPuzzle::wildcard_ok`].
fn wildcard_word(engine: &Engine, start: WordId, target: WordId, id: WordId) -> bool {
    if !engine.deck.contains(id) || id == start || id == target {
        return false;
    }
    let emb = &engine.emb;
    let w = emb.word(id);
    !near_copy(w, emb.word(start))
        && !near_copy(w, emb.word(target))
        && emb.cosine(id, target) <= MAX_CARD_COSINE
}

/// Minimum, median and maximum of some figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub min: f32,
    pub median: f32,
    pub max: f32,
}

impl Spread {
    fn of(mut xs: Vec<f32>) -> Option<Spread> {
        if xs.is_empty() {
            return None;
        }
        xs.sort_by(f32::total_cmp);
        Some(Spread {
            min: xs[0],
            median: xs[xs.len() / 2],
            max: xs[xs.len() - 1],
        })
    }
}

/// Counts and figures of a loaded catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub puzzles: usize,
    pub easy: usize,
    pub medium: usize,
    pub hard: usize,
    pub with_wildcard: usize,
    pub problems: usize,
    pub start_similarity: Option<Spread>,
    pub optimum: Option<Spread>,
    pub gain: Option<Spread>,
    pub load_ms: u128,
}

/// The loaded catalogue.
#[derive(Debug, Clone)]
pub struct Catalogue {
    puzzles: Vec<LoadedPuzzle>,
    by_id: HashMap<String, usize>,
    /// The daily rotation: puzzle indexes ordered by a hash of their id.
    daily_order: Vec<usize>,
    problems: Vec<Problem>,
    load_time: Duration,
}

impl Catalogue {
    /// Read and validate every `*.json` file of `dir`. Problems are logged (`warn`) and kept;
    /// the valid puzzles load.
    pub fn load(engine: &Engine, dir: &Path) -> Catalogue {
        let t = Instant::now();
        let (specs, problems) = spec::read_dir(dir);
        let mut c = Catalogue::from_specs(engine, specs, problems);
        c.load_time = t.elapsed();
        c
    }

    /// Validate specs already read (and keep the problems found while reading them).
    pub fn from_specs(
        engine: &Engine,
        specs: Vec<SourcedSpec>,
        mut problems: Vec<Problem>,
    ) -> Catalogue {
        let t = Instant::now();
        // Ids first, in order: the first definition wins.
        let mut first: HashMap<String, PathBuf> = HashMap::new();
        let mut unique = Vec::with_capacity(specs.len());
        for s in specs {
            if let Some(src) = first.get(&s.spec.id) {
                problems.push(Problem {
                    source: s.source.clone(),
                    puzzle: Some(s.spec.id.clone()),
                    kind: ProblemKind::DuplicateId {
                        first: src.display().to_string(),
                    },
                });
                continue;
            }
            first.insert(s.spec.id.clone(), s.source.clone());
            unique.push(s);
        }
        let results: Vec<Result<LoadedPuzzle, Vec<Problem>>> = unique
            .into_par_iter()
            .map(|s| validate(engine, s))
            .collect();
        let mut puzzles = Vec::new();
        for r in results {
            match r {
                Ok(p) => puzzles.push(p),
                Err(ps) => problems.extend(ps),
            }
        }
        for p in &problems {
            tracing::warn!(
                source = %p.source.display(),
                puzzle = p.puzzle.as_deref().unwrap_or("-"),
                "puzzle left out: {p}"
            );
        }
        let by_id = puzzles
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let mut daily_order: Vec<usize> = (0..puzzles.len()).collect();
        daily_order.sort_by_key(|&i| {
            (
                xxhash_rust::xxh3::xxh3_64(puzzles[i].id.as_bytes()),
                puzzles[i].id.clone(),
            )
        });
        Catalogue {
            puzzles,
            by_id,
            daily_order,
            problems,
            load_time: t.elapsed(),
        }
    }

    /// Every valid puzzle, in catalogue order (files by name, then order in the file).
    pub fn puzzles(&self) -> &[LoadedPuzzle] {
        &self.puzzles
    }

    pub fn len(&self) -> usize {
        self.puzzles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.puzzles.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&LoadedPuzzle> {
        self.by_id.get(id).map(|&i| &self.puzzles[i])
    }

    /// The puzzles of one difficulty (all with `None`), in catalogue order.
    pub fn list(&self, difficulty: Option<Difficulty>) -> Vec<&LoadedPuzzle> {
        self.puzzles
            .iter()
            .filter(|p| difficulty.is_none_or(|d| p.difficulty == d))
            .collect()
    }

    /// The puzzle of the day for a (year, month, day) date: a fixed rotation through the
    /// catalogue (ordered by a hash of the ids) indexed by the day number, so the same date
    /// always gives the same puzzle, and consecutive days give different puzzles until the
    /// whole catalogue has come round. `None` only for an empty catalogue.
    pub fn daily(&self, date: (i32, u32, u32)) -> Option<&LoadedPuzzle> {
        if self.puzzles.is_empty() {
            return None;
        }
        let day = days_from_civil(date.0, date.1, date.2);
        let i = day.rem_euclid(self.daily_order.len() as i64) as usize;
        Some(&self.puzzles[self.daily_order[i]])
    }

    /// The puzzle of the day at `now` (Unix seconds, UTC).
    pub fn daily_at(&self, now: u64) -> Option<&LoadedPuzzle> {
        self.daily(utc_date(now))
    }

    /// Everything wrong with the catalogue (empty when it is clean).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// How long reading and validating took.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }

    pub fn summary(&self) -> Summary {
        let count = |d| self.puzzles.iter().filter(|p| p.difficulty == d).count();
        let fig = |f: fn(&LoadedPuzzle) -> f32| Spread::of(self.puzzles.iter().map(f).collect());
        Summary {
            puzzles: self.puzzles.len(),
            easy: count(Difficulty::Easy),
            medium: count(Difficulty::Medium),
            hard: count(Difficulty::Hard),
            with_wildcard: self.puzzles.iter().filter(|p| p.has_wildcard).count(),
            problems: self.problems.len(),
            start_similarity: fig(|p| p.start_similarity),
            optimum: fig(|p| p.optimal_similarity),
            gain: fig(|p| p.optimal_similarity - p.start_similarity),
            load_ms: self.load_time.as_millis(),
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = year as i64 - (month <= 2) as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + (m <= 2) as i64;
    (y as i32, m, d)
}

/// The UTC date (year, month, day) of `secs` Unix seconds; the caller's clock says when now is.
pub fn utc_date(secs: u64) -> (i32, u32, u32) {
    civil_from_days((secs / 86_400) as i64)
}

/// Look a catalogue word up (case-insensitively); a problem if it is missing or offensive.
fn word_of(
    emb: &Embeddings,
    field: &'static str,
    raw: &str,
    errs: &mut Vec<ProblemKind>,
) -> Option<WordId> {
    match emb.lookup(raw) {
        None => {
            errs.push(ProblemKind::UnknownWord {
                field,
                word: raw.to_string(),
            });
            None
        }
        Some(id) if emb.is_unfit_to_deal(id) => {
            errs.push(ProblemKind::OffensiveWord {
                field,
                word: raw.to_string(),
            });
            None
        }
        Some(id) => Some(id),
    }
}

/// Validate one puzzle and compute its optimum, top moves and thresholds. One function because
/// it reports every problem of a puzzle at once (the author fixes them in one pass): each check
/// adds to the same list and the later steps run only when the words they need are valid.
fn validate(engine: &Engine, s: SourcedSpec) -> Result<LoadedPuzzle, Vec<Problem>> {
    let SourcedSpec { source, spec } = s;
    let fail = |kinds: Vec<ProblemKind>| {
        kinds
            .into_iter()
            .map(|kind| Problem {
                source: source.clone(),
                puzzle: Some(spec.id.clone()),
                kind,
            })
            .collect::<Vec<_>>()
    };
    let emb = &engine.emb;
    let mut errs = Vec::new();
    if !spec::is_slug(&spec.id) {
        errs.push(ProblemKind::InvalidId(spec.id.clone()));
    }
    for (field, v) in [
        ("name", &spec.name),
        ("description", &spec.description),
        ("hint", &spec.hint),
    ] {
        if v.trim().is_empty() {
            errs.push(ProblemKind::EmptyField(field));
        }
    }
    let start = word_of(emb, "start_word", &spec.start_word, &mut errs);
    let target = word_of(emb, "target_word", &spec.target_word, &mut errs);
    let mut has_wildcard = false;
    let mut listed: Vec<WordId> = Vec::new();
    for raw in &spec.allowed_cards {
        if raw == WILDCARD {
            if has_wildcard {
                errs.push(ProblemKind::BadCard {
                    word: raw.clone(),
                    reason: "is listed twice",
                });
            }
            has_wildcard = true;
            continue;
        }
        if let Some(id) = word_of(emb, "card", raw, &mut errs) {
            if listed.contains(&id) {
                errs.push(ProblemKind::BadCard {
                    word: raw.clone(),
                    reason: "is listed twice",
                });
            } else {
                listed.push(id);
            }
        }
    }
    let domain_vocab = spec.domain_vocab.as_ref().map(|words| {
        words
            .iter()
            .filter_map(|w| word_of(emb, "domain_vocab word", w, &mut errs))
            .map(|id| emb.word(id).to_string())
            .collect::<Vec<_>>()
    });
    let (Some(start), Some(target)) = (start, target) else {
        return Err(fail(errs));
    };
    if start == target {
        errs.push(ProblemKind::StartIsTarget);
    }
    let (sw, tw) = (emb.word(start), emb.word(target));
    for &c in &listed {
        let w = emb.word(c);
        let reason = if c == start {
            Some("is the start word")
        } else if c == target {
            Some("is the target word")
        } else if near_copy(w, sw) {
            Some("is a near-copy of the start word")
        } else if near_copy(w, tw) {
            Some("is a near-copy of the target word")
        } else {
            None
        };
        if let Some(reason) = reason {
            errs.push(ProblemKind::BadCard {
                word: w.to_string(),
                reason,
            });
        }
    }
    let (cards, removed): (Vec<WordId>, Vec<WordId>) = listed
        .iter()
        .partition(|&&c| emb.cosine(c, target) <= MAX_CARD_COSINE);
    if cards.len() < MIN_CARDS {
        errs.push(ProblemKind::TooFewCards {
            left: cards.len(),
            min: MIN_CARDS,
            removed: removed.iter().map(|&c| emb.word(c).to_string()).collect(),
        });
    }
    if !errs.is_empty() {
        return Err(fail(errs));
    }

    let wildcard_words: Vec<WordId> = if has_wildcard {
        engine
            .deck
            .words()
            .iter()
            .copied()
            .filter(|&w| !listed.contains(&w) && wildcard_word(engine, start, target, w))
            .collect()
    } else {
        Vec::new()
    };
    let found = search::search(
        emb,
        &search::SearchInput {
            start,
            target,
            cards: &cards,
            wildcard_words: &wildcard_words,
        },
        RANKED_MOVES,
    );
    let mut all_moves = Vec::with_capacity(found.best.len());
    for f in &found.best {
        let Some(score) = score_move(emb, &engine.exact, &f.terms(start), target) else {
            continue;
        };
        all_moves.push(PuzzleMove {
            public_card: emb.word(f.a).to_string(),
            private_card: emb.word(f.b).to_string(),
            public_sign: f.sign_a,
            private_sign: f.sign_b,
            similarity: score.similarity,
            rank: score.rank,
            tier: score.tier,
            nearest: score.nearest,
            nearest_sim: score.nearest_sim,
            public_id: f.a,
            private_id: f.b,
        });
    }
    // A puzzle is scored by similarity (stars, its leaderboard): its best move is the most
    // similar one (`search` returns them most similar first), the one that earns the most
    // stars. The top moves shown with it are compared as everywhere, rank first.
    let start_similarity = emb.cosine(start, target);
    let Some(best_move) = all_moves.first().cloned() else {
        return Err(fail(vec![ProblemKind::NoImprovement {
            start: start_similarity,
            optimum: f32::NAN,
            min_gain: MIN_GAIN,
        }]));
    };
    all_moves.sort_by(|a, b| {
        crate::scoring::better_first((a.rank, a.similarity), (b.rank, b.similarity))
    });
    all_moves.truncate(TOP_MOVES);
    let optimum = best_move.similarity;
    if optimum - start_similarity < MIN_GAIN {
        return Err(fail(vec![ProblemKind::NoImprovement {
            start: start_similarity,
            optimum,
            min_gain: MIN_GAIN,
        }]));
    }
    let (derived, derived_win) = derived_thresholds(start_similarity, optimum);
    let stars_thresholds = spec.stars_thresholds.unwrap_or(derived);
    let win_threshold = spec.win_threshold.unwrap_or(derived_win);
    let fixed_thresholds = spec.stars_thresholds.is_some() || spec.win_threshold.is_some();
    let [one, two, three] = stars_thresholds.as_array();
    let threshold_problem = if ![one, two, three, win_threshold]
        .iter()
        .all(|x| x.is_finite())
    {
        Some("thresholds must be numbers".to_string())
    } else if !(start_similarity < one && one < two && two < three) {
        Some(format!(
            "stars must rise above the start word's similarity: {start_similarity:.3} < {one:.3} < {two:.3} < {three:.3} fails"
        ))
    } else if three > optimum {
        Some(format!(
            "3 stars ({three:.3}) are out of reach: the best move scores {optimum:.3}"
        ))
    } else if !(start_similarity < win_threshold && win_threshold <= three) {
        Some(format!(
            "the win threshold ({win_threshold:.3}) must lie above the start word's similarity ({start_similarity:.3}) and at most at 3 stars ({three:.3})"
        ))
    } else {
        None
    };
    if let Some(msg) = threshold_problem {
        return Err(fail(vec![ProblemKind::BadThresholds(msg)]));
    }
    Ok(LoadedPuzzle {
        id: spec.id.clone(),
        difficulty: spec.difficulty,
        name: spec.name.trim().to_string(),
        description: spec.description.trim().to_string(),
        hint: spec.hint.trim().to_string(),
        start_word: sw.to_string(),
        target_word: tw.to_string(),
        start,
        target,
        allowed_cards: cards.iter().map(|&c| emb.word(c).to_string()).collect(),
        card_ids: cards,
        removed_cards: removed.iter().map(|&c| emb.word(c).to_string()).collect(),
        has_wildcard,
        domain_vocab,
        stars_thresholds,
        win_threshold,
        fixed_thresholds,
        start_similarity,
        optimal_similarity: optimum,
        best_move,
        all_moves,
        move_count: found.moves,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        for d in [-800_000i64, -1, 0, 1, 59, 60, 10_957, 20_000, 2_932_896] {
            let (y, m, day) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, day), d, "{d}");
        }
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        // A day starts at UTC midnight: the last second of one day and the first of the next.
        assert_eq!(utc_date(19_782 * 86_400 - 1), (2024, 2, 28));
        assert_eq!(utc_date(19_782 * 86_400), (2024, 2, 29));
        assert_eq!(utc_date(0), (1970, 1, 1));
    }

    #[test]
    fn derived_thresholds_rise_between_start_and_optimum() {
        let (t, win) = derived_thresholds(0.4, 0.8);
        let [a, b, c] = t.as_array();
        assert!(0.4 < a && a < b && b < c && c < 0.8, "{t:?}");
        assert!(0.4 < win && win <= c);
    }
}
