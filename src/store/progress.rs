//! Puzzle progress: profiles, every scored attempt (with the daily puzzle's day it counted
//! for) and each player's best per puzzle, practice throws (`progress/stats.rs`: streaks and
//! practice figures) and feedback on deals (`progress/feedback.rs`), in Postgres
//! (`DATABASE_URL=postgres://…`) or, by default, an SQLite file (`SQLITE_PATH`, default
//! `data/progress.db`, WAL mode).
//!
//! Both backends run the same SQL (`$n` parameters, `ON CONFLICT … DO UPDATE`, `RETURNING`,
//! no backend-specific functions) through [`each_backend!`] — except a solve's write, one
//! statement on Postgres (a data-modifying CTE) and a transaction on SQLite — with one migration tree each
//! (`migrations/postgres`, `migrations/sqlite`), embedded and run at startup (and retried on
//! first use if the database was down then).
//!
//! Failing fast: the pool has an acquire timeout (`DATABASE_ACQUIRE_TIMEOUT_MS`, which bounds
//! connecting too), every operation has an overall timeout, and a failure that says the
//! database is unreachable opens a one-second breaker during which calls fail at once instead
//! of queueing. Every such failure is [`ProgressError::Unavailable`] (503
//! `progress_unavailable`); the pool reconnects by itself when the database returns.

use crate::config::progress::{BackendSettings, ProgressSettings};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long readiness trusts its last probe.
const HEALTH_TTL: Duration = Duration::from_secs(1);
/// How long calls fail at once after the database was found unreachable.
const BREAKER: Duration = Duration::from_secs(1);
/// `Retry-After` of a 503 `progress_unavailable`.
pub const RETRY_AFTER_SECS: u64 = 2;

/// Why a progress call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProgressError {
    /// The database cannot be reached (or timed out): 503, try again later.
    #[error("the progress store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a bug): 500.
    #[error("progress store error: {0}")]
    Internal(String),
}

/// Whether an sqlx error means "the database is not there" rather than "our query is wrong".
fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            // Postgres: connection exceptions (08), insufficient resources (53), operator
            // intervention such as a shutdown (57), serialization failures and deadlocks (40);
            // SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_IOERR (10), SQLITE_FULL (13),
            // SQLITE_CANTOPEN (14) and their extended codes.
            ["08", "53", "57", "40"].iter().any(|c| code.starts_with(c))
                || matches!(
                    code.parse::<i32>().map(|c| c & 0xff),
                    Ok(5 | 6 | 10 | 13 | 14)
                )
        }
        _ => false,
    }
}

/// A profile.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerRow {
    pub id: String,
    pub name: String,
    pub created_at_ms: i64,
}

/// One scored attempt to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt<'a> {
    pub puzzle_id: &'a str,
    pub public_card: &'a str,
    pub public_sign: i8,
    pub private_card: &'a str,
    pub private_sign: i8,
    pub similarity: f32,
    pub stars: u8,
    pub passed: bool,
    pub at_ms: i64,
    /// The UTC day number (days since 1970-01-01) whose daily puzzle this is, when the attempt
    /// is made on that day ([`crate::puzzles::Catalogue::daily_day`]); `None` otherwise.
    pub daily_day: Option<i64>,
}

/// A player's standing on one puzzle.
#[derive(Debug, Clone, PartialEq)]
pub struct PuzzleProgress {
    pub puzzle_id: String,
    pub best_similarity: Option<f32>,
    pub stars: u8,
    pub attempts: u32,
    pub first_solved_at_ms: Option<i64>,
    pub gave_up: bool,
}

/// A player's best on a puzzle they just gave up (`None` and 0 stars if they never played it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaveUp {
    pub best_similarity: Option<f32>,
    pub stars: u8,
}

/// One leaderboard line: the similarity ranked (see the migration) and when it was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderRow {
    pub player_name: String,
    pub similarity: f32,
    pub solved_at_ms: i64,
}

enum Backend {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Run the same code against whichever pool is configured (each arm is type-checked on its
/// own, so `$body` may use backend-generic sqlx calls only).
macro_rules! each_backend {
    ($self:expr, $pool:ident => $body:expr) => {
        match &$self.backend {
            Backend::Postgres($pool) => $body,
            Backend::Sqlite($pool) => $body,
        }
    };
}

mod feedback;
mod stats;
pub use feedback::{Feedback, FeedbackWord, FeedbackWords};
pub use stats::{DailyStats, PracticeStats};

pub struct ProgressStore {
    backend: Backend,
    label: String,
    op_timeout: Duration,
    migrated: tokio::sync::OnceCell<()>,
    /// Calls fail at once until this instant (ms since `epoch`).
    open_until_ms: AtomicU64,
    epoch: Instant,
    health: Mutex<Option<(Instant, bool)>>,
    health_probe: tokio::sync::Mutex<()>,
}

const INSERT_PLAYER: &str =
    "INSERT INTO players (id, name, token_hash, created_at_ms) VALUES ($1, $2, $3, $4)";
const PLAYER_BY_TOKEN: &str = "SELECT id, name, created_at_ms FROM players WHERE token_hash = $1";
/// The attempt, written only if the token is a player's (no row back: unknown token).
macro_rules! insert_attempt {
    () => {
        "INSERT INTO attempts
    (player_id, puzzle_id, public_card, public_sign, private_card, private_sign, similarity, stars, passed, created_at_ms, daily_day)
    SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM players WHERE token_hash = $1
    RETURNING player_id"
    };
}
/// The player's best on the puzzle: best similarity and stars ever, attempts + 1, the first
/// pass time, and the ranked similarity, set once by the first pass unless the player gave up
/// before it.
macro_rules! best_columns {
    () => {
        "INSERT INTO puzzle_best
    (player_id, puzzle_id, best_similarity, stars, attempts, first_solved_at_ms, ranked_similarity, gave_up, updated_at_ms) "
    };
}
macro_rules! best_conflict {
    () => {
        " ON CONFLICT (player_id, puzzle_id) DO UPDATE SET
      attempts = puzzle_best.attempts + 1,
      best_similarity = CASE WHEN puzzle_best.best_similarity IS NULL
                               OR excluded.best_similarity > puzzle_best.best_similarity
                             THEN excluded.best_similarity ELSE puzzle_best.best_similarity END,
      stars = CASE WHEN excluded.stars > puzzle_best.stars THEN excluded.stars ELSE puzzle_best.stars END,
      first_solved_at_ms = COALESCE(puzzle_best.first_solved_at_ms, excluded.first_solved_at_ms),
      ranked_similarity = CASE WHEN puzzle_best.first_solved_at_ms IS NULL AND NOT puzzle_best.gave_up
                               THEN excluded.ranked_similarity ELSE puzzle_best.ranked_similarity END,
      updated_at_ms = excluded.updated_at_ms"
    };
}
const INSERT_ATTEMPT: &str = insert_attempt!();
const UPSERT_BEST: &str = concat!(
    best_columns!(),
    "VALUES ($1, $2, $3, $4, 1, $5, $6, FALSE, $7)",
    best_conflict!()
);
/// Postgres: the attempt and the best in one statement (atomic by itself, one round trip);
/// `$12` is the pass time (or NULL), `$13` the ranked similarity (or NULL).
const RECORD_PG: &str = concat!(
    "WITH a AS (",
    insert_attempt!(),
    ") ",
    best_columns!(),
    "SELECT player_id, $2, $7, $8, 1, $12, $13, FALSE, $10 FROM a",
    best_conflict!(),
    " RETURNING player_id"
);
const GIVE_UP: &str = "INSERT INTO puzzle_best (player_id, puzzle_id, gave_up, updated_at_ms)
    SELECT id, $2, TRUE, $3 FROM players WHERE token_hash = $1
    ON CONFLICT (player_id, puzzle_id) DO UPDATE SET gave_up = TRUE, updated_at_ms = excluded.updated_at_ms
    RETURNING best_similarity, stars";
const PROGRESS: &str =
    "SELECT puzzle_id, best_similarity, stars, attempts, first_solved_at_ms, gave_up
    FROM puzzle_best WHERE player_id = $1 ORDER BY puzzle_id";
const LEADERBOARD: &str = "SELECT p.name, b.ranked_similarity, b.first_solved_at_ms
    FROM puzzle_best b JOIN players p ON p.id = b.player_id
    WHERE b.puzzle_id = $1 AND b.ranked_similarity IS NOT NULL
    ORDER BY b.ranked_similarity DESC, b.first_solved_at_ms ASC, p.name ASC
    LIMIT $2";

impl ProgressStore {
    /// Build the pool (no connection is made yet) and, for SQLite, create the file's
    /// directory. Errors only for settings that can never work.
    pub fn open(settings: &ProgressSettings) -> anyhow::Result<ProgressStore> {
        let acquire = settings.acquire_timeout;
        let (backend, label) = match &settings.backend {
            BackendSettings::Postgres { url } => {
                let opts = PgConnectOptions::from_str(url.expose())
                    .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a valid URL: {e}"))?
                    .application_name("word-bocce");
                let label = format!(
                    "postgres {}:{}/{}",
                    opts.get_host(),
                    opts.get_port(),
                    opts.get_database().unwrap_or("-")
                );
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(acquire)
                    .idle_timeout(Duration::from_secs(300))
                    .connect_lazy_with(opts);
                (Backend::Postgres(pool), label)
            }
            BackendSettings::Sqlite { path } => {
                let memory = path.as_os_str() == ":memory:";
                let opts = if memory {
                    SqliteConnectOptions::from_str("sqlite::memory:")?
                } else {
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir).map_err(|e| {
                            anyhow::anyhow!("SQLITE_PATH: cannot create {}: {e}", dir.display())
                        })?;
                    }
                    SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                }
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
                let mut pool = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections.min(8))
                    .acquire_timeout(acquire);
                if memory {
                    // The shared in-memory database lives while a connection holds it.
                    pool = pool
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                }
                let label = format!("sqlite {}", path.display());
                (Backend::Sqlite(pool.connect_lazy_with(opts)), label)
            }
        };
        Ok(ProgressStore {
            backend,
            label,
            op_timeout: acquire * 3 + Duration::from_millis(500),
            migrated: tokio::sync::OnceCell::new(),
            open_until_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            health: Mutex::new(None),
            health_probe: tokio::sync::Mutex::new(()),
        })
    }

    /// `postgres host:port/db` or `sqlite PATH` (never a password).
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Run the embedded migrations (once per process; retried after a failure).
    #[tracing::instrument(level = "debug", name = "progress.migrate", skip_all)]
    pub async fn migrate(&self) -> Result<(), ProgressError> {
        self.migrated
            .get_or_try_init(|| async {
                let run = async {
                    match &self.backend {
                        Backend::Postgres(pool) => {
                            sqlx::migrate!("migrations/postgres").run(pool).await
                        }
                        Backend::Sqlite(pool) => {
                            sqlx::migrate!("migrations/sqlite").run(pool).await
                        }
                    }
                };
                match tokio::time::timeout(self.op_timeout * 4, run).await {
                    Ok(Ok(())) => {
                        tracing::info!(store = %self.label, "progress store migrated");
                        Ok(())
                    }
                    Ok(Err(sqlx::migrate::MigrateError::Execute(e))) if unavailable(&e) => {
                        Err(ProgressError::Unavailable(e.to_string()))
                    }
                    Ok(Err(sqlx::migrate::MigrateError::Execute(e))) => {
                        Err(ProgressError::Internal(e.to_string()))
                    }
                    Ok(Err(e)) => Err(ProgressError::Internal(e.to_string())),
                    Err(_) => Err(ProgressError::Unavailable(
                        "migrations timed out".to_string(),
                    )),
                }
            })
            .await
            .map(|_| ())
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Run one operation: fail at once while the breaker is open, migrate if not yet done,
    /// bound the time, classify the error (and open the breaker when the database is gone).
    async fn guard<T, F>(&self, what: &'static str, op: F) -> Result<T, ProgressError>
    where
        F: Future<Output = Result<T, sqlx::Error>>,
    {
        if self.now_ms() < self.open_until_ms.load(Ordering::Relaxed) {
            return Err(ProgressError::Unavailable(format!(
                "{what}: the database was unreachable less than a second ago"
            )));
        }
        if let Err(e) = self.migrate().await {
            self.trip_if(&e);
            return Err(e);
        }
        let e = match tokio::time::timeout(self.op_timeout, op).await {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(e)) if unavailable(&e) => ProgressError::Unavailable(format!("{what}: {e}")),
            Ok(Err(e)) => ProgressError::Internal(format!("{what}: {e}")),
            Err(_) => ProgressError::Unavailable(format!("{what}: timed out")),
        };
        self.trip_if(&e);
        Err(e)
    }

    fn trip_if(&self, e: &ProgressError) {
        if matches!(e, ProgressError::Unavailable(_)) {
            self.open_until_ms.store(
                self.now_ms() + BREAKER.as_millis() as u64,
                Ordering::Relaxed,
            );
            if let Ok(mut h) = self.health.lock() {
                *h = Some((Instant::now(), false));
            }
        }
    }

    /// Store a new profile.
    #[tracing::instrument(level = "debug", name = "progress.create_player", skip_all)]
    pub async fn create_player(
        &self,
        id: &str,
        name: &str,
        token_hash: &str,
        at_ms: i64,
    ) -> Result<(), ProgressError> {
        each_backend!(self, pool => self.guard("create player", async {
            sqlx::query(INSERT_PLAYER)
                .bind(id)
                .bind(name)
                .bind(token_hash)
                .bind(at_ms)
                .execute(pool)
                .await
                .map(|_| ())
        }).await)
    }

    /// The profile a token belongs to.
    #[tracing::instrument(level = "debug", name = "progress.player", skip_all)]
    pub async fn player(&self, token_hash: &str) -> Result<Option<PlayerRow>, ProgressError> {
        let row: Option<(String, String, i64)> = each_backend!(self, pool => self.guard("read player", async {
            sqlx::query_as(PLAYER_BY_TOKEN).bind(token_hash).fetch_optional(pool).await
        }).await)?;
        Ok(row.map(|(id, name, created_at_ms)| PlayerRow {
            id,
            name,
            created_at_ms,
        }))
    }

    /// Store an attempt and update the player's best, in one transaction. `None`: the token
    /// is no player's (nothing written).
    #[tracing::instrument(level = "debug", name = "progress.record", skip_all)]
    pub async fn record(
        &self,
        token_hash: &str,
        a: &Attempt<'_>,
    ) -> Result<Option<String>, ProgressError> {
        let passed_at = a.passed.then_some(a.at_ms);
        let ranked = a.passed.then_some(a.similarity);
        if let Backend::Postgres(pool) = &self.backend {
            let row: Option<(String,)> = self
                .guard("record attempt", async {
                    sqlx::query_as(RECORD_PG)
                        .bind(token_hash)
                        .bind(a.puzzle_id)
                        .bind(a.public_card)
                        .bind(a.public_sign as i32)
                        .bind(a.private_card)
                        .bind(a.private_sign as i32)
                        .bind(a.similarity)
                        .bind(a.stars as i32)
                        .bind(a.passed)
                        .bind(a.at_ms)
                        .bind(a.daily_day)
                        .bind(passed_at)
                        .bind(ranked)
                        .fetch_optional(pool)
                        .await
                })
                .await?;
            return Ok(row.map(|(id,)| id));
        }
        // SQLite has no data-modifying CTEs: a transaction that starts by writing (so that
        // concurrent writers wait on the busy timeout instead of failing to upgrade a read).
        each_backend!(self, pool => self.guard("record attempt", async {
            let mut tx = pool.begin().await?;
            let player: Option<(String,)> = sqlx::query_as(INSERT_ATTEMPT)
                .bind(token_hash)
                .bind(a.puzzle_id)
                .bind(a.public_card)
                .bind(a.public_sign as i32)
                .bind(a.private_card)
                .bind(a.private_sign as i32)
                .bind(a.similarity)
                .bind(a.stars as i32)
                .bind(a.passed)
                .bind(a.at_ms)
                .bind(a.daily_day)
                .fetch_optional(&mut *tx)
                .await?;
            let Some((player_id,)) = player else {
                tx.rollback().await?;
                return Ok(None);
            };
            sqlx::query(UPSERT_BEST)
                .bind(&player_id)
                .bind(a.puzzle_id)
                .bind(a.similarity)
                .bind(a.stars as i32)
                .bind(passed_at)
                .bind(ranked)
                .bind(a.at_ms)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(player_id))
        }).await)
    }

    /// Mark a puzzle as given up for the token's player, and read back their best on it
    /// (for a share line). `None`: the token is no player's.
    #[tracing::instrument(level = "debug", name = "progress.give_up", skip_all)]
    pub async fn give_up(
        &self,
        token_hash: &str,
        puzzle_id: &str,
        at_ms: i64,
    ) -> Result<Option<GaveUp>, ProgressError> {
        let row: Option<(Option<f32>, i32)> = each_backend!(self, pool => self.guard("give up", async {
            sqlx::query_as(GIVE_UP)
                .bind(token_hash)
                .bind(puzzle_id)
                .bind(at_ms)
                .fetch_optional(pool)
                .await
        }).await)?;
        Ok(row.map(|(best_similarity, stars)| GaveUp {
            best_similarity,
            stars: stars.clamp(0, 3) as u8,
        }))
    }

    /// A player's standing on every puzzle they played (or gave up), by puzzle id.
    #[tracing::instrument(level = "debug", name = "progress.progress", skip_all)]
    pub async fn progress(&self, player_id: &str) -> Result<Vec<PuzzleProgress>, ProgressError> {
        type Row = (String, Option<f32>, i32, i32, Option<i64>, bool);
        let rows: Vec<Row> = each_backend!(self, pool => self.guard("read progress", async {
            sqlx::query_as(PROGRESS).bind(player_id).fetch_all(pool).await
        }).await)?;
        Ok(rows
            .into_iter()
            .map(
                |(puzzle_id, best_similarity, stars, attempts, first, gave_up)| PuzzleProgress {
                    puzzle_id,
                    best_similarity,
                    stars: stars.clamp(0, 3) as u8,
                    attempts: attempts.max(0) as u32,
                    first_solved_at_ms: first,
                    gave_up,
                },
            )
            .collect())
    }

    /// The best `limit` entries of a puzzle's leaderboard.
    #[tracing::instrument(level = "debug", name = "progress.leaderboard", skip_all)]
    pub async fn leaderboard(
        &self,
        puzzle_id: &str,
        limit: u32,
    ) -> Result<Vec<LeaderRow>, ProgressError> {
        let rows: Vec<(String, f32, i64)> = each_backend!(self, pool => self.guard("read leaderboard", async {
            sqlx::query_as(LEADERBOARD)
                .bind(puzzle_id)
                .bind(limit as i64)
                .fetch_all(pool)
                .await
        }).await)?;
        Ok(rows
            .into_iter()
            .map(|(player_name, similarity, solved_at_ms)| LeaderRow {
                player_name,
                similarity,
                solved_at_ms,
            })
            .collect())
    }

    /// Whether the database answers (`SELECT 1` within a short timeout), probed at most once
    /// a second; a failure seen by any call also counts.
    pub async fn healthy(&self) -> bool {
        if let Some(v) = self.cached_health() {
            return v;
        }
        let _one_probe = self.health_probe.lock().await;
        if let Some(v) = self.cached_health() {
            return v;
        }
        let ok = each_backend!(self, pool => self.guard("health probe", async {
            sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
        }).await)
        .is_ok();
        if let Ok(mut h) = self.health.lock() {
            *h = Some((Instant::now(), ok));
        }
        ok
    }

    fn cached_health(&self) -> Option<bool> {
        let h = self.health.lock().ok()?;
        h.filter(|(at, _)| at.elapsed() < HEALTH_TTL)
            .map(|(_, v)| v)
    }

    /// Close the pool (in-flight calls finish).
    pub async fn close(&self) {
        each_backend!(self, pool => pool.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_in_memory_keeps_bests_and_ranks_the_first_pass() {
        let store = ProgressStore::open(&ProgressSettings::sqlite(":memory:")).unwrap();
        store.migrate().await.unwrap();
        store.create_player("p1", "Ann", "h1", 1).await.unwrap();
        let a = |sim: f32, passed: bool, at_ms: i64| Attempt {
            puzzle_id: "pz",
            public_card: "a",
            public_sign: 1,
            private_card: "b",
            private_sign: -1,
            similarity: sim,
            stars: if passed { 1 } else { 0 },
            passed,
            at_ms,
            daily_day: None,
        };
        assert_eq!(store.record("nope", &a(0.5, true, 5)).await.unwrap(), None);
        assert_eq!(
            store.record("h1", &a(0.4, false, 10)).await.unwrap(),
            Some("p1".into())
        );
        store.record("h1", &a(0.7, true, 20)).await.unwrap();
        store.record("h1", &a(0.9, true, 30)).await.unwrap();
        store.record("h1", &a(0.6, true, 40)).await.unwrap();
        let p = store.progress("p1").await.unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].best_similarity, Some(0.9));
        assert_eq!(p[0].attempts, 4);
        assert_eq!(p[0].first_solved_at_ms, Some(20));
        let board = store.leaderboard("pz", 10).await.unwrap();
        assert_eq!(board.len(), 1);
        assert_eq!(
            (board[0].similarity, board[0].solved_at_ms),
            (0.7, 20),
            "the first pass is ranked, not what was played after the reveal"
        );
        // Same similarity at the same millisecond: by name. Giving up before passing keeps a
        // player off; after passing, it changes nothing.
        for (id, name, hash) in [("p2", "Zed", "h2"), ("p3", "Amy", "h3"), ("p4", "Bo", "h4")] {
            store.create_player(id, name, hash, 1).await.unwrap();
        }
        store.record("h2", &a(0.8, true, 50)).await.unwrap();
        store.record("h3", &a(0.8, true, 50)).await.unwrap();
        let gave_up = store.give_up("h3", "pz", 60).await.unwrap().unwrap();
        assert_eq!((gave_up.best_similarity, gave_up.stars), (Some(0.8), 1));
        let gave_up = store.give_up("h4", "pz", 60).await.unwrap().unwrap();
        assert_eq!((gave_up.best_similarity, gave_up.stars), (None, 0));
        store.record("h4", &a(0.95, true, 70)).await.unwrap();
        assert_eq!(store.give_up("nope", "pz", 60).await.unwrap(), None);
        let names: Vec<String> = store
            .leaderboard("pz", 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.player_name)
            .collect();
        assert_eq!(names, ["Amy", "Zed", "Ann"]);
        assert_eq!(store.leaderboard("pz", 1).await.unwrap().len(), 1);
        let bo = store.progress("p4").await.unwrap();
        assert!(bo[0].gave_up && bo[0].stars == 1 && bo[0].best_similarity == Some(0.95));
        let who = store.player("h3").await.unwrap().unwrap();
        assert_eq!((who.id.as_str(), who.name.as_str()), ("p3", "Amy"));
        assert_eq!(store.player("nope").await.unwrap(), None);
        assert!(store.healthy().await);
    }
}
