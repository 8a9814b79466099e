-- Spans the downstream rejected for good, or rows that cannot be decoded: kept with the reason,
-- never retried forever and never silently dropped.
CREATE TABLE IF NOT EXISTS partial_dead_letters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trace_id text NOT NULL,
    span_id text NOT NULL,
    trace bytea NOT NULL,
    "timestamp" timestamptz,
    reason text NOT NULL,
    dead_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS partial_dead_letters_dead_at_idx ON partial_dead_letters (dead_at);
