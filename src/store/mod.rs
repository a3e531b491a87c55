//! Where matches live. The trait is shaped so that every change is one atomic read-modify-write
//! of one match: the in-memory store holds a lock on that match alone; a Redis store can run
//! the same closure inside WATCH/MULTI (retrying on conflict, hence `FnMut`).

pub mod memory;
pub mod progress;

use crate::error::ApiError;
use crate::game::matches::Match;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A change to one match. It may run more than once (optimistic stores retry): it must only
/// depend on the match it is given. Returning an error leaves the match unchanged.
pub type Mutation<'a> =
    Box<dyn FnMut(&mut Match) -> Result<serde_json::Value, ApiError> + Send + 'a>;

pub trait MatchStore: Send + Sync {
    /// Store a new match (its id is fresh).
    fn insert(&self, m: Match) -> BoxFuture<'_, Result<(), ApiError>>;

    /// A copy of a match, or `None`.
    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Match>, ApiError>>;

    /// Apply `f` atomically to match `id` and return what it returned; 404 `unknown_match` if
    /// there is no such match.
    fn update<'a>(
        &'a self,
        id: &'a str,
        f: Mutation<'a>,
    ) -> BoxFuture<'a, Result<serde_json::Value, ApiError>>;

    /// Whether the store can serve (for readiness).
    fn healthy(&self) -> BoxFuture<'_, bool>;

    /// Number of matches held (for stats).
    fn count(&self) -> BoxFuture<'_, usize>;

    /// Persist what must survive a restart (the memory store's snapshot); a no-op elsewhere.
    fn flush(&self) -> BoxFuture<'_, Result<(), ApiError>>;
}

/// Run a typed change through [`MatchStore::update`].
pub async fn update_typed<T, F>(store: &dyn MatchStore, id: &str, mut f: F) -> Result<T, ApiError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    F: FnMut(&mut Match) -> Result<T, ApiError> + Send,
{
    let v = store
        .update(
            id,
            Box::new(move |m| {
                let out = f(m)?;
                serde_json::to_value(out).map_err(ApiError::internal)
            }),
        )
        .await?;
    serde_json::from_value(v).map_err(ApiError::internal)
}
