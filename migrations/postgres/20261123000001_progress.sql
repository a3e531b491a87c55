-- Puzzle progress: profiles, every scored attempt, and each player's best per puzzle.
-- Times are Unix milliseconds (the API shows seconds; milliseconds break leaderboard ties).

CREATE TABLE players (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    -- sha256 of the bearer token, hex; the token itself is never stored.
    token_hash  TEXT NOT NULL UNIQUE,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE attempts (
    id            BIGSERIAL PRIMARY KEY,
    player_id     TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    puzzle_id     TEXT NOT NULL,
    public_card   TEXT NOT NULL,
    public_sign   INTEGER NOT NULL,
    private_card  TEXT NOT NULL,
    private_sign  INTEGER NOT NULL,
    similarity    REAL NOT NULL,
    stars         INTEGER NOT NULL,
    passed        BOOLEAN NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX attempts_player_puzzle ON attempts (player_id, puzzle_id, created_at_ms);

-- One row per (player, puzzle). `best_similarity`/`stars` are the best ever; `ranked_similarity`
-- is the similarity of the first passing attempt made before the answer was revealed (a pass
-- reveals it; so does giving up): what the leaderboard ranks. NULL: not on the leaderboard.
CREATE TABLE puzzle_best (
    player_id          TEXT NOT NULL REFERENCES players (id) ON DELETE CASCADE,
    puzzle_id          TEXT NOT NULL,
    best_similarity    REAL,
    stars              INTEGER NOT NULL DEFAULT 0,
    attempts           INTEGER NOT NULL DEFAULT 0,
    first_solved_at_ms BIGINT,
    ranked_similarity  REAL,
    gave_up            BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at_ms      BIGINT NOT NULL,
    PRIMARY KEY (player_id, puzzle_id)
);
CREATE INDEX puzzle_best_leaderboard
    ON puzzle_best (puzzle_id, ranked_similarity DESC, first_solved_at_ms)
    WHERE ranked_similarity IS NOT NULL;
