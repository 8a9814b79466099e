-- A stopped span becomes a tombstone row in partial_traces itself (stopped_until set, empty trace, expires_at
-- 'infinity' so no receiver ever collects it) instead of a row in a separate table. A heartbeat's upsert then
-- meets the tombstone through the row lock its ON CONFLICT takes, so one statement per batch is race-free:
-- no second probe, no extra snapshot, no join whose cached plan can go bad.
ALTER TABLE partial_traces ADD COLUMN IF NOT EXISTS stopped_until timestamptz;

-- The Receiver purges tombstones whose retention has passed through this index; live spans are not in it.
CREATE INDEX IF NOT EXISTS partial_traces_stopped_until_idx ON partial_traces (stopped_until) WHERE stopped_until IS NOT NULL;

-- Carry over the tombstones of the separate table (migration 0002), then drop it.
DO $$
BEGIN
    IF to_regclass('partial_tombstones') IS NOT NULL THEN
        INSERT INTO partial_traces AS p (trace_id, span_id, trace, expires_at, stopped_until)
        SELECT trace_id, span_id, '\x'::bytea, 'infinity', expires_at FROM partial_tombstones
        ON CONFLICT (trace_id, span_id) DO UPDATE
        SET trace = EXCLUDED.trace, expires_at = EXCLUDED.expires_at, stopped_until = EXCLUDED.stopped_until;
        DROP TABLE partial_tombstones;
    END IF;
END
$$;
