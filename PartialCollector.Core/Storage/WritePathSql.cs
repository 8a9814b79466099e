namespace PartialCollector.Core.Storage;

/// <summary>
/// The Exporter's one statement: a batch of heartbeats and stops, as parallel arrays unnested server-side, so
/// it is one prepared statement whatever the batch size or mix, with a plan (function scan, insert) that no
/// table statistics can turn bad.
/// </summary>
internal static class WritePathSql
{
    // A heartbeat inserts or refreshes its span; a stop turns the span's row into a tombstone (empty trace,
    // expires_at 'infinity' so it is never collected, stopped_until = when it may be purged). A tombstone is
    // final: the WHERE below runs on the row's latest committed version, locked, so a heartbeat racing its stop
    // in another transaction waits for it and then leaves the tombstone alone. An older heartbeat never
    // overwrites a newer one. Keys arrive sorted, so concurrent batches lock rows in one order.
    // Returns the heartbeats applied and the live spans that stops ended (xmax = 0 marks a fresh insert).
    public const string Write = """
        WITH written AS (
            INSERT INTO partial_traces AS p (trace_id, span_id, trace, "timestamp", expires_at, heartbeat_unix_nano, stopped_until)
            SELECT u.trace_id, u.span_id, u.trace, now(),
                   CASE WHEN u.stop THEN 'infinity' ELSE now() + u.ttl_us * interval '1 microsecond' END,
                   nullif(u.observed, 0),
                   CASE WHEN u.stop THEN now() + $7 * interval '1 microsecond' END
            FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[], $6::boolean[])
                AS u(trace_id, span_id, trace, ttl_us, observed, stop)
            ON CONFLICT (trace_id, span_id) DO UPDATE
            SET trace = EXCLUDED.trace,
                "timestamp" = EXCLUDED."timestamp",
                expires_at = EXCLUDED.expires_at,
                heartbeat_unix_nano = EXCLUDED.heartbeat_unix_nano,
                stopped_until = EXCLUDED.stopped_until
            WHERE p.stopped_until IS NULL
              AND (EXCLUDED.stopped_until IS NOT NULL
                   OR p.heartbeat_unix_nano IS NULL
                   OR EXCLUDED.heartbeat_unix_nano IS NULL
                   OR p.heartbeat_unix_nano <= EXCLUDED.heartbeat_unix_nano)
            RETURNING p.stopped_until IS NOT NULL AS stop, p.xmax = 0 AS inserted)
        SELECT count(*) FILTER (WHERE NOT stop), count(*) FILTER (WHERE stop AND NOT inserted)
        FROM written
        """;
}
