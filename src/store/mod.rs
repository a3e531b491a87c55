//! Where matches live. The trait is shaped so that every change is one atomic read-modify-write
//! of one match: the in-memory store holds a lock on that match alone; a Redis store can run
//! the same closure inside WATCH/MULTI (retrying on conflict, hence `FnMut`).
//!
//! Both stores also carry the live events of their matches ([`events`]): they derive them from
//! every committed change, keep the last few per match for `Last-Event-ID` resumes, and fan them
//! out (a local broadcast in memory; Redis pub/sub across instances).

pub mod events;
pub mod idempotency;
pub mod memory;
pub mod progress;
pub mod redis;

use crate::game::{GameError, Match, MatchStatus};
use crate::text::quoted;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a store could not do what it was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// There is no match with this id (or it expired).
    #[error("no match '{}'", quoted(.0))]
    NotFound(String),
    /// The backing store (Redis) cannot be reached or timed out: try again after `retry_after`
    /// seconds.
    #[error("the match store is unavailable: try again shortly")]
    Unavailable { retry_after: u64 },
    /// Other writers kept changing the match while this change was retried.
    #[error("the match is changing too fast to apply this: try again")]
    Contended { retry_after: u64 },
    /// The change itself was refused by the rules; nothing was written.
    #[error(transparent)]
    Rejected(#[from] GameError),
    /// The store holds `MAX_MATCHES` matches: no new one until some finish or expire.
    #[error("the service holds as many matches as it can ({max}): try again later")]
    Full { max: usize, retry_after: u64 },
    /// A broken invariant (a stored match that does not parse, a poisoned lock): a bug.
    #[error("match store error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn internal(cause: impl std::fmt::Display) -> StoreError {
        StoreError::Internal(cause.to_string())
    }
}

/// How long a match is kept after its last write, by what it waits for: an abandoned lobby
/// goes first, a finished match once its result has had time to be read, a match in play
/// after `MATCH_TTL_SECS` without a move. Both stores apply it: the memory store sweeps, Redis
/// expires the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub lobby_secs: u64,
    pub playing_secs: u64,
    pub finished_secs: u64,
    /// `MAX_MATCHES`: past it, creating a match is refused ([`StoreError::Full`]).
    pub max_matches: usize,
}

impl Lifetimes {
    pub fn from_settings(s: &crate::config::StoreSettings) -> Lifetimes {
        // Neither shorter-lived kind outlives a match in play.
        Lifetimes {
            lobby_secs: s.idle_lobby_ttl_secs.min(s.match_ttl_secs),
            playing_secs: s.match_ttl_secs,
            finished_secs: s.finished_match_ttl_secs.min(s.match_ttl_secs),
            max_matches: s.max_matches,
        }
    }

    /// Seconds `m` is kept after its last write.
    pub fn ttl(&self, m: &Match) -> u64 {
        match m.status {
            MatchStatus::Lobby => self.lobby_secs,
            MatchStatus::InProgress => self.playing_secs,
            MatchStatus::Done => self.finished_secs,
        }
    }

    /// Whether `m` has outlived its time at `now`.
    pub fn expired(&self, m: &Match, now: u64) -> bool {
        m.updated_at.saturating_add(self.ttl(m)) <= now
    }
}

impl Default for Lifetimes {
    fn default() -> Lifetimes {
        Lifetimes::from_settings(&crate::config::StoreSettings::default())
    }
}

/// How long a client is told to wait when the store is full.
pub const FULL_RETRY_AFTER_SECS: u64 = 60;

/// What [`MatchStore::get_newer`] found.
#[derive(Debug)]
pub enum Fetched {
    /// There is no such match (or it expired).
    Missing,
    /// The match is still at the version the reader knows.
    Unchanged,
    /// The match, at another version.
    Changed(Arc<Match>),
}

/// A change to one match. It may run more than once (optimistic stores retry): it must only
/// depend on the match it is given. Returning an error leaves the match unchanged.
pub type Mutation<'a> = Box<dyn FnMut(&mut Match) -> Result<(), GameError> + Send + 'a>;

pub trait MatchStore: Send + Sync {
    /// Store a new match (its id is fresh).
    fn insert(&self, m: Match) -> BoxFuture<'_, Result<(), StoreError>>;

    /// A match as it is now, or `None`: shared, not copied (a change makes a new one).
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Arc<Match>>, StoreError>>;

    /// Match `id` unless its version is still `known` (what a reader holds a view of): lets a
    /// read skip parsing a match that has not changed. The default reads it whole.
    fn get_newer<'a>(
        &'a self,
        id: &'a str,
        known: Option<u64>,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>> {
        Box::pin(async move {
            Ok(match self.get(id).await? {
                None => Fetched::Missing,
                Some(m) if Some(m.version) == known => Fetched::Unchanged,
                Some(m) => Fetched::Changed(m),
            })
        })
    }

    /// Apply `f` atomically to match `id`; [`StoreError::NotFound`] if there is no such match,
    /// [`StoreError::Rejected`] if `f` refused the change. A change that leaves the match as it
    /// was writes nothing (no new version). What `f` has to tell, it keeps in its own captures
    /// ([`update_typed`]).
    fn update<'a>(&'a self, id: &'a str, f: Mutation<'a>) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Whether the store can serve (for readiness).
    fn healthy(&self) -> BoxFuture<'_, bool>;

    /// Number of matches held (for stats).
    fn count(&self) -> BoxFuture<'_, usize>;

    /// Whether the last write of what must survive a restart succeeded: `None` where nothing is
    /// written (Redis keeps its own data; a memory store without a snapshot file).
    fn snapshot_healthy(&self) -> Option<bool> {
        None
    }

    /// Persist what must survive a restart (the memory store's snapshot); a no-op elsewhere.
    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>>;

    /// The retained events of match `id` whose ids are above `after`, oldest first.
    fn events_since<'a>(
        &'a self,
        id: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Vec<events::Event>, StoreError>>;

    /// The live events of match `id` (made on any instance), from now on.
    fn subscribe(
        &self,
        id: &str,
    ) -> tokio::sync::broadcast::Receiver<std::sync::Arc<events::Event>>;
}

/// Run a change through [`MatchStore::update`] and return what it returned (from the attempt
/// that was committed, where a store retries).
pub async fn update_typed<T, F>(store: &dyn MatchStore, id: &str, mut f: F) -> Result<T, StoreError>
where
    T: Send,
    F: FnMut(&mut Match) -> Result<T, GameError> + Send,
{
    let mut out = None;
    store
        .update(
            id,
            Box::new(|m| {
                out = Some(f(m)?);
                Ok(())
            }),
        )
        .await?;
    out.ok_or_else(|| StoreError::internal("a store committed a change it did not run"))
}
