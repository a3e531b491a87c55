//! Reads of a match that many clients poll (`GET /match/{id}`, `GET /match/{id}/round/current`):
//! each version of a match is serialised once, on the first read after it changed, and shared
//! by every read of that version on this instance. A read asks the store only whether the
//! version changed ([`MatchStore::get_newer`](crate::store::MatchStore::get_newer): a version
//! compare in memory, one small script reply from Redis), so polling a 32-player round costs
//! neither a copy of the match nor its serialisation.
//!
//! Views are held for matches in play (lobbies and rounds, what is polled), not for finished
//! ones.
//!
//! A view also goes stale by the clock alone: a computer opponent's move comes due, or the
//! deadline passes (rounds settle lazily). A view is served only before that moment; after it
//! the match is read, settled and serialised again.

use super::recent::Recent;
use super::PlayError;
use crate::game::{GameError, Match, MatchStatus};
use bytes::Bytes;
use std::sync::Arc;

/// Versions of matches held serialised per generation (at most twice this many are held; a
/// 32-player round's views are ~15 KB).
pub const HELD_VIEWS: usize = 2048;

/// One version of a match as its readers see it.
#[derive(Debug)]
pub struct MatchRead {
    /// `Match::version`: what the entity tag names.
    pub version: u64,
    /// The strong entity tag of this version (quotes included).
    pub etag: String,
    /// The match view (`MatchView`) as JSON.
    pub view: Bytes,
    /// The current round's view (`RoundView`) as JSON; `None` before the first deal
    /// ([`round`](Self::round) says why).
    round: Option<Bytes>,
    /// From when the clock alone changes what these views show ([`Match::next_due`]).
    stale_at: Option<u64>,
}

impl MatchRead {
    /// The views of `m` (settled: nothing due at the time it was read).
    pub fn of(m: &Match) -> Result<MatchRead, GameError> {
        Ok(MatchRead {
            version: m.version,
            etag: format!("\"{}-{}\"", m.id, m.version),
            view: json(&m.view())?,
            round: m
                .current_round()
                .map(|r| json(&m.round_view(r)))
                .transpose()?,
            stale_at: m.next_due(),
        })
    }

    /// Whether these views are still what a read at `now` shows (if the version is unchanged).
    pub fn fresh_at(&self, now: u64) -> bool {
        self.stale_at.is_none_or(|t| now < t)
    }

    /// The current round's view, or why there is none.
    pub fn round(&self) -> Result<&Bytes, GameError> {
        self.round.as_ref().ok_or(GameError::NoRoundYet)
    }
}

fn json<T: serde::Serialize>(view: &T) -> Result<Bytes, GameError> {
    serde_json::to_vec(view)
        .map(Bytes::from)
        .map_err(|e| GameError::Internal(format!("a view did not serialise: {e}")))
}

/// The views this instance holds, by match id.
pub struct Reads {
    held: Recent<String, Arc<MatchRead>>,
}

impl Default for Reads {
    fn default() -> Reads {
        Reads {
            held: Recent::new(HELD_VIEWS),
        }
    }
}

impl Reads {
    /// The views held for match `id` that are still fresh at `now`.
    pub fn fresh(&self, id: &str, now: u64) -> Option<Arc<MatchRead>> {
        self.held.get(id).filter(|r| r.fresh_at(now))
    }

    /// The views of `m`, built now, held for the next readers while the match is in play. A
    /// finished match's are not held: its result is read a few times at most, and holding its
    /// views would undo what the memory store saves by keeping finished matches compressed.
    pub fn hold(&self, m: &Match) -> Result<Arc<MatchRead>, PlayError> {
        let read = Arc::new(MatchRead::of(m)?);
        if m.status == MatchStatus::Done {
            self.held.remove(&m.id);
        } else {
            self.held.insert(m.id.clone(), read.clone());
        }
        Ok(read)
    }

    /// How many matches' views are held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Forget match `id` (it is gone).
    pub fn forget(&self, id: &str) {
        self.held.remove(id);
    }
}
