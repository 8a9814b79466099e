-- The client time of the stored heartbeat, so an older heartbeat never overwrites a newer one.
-- Nullable: rows written by the original implementation have none and are always overwritten.
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS heartbeat_unix_nano bigint;

-- A stopped span's key, kept for a while so a late heartbeat cannot bring the span back.
CREATE TABLE IF NOT EXISTS partial_tombstones (
    trace_id text NOT NULL,
    span_id text NOT NULL,
    expires_at timestamptz NOT NULL,
    CONSTRAINT partial_tombstones_pkey PRIMARY KEY (trace_id, span_id)
);

CREATE INDEX IF NOT EXISTS partial_tombstones_expires_at_idx ON partial_tombstones (expires_at);
