-- Feedback on deals (issue 17): POST /feedback, GET /admin/feedback.

-- A player's vote on a deal, with the throw they suggest. `seq` orders the list newest first
-- (ties of the same millisecond by arrival); `id` is what the API shows.
CREATE TABLE feedback (
    seq            BIGSERIAL PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    created_at_ms  BIGINT NOT NULL,
    context_kind   TEXT NOT NULL,
    context_id     TEXT NOT NULL,
    round_id       TEXT,
    start_word     TEXT NOT NULL,
    target_word    TEXT NOT NULL,
    -- The suggested throw as JSON: [{"word": "king", "sign": 1}, …] (1–3 words).
    words          TEXT NOT NULL,
    vote           TEXT NOT NULL,
    comment        TEXT
);
CREATE INDEX feedback_newest ON feedback (created_at_ms DESC, seq DESC);
