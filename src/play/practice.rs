//! Practice courts (API.md "Practice, free throws and feedback"): an endless supply of rounds
//! for one player, dealt like a match round (no JOKERs), thrown at as often as one likes.
//!
//! Nothing is stored: a court's id names its difficulty and its deal's seed
//! (`medium-00c0ffee00c0ffee`), so any instance deals the same court from the id alone. Each
//! instance keeps the courts it dealt lately in a bounded cache, so a throw costs a move's
//! scoring, not a deal.

use super::recent::Recent;
use crate::embeddings::WordId;
use crate::engine::Engine;
use crate::game::bots::{self, OrderedMove};
use crate::game::deal::{self, Card, DealSpec, Difficulty};
use crate::game::{GameError, MatchSettings};
use crate::scoring::{self, MoveScore};
use crate::text::quoted;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Why a court or a throw is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PracticeError {
    /// Not a court id this service deals (or one whose deal cannot be made).
    #[error("no practice court '{}'", quoted(.0))]
    UnknownCourt(String),
    /// `seed` too long.
    #[error("seed is at most {MAX_SEED_CHARS} characters")]
    SeedTooLong,
    /// A card that is not the court's, or words that cancel out.
    #[error(transparent)]
    Game(#[from] GameError),
}

/// The longest `seed` a player may choose.
pub const MAX_SEED_CHARS: usize = 100;

/// Courts one instance keeps dealt, per generation (at most twice this many are held).
pub const CACHED_COURTS: usize = 8192;

/// What names a court: its difficulty and its deal's seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CourtId {
    pub difficulty: Difficulty,
    pub seed: u64,
}

impl CourtId {
    /// `"{difficulty}-{seed as 16 hex digits}"`.
    pub fn parse(id: &str) -> Option<CourtId> {
        let (d, hex) = id.split_once('-')?;
        let difficulty = Difficulty::ALL.into_iter().find(|x| x.as_str() == d)?;
        if hex.len() != 16 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let seed = u64::from_str_radix(hex, 16).ok()?;
        Some(CourtId { difficulty, seed })
    }

    /// The court a player's `seed` text names: the same text, the same court.
    pub fn from_text(difficulty: Difficulty, text: &str) -> CourtId {
        let h = Sha256::digest(text.as_bytes());
        let seed = u64::from_be_bytes(h[..8].try_into().expect("8 bytes"));
        CourtId { difficulty, seed }
    }

    fn next(self) -> CourtId {
        CourtId {
            seed: self.seed.wrapping_add(1),
            ..self
        }
    }
}

impl std::fmt::Display for CourtId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:016x}", self.difficulty.as_str(), self.seed)
    }
}

/// A dealt court.
#[derive(Debug, Clone, PartialEq)]
pub struct Court {
    pub id: CourtId,
    pub start: WordId,
    pub target: WordId,
    pub public: Vec<WordId>,
    pub private: Vec<WordId>,
    /// The best move of the court, rank first (as a match round's par).
    pub par: OrderedMove,
    /// `cos(start, target)`: where `of_par` counts from.
    pub start_similarity: f32,
}

/// A scored throw.
#[derive(Debug, Clone, PartialEq)]
pub struct Throw {
    pub score: MoveScore,
    /// The share of the way from the start word's similarity to par's that the throw covered:
    /// 0 at or below the start word, 1 at par, above 1 past par's similarity.
    pub of_par: f32,
}

/// The share of the way from `start` to `par` that `similarity` covers (never below 0).
pub fn of_par(start: f32, par: f32, similarity: f32) -> f32 {
    let way = par - start;
    if way <= f32::EPSILON {
        return if similarity >= par { 1.0 } else { 0.0 };
    }
    ((similarity - start) / way).max(0.0)
}

/// The courts of one service: dealt on demand, a bounded cache of the recent ones.
pub struct Practice {
    engine: Arc<Engine>,
    cache: Recent<CourtId, Arc<Court>>,
}

impl Practice {
    pub fn new(engine: Arc<Engine>) -> Practice {
        Practice {
            engine,
            cache: Recent::new(CACHED_COURTS),
        }
    }

    /// A new court: named by `seed` when given (the same text, the same court), else random.
    /// If a seed's deal cannot be made the next seed is tried, so every id handed out deals.
    pub fn open(
        &self,
        difficulty: Difficulty,
        seed: Option<&str>,
    ) -> Result<Arc<Court>, PracticeError> {
        if seed.is_some_and(|s| s.chars().count() > MAX_SEED_CHARS) {
            return Err(PracticeError::SeedTooLong);
        }
        let mut id = match seed {
            Some(text) => CourtId::from_text(difficulty, text),
            None => CourtId {
                difficulty,
                seed: rand::random(),
            },
        };
        for _ in 0..8 {
            if let Some(court) = self.court_by_id(id) {
                return Ok(court);
            }
            id = id.next();
        }
        Err(GameError::Internal("no practice court could be dealt".into()).into())
    }

    /// The court `id` names, dealt or from the cache (a deal takes milliseconds: call it off
    /// the async workers unless [`cached`](Self::cached) has it).
    pub fn court(&self, id: &str) -> Result<Arc<Court>, PracticeError> {
        CourtId::parse(id)
            .and_then(|c| self.court_by_id(c))
            .ok_or_else(|| PracticeError::UnknownCourt(id.to_string()))
    }

    /// The court `id` names if this instance holds it dealt (`None` for an id it cannot parse
    /// too: [`court`](Self::court) says why).
    pub fn cached(&self, id: &str) -> Option<Arc<Court>> {
        self.cached_id(CourtId::parse(id)?)
    }

    fn cached_id(&self, id: CourtId) -> Option<Arc<Court>> {
        self.cache.get(&id)
    }

    fn court_by_id(&self, id: CourtId) -> Option<Arc<Court>> {
        if let Some(c) = self.cached_id(id) {
            return Some(c);
        }
        let court = Arc::new(deal_court(&self.engine, id)?);
        self.cache.insert(id, court.clone());
        Some(court)
    }

    /// Score a throw at `court`: `public` one of its public cards, `private` one of its private
    /// cards (words as typed), signs ±1.
    pub fn throw(
        &self,
        court: &Court,
        public: &str,
        public_sign: i8,
        private: &str,
        private_sign: i8,
    ) -> Result<Throw, PracticeError> {
        let emb = &self.engine.emb;
        let find = |cards: &[WordId], w: &str| {
            let w = w.trim().to_lowercase();
            cards.iter().copied().find(|&id| emb.word(id) == w)
        };
        let p = find(&court.public, public)
            .ok_or_else(|| GameError::NotAPublicCard(public.trim().to_lowercase()))?;
        let q = find(&court.private, private)
            .ok_or_else(|| GameError::NotYourCard(private.trim().to_lowercase()))?;
        let terms = scoring::move_terms(court.start, (p, public_sign), (q, private_sign));
        let score = scoring::score_move(emb, &self.engine.exact, &terms, court.target)
            .ok_or(GameError::CancelsOut(scoring::CancelsOut))?;
        let of_par = of_par(
            court.start_similarity,
            court.par.similarity,
            score.similarity,
        );
        Ok(Throw { score, of_par })
    }
}

/// Deal court `id`: a match round for one player at the default table (10 public cards, 2
/// private), no JOKERs. `None` if the deal cannot be made.
pub fn deal_court(engine: &Engine, id: CourtId) -> Option<Court> {
    let table = MatchSettings::default();
    let spec = DealSpec {
        n_public: table.n_public,
        m_private: table.m_private,
        players: 1,
        wildcard_ratio: 0.0,
        difficulty: id.difficulty,
    };
    let d = deal::deal(engine, &spec, id.seed).ok()?;
    let hand = d.private.first()?;
    let mut par = *bots::order_hand(engine, d.start, d.target, &d.public, hand).first()?;
    // Shown to players: the rank as the move is scored.
    par.rank = bots::rank_of(engine, d.start, d.target, &par.mv);
    Some(Court {
        id,
        start: d.start,
        target: d.target,
        public: d.public.clone(),
        private: hand.iter().filter_map(|c| Card::word(*c)).collect(),
        par,
        start_similarity: engine.emb.cosine(d.start, d.target),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn court_ids_name_difficulty_and_seed() {
        let id = CourtId {
            difficulty: Difficulty::Hard,
            seed: 0xc0ffee,
        };
        assert_eq!(id.to_string(), "hard-0000000000c0ffee");
        assert_eq!(CourtId::parse(&id.to_string()), Some(id));
        for bad in [
            "",
            "hard",
            "hard-",
            "brutal-0000000000c0ffee",
            "hard-0000000000C0FFEE",
            "hard-0000000000c0ffe",
            "hard-0000000000c0ffee0",
            "hard-+000000000c0ffee",
        ] {
            assert_eq!(CourtId::parse(bad), None, "{bad}");
        }
        let a = CourtId::from_text(Difficulty::Easy, "monday");
        assert_eq!(a, CourtId::from_text(Difficulty::Easy, "monday"));
        assert_ne!(a.seed, CourtId::from_text(Difficulty::Easy, "tuesday").seed);
    }

    #[test]
    fn of_par_is_the_share_of_the_way_to_par() {
        assert!((of_par(0.2, 0.6, 0.4) - 0.5).abs() < 1e-6);
        assert_eq!(of_par(0.2, 0.6, 0.6), 1.0);
        assert_eq!(of_par(0.2, 0.6, 0.1), 0.0);
        assert!(of_par(0.2, 0.6, 0.7) > 1.0);
        assert_eq!(of_par(0.5, 0.5, 0.5), 1.0);
    }
}
