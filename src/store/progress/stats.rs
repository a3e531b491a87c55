//! The figures of a profile beyond its puzzles, computed by the database: daily streaks and
//! practice throws.

use super::{Backend, ProgressError, ProgressStore};

/// The daily puzzle, played day after day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DailyStats {
    /// Consecutive UTC days, ending today or yesterday, with a passing solve of that day's
    /// daily puzzle made on that day.
    pub streak: u32,
    /// The longest such run ever.
    pub best_streak: u32,
    /// UTC days with any attempt at that day's daily puzzle (passing or not).
    pub days_played: u32,
}

/// Practice courts thrown on by a profile.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PracticeStats {
    /// Distinct courts thrown on.
    pub courts: u32,
    /// Every throw.
    pub throws: u32,
    /// The mean over courts of the best `of_par` on each (0 with no throws).
    pub best_of_par_mean: f64,
}

/// Both at once: `$1` the player, `$2` today's UTC day number. Streaks are runs of
/// consecutive days ("gaps and islands": within a run, day − its row number is constant).
const STATS: &str = "WITH solved_days AS (
        SELECT DISTINCT daily_day AS day FROM attempts
        WHERE player_id = $1 AND daily_day IS NOT NULL AND passed
    ),
    runs AS (
        SELECT MAX(day) AS last_day, COUNT(*) AS len
        FROM (SELECT day, day - ROW_NUMBER() OVER (ORDER BY day) AS run FROM solved_days) numbered
        GROUP BY run
    ),
    courts AS (
        SELECT COUNT(*) AS throws, MAX(of_par) AS best
        FROM practice_throws WHERE player_id = $1 GROUP BY court_id
    )
    SELECT
        COALESCE((SELECT MAX(len) FROM runs WHERE last_day >= $2 - 1), 0),
        COALESCE((SELECT MAX(len) FROM runs), 0),
        (SELECT COUNT(DISTINCT daily_day) FROM attempts WHERE player_id = $1 AND daily_day IS NOT NULL),
        (SELECT COUNT(*) FROM courts),
        CAST(COALESCE((SELECT SUM(throws) FROM courts), 0) AS BIGINT),
        COALESCE((SELECT AVG(best) FROM courts), 0.0)";

const INSERT_THROW: &str =
    "INSERT INTO practice_throws (player_id, court_id, of_par, created_at_ms)
    VALUES ($1, $2, $3, $4)";

/// A count from the database as the API shows it.
fn count(n: i64) -> u32 {
    n.clamp(0, u32::MAX as i64) as u32
}

impl ProgressStore {
    /// Store one practice throw of a stored profile (`player_id` as [`ProgressStore::player`]
    /// returned it; another id is a bug: [`ProgressError::Internal`]) at `at_ms` (the service's
    /// clock, Unix milliseconds). `of_par` must be finite.
    #[tracing::instrument(level = "debug", name = "progress.record_practice_throw", skip_all)]
    pub async fn record_practice_throw(
        &self,
        player_id: &str,
        court_id: &str,
        of_par: f64,
        at_ms: i64,
    ) -> Result<(), ProgressError> {
        if !of_par.is_finite() {
            return Err(ProgressError::Internal(format!(
                "practice throw: of_par {of_par} is not a number"
            )));
        }
        each_backend!(self, pool => self.guard("record practice throw", async {
            sqlx::query(INSERT_THROW)
                .bind(player_id)
                .bind(court_id)
                .bind(of_par)
                .bind(at_ms)
                .execute(pool)
                .await
                .map(|_| ())
        }).await)
    }

    /// A player's daily streaks as of `today` (a UTC day number, days since 1970-01-01) and
    /// their practice figures, in one query.
    #[tracing::instrument(level = "debug", name = "progress.stats", skip_all)]
    pub async fn stats(
        &self,
        player_id: &str,
        today: i64,
    ) -> Result<(DailyStats, PracticeStats), ProgressError> {
        let (streak, best, days, courts, throws, mean): (i64, i64, i64, i64, i64, f64) = each_backend!(self, pool => self.guard("read stats", async {
                sqlx::query_as(STATS)
                    .bind(player_id)
                    .bind(today)
                    .fetch_one(pool)
                    .await
            }).await)?;
        Ok((
            DailyStats {
                streak: count(streak),
                best_streak: count(best),
                days_played: count(days),
            },
            PracticeStats {
                courts: count(courts),
                throws: count(throws),
                best_of_par_mean: mean,
            },
        ))
    }
}
