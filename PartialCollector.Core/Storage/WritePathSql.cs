namespace PartialCollector.Core.Storage;

/// <summary>
/// The Exporter's statements. Inputs are parallel arrays unnested server-side, so each is one prepared
/// statement whatever the batch size. All run in one implicit transaction, one round trip.
/// </summary>
internal static class WritePathSql
{
    // Stops, step 1: the tombstone, so a heartbeat that arrives later cannot bring the span back.
    public const string UpsertTombstones = """
        INSERT INTO partial_tombstones (trace_id, span_id, expires_at)
        SELECT u.trace_id, u.span_id, now() + $3 * interval '1 microsecond'
        FROM unnest($1::text[], $2::text[]) AS u(trace_id, span_id)
        ON CONFLICT (trace_id, span_id) DO UPDATE SET expires_at = EXCLUDED.expires_at
        """;

    // Stops, step 2: claim the key in partial_traces's unique index even when no row exists, so a heartbeat
    // inserting the same key concurrently waits for this transaction (and then sees the tombstone).
    public const string LockKeys = """
        INSERT INTO partial_traces (trace_id, span_id, trace, expires_at)
        SELECT u.trace_id, u.span_id, '\x'::bytea, 'infinity'
        FROM unnest($1::text[], $2::text[]) AS u(trace_id, span_id)
        ON CONFLICT (trace_id, span_id) DO NOTHING
        """;

    // Stops, step 3: forget the spans; placeholders from step 2 have an empty trace and are not counted.
    public const string DeleteStopped = """
        WITH gone AS (
            DELETE FROM partial_traces p
            USING unnest($1::text[], $2::text[]) AS u(trace_id, span_id)
            WHERE p.trace_id = u.trace_id AND p.span_id = u.span_id
            RETURNING octet_length(p.trace) AS size)
        SELECT count(*) FILTER (WHERE size > 0) FROM gone
        """;

    // Heartbeats, step 1: upsert unless stopped; never let an older heartbeat overwrite a newer one.
    public const string UpsertHeartbeats = """
        INSERT INTO partial_traces AS p (trace_id, span_id, trace, "timestamp", expires_at, heartbeat_unix_nano)
        SELECT u.trace_id, u.span_id, u.trace, now(), now() + u.ttl_us * interval '1 microsecond', nullif(u.observed, 0)
        FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[]) AS u(trace_id, span_id, trace, ttl_us, observed)
        WHERE NOT EXISTS (
            SELECT 1 FROM partial_tombstones t WHERE t.trace_id = u.trace_id AND t.span_id = u.span_id)
        ON CONFLICT (trace_id, span_id) DO UPDATE
        SET trace = EXCLUDED.trace,
            "timestamp" = EXCLUDED."timestamp",
            expires_at = EXCLUDED.expires_at,
            heartbeat_unix_nano = EXCLUDED.heartbeat_unix_nano
        WHERE p.heartbeat_unix_nano IS NULL
           OR EXCLUDED.heartbeat_unix_nano IS NULL
           OR p.heartbeat_unix_nano <= EXCLUDED.heartbeat_unix_nano
        """;

    // Heartbeats, step 2 (a new snapshot): undo what step 1 wrote for a span whose stop committed meanwhile.
    public const string DeleteResurrected = """
        DELETE FROM partial_traces p
        USING unnest($1::text[], $2::text[]) AS u(trace_id, span_id), partial_tombstones t
        WHERE p.trace_id = u.trace_id AND p.span_id = u.span_id
          AND t.trace_id = u.trace_id AND t.span_id = u.span_id
        """;

}
