//! Designed, fair deals (`../shared/API.md`, "Dealing").
//!
//! A round is a start word, a target word, `n_public` public cards and `m_private` private
//! cards per player. How a round is dealt, from one seeded ChaCha8 stream:
//!
//! 1. **Target**: a deck word among the [`TARGET_POOL`] most frequent (no function word).
//! 2. **Start**: one of the target's [`SEARCH_K`] nearest deck words (related) whose cosine to
//!    it lies in the difficulty's start band ([`Bands::start_cosine`]: not close).
//! 3. **Candidates**: three HNSW searches over deck words, around the target, the start and
//!    their midpoint (a fourth, deeper one around the target when near-misses are scarce).
//!    Each hit gets a [`Role`] from its cosines to the start (`cs`) and the target (`ct`) by
//!    [`role_of`]; hits with no role, and words that may not be dealt ([`card_allowed`]: the
//!    start, the target, a near-copy of either, a near-synonym of the target, a function word)
//!    are dropped, and no card is a near-copy of a card already dealt.
//! 4. **Public cards**: one of each role, then by role in the difficulty's mix
//!    ([`Bands::public_mix`]); shown shuffled.
//! 5. **Hands**: every candidate left gets its *gain*, the best similarity it reaches as the
//!    private card of a move with those public cards. A hand's par is the best gain of its
//!    word cards, so a window `[lo, lo + par_band]` of gains makes the deal fair: each player
//!    gets one *key* card whose gain is in the window and fills the rest of the hand with cards
//!    whose gain is below `lo`, each pick going to the role dealt least so far. `lo` is at least
//!    `cos(start, target)` plus the difficulty's margin, and the window must hold enough cards;
//!    among the windows that work, [`Bands::window_position`] picks one (easy the highest,
//!    medium the middle, hard near the bottom). Jokers complete the hands.
//! 6. **Check**: every hand's [`par`] (the exact definition, as a move is scored) is checked
//!    against the bands; an attempt that fails any step is thrown away and the next one draws
//!    a new target ([`MAX_ATTEMPTS`] in all).
//!
//! The same engine, spec and seed give the same deal (ids from an ordered set, a seeded
//! stream, deterministic index searches). Deals depend on the frozen HNSW graph: an index
//! rebuilt with other parameters may deal other rounds from the same seed.
//!
//! The figures below were calibrated on the committed model (`glove-6B-50d-100k`, deck of
//! 10,000): see [`describe_calibration`].

use crate::embeddings::{Embeddings, WordId};
use crate::engine::Engine;
use crate::index::Hit;
use crate::scoring::{combine, near_copy};
use crate::simd::exact_dot;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------------------
// Calibrated constants
//
// Measured on the committed model (glove-6B-50d-100k, 100,000 words, 50 dimensions) with the
// default deck (10,000 words), by the ignored tests `deals::calibration_model` (20,000 random
// deck pairs; the deck neighbours of 500 random targets) and `deals::calibration_deals` (300
// deals per difficulty at the default settings: 8 players, 10 public, 2 private, wildcard 0.2).
// In 50 dimensions cosines run high: a random pair of deck words has a median cosine of 0.19
// (p95 0.51), a target's 10th nearest deck word 0.76, its 100th 0.64, its 300th 0.57.
// ---------------------------------------------------------------------------------------------

/// A card may not have a cosine above this to the target: it would be a near-synonym, a
/// give-away. A median target has 3 deck words above 0.80 (mean 12.4; "meat": beef 0.92, pork
/// 0.90, fried 0.81), 1 above 0.85 and 12 above 0.75; 0.80 removes the handful of inflections
/// and co-hyponyms that make a round trivial while keeping strong pulls (0.60-0.80). Stricter
/// than the jokers' 0.85 (API.md) because the dealer, not the player, chose the card.
pub const CARD_MAX_TARGET_COSINE: f32 = 0.80;

/// Pull: `ct ≥ PULL_MIN_COSINE` and `ct − cs ≥ PULL_EDGE` (closer to the target than to the
/// start). 0.60 is about a median target's 200th nearest deck word. Mean gain as a private card
/// (best move with the public cards, minus `cos(start, target)`): 0.21-0.22.
pub const PULL_MIN_COSINE: f32 = 0.60;
pub const PULL_EDGE: f32 = 0.05;
/// Lure, linked to both: `cs ≥ LURE_MIN_COSINE` and `ct ≥ LURE_MIN_COSINE` (and not a pull).
/// 0.50 is the p95 of a random deck pair: clearly related to each. Mean gain 0.15-0.18.
pub const LURE_MIN_COSINE: f32 = 0.50;
/// Subtract, carries the start's meaning, not the target's: `cs ≥ SUBTRACT_MIN_COSINE` and
/// `cs − ct ≥ SUBTRACT_EDGE`. Mean gain 0.11-0.13; on hard rounds 7% of pars subtract a card
/// (under 1% on easy ones: in these vectors adding usually beats subtracting).
pub const SUBTRACT_MIN_COSINE: f32 = 0.55;
pub const SUBTRACT_EDGE: f32 = 0.15;
/// Near-miss, in the target's neighbourhood but outside the pulls: `ct ≥ NEAR_MISS_MIN_COSINE`
/// (and not a pull or a lure). Mean gain 0.18, below the pulls' 0.21-0.22.
pub const NEAR_MISS_MIN_COSINE: f32 = 0.45;

/// Targets and starts are drawn from this many of the most frequent deck words (familiar
/// words; cards come from the whole deck).
pub const TARGET_POOL: usize = 5_000;
/// Deck neighbours fetched per search (three searches a deal), more when a round needs many
/// cards (`3 ×` the word cards dealt). The start is one of the target's `SEARCH_K` nearest
/// deck words: with 300 the candidates hold 80-100 pulls, 80-120 subtract cards, 100-130 lures
/// and 130-140 near-misses on average, and a filtered search costs about 0.25 ms.
pub const SEARCH_K: usize = 300;
/// Near-misses wanted among the candidates; with fewer (dense neighbourhoods, where the first
/// 300 deck words all lie above 0.60), a deeper search around the target ([`NEAR_MISS_DEEP_K`]
/// deck words) looks for more. It lifted deals showing all four roles from 90% to 99%.
pub const NEAR_MISS_WANTED: usize = 4;
pub const NEAR_MISS_DEEP_K: usize = 1_200;
/// Attempts (each with a new target) before [`deal`] gives up. At the default settings one
/// attempt in nine (easy) to one in four (hard) is thrown away, mostly for want of a start
/// word in the band among the target's neighbours; at 32 players × 10 private × 30 public
/// cards up to three in four (too few cards in a window). 200 attempts make a failure
/// practically impossible (0.75^200 < 1e-24).
pub const MAX_ATTEMPTS: usize = 200;

/// Slack kept inside the bands when choosing cards, so that the exact check cannot fail on a
/// rounding difference between the fast gain and [`par`].
const SLACK: f64 = 1e-4;

/// What a difficulty changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bands {
    /// The cosine of the start word to the target lies in `[lo, hi]` (and the start is one of
    /// the target's [`SEARCH_K`] nearest deck words).
    pub start_cosine: (f32, f32),
    /// Every hand's par similarity is at least `cos(start, target) + min_improvement`.
    pub min_improvement: f32,
    /// Players' par similarities differ by at most this.
    pub par_band: f32,
    /// Where the par window sits among those that work: 1 the highest, 0 the lowest.
    pub window_position: f64,
    /// Weights of pull, subtract, lure and near-miss among the public cards (one of each
    /// first, heaviest first, then in these proportions).
    pub public_mix: [u32; 4],
}

/// Easy: the start is closest to the target, the pars are the highest reachable (window at the
/// top), public cards lean to pulls. Measured (300 deals, default settings): cos(start,
/// target) mean 0.617; lowest par improvement mean 0.226 (p5 0.169); par spread mean 0.022.
pub const EASY: Bands = Bands {
    start_cosine: (0.55, 0.70),
    min_improvement: 0.15,
    par_band: 0.04,
    window_position: 1.0,
    public_mix: [4, 3, 1, 2],
};
/// Medium: cos(start, target) mean 0.584; lowest par improvement mean 0.187 (p5 0.140); par
/// spread mean 0.031.
pub const MEDIUM: Bands = Bands {
    start_cosine: (0.50, 0.65),
    min_improvement: 0.10,
    par_band: 0.04,
    window_position: 0.5,
    public_mix: [3, 3, 2, 2],
};
/// Hard: the start is farthest, the window low, more lures and subtract cards. cos(start,
/// target) mean 0.552; lowest par improvement mean 0.159 (p5 0.109); par spread mean 0.028.
/// (With the window at the very bottom hands were three quarters subtract cards; at 0.2 they
/// mix all roles.)
pub const HARD: Bands = Bands {
    start_cosine: (0.45, 0.60),
    min_improvement: 0.05,
    par_band: 0.04,
    window_position: 0.2,
    public_mix: [2, 3, 3, 2],
};

/// The calibration behind the constants, for the README.
pub fn describe_calibration() -> &'static str {
    CALIBRATION
}

const CALIBRATION: &str = "\
Deals are calibrated on the committed model (glove-6B-50d-100k, deck of 10,000 words). In 50 \
dimensions cosines run high: a random pair of deck words has a median cosine of 0.19 (p95 0.51) \
and random pairs between 0.3 and 0.6 still look unrelated (stations-hours, weather-depth), while a target's 10th, \
100th and 300th nearest deck words sit at 0.76, 0.64 and 0.57 (medians over 500 targets). So a \
start word must be one of the target's 300 nearest deck words (related) with a cosine in the \
difficulty's band (not close): easy 0.55-0.70, medium 0.50-0.65, hard 0.45-0.60. Targets and \
starts come from the 5,000 most frequent deck words, function words excluded.

Cards never have a cosine above 0.80 to the target (near-synonyms: a median target has 3 deck \
words above 0.80, 1 above 0.85), are never the start, the target or a near-copy of either or of \
another card, and each is chosen for a role from its cosine to the start (cs) and the target \
(ct): pull ct >= 0.60 and ct - cs >= 0.05; lure cs >= 0.50 and ct >= 0.50; subtract cs >= 0.55 \
and cs - ct >= 0.15; near-miss ct >= 0.45. Their mean gain as a private card (best similarity \
with the public cards minus cos(start, target)) is 0.21-0.22 for pulls, 0.18 for near-misses, \
0.15-0.18 for lures, 0.11-0.13 for subtract cards.

Fairness: every player's par (best move of the hand, jokers aside) beats cos(start, target) by \
at least 0.15 (easy), 0.10 (medium) or 0.05 (hard), and the players' pars lie within 0.04 of \
each other. Over 300 deals per difficulty at the default settings the lowest par improvement \
averaged 0.226 (easy), 0.187 (medium) and 0.159 (hard), the par spread 0.022, 0.031 and 0.028. \
Jokers per hand: round(M_private x wildcard_ratio), at most M_private - 1 below a ratio of 1; \
at 1 every card is a joker, hands are identical and there is no par.

A deal for 8 players, 10 public and 2 private cards takes about 1.5 ms on one core (three HNSW \
searches of 300 deck words, the gains of ~400 candidates, the exact check of every par); 32 \
players x 10 private x 30 public cards about 30 ms.";

/// Function words (a common English stop-word list, plus "percent", "according", "despite" and
/// "whereby", frequent in the news text the model was trained on): deck-shaped and frequent,
/// but no fun as a start, a target or a card. Sorted, for a binary search.
#[rustfmt::skip]
const FUNCTION_WORDS: &[&str] = &[
    "about", "above", "according", "after", "again", "against", "ago", "all", "almost", "along",
    "already", "also", "although", "always", "amid", "among", "amongst", "and", "another",
    "any", "anybody", "anyone", "anything", "anyway", "anywhere", "are", "around", "away",
    "back", "became", "because", "become", "becomes", "been", "before", "behind", "being",
    "below", "beside", "besides", "between", "beyond", "both", "but", "can", "cannot", "could",
    "despite", "did", "does", "doing", "done", "down", "during", "each", "either", "else",
    "elsewhere", "enough", "etc", "even", "ever", "every", "everyone", "everything", "except",
    "few", "for", "from", "further", "get", "gets", "getting", "got", "had", "has", "have",
    "having", "hence", "her", "here", "hers", "herself", "him", "himself", "his", "how",
    "however", "including", "indeed", "into", "its", "itself", "just", "least", "less", "like",
    "many", "may", "maybe", "meanwhile", "might", "mine", "more", "moreover", "most", "mostly",
    "much", "must", "myself", "neither", "never", "next", "nobody", "none", "nor", "not",
    "nothing", "now", "nowhere", "off", "often", "once", "one", "only", "onto", "other",
    "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own", "per", "percent",
    "perhaps", "quite", "rather", "said", "same", "say", "saying", "says", "several", "shall",
    "she", "should", "since", "some", "somebody", "somehow", "someone", "something",
    "sometimes", "somewhat", "still", "such", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "thence", "there", "thereby", "therefore", "these", "they", "this",
    "those", "though", "through", "throughout", "thus", "till", "together", "too", "toward",
    "towards", "under", "unless", "unlike", "until", "unto", "upon", "very", "via", "was",
    "well", "were", "what", "whatever", "when", "whenever", "where", "whereas", "whereby",
    "wherever", "whether", "which", "while", "who", "whoever", "whole", "whom", "whose", "why",
    "will", "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself",
    "yourselves",
];

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    #[default]
    Medium,
    Hard,
}

impl Difficulty {
    pub const ALL: [Difficulty; 3] = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard];

    /// Its name, as the API spells it (`"medium"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }

    /// The bands this difficulty deals to.
    pub const fn bands(self) -> Bands {
        match self {
            Difficulty::Easy => EASY,
            Difficulty::Medium => MEDIUM,
            Difficulty::Hard => HARD,
        }
    }
}

/// A private card: a word, or a JOKER the player replaces by any allowed word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Card {
    Word(WordId),
    Joker,
}

impl Card {
    pub fn word(self) -> Option<WordId> {
        match self {
            Card::Word(id) => Some(id),
            Card::Joker => None,
        }
    }
}

/// What to deal.
#[derive(Debug, Clone, PartialEq)]
pub struct DealSpec {
    pub n_public: usize,
    pub m_private: usize,
    pub players: usize,
    pub wildcard_ratio: f64,
    pub difficulty: Difficulty,
}

impl DealSpec {
    /// Jokers per hand: `round(m_private × wildcard_ratio)`, but at most `m_private − 1` while
    /// the ratio is below 1 (every hand keeps a word card); all of them at a ratio of 1.
    pub fn jokers_per_hand(&self) -> usize {
        let r = self.wildcard_ratio.clamp(0.0, 1.0);
        if r >= 1.0 {
            return self.m_private;
        }
        let j = (self.m_private as f64 * r).round() as usize;
        j.min(self.m_private.saturating_sub(1))
    }

    /// Word cards per hand.
    pub fn words_per_hand(&self) -> usize {
        self.m_private - self.jokers_per_hand()
    }
}

/// Why a card was dealt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Close to the target: adding it pulls the ball there.
    Pull,
    /// Carries the start word's meaning, not the target's: worth subtracting.
    Subtract,
    /// Linked to both the start and the target.
    Lure,
    /// Looks related to the target but pulls more weakly than a pull.
    NearMiss,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Pull, Role::Subtract, Role::Lure, Role::NearMiss];

    fn index(self) -> usize {
        self as usize
    }
}

/// A dealt round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    pub start: WordId,
    pub target: WordId,
    pub public: Vec<WordId>,
    /// One hand per player, in player order: word cards first, then jokers.
    pub private: Vec<Vec<Card>>,
    /// The role each dealt word card was chosen for: public cards, then each hand's.
    pub roles: Vec<(WordId, Role)>,
}

impl Deal {
    /// The role a dealt word card was chosen for.
    pub fn role(&self, id: WordId) -> Option<Role> {
        self.roles.iter().find(|(w, _)| *w == id).map(|(_, r)| *r)
    }
}

/// A concrete move (signs are +1 / -1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Move {
    pub public: WordId,
    pub public_sign: i8,
    pub private: WordId,
    pub private_sign: i8,
}

/// The best move a hand allows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Par {
    pub mv: Move,
    pub similarity: f32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DealError {
    #[error("invalid deal: {0}")]
    InvalidSpec(&'static str),
    #[error("the deck has {deck} words, too few to deal {needed} distinct cards")]
    DeckTooSmall { deck: usize, needed: usize },
    #[error("no fair deal found after {attempts} attempts")]
    NoFairDeal { attempts: usize },
}

// ---------------------------------------------------------------------------------------------
// Par
// ---------------------------------------------------------------------------------------------

/// Similarity of `start + ps·p + qs·q` to the target, exactly as a move is scored.
fn move_similarity(emb: &Embeddings, start: WordId, target: WordId, mv: &Move) -> Option<f32> {
    let terms = crate::scoring::move_terms(
        start,
        (mv.public, mv.public_sign),
        (mv.private, mv.private_sign),
    );
    combine(emb, &terms).map(|(ball, _)| exact_dot(&ball, emb.vector(target)))
}

/// Every move a hand allows with the given public cards (jokers aside), with its similarity,
/// in the order public card, private card, public sign (+ first), private sign (+ first).
/// Moves whose words cancel out are left out.
fn each_move<'a>(
    engine: &'a Engine,
    start: WordId,
    target: WordId,
    public: &'a [WordId],
    hand: &'a [Card],
) -> impl Iterator<Item = Par> + 'a {
    let emb = &engine.emb;
    public.iter().flat_map(move |&p| {
        hand.iter()
            .filter_map(|c| c.word())
            .filter(move |&q| q != p)
            .flat_map(move |q| {
                [(1i8, 1i8), (1, -1), (-1, 1), (-1, -1)]
                    .into_iter()
                    .filter_map(move |(ps, qs)| {
                        let mv = Move {
                            public: p,
                            public_sign: ps,
                            private: q,
                            private_sign: qs,
                        };
                        move_similarity(emb, start, target, &mv)
                            .map(|similarity| Par { mv, similarity })
                    })
            })
    })
}

/// The most similar move a hand allows with the given public cards (jokers aside): the first
/// of the most similar in [`each_move`]'s order. `None` if the hand has no word card or there
/// is no public card. (What the deal's fairness bands are measured on; the par players see is
/// chosen rank first from [`hand_moves`].)
pub fn par(
    engine: &Engine,
    start: WordId,
    target: WordId,
    public: &[WordId],
    hand: &[Card],
) -> Option<Par> {
    each_move(engine, start, target, public, hand).fold(None, |best: Option<Par>, m| {
        if best.is_none_or(|b| m.similarity > b.similarity) {
            Some(m)
        } else {
            best
        }
    })
}

/// Every move a hand allows (jokers aside), most similar first (ties in [`each_move`]'s
/// order): what par and the computer opponents choose from.
pub fn hand_moves(
    engine: &Engine,
    start: WordId,
    target: WordId,
    public: &[WordId],
    hand: &[Card],
) -> Vec<Par> {
    let mut moves: Vec<Par> = each_move(engine, start, target, public, hand).collect();
    moves.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
    moves
}

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

/// The role a word plays in a round, from its cosine to the start (`cs`) and to the target
/// (`ct`); `None` if it plays none (it is not dealt).
pub fn role_of(cs: f32, ct: f32) -> Option<Role> {
    if ct > CARD_MAX_TARGET_COSINE {
        None
    } else if ct >= PULL_MIN_COSINE && ct - cs >= PULL_EDGE {
        Some(Role::Pull)
    } else if cs >= LURE_MIN_COSINE && ct >= LURE_MIN_COSINE {
        Some(Role::Lure)
    } else if cs >= SUBTRACT_MIN_COSINE && cs - ct >= SUBTRACT_EDGE {
        Some(Role::Subtract)
    } else if ct >= NEAR_MISS_MIN_COSINE {
        Some(Role::NearMiss)
    } else {
        None
    }
}

/// Whether a word is a function word (never a start, a target or a card).
pub fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.binary_search(&word).is_ok()
}

/// Whether a deck word may be dealt at all (as a start, a target or a card).
fn dealable(engine: &Engine, id: WordId) -> bool {
    engine.deck.contains(id)
        && !engine.emb.is_unfit_to_deal(id)
        && !is_function_word(engine.emb.word(id))
}

/// Whether `id` may be a card of a round with this start and target (before distinctness).
pub fn card_allowed(engine: &Engine, start: WordId, target: WordId, id: WordId) -> bool {
    let emb = &engine.emb;
    if id == start || id == target || !dealable(engine, id) {
        return false;
    }
    let w = emb.word(id);
    !near_copy(w, emb.word(start))
        && !near_copy(w, emb.word(target))
        && emb.cosine(id, target) <= CARD_MAX_TARGET_COSINE
}

// ---------------------------------------------------------------------------------------------
// Dealing
// ---------------------------------------------------------------------------------------------

/// A candidate card.
#[derive(Debug, Clone, Copy)]
struct Cand {
    id: WordId,
    role: Role,
    /// The best similarity it reaches as a private card with the public cards.
    gain: f64,
}

/// Deck neighbours of `query`, best first.
fn deck_neighbours(engine: &Engine, query: &[f32], k: usize, seeds: &[WordId]) -> Vec<Hit> {
    let deck = &engine.deck;
    let skip = |id: WordId| !deck.contains(id);
    let ef = k.max(engine.hnsw.params.ef_search);
    engine.hnsw.search_ef(query, k, ef, &skip, seeds)
}

fn normalise(v: &mut [f32]) {
    let n = v
        .iter()
        .map(|x| (*x as f64) * (*x as f64))
        .sum::<f64>()
        .sqrt();
    if n > 0.0 {
        for x in v {
            *x = (*x as f64 / n) as f32;
        }
    }
}

/// Deal a round for `spec.players` players, reproducibly from `seed`.
#[tracing::instrument(level = "debug", skip_all, fields(players = spec.players, seed))]
pub fn deal(engine: &Engine, spec: &DealSpec, seed: u64) -> Result<Deal, DealError> {
    deal_traced(engine, spec, seed).0
}

/// Why an attempt was thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Miss {
    /// The drawn target may not be dealt (a function word).
    Target,
    /// No deck neighbour of the target in the start band.
    Start,
    /// Too few candidates of the roles the public cards ask for.
    Public,
    /// No window of gains with enough cards.
    Window,
    /// Near-copy clashes used up the cards a window had.
    Hands,
    /// The exact check of the pars failed.
    Check,
}

/// How a deal went: the attempts thrown away, by reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DealTrace {
    pub misses: Vec<Miss>,
    /// Candidates per role (pull, subtract, lure, near-miss) of the last attempt.
    pub pools: [usize; 4],
    /// Of the last attempt that reached the hands: the lowest and highest workable window
    /// floor and the chosen one, as improvements over `cos(start, target)`.
    pub windows: Option<[f32; 3]>,
}

/// [`deal`], with the attempts it threw away (for calibration and tests).
pub fn deal_traced(
    engine: &Engine,
    spec: &DealSpec,
    seed: u64,
) -> (Result<Deal, DealError>, DealTrace) {
    deal_with_bands(engine, spec, &spec.difficulty.bands(), seed)
}

/// [`deal_traced`] with explicit bands instead of the difficulty's (for calibration).
pub fn deal_with_bands(
    engine: &Engine,
    spec: &DealSpec,
    bands: &Bands,
    seed: u64,
) -> (Result<Deal, DealError>, DealTrace) {
    let mut trace = DealTrace::default();
    if spec.players == 0 {
        return (Err(DealError::InvalidSpec("no players")), trace);
    }
    if spec.n_public == 0 {
        return (Err(DealError::InvalidSpec("no public card")), trace);
    }
    let needed = spec.n_public + spec.players * spec.words_per_hand() + 2;
    if engine.deck.len() < needed {
        return (
            Err(DealError::DeckTooSmall {
                deck: engine.deck.len(),
                needed,
            }),
            trace,
        );
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..MAX_ATTEMPTS {
        let sub = rng.random::<u64>();
        match try_deal(
            engine,
            spec,
            bands,
            &mut ChaCha8Rng::seed_from_u64(sub),
            &mut trace,
        ) {
            Ok(d) => return (Ok(d), trace),
            Err(m) => trace.misses.push(m),
        }
    }
    (
        Err(DealError::NoFairDeal {
            attempts: MAX_ATTEMPTS,
        }),
        trace,
    )
}

/// Pick a target among the [`TARGET_POOL`] most frequent deck words, and a start word among
/// its [`SEARCH_K`] nearest deck words (related) whose cosine to it lies in the difficulty's
/// start band (not close). Also returns the target's deck neighbours.
fn pick_start_target(
    engine: &Engine,
    bands: &Bands,
    rng: &mut ChaCha8Rng,
) -> Result<(WordId, WordId, Vec<Hit>), Miss> {
    let emb = &engine.emb;
    let words = engine.deck.words();
    let pool = &words[..TARGET_POOL.min(words.len())];
    let target = pool[rng.random_range(0..pool.len())];
    if !dealable(engine, target) {
        return Err(Miss::Target);
    }
    let around = deck_neighbours(engine, emb.vector(target), SEARCH_K, &[target]);
    let wt = emb.word(target);
    let (lo, hi) = bands.start_cosine;
    let starts: Vec<WordId> = around
        .iter()
        .filter(|h| h.sim >= lo && h.sim <= hi && h.id != target)
        .map(|h| h.id)
        .filter(|&id| dealable(engine, id) && !near_copy(emb.word(id), wt))
        .collect();
    if starts.is_empty() {
        return Err(Miss::Start);
    }
    let start = starts[rng.random_range(0..starts.len())];
    Ok((start, target, around))
}

/// One attempt at a deal, in the order the cards are chosen: the start and target, the
/// candidate cards sorted into their roles, the public cards, every candidate's best gain with
/// those public cards, a window of gains every hand's key card comes from, and the hands. The
/// steps draw from `rng` in that order, so a seed deals the same round whatever else changes.
fn try_deal(
    engine: &Engine,
    spec: &DealSpec,
    bands: &Bands,
    rng: &mut ChaCha8Rng,
    trace: &mut DealTrace,
) -> Result<Deal, Miss> {
    let (start, target, around_target) = pick_start_target(engine, bands, rng)?;
    let mut table = Table {
        engine,
        spec,
        bands,
        start,
        target,
        dealt: Vec::with_capacity(spec.n_public + spec.players * spec.words_per_hand()),
    };
    let mut pools = table.candidate_pools(around_target, rng);
    trace.pools = pools.each_ref().map(Vec::len);
    let mut roles = table.deal_public(&mut pools, rng)?;
    let public: Vec<WordId> = roles.iter().map(|(id, _)| *id).collect();
    if spec.words_per_hand() == 0 {
        // Hands of JOKERs only: no par to check.
        return Ok(Deal {
            start,
            target,
            public,
            private: vec![vec![Card::Joker; spec.m_private]; spec.players],
            roles,
        });
    }
    let cands = table.gains(&public, &pools);
    let (lo, hi, windows) = table.window(&cands)?;
    trace.windows = Some(windows);
    let (private, hand_roles) = table.deal_hands(&cands, (lo, hi), &roles, rng)?;
    roles.extend(hand_roles);
    let deal = Deal {
        start,
        target,
        public,
        private,
        roles,
    };
    if check(engine, bands, &deal) {
        Ok(deal)
    } else {
        Err(Miss::Check)
    }
}

/// The private hands of a deal, and each word card's role.
type Hands = (Vec<Vec<Card>>, Vec<(WordId, Role)>);

/// What one attempt at a deal shares between its steps: the round's words and every card dealt
/// so far (no two cards of a round are near-copies).
struct Table<'a> {
    engine: &'a Engine,
    spec: &'a DealSpec,
    bands: &'a Bands,
    start: WordId,
    target: WordId,
    dealt: Vec<WordId>,
}

impl Table<'_> {
    /// Candidates from three searches (around the target, around the start, and between
    /// them), each word once, sorted into the four roles by their cosines to start and target;
    /// each pool shuffled.
    fn candidate_pools(&self, around_target: Vec<Hit>, rng: &mut ChaCha8Rng) -> [Vec<WordId>; 4] {
        let (engine, emb) = (self.engine, &self.engine.emb);
        let (start, target) = (self.start, self.target);
        let (vs, vt) = (emb.vector(start), emb.vector(target));
        let demand = self.spec.n_public + self.spec.players * self.spec.words_per_hand();
        let k = SEARCH_K.max(3 * demand);
        let mut mid: Vec<f32> = vs.iter().zip(vt).map(|(a, b)| a + b).collect();
        normalise(&mut mid);
        let mut ids: BTreeSet<WordId> = BTreeSet::new();
        let around_target = if k > SEARCH_K {
            deck_neighbours(engine, vt, k, &[target])
        } else {
            around_target
        };
        for hits in [
            around_target,
            deck_neighbours(engine, vs, k, &[start]),
            deck_neighbours(engine, &mid, k, &[start, target]),
        ] {
            ids.extend(hits.iter().map(|h| h.id));
        }
        let mut pools: [Vec<WordId>; 4] = Default::default();
        for id in ids {
            if !card_allowed(engine, start, target, id) {
                continue;
            }
            if let Some(role) = role_of(emb.cosine(id, start), emb.cosine(id, target)) {
                pools[role.index()].push(id);
            }
        }
        // Targets with a dense neighbourhood have no near-miss among their first neighbours:
        // look further out.
        if pools[Role::NearMiss.index()].len() < NEAR_MISS_WANTED {
            let deeper = deck_neighbours(engine, vt, NEAR_MISS_DEEP_K.max(k), &[target]);
            let have: BTreeSet<WordId> = pools.iter().flatten().copied().collect();
            let mut extra: Vec<WordId> = deeper
                .iter()
                .map(|h| h.id)
                .filter(|id| !have.contains(id) && card_allowed(engine, start, target, *id))
                .filter(|&id| {
                    role_of(emb.cosine(id, start), emb.cosine(id, target)) == Some(Role::NearMiss)
                })
                .collect();
            extra.sort_unstable();
            pools[Role::NearMiss.index()].extend(extra);
        }
        for p in pools.iter_mut() {
            p.shuffle(rng);
        }
        pools
    }

    /// Whether `id` is a near-copy of a card already dealt.
    fn clashes(&self, id: WordId) -> bool {
        clashes(&self.engine.emb, &self.dealt, id)
    }

    /// The public cards: one of each role first (heaviest in the mix first), then by role in
    /// the difficulty's mix (smooth weighted round robin); a role out of cards gives way to the
    /// next. Returned in a random order (the order they were drawn in tells the roles).
    fn deal_public(
        &mut self,
        pools: &mut [Vec<WordId>; 4],
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<(WordId, Role)>, Miss> {
        let n_public = self.spec.n_public;
        let mut public_roles: Vec<(WordId, Role)> = Vec::with_capacity(n_public);
        let mut credit = [0i64; 4];
        let mix = self.bands.public_mix;
        let total: i64 = mix.iter().map(|&w| w as i64).sum::<i64>().max(1);
        let mut first: Vec<usize> = (0..4).filter(|&r| mix[r] > 0).collect();
        first.sort_by_key(|&r| (std::cmp::Reverse(mix[r]), r));
        while public_roles.len() < n_public {
            let order: Vec<usize> = if public_roles.len() < first.len() {
                vec![first[public_roles.len()]]
            } else {
                for (c, &w) in credit.iter_mut().zip(&mix) {
                    *c += w as i64;
                }
                let mut order: Vec<usize> = (0..4).collect();
                order.sort_by_key(|&r| (-credit[r], r));
                order
            };
            let mut placed = None;
            for r in order.into_iter().chain(0..4) {
                while let Some(id) = pools[r].pop() {
                    if !self.clashes(id) {
                        placed = Some((id, r));
                        break;
                    }
                }
                if placed.is_some() {
                    break;
                }
            }
            let (id, r) = placed.ok_or(Miss::Public)?;
            self.dealt.push(id);
            public_roles.push((id, Role::ALL[r]));
            credit[r] -= total;
        }
        public_roles.shuffle(rng);
        Ok(public_roles)
    }

    /// Every remaining candidate with the best similarity it reaches as a private card with
    /// one of these public cards (either sign of each), lowest first.
    fn gains(&self, public: &[WordId], pools: &[Vec<WordId>; 4]) -> Vec<Cand> {
        let emb = &self.engine.emb;
        let (vs, vt) = (emb.vector(self.start), emb.vector(self.target));
        let a_s = emb.cosine(self.start, self.target) as f64;
        let pub_info: Vec<(&[f32], f64, f64)> = public
            .iter()
            .map(|&p| {
                let v = emb.vector(p);
                (v, exact_dot(v, vt) as f64, exact_dot(v, vs) as f64)
            })
            .collect();
        let mut cands: Vec<Cand> = Vec::new();
        for (r, pool) in pools.iter().enumerate() {
            for &id in pool {
                let v = emb.vector(id);
                let a_c = exact_dot(v, vt) as f64;
                let g_sc = exact_dot(v, vs) as f64;
                let mut gain = f64::NEG_INFINITY;
                for &(vp, a_p, g_sp) in &pub_info {
                    let g_pc = exact_dot(vp, v) as f64;
                    for ps in [1.0, -1.0] {
                        for qs in [1.0, -1.0] {
                            let n2 = 3.0 + 2.0 * (ps * g_sp + qs * g_sc + ps * qs * g_pc);
                            if n2 > 1e-9 {
                                gain = gain.max((a_s + ps * a_p + qs * a_c) / n2.sqrt());
                            }
                        }
                    }
                }
                cands.push(Cand {
                    id,
                    role: Role::ALL[r],
                    gain,
                });
            }
        }
        cands.sort_by(|a, b| a.gain.total_cmp(&b.gain).then(a.id.cmp(&b.id)));
        cands
    }

    /// The window of gains `[lo, hi]` every hand's key card comes from: `lo` is a candidate's
    /// gain at least the difficulty's improvement over the start word, the width is the
    /// difficulty's par band, and enough keys lie inside and enough cards at or below it.
    /// Returns the window and, for the trace, the lowest, highest and chosen `lo` above the
    /// base similarity.
    fn window(&self, cands: &[Cand]) -> Result<(f64, f64, [f32; 3]), Miss> {
        let (spec, bands) = (self.spec, self.bands);
        let base = self.engine.emb.cosine(self.start, self.target) as f64;
        let width = bands.par_band as f64 - 2.0 * SLACK;
        let floor = base + bands.min_improvement as f64 + SLACK;
        let cards_needed = spec.players * spec.words_per_hand();
        let mut feasible: Vec<usize> = Vec::new();
        let mut hi_idx = 0usize; // first index with gain > lo + width
        for i in 0..cands.len() {
            let lo = cands[i].gain;
            if lo < floor {
                continue;
            }
            while hi_idx < cands.len() && cands[hi_idx].gain <= lo + width {
                hi_idx += 1;
            }
            // Keys need some spare room: near-copy clashes drop a few.
            if hi_idx - i >= spec.players + spec.players / 4
                && hi_idx >= cards_needed + cards_needed / 4
            {
                feasible.push(i);
            }
        }
        if feasible.is_empty() {
            return Err(Miss::Window);
        }
        let pick = (bands.window_position * (feasible.len() - 1) as f64).round() as usize;
        let lo_idx = feasible[pick.min(feasible.len() - 1)];
        let lo = cands[lo_idx].gain;
        let windows = [
            (cands[feasible[0]].gain - base) as f32,
            (cands[*feasible.last().unwrap_or(&lo_idx)].gain - base) as f32,
            (lo - base) as f32,
        ];
        Ok((lo, lo + width, windows))
    }

    /// The hands: each gets one key card from the window and the rest from below it (spare
    /// window cards when those run out), each pick from the role dealt least so far, so that
    /// the round shows every role when it can; JOKERs fill the rest of each hand.
    fn deal_hands(
        &mut self,
        cands: &[Cand],
        (lo, hi): (f64, f64),
        public_roles: &[(WordId, Role)],
        rng: &mut ChaCha8Rng,
    ) -> Result<Hands, Miss> {
        // Window cards (keys) and cards below it (fill), by role, in a random order.
        let mut keys: [Vec<Cand>; 4] = Default::default();
        let mut fill: [Vec<Cand>; 4] = Default::default();
        for c in cands {
            if c.gain >= lo && c.gain <= hi {
                keys[c.role.index()].push(*c);
            } else if c.gain < lo {
                fill[c.role.index()].push(*c);
            }
        }
        for p in keys.iter_mut().chain(fill.iter_mut()) {
            p.shuffle(rng);
        }
        let mut per_role = [0usize; 4];
        for (_, r) in public_roles {
            per_role[r.index()] += 1;
        }
        let emb = &self.engine.emb;
        let dealt = &mut self.dealt;
        let words_per_hand = self.spec.words_per_hand();
        let mut hands: Vec<Vec<Card>> = Vec::with_capacity(self.spec.players);
        let mut roles: Vec<(WordId, Role)> = Vec::new();
        for _ in 0..self.spec.players {
            let first_role = rng.random_range(0..4usize);
            let mut take = |pools: &mut [Vec<Cand>; 4]| {
                take_least_dealt(emb, pools, &mut per_role, dealt, first_role)
            };
            let key = take(&mut keys).ok_or(Miss::Hands)?;
            let mut hand = vec![key];
            while hand.len() < words_per_hand {
                let c = take(&mut fill)
                    .or_else(|| take(&mut keys))
                    .ok_or(Miss::Hands)?;
                hand.push(c);
            }
            hand.shuffle(rng);
            roles.extend(hand.iter().map(|c| (c.id, c.role)));
            let mut cards: Vec<Card> = hand.iter().map(|c| Card::Word(c.id)).collect();
            cards.resize(self.spec.m_private, Card::Joker);
            hands.push(cards);
        }
        Ok((hands, roles))
    }
}

/// Whether `id` is a near-copy of a card in `dealt`.
fn clashes(emb: &Embeddings, dealt: &[WordId], id: WordId) -> bool {
    let w = emb.word(id);
    dealt.iter().any(|&d| near_copy(emb.word(d), w))
}

/// The next card of `pools` that clashes with no card dealt, of the least dealt role (ties:
/// the first from `first_role` on); counts and records it as dealt.
fn take_least_dealt(
    emb: &Embeddings,
    pools: &mut [Vec<Cand>; 4],
    per_role: &mut [usize; 4],
    dealt: &mut Vec<WordId>,
    first_role: usize,
) -> Option<Cand> {
    for pool in pools.iter_mut() {
        while pool.last().is_some_and(|c| clashes(emb, dealt, c.id)) {
            pool.pop();
        }
    }
    let r = (0..4)
        .map(|k| (first_role + k) % 4)
        .filter(|&r| !pools[r].is_empty())
        .min_by_key(|&r| per_role[r])?;
    let c = pools[r].pop()?;
    per_role[r] += 1;
    dealt.push(c.id);
    Some(c)
}

/// Whether every hand's exact par meets the difficulty's bands.
fn check(engine: &Engine, bands: &Bands, d: &Deal) -> bool {
    let base = engine.emb.cosine(d.start, d.target);
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    for hand in &d.private {
        match par(engine, d.start, d.target, &d.public, hand) {
            Some(p) => {
                lo = lo.min(p.similarity);
                hi = hi.max(p.similarity);
            }
            None => return false,
        }
    }
    lo - base >= bands.min_improvement && hi - lo <= bands.par_band
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(m: usize, ratio: f64) -> DealSpec {
        DealSpec {
            n_public: 10,
            m_private: m,
            players: 4,
            wildcard_ratio: ratio,
            difficulty: Difficulty::Medium,
        }
    }

    #[test]
    fn joker_counts() {
        assert_eq!(spec(2, 0.2).jokers_per_hand(), 0);
        assert_eq!(spec(2, 0.25).jokers_per_hand(), 1);
        assert_eq!(spec(1, 0.5).jokers_per_hand(), 0);
        assert_eq!(spec(1, 0.99).jokers_per_hand(), 0);
        assert_eq!(spec(1, 1.0).jokers_per_hand(), 1);
        assert_eq!(spec(4, 1.0).jokers_per_hand(), 4);
        assert_eq!(spec(4, 0.9).jokers_per_hand(), 3);
        assert_eq!(spec(10, 0.5).jokers_per_hand(), 5);
        assert_eq!(spec(10, 0.0).words_per_hand(), 10);
    }

    #[test]
    fn roles_follow_the_cosines() {
        assert_eq!(role_of(0.2, 0.7), Some(Role::Pull));
        assert_eq!(role_of(0.2, 0.9), None);
        assert_eq!(role_of(0.5, 0.5), Some(Role::Lure));
        assert_eq!(role_of(0.7, 0.1), Some(Role::Subtract));
        assert_eq!(role_of(0.1, 0.45), Some(Role::NearMiss));
        assert_eq!(role_of(0.1, 0.1), None);
        // Boundaries.
        assert_eq!(role_of(0.55, 0.60), Some(Role::Pull));
        assert_eq!(role_of(0.56, 0.60), Some(Role::Lure));
        assert_eq!(role_of(0.40, 0.80), Some(Role::Pull));
        assert_eq!(role_of(0.40, 0.81), None);
        assert_eq!(role_of(0.60, 0.45), Some(Role::Subtract));
        assert_eq!(role_of(0.45, 0.45), Some(Role::NearMiss));
        assert_eq!(role_of(0.45, 0.44), None);
    }

    #[test]
    fn function_words_are_sorted_and_deck_shaped() {
        assert!(
            FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        assert!(FUNCTION_WORDS
            .iter()
            .all(|w| crate::embeddings::deck::is_deck_shaped(w)));
    }

    #[test]
    fn bands_are_consistent() {
        for d in Difficulty::ALL {
            let b = d.bands();
            let (lo, hi) = b.start_cosine;
            assert!(0.0 < lo && lo < hi && hi < CARD_MAX_TARGET_COSINE, "{d:?}");
            assert!(b.min_improvement > 0.0 && b.par_band > 0.0, "{d:?}");
            assert!((0.0..=1.0).contains(&b.window_position), "{d:?}");
            assert!(b.public_mix.iter().all(|&w| w > 0), "{d:?}");
        }
        // Easy starts closer and promises more than medium, medium more than hard.
        let [e, m, h] = Difficulty::ALL.map(Difficulty::bands);
        assert!(e.start_cosine.0 > m.start_cosine.0 && m.start_cosine.0 > h.start_cosine.0);
        assert!(e.min_improvement > m.min_improvement && m.min_improvement > h.min_improvement);
        assert!(e.public_mix[2] < m.public_mix[2] && m.public_mix[2] < h.public_mix[2]);
        assert!(describe_calibration().contains("0.80"));
    }

    #[test]
    fn difficulty_names() {
        assert_eq!(
            serde_json::to_string(&Difficulty::Hard).unwrap(),
            "\"hard\""
        );
        assert_eq!(
            serde_json::from_str::<Difficulty>("\"easy\"").unwrap(),
            Difficulty::Easy
        );
        assert_eq!(Difficulty::default(), Difficulty::Medium);
    }

    #[test]
    fn function_words_are_known() {
        assert!(is_function_word("the"));
        assert!(is_function_word("which"));
        assert!(!is_function_word("king"));
    }
}
