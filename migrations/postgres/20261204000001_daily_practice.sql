-- The daily puzzle an attempt counted for, and practice throws (issue 17).

-- The UTC day (days since 1970-01-01) whose daily puzzle the attempt was, when it was made on
-- that day; NULL for every other attempt. Streaks and days played are counted from it.
ALTER TABLE attempts ADD COLUMN daily_day BIGINT;
CREATE INDEX attempts_player_daily ON attempts (player_id, daily_day) WHERE daily_day IS NOT NULL;

-- Every practice throw of a profile: the court it was thrown on and its share of par.
CREATE TABLE practice_throws (
    id             BIGSERIAL PRIMARY KEY,
    player_id      TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    court_id       TEXT NOT NULL,
    of_par         DOUBLE PRECISION NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX practice_throws_player_court ON practice_throws (player_id, court_id);
