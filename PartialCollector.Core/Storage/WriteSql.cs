namespace PartialCollector.Core.Storage;

/// <summary>
/// The write path's statements (the Exporter's): a batch of heartbeats and stops, as parallel arrays unnested server-side, so each
/// is one prepared statement whatever the batch size or mix, with a plan (function scan, insert) that no table
/// statistics can turn bad. <see cref="Write"/> serves batches without tenants; <see cref="WriteForTenants"/>
/// also enforces ownership and live-span limits and says which rows it refused.
/// </summary>
internal static class WriteSql
{
    // A heartbeat inserts or refreshes its span; a stop turns the span's row into a tombstone (empty trace,
    // expires_at 'infinity' so it is never collected, stopped_until = when it may be purged). A tombstone is
    // final: the WHERE below runs on the row's latest committed version, locked, so a heartbeat racing its stop
    // in another transaction waits for it and then leaves the tombstone alone. An older heartbeat never
    // overwrites a newer one. A row owned by a tenant is only touched by that tenant (the same locked check, so
    // two tenants racing on one key cannot both win); an unowned row goes to the first tenant that writes it.
    // Keys arrive sorted, so concurrent batches lock rows in one order.
    private const string Upsert = """
            ON CONFLICT (trace_id, span_id) DO UPDATE
            SET trace = EXCLUDED.trace,
                "timestamp" = EXCLUDED."timestamp",
                expires_at = EXCLUDED.expires_at,
                heartbeat_unix_nano = EXCLUDED.heartbeat_unix_nano,
                stopped_until = EXCLUDED.stopped_until,
                tenant = coalesce(p.tenant, EXCLUDED.tenant),
                service_name = coalesce(EXCLUDED.service_name, p.service_name),
                span_name = coalesce(EXCLUDED.span_name, p.span_name),
                start_time = coalesce(EXCLUDED.start_time, p.start_time),
                frequency = coalesce(EXCLUDED.frequency, p.frequency)
            WHERE p.stopped_until IS NULL
              AND (p.tenant IS NULL OR p.tenant = EXCLUDED.tenant)
              AND (EXCLUDED.stopped_until IS NOT NULL
                   OR p.heartbeat_unix_nano IS NULL
                   OR EXCLUDED.heartbeat_unix_nano IS NULL
                   OR p.heartbeat_unix_nano <= EXCLUDED.heartbeat_unix_nano)
            RETURNING p.trace_id, p.span_id, p.tenant, p.stopped_until IS NOT NULL AS stop, p.xmax = 0 AS inserted
        """;

    private const string Values = """
                   CASE WHEN u.stop THEN 'infinity' ELSE now() + u.ttl_us * interval '1 microsecond' END,
                   nullif(u.observed, 0),
                   CASE WHEN u.stop THEN now() + $7 * interval '1 microsecond' END,
                   u.service_name, u.span_name, u.start_time,
                   CASE WHEN u.stop THEN NULL ELSE u.frequency_us * interval '1 microsecond' END
        """;

    private const string Columns = """
        trace_id, span_id, trace, "timestamp", expires_at, heartbeat_unix_nano, stopped_until, service_name, span_name, start_time, frequency
        """;

    // $1-$6 and $8-$11: one element per row; $7 the tombstone retention.
    private const string Rows = """
        $1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[], $6::boolean[], $8::text[], $9::text[], $10::timestamptz[], $11::bigint[]
        """;

    private const string RowNames = "trace_id, span_id, trace, ttl_us, observed, stop, service_name, span_name, start_time, frequency_us";

    // Returns the heartbeats applied and the live spans that stops ended (xmax = 0 marks a fresh insert).
    public const string Write = $"""
        WITH written AS (
            INSERT INTO partial_traces AS p ({Columns})
            SELECT u.trace_id, u.span_id, u.trace, now(),
        {Values}
            FROM unnest({Rows}) AS u({RowNames})
        {Upsert})
        SELECT count(*) FILTER (WHERE NOT stop), count(*) FILTER (WHERE stop AND NOT inserted)
        FROM written
        """;

    // As Write, with each row's tenant ($12) and the number of new spans its tenant may still start ($13, null for
    // no limit). A heartbeat of a span not stored yet counts against that number, in key order within the batch.
    // Also returns the ordinals of rows over a limit and of rows not applied (owned by another tenant, or merely
    // stale: the caller tells them apart), and the new spans started per tenant.
    public const string WriteForTenants = $"""
        WITH input AS (
            SELECT u.*, u.stop OR u.quota IS NULL
                       OR EXISTS (SELECT 1 FROM partial_traces e WHERE e.trace_id = u.trace_id AND e.span_id = u.span_id) AS known
            FROM unnest({Rows}, $12::text[], $13::int[]) WITH ORDINALITY AS u({RowNames}, tenant, quota, i)),
        admitted AS (
            SELECT * FROM (SELECT input.*, row_number() OVER (PARTITION BY tenant, known ORDER BY i) AS n FROM input) r
            WHERE known OR n <= quota),
        written AS (
            INSERT INTO partial_traces AS p ({Columns}, tenant)
            SELECT u.trace_id, u.span_id, u.trace, now(),
        {Values},
                   u.tenant
            FROM admitted u
            ORDER BY u.i
        {Upsert})
        SELECT c.upserted, c.ended, r.over_limit, r.unapplied, s.tenants, s.started
        FROM (SELECT count(*) FILTER (WHERE NOT stop) AS upserted, count(*) FILTER (WHERE stop AND NOT inserted) AS ended
              FROM written) c,
             (SELECT (SELECT array_agg(i) FROM input WHERE i NOT IN (SELECT i FROM admitted)) AS over_limit,
                     (SELECT array_agg(a.i) FROM admitted a
                      WHERE NOT EXISTS (SELECT 1 FROM written w WHERE w.trace_id = a.trace_id AND w.span_id = a.span_id)) AS unapplied) r,
             (SELECT array_agg(tenant ORDER BY tenant) AS tenants, array_agg(n ORDER BY tenant) AS started
              FROM (SELECT tenant, count(*) AS n FROM written WHERE inserted AND NOT stop AND tenant IS NOT NULL GROUP BY tenant) g) s
        """;

    // Who owns the rows a tenant-aware write did not apply: another tenant, or nobody (the row was stale or a tombstone).
    public const string Owners = """
        SELECT p.trace_id, p.span_id, p.tenant
        FROM partial_traces p
        JOIN unnest($1::text[], $2::text[]) AS u(trace_id, span_id) ON p.trace_id = u.trace_id AND p.span_id = u.span_id
        WHERE p.tenant IS NOT NULL
        """;

    // Live spans of the given tenants, through their partial index (tombstones are not in it).
    public const string LiveSpansByTenant = """
        SELECT tenant, count(*) FROM partial_traces
        WHERE tenant = ANY ($1::text[]) AND stopped_until IS NULL
        GROUP BY tenant
        """;
}
