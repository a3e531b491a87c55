//! `RedisMatchStore`: matches shared by every instance, in Redis (used when `REDIS_URL` is set).
//!
//! Layout, under the key prefix `P` (`REDIS_KEY_PREFIX`, default `wb:`):
//! - `P match:{id}` — a hash: `json` (the match, serialised as JSON) and `version` (its
//!   `Match::version`, the compare-and-set token). Expires after its last write by its status
//!   ([`Lifetimes`]): a lobby after `IDLE_LOBBY_TTL_SECS`, a match in play after
//!   `MATCH_TTL_SECS`, a finished one after `FINISHED_MATCH_TTL_SECS`; every write sets the TTL
//!   again. A new match is refused when the index holds `MAX_MATCHES` live ones.
//! - `P match:{id}:events` — a list: the last `EVENTS_REPLAY` events of the match (JSON), for
//!   `Last-Event-ID` resumes; same TTL.
//! - `P matches` — a sorted set of match ids scored by their expiry time, so `count()` is a
//!   `ZREMRANGEBYSCORE` of the expired ones and a `ZCARD`, never a `KEYS` scan.
//! - `P events` — the pub/sub channel every event is published on; each instance holds one
//!   subscriber connection and hands events to its local subscribers ([`EventHub`]).
//! - `P idem:{sha256}` — idempotency records (see [`super::idempotency`]).
//!
//! Atomicity: optimistic concurrency with a version-checked Lua script, not WATCH/MULTI/EXEC.
//! An update reads the match, runs the change on a copy here, then sends one script that writes
//! the new match only if its stored version is still the one read — else nothing is written
//! and the change is run again on the fresh copy (that is why mutations are `FnMut`). Why a
//! script: WATCH is per-connection state, so it needs a dedicated connection per transaction
//! (a pool), while the script runs atomically on the shared multiplexed connection of the
//! `ConnectionManager`, costs one round trip, and lets the same atomic step append the change's
//! events to the replay log and publish them — so event ids follow commit order across every
//! instance, and no event is published for a write that lost its race. Within one instance,
//! updates of the same match are queued on a local lock first, so conflicts (and retries) only
//! come from other instances.
//!
//! Failures: every command has a connection and response timeout (`REDIS_TIMEOUT_MS`); an
//! unreachable or failing Redis is a 503 `store_unavailable` with `Retry-After`, never a 500,
//! and readiness reports `match_store: false`. The connection manager reconnects by itself
//! (on the next command after a failure), and the subscriber task reconnects in a loop and then
//! refills what its local subscribers missed from the replay logs.

use super::events::{Event, EventHub};
use super::{
    BoxFuture, Fetched, Lifetimes, MatchStore, Mutation, StoreError, FULL_RETRY_AFTER_SECS,
};
use crate::clock::SharedClock;
use crate::config::StoreSettings;
use crate::game::Match;
use crate::metrics::Metrics;
use redis::aio::ConnectionManager;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tracing::Instrument;

/// How many times an update is retried when other instances keep winning the race.
const MAX_ATTEMPTS: u32 = 100;
/// How long the store waits for Redis to answer `Retry-After` clients.
const RETRY_AFTER_SECS: u64 = 2;

/// Write a match if its version is still the one read; append and publish its events.
/// KEYS: match hash, events list, index zset. ARGV: expected version, new version, json, ttl,
/// expiry score, match id, replay cap, channel, events (JSON)…
/// Returns 1 (written), 0 (version changed: retry), -1 (no such match).
const UPDATE_SCRIPT: &str = r#"
local cur = redis.call('HGET', KEYS[1], 'version')
if not cur then return -1 end
if cur ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
if #ARGV > 8 then
  for i = 9, #ARGV do
    redis.call('RPUSH', KEYS[2], ARGV[i])
    redis.call('PUBLISH', ARGV[8], ARGV[i])
  end
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[7]), -1)
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
return 1
"#;

/// Store a new match unless `MAX_MATCHES` are held (the index, expired entries dropped first).
/// KEYS: match hash, index zset. ARGV: version, json, ttl, expiry score, now, max, match id.
/// Returns 1 (stored) or 0 (full).
const INSERT_SCRIPT: &str = r#"
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[6]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'json', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[7])
return 1
"#;

/// Read a match unless its version is the one the reader holds a view of.
/// KEYS: match hash. ARGV: the version known (may be empty).
/// Returns nil (no such match), {version} (unchanged) or {version, json}.
const READ_NEWER_SCRIPT: &str = r#"
local v = redis.call('HGET', KEYS[1], 'version')
if not v then return false end
if v == ARGV[1] then return {v} end
return {v, redis.call('HGET', KEYS[1], 'json')}
"#;

/// The script's hash is computed once (it is run on every read of a match view).
static READ_NEWER: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(READ_NEWER_SCRIPT));

/// Delete a key only if it still holds the given value (releasing an idempotency claim).
const DELETE_IF_SCRIPT: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#;

/// A connection to Redis with its key prefix and timeouts; cheap to clone.
#[derive(Clone)]
pub struct RedisConn {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
}

impl RedisConn {
    /// The key `prefix + rest`.
    pub fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    /// Run a command (or script) against Redis under the store's timeout; any failure is
    /// [`StoreError::Unavailable`].
    pub async fn run<T, F, Fut>(&self, what: &str, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        // The manager has its own timeouts; this bounds reconnection attempts as well.
        match tokio::time::timeout(self.timeout * 2, f(self.conn.clone())).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(unavailable(what, &e)),
            Err(_) => Err(unavailable(what, &"timed out")),
        }
    }

    /// Whether Redis answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.run("ping", |mut c| async move {
            redis::cmd("PING").query_async::<String>(&mut c).await
        })
        .await
        .map(|_| ())
    }

    /// Delete `key` if it still holds `value`.
    pub async fn delete_if(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.run("release", |mut c| async move {
            redis::Script::new(DELETE_IF_SCRIPT)
                .key(key)
                .arg(value)
                .invoke_async::<i64>(&mut c)
                .await
        })
        .await
        .map(|_| ())
    }
}

fn unavailable(what: &str, e: &dyn std::fmt::Display) -> StoreError {
    tracing::warn!(error = %e, op = what, "redis unavailable");
    StoreError::Unavailable {
        retry_after: RETRY_AFTER_SECS,
    }
}

pub struct RedisMatchStore {
    redis: RedisConn,
    client: redis::Client,
    lifetimes: Lifetimes,
    replay: usize,
    hub: EventHub,
    /// One lock per match being updated on this instance (pruned when unused).
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    clock: SharedClock,
    metrics: Arc<Metrics>,
}

impl RedisMatchStore {
    /// A store on `settings.redis_url`. Connects lazily (the service starts, not ready, while
    /// Redis is down) and must be created inside a Tokio runtime.
    pub fn new(
        settings: &StoreSettings,
        clock: SharedClock,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<RedisMatchStore> {
        let url = settings
            .redis_url
            .as_ref()
            .map(|u| u.expose())
            .ok_or_else(|| anyhow::anyhow!("REDIS_URL is not set"))?;
        let client = redis::Client::open(url)?;
        let timeout = Duration::from_millis(settings.redis_timeout_ms);
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(RedisMatchStore {
            redis: RedisConn {
                conn,
                prefix: settings.key_prefix.clone(),
                timeout,
            },
            client,
            lifetimes: Lifetimes::from_settings(settings),
            replay: settings.events_replay.max(1),
            hub: EventHub::new(32),
            locks: Mutex::new(HashMap::new()),
            clock,
            metrics,
        })
    }

    /// The connection, for other shared records (idempotency).
    pub fn conn(&self) -> RedisConn {
        self.redis.clone()
    }

    fn match_key(&self, id: &str) -> String {
        self.redis.key(&format!("match:{id}"))
    }

    fn events_key(&self, id: &str) -> String {
        self.redis.key(&format!("match:{id}:events"))
    }

    fn index_key(&self) -> String {
        self.redis.key("matches")
    }

    fn channel(&self) -> String {
        self.redis.key("events")
    }

    fn local_lock(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = map.get(id).and_then(Weak::upgrade) {
            return l;
        }
        if map.len() > 1024 {
            map.retain(|_, w| w.strong_count() > 0);
        }
        let l = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(id.to_string(), Arc::downgrade(&l));
        l
    }

    async fn read(&self, id: &str) -> Result<Option<(String, Match)>, StoreError> {
        let key = self.match_key(id);
        let (version, json): (Option<String>, Option<String>) = self
            .redis
            .run("read", |mut c| async move {
                redis::cmd("HMGET")
                    .arg(&key)
                    .arg("version")
                    .arg("json")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        match (version, json) {
            (Some(v), Some(j)) => {
                let m: Match = serde_json::from_str(&j).map_err(StoreError::internal)?;
                Ok(Some((v, m)))
            }
            _ => Ok(None),
        }
    }

    /// `m`'s time to live (by its status) and the moment it runs out.
    fn ttl(&self, m: &Match) -> (u64, u64) {
        let ttl = self.lifetimes.ttl(m);
        (ttl, self.clock.now() + ttl)
    }

    /// Listen to the events channel and hand every event to the local subscribers; reconnect
    /// after any failure and refill what was missed from the replay logs. Runs until the store
    /// is dropped.
    pub fn start_listener(self: &Arc<Self>) {
        // Connect now, from the main runtime, rather than from the first request's worker.
        let conn = self.redis.clone();
        tokio::spawn(async move {
            let _ = conn.ping().await;
        });
        let weak = Arc::downgrade(self);
        let client = self.client.clone();
        let channel = self.channel();
        let timeout = self.redis.timeout;
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            let mut first = true;
            loop {
                if weak.strong_count() == 0 {
                    return;
                }
                let connected = tokio::time::timeout(timeout, async {
                    let mut ps = client.get_async_pubsub().await?;
                    ps.subscribe(&channel).await?;
                    Ok::<_, redis::RedisError>(ps)
                })
                .await;
                let ps = match connected {
                    Ok(Ok(ps)) => ps,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "event subscriber cannot connect to redis");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                    Err(_) => {
                        tracing::warn!("event subscriber: redis connection timed out");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                };
                backoff = Duration::from_millis(100);
                if !first {
                    tracing::info!("event subscriber reconnected");
                    if let Some(store) = weak.upgrade() {
                        store.refill().await;
                    }
                }
                first = false;
                let mut stream = ps.into_on_message();
                use futures_util::StreamExt;
                while let Some(msg) = stream.next().await {
                    let Some(store) = weak.upgrade() else { return };
                    match serde_json::from_slice::<Event>(msg.get_payload_bytes()) {
                        Ok(e) => store.hub.dispatch(e),
                        Err(e) => tracing::warn!(error = %e, "unreadable event on the channel"),
                    }
                }
                tracing::warn!("event subscriber lost its redis connection");
            }
        });
    }

    /// After the subscriber reconnects: hand the local subscribers the latest events of their
    /// matches (they drop those they already have).
    async fn refill(&self) {
        for id in self.hub.watched() {
            if let Ok(events) = self.events_since(&id, 0).await {
                for e in events {
                    self.hub.dispatch(e);
                }
            }
        }
    }

    /// One update of match `id`, with this instance's lock on it held.
    async fn update_locked(&self, id: &str, f: &mut Mutation<'_>) -> Result<(), StoreError> {
        let script = redis::Script::new(UPDATE_SCRIPT);
        for attempt in 0..MAX_ATTEMPTS {
            let (version, before) = self
                .read(id)
                .await?
                .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
            let mut after = before.clone();
            f(&mut after)?;
            if after == before {
                return Ok(());
            }
            if after.version <= before.version {
                after.version = before.version + 1;
            }
            let events = super::events::diff(&before, &mut after);
            let json = serde_json::to_string(&after).map_err(StoreError::internal)?;
            let mut payloads = Vec::with_capacity(events.len());
            for e in &events {
                payloads.push(serde_json::to_string(e).map_err(StoreError::internal)?);
            }
            let keys = [self.match_key(id), self.events_key(id), self.index_key()];
            // A finished match keeps its final round's events at most.
            let replay = match after.status {
                crate::game::MatchStatus::Done => self.replay.min(after.players.len() + 3),
                _ => self.replay,
            };
            let ((ttl, expiry), channel) = (self.ttl(&after), self.channel());
            let written: i64 = self
                .redis
                .run("update", |mut c| {
                    let mut inv = script.prepare_invoke();
                    inv.key(&keys[0]).key(&keys[1]).key(&keys[2]);
                    inv.arg(&version)
                        .arg(after.version)
                        .arg(&json)
                        .arg(ttl)
                        .arg(expiry)
                        .arg(id)
                        .arg(replay)
                        .arg(&channel);
                    for p in &payloads {
                        inv.arg(p);
                    }
                    async move { inv.invoke_async(&mut c).await }
                })
                .await?;
            match written {
                1 => {
                    self.metrics
                        .count_committed(events.iter().map(|e| e.event.as_str()));
                    return Ok(());
                }
                -1 => return Err(StoreError::NotFound(id.to_string())),
                _ => {
                    // Another instance wrote first: back off a little (jittered) and redo
                    // the change on the fresh match.
                    let ms = rand::random::<u64>() % (2 + u64::from(attempt).min(20));
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
            }
        }
        Err(StoreError::Contended { retry_after: 1 })
    }

    /// Forget this instance's lock on a match once nobody holds or waits for it.
    fn release_lock(&self, id: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if Arc::strong_count(&lock) == 1 {
            map.remove(id);
        }
    }
}

impl MatchStore for RedisMatchStore {
    fn insert(&self, m: Match) -> BoxFuture<'_, Result<(), StoreError>> {
        let span = tracing::debug_span!("store.insert", match_id = %m.id);
        Box::pin(
            async move {
                let json = serde_json::to_string(&m).map_err(StoreError::internal)?;
                let key = self.match_key(&m.id);
                let index = self.index_key();
                let (ttl, expiry) = self.ttl(&m);
                let (now, max) = (self.clock.now(), self.lifetimes.max_matches);
                let inserted: i64 = self
                    .redis
                    .run("insert", |mut c| async move {
                        redis::Script::new(INSERT_SCRIPT)
                            .key(&key)
                            .key(&index)
                            .arg(m.version)
                            .arg(&json)
                            .arg(ttl)
                            .arg(expiry)
                            .arg(now)
                            .arg(max)
                            .arg(&m.id)
                            .invoke_async(&mut c)
                            .await
                    })
                    .await?;
                if inserted == 0 {
                    return Err(StoreError::Full {
                        max,
                        retry_after: FULL_RETRY_AFTER_SECS,
                    });
                }
                Ok(())
            }
            .instrument(span),
        )
    }

    fn get<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<Arc<Match>>, StoreError>> {
        Box::pin(
            async move { Ok(self.read(id).await?.map(|(_, m)| Arc::new(m))) }
                .instrument(tracing::debug_span!("store.get", match_id = %id)),
        )
    }

    fn get_newer<'a>(
        &'a self,
        id: &'a str,
        known: Option<u64>,
    ) -> BoxFuture<'a, Result<Fetched, StoreError>> {
        Box::pin(
            async move {
                let key = self.match_key(id);
                let known = known.map(|v| v.to_string()).unwrap_or_default();
                let found: Option<Vec<String>> = self
                    .redis
                    .run("read", |mut c| async move {
                        READ_NEWER.key(&key).arg(&known).invoke_async(&mut c).await
                    })
                    .await?;
                Ok(match found.as_deref() {
                    None | Some([]) => Fetched::Missing,
                    Some([_]) => Fetched::Unchanged,
                    Some([_, json, ..]) => {
                        let m = serde_json::from_str(json).map_err(StoreError::internal)?;
                        Fetched::Changed(Arc::new(m))
                    }
                })
            }
            .instrument(tracing::debug_span!("store.get_newer", match_id = %id)),
        )
    }

    fn update<'a>(
        &'a self,
        id: &'a str,
        mut f: Mutation<'a>,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(
            async move {
                let lock = self.local_lock(id);
                let queued = lock.lock().await;
                let out = self.update_locked(id, &mut f).await;
                drop(queued);
                self.release_lock(id, lock);
                out
            }
            .instrument(tracing::debug_span!("store.update", match_id = %id)),
        )
    }

    fn healthy(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            // Readiness probes have short timeouts of their own: answer within a second.
            let bound = self.redis.timeout.min(Duration::from_secs(1));
            matches!(
                tokio::time::timeout(bound, self.redis.ping()).await,
                Ok(Ok(()))
            )
        })
    }

    fn count(&self) -> BoxFuture<'_, usize> {
        Box::pin(async move {
            let index = self.index_key();
            let now = self.clock.now();
            let r: Result<(usize,), StoreError> = self
                .redis
                .run("count", |mut c| async move {
                    redis::pipe()
                        .atomic()
                        .cmd("ZREMRANGEBYSCORE")
                        .arg(&index)
                        .arg("-inf")
                        .arg(now)
                        .ignore()
                        .cmd("ZCARD")
                        .arg(&index)
                        .query_async(&mut c)
                        .await
                })
                .await;
            r.map(|(n,)| n).unwrap_or(0)
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move { Ok(()) })
    }

    fn events_since<'a>(
        &'a self,
        id: &'a str,
        after: u64,
    ) -> BoxFuture<'a, Result<Vec<Event>, StoreError>> {
        Box::pin(
            async move {
                let key = self.events_key(id);
                let raw: Vec<String> = self
                    .redis
                    .run("events", |mut c| async move {
                        redis::cmd("LRANGE")
                            .arg(&key)
                            .arg(0)
                            .arg(-1)
                            .query_async(&mut c)
                            .await
                    })
                    .await?;
                let mut out = Vec::with_capacity(raw.len());
                for r in raw {
                    let e: Event = serde_json::from_str(&r).map_err(StoreError::internal)?;
                    if e.id > after {
                        out.push(e);
                    }
                }
                Ok(out)
            }
            .instrument(tracing::debug_span!("store.events_since", match_id = %id)),
        )
    }

    fn subscribe(&self, id: &str) -> tokio::sync::broadcast::Receiver<Arc<Event>> {
        self.hub.subscribe(id)
    }
}
