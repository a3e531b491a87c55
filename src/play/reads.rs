//! Reads of a match that many clients poll (`GET /match/{id}`, `GET /match/{id}/round/current`):
//! each version of a match is serialised once, on the first read after it changed, and shared
//! by every read of that version on this instance. A read asks the store only whether the
//! version changed ([`MatchStore::get_newer`](crate::store::MatchStore::get_newer): a version
//! compare in memory, one small script reply from Redis), so polling a 32-player round costs
//! neither a copy of the match nor its serialisation.
//!
//! Views are held for matches in play (lobbies and rounds, what is polled) and, apart, for
//! recently finished ones: when a match ends every player's page keeps polling its last round
//! for the result, and without a held view each poll would read the whole finished match
//! (which the memory store keeps compressed), parse it and serialise its views again. A
//! finished match's views are held LZ4-compressed (about a third of their bytes; a poll
//! decompresses the one it asks for, a few microseconds), so many of them fit in a few
//! megabytes. Both kinds are bounded ([`HELD_VIEWS`], [`HELD_FINISHED_VIEWS`]): holding views
//! never grows with the number of matches.
//!
//! A view also goes stale by the clock alone: a computer opponent's move comes due, or the
//! deadline passes (rounds settle lazily). A view is served only before that moment; after it
//! the match is read, settled and serialised again.

use super::recent::Recent;
use super::PlayError;
use crate::game::{GameError, Match, MatchStatus};
use bytes::Bytes;
use std::sync::Arc;

/// Versions of matches in play held serialised per generation (at most twice this many are
/// held; a 32-player round's views are ~6 KB in play, ~15 KB once resolved).
pub const HELD_VIEWS: usize = 2048;

/// Finished matches' views held per generation (at most twice this many; a 32-player match's
/// take ~6 KB compressed, so at most ~25 MB). A finished match is polled for a little while —
/// its players read the result — then not at all; this covers every match that ended in the
/// last minutes of a busy instance (thousands), so polls of results keep hitting the held views
/// even when far more matches end at once than a real instance sees.
pub const HELD_FINISHED_VIEWS: usize = 2048;

/// A view's JSON: as served, or LZ4-compressed (a finished match's, held for longer).
#[derive(Debug)]
enum Body {
    Plain(Bytes),
    Lz4(Box<[u8]>),
}

impl Body {
    fn bytes(&self) -> Result<Bytes, GameError> {
        match self {
            Body::Plain(b) => Ok(b.clone()),
            Body::Lz4(z) => lz4_flex::decompress_size_prepended(z)
                .map(Bytes::from)
                .map_err(|e| GameError::Internal(format!("a held view did not decompress: {e}"))),
        }
    }

    fn compressed(&self) -> Body {
        match self {
            Body::Plain(b) => Body::Lz4(lz4_flex::compress_prepend_size(b).into_boxed_slice()),
            Body::Lz4(z) => Body::Lz4(z.clone()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Body::Plain(b) => b.len(),
            Body::Lz4(z) => z.len(),
        }
    }
}

/// One version of a match as its readers see it.
#[derive(Debug)]
pub struct MatchRead {
    /// `Match::version`: what the entity tag names.
    pub version: u64,
    /// The strong entity tag of this version (quotes included).
    pub etag: String,
    /// The match view (`MatchView`) as JSON.
    view: Body,
    /// The current round's view (`RoundView`) as JSON; `None` before the first deal
    /// ([`round`](Self::round) says why).
    round: Option<Body>,
    /// From when the clock alone changes what these views show ([`Match::next_due`]).
    stale_at: Option<u64>,
}

impl MatchRead {
    /// The views of `m` (settled: nothing due at the time it was read).
    pub fn of(m: &Match) -> Result<MatchRead, GameError> {
        Ok(MatchRead {
            version: m.version,
            etag: format!("\"{}-{}\"", m.id, m.version),
            view: Body::Plain(json(&m.view())?),
            round: m
                .current_round()
                .map(|r| json(&m.round_view(r)).map(Body::Plain))
                .transpose()?,
            stale_at: m.next_due(),
        })
    }

    /// The same views, LZ4-compressed.
    fn compressed(&self) -> MatchRead {
        MatchRead {
            version: self.version,
            etag: self.etag.clone(),
            view: self.view.compressed(),
            round: self.round.as_ref().map(Body::compressed),
            stale_at: self.stale_at,
        }
    }

    /// Whether these views are still what a read at `now` shows (if the version is unchanged).
    pub fn fresh_at(&self, now: u64) -> bool {
        self.stale_at.is_none_or(|t| now < t)
    }

    /// The match view as JSON.
    pub fn view(&self) -> Result<Bytes, GameError> {
        self.view.bytes()
    }

    /// The current round's view as JSON, or why there is none.
    pub fn round(&self) -> Result<Bytes, GameError> {
        self.round.as_ref().ok_or(GameError::NoRoundYet)?.bytes()
    }

    /// Why there is no current round, if there is none.
    pub fn round_dealt(&self) -> Result<(), GameError> {
        self.round.as_ref().map(|_| ()).ok_or(GameError::NoRoundYet)
    }

    /// Bytes held for the views.
    pub fn held_bytes(&self) -> usize {
        self.view.len() + self.round.as_ref().map_or(0, Body::len)
    }
}

fn json<T: serde::Serialize>(view: &T) -> Result<Bytes, GameError> {
    serde_json::to_vec(view)
        .map(Bytes::from)
        .map_err(|e| GameError::Internal(format!("a view did not serialise: {e}")))
}

/// The views this instance holds, by match id.
pub struct Reads {
    /// Matches in play.
    held: Recent<String, Arc<MatchRead>>,
    /// Finished matches, compressed (kept apart so that results never push out the rounds
    /// being polled).
    finished: Recent<String, Arc<MatchRead>>,
}

impl Default for Reads {
    fn default() -> Reads {
        Reads::with_capacity(HELD_VIEWS, HELD_FINISHED_VIEWS)
    }
}

impl Reads {
    /// At most `in_play` matches in play and `finished` finished ones per generation.
    pub fn with_capacity(in_play: usize, finished: usize) -> Reads {
        Reads {
            held: Recent::new(in_play),
            finished: Recent::new(finished),
        }
    }

    /// The views held for match `id` that are still fresh at `now`.
    pub fn fresh(&self, id: &str, now: u64) -> Option<Arc<MatchRead>> {
        self.held
            .get(id)
            .or_else(|| self.finished.get(id))
            .filter(|r| r.fresh_at(now))
    }

    /// The views of `m`, built now and held for the next readers: among the matches in play,
    /// or, once it is finished, compressed among the recently finished ones.
    pub fn hold(&self, m: &Match) -> Result<Arc<MatchRead>, PlayError> {
        let read = Arc::new(MatchRead::of(m)?);
        if m.status == MatchStatus::Done {
            self.held.remove(&m.id);
            self.finished
                .insert(m.id.clone(), Arc::new(read.compressed()));
        } else {
            self.held.insert(m.id.clone(), read.clone());
        }
        Ok(read)
    }

    /// How many matches in play have their views held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// How many finished matches have their views held.
    pub fn finished_len(&self) -> usize {
        self.finished.len()
    }

    /// Forget match `id` (it is gone).
    pub fn forget(&self, id: &str) {
        self.held.remove(id);
        self.finished.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::MatchSettings;

    fn a_match(id: &str, status: MatchStatus) -> Match {
        let mut m = Match::new(
            id.into(),
            "game".into(),
            1,
            MatchSettings::default(),
            "h".into(),
            1_900_000_000,
        );
        m.status = status;
        m
    }

    #[test]
    fn a_finished_match_is_held_apart_and_both_kinds_stay_bounded() {
        let reads = Reads::with_capacity(4, 2);
        for i in 0..4 {
            reads
                .hold(&a_match(&format!("p{i}"), MatchStatus::Lobby))
                .unwrap();
        }
        // A match that finishes moves from the views in play to the finished ones.
        let done = a_match("p0", MatchStatus::Done);
        let read = reads.hold(&done).unwrap();
        assert_eq!((reads.len(), reads.finished_len()), (3, 1));
        let again = reads
            .fresh("p0", 1_900_000_000)
            .expect("the result is held");
        assert!(again.held_bytes() < read.held_bytes(), "held compressed");
        assert_eq!(again.view().unwrap(), read.view().unwrap());
        assert_eq!(again.etag, read.etag);
        // Many finished matches push out older results, never a match in play.
        for i in 0..20 {
            reads
                .hold(&a_match(&format!("d{i}"), MatchStatus::Done))
                .unwrap();
        }
        assert!(reads.finished_len() <= 4, "{}", reads.finished_len());
        assert!(
            reads.fresh("p0", 1_900_000_000).is_none(),
            "the oldest result let go"
        );
        for i in 1..4 {
            assert!(reads.fresh(&format!("p{i}"), 1_900_000_000).is_some());
        }
        assert!(reads.fresh("d19", 1_900_000_000).is_some());
        reads.forget("d19");
        assert!(reads.fresh("d19", 1_900_000_000).is_none());
    }
}
