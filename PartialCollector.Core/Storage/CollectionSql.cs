namespace PartialCollector.Core.Storage;

/// <summary>
/// The collection path's statements (the Receiver's). Each runs on its own and commits at once: no lock or transaction is held
/// while spans are in flight downstream. Due spans are found through <c>expires_bucket</c> (the expiry rounded up
/// to Migrator:ExpiryBucket; a bucket is claimed once it has passed, so nothing is collected early), and a claim
/// is a lease in <c>leased_until</c>, a column no index holds, so claiming and releasing are HOT updates. Other
/// receivers skip leased rows, and rows of a receiver that crashed mid-send become due again when the lease ends.
/// A claimed row is only touched again while both <c>leased_until</c> and <c>"timestamp"</c> are as the claim left
/// them; a heartbeat that arrived meanwhile changed both, so the span is alive and wins.
/// Rows are reached by their physical location (<c>ctid</c>), as a queue's own claim-and-delete would: the claim
/// updates the row version it locked, and a settle goes straight to the version the claim wrote, with no primary-key
/// lookup (a thousand random index probes a batch). Any later change to the row writes a new version elsewhere, so
/// the old location no longer matches; the key, lease and timestamp are checked on the row found all the same.
/// </summary>
internal static class CollectionSql
{
    // Oldest bucket first, SKIP LOCKED so replicas split the backlog instead of queueing on each other's rows.
    // The expires_bucket index serves both the filter and the order; tombstones ('infinity') never qualify, and
    // an idle cycle's claim finds an empty index range. A row that a heartbeat changed between the scan and its
    // lock is locked in its new version, which this statement's snapshot cannot see, so the update skips it and it
    // stays unclaimed: it was just refreshed.
    public const string Claim = """
        WITH due AS (
            SELECT ctid
            FROM partial_traces
            WHERE expires_bucket <= timezone('UTC', now()) AND (leased_until IS NULL OR leased_until < now())
            ORDER BY expires_bucket
            LIMIT $1
            FOR UPDATE SKIP LOCKED)
        UPDATE partial_traces p
        SET leased_until = now() + $2 * interval '1 microsecond'
        FROM due
        WHERE p.ctid = due.ctid
        RETURNING p.ctid, p.trace_id, p.span_id, p.trace, p."timestamp", p.heartbeat_unix_nano,
                  p.leased_until AS lease, p.expires_at, now() AS claimed_at, p.tenant, p.service_name
        """;

    // Delivered: forget the spans, unless a heartbeat refreshed them meanwhile, and keep a record of each crash
    // for the live view (partial_collected, purged after PartialReceiver:CollectedRetention).
    public const string DeleteDelivered = """
        WITH delivered AS (
            DELETE FROM partial_traces p
            USING unnest($1::text[]::tid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS u(row_version, trace_id, span_id, lease, ts)
            WHERE p.ctid = u.row_version AND p.trace_id = u.trace_id AND p.span_id = u.span_id
              AND p.leased_until = u.lease AND p."timestamp" = u.ts
            RETURNING p.trace_id, p.span_id, p.tenant, p.service_name, p.span_name, p.start_time, p."timestamp", p.frequency, p.trace)
        INSERT INTO partial_collected (trace_id, span_id, tenant, service_name, span_name, start_time, last_heartbeat, frequency, reason, trace)
        SELECT trace_id, span_id, tenant, service_name, span_name, start_time, "timestamp", frequency, 'no stop before expiry', trace
        FROM delivered
        """;

    // Retryable failure: hand the rows back at once (their expiry, and so their place in the order, never moved)
    // instead of making every replica wait out the lease.
    public const string Release = """
        UPDATE partial_traces p
        SET leased_until = NULL
        FROM unnest($1::text[]::tid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS u(row_version, trace_id, span_id, lease, ts)
        WHERE p.ctid = u.row_version AND p.trace_id = u.trace_id AND p.span_id = u.span_id
          AND p.leased_until = u.lease AND p."timestamp" = u.ts
        """;

    // Permanently rejected or undecodable: move the row, as stored (its tenant too), to the dead letters with the reason.
    public const string MoveToDeadLetters = """
        WITH moved AS (
            DELETE FROM partial_traces p
            USING unnest($1::text[]::tid[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[]) AS u(row_version, trace_id, span_id, lease, ts, reason)
            WHERE p.ctid = u.row_version AND p.trace_id = u.trace_id AND p.span_id = u.span_id
              AND p.leased_until = u.lease AND p."timestamp" = u.ts
            RETURNING p.trace_id, p.span_id, p.trace, p."timestamp", u.reason, p.tenant)
        INSERT INTO partial_dead_letters (trace_id, span_id, trace, "timestamp", reason, tenant)
        SELECT trace_id, span_id, trace, "timestamp", reason, tenant FROM moved
        """;

    // Delivered but rejected in part: OTLP's partial success says how many spans, not which, so every span
    // of the request is kept here for inspection, with the tenant the claim read (they are also deleted as delivered).
    public const string CopyToDeadLetters = """
        INSERT INTO partial_dead_letters (trace_id, span_id, trace, "timestamp", reason, tenant)
        SELECT u.trace_id, u.span_id, u.trace, u.ts, u.reason, u.tenant
        FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[], $5::text[], $6::text[]) AS u(trace_id, span_id, trace, ts, reason, tenant)
        """;

    // Due but not yet delivered (leased rows excluded: they are in flight), through the expires_bucket index;
    // with nothing due the range is empty, so the gauge costs an idle cycle nothing.
    public const string Backlog = """
        SELECT count(*), extract(epoch FROM now() - min(expires_at))::float8
        FROM partial_traces
        WHERE expires_bucket <= timezone('UTC', now()) AND (leased_until IS NULL OR leased_until < now())
        """;

    // Tombstones (stopped spans' rows) only need to outlive late heartbeats; read through their partial index.
    // Bounded per statement so no statement holds many row locks for long; the caller repeats it while it
    // comes back full, so a stream of stops cannot outrun it.
    public const string PurgeTombstones = """
        DELETE FROM partial_traces
        WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM partial_traces WHERE stopped_until < now() ORDER BY stopped_until LIMIT $1))
          AND stopped_until < now()
        """;

    // Dead letters past their retention ($1 in microseconds), oldest first through the dead_at index; bounded
    // and repeated like the tombstone purge.
    public const string PurgeDeadLetters = """
        DELETE FROM partial_dead_letters
        WHERE id = ANY (ARRAY(
            SELECT id FROM partial_dead_letters
            WHERE dead_at < now() - $1 * interval '1 microsecond'
            ORDER BY dead_at
            LIMIT $2))
        """;

    // Exact while the table is small (an index-only count), the planner's estimate once it is large: a gauge
    // refreshed every cycle must not scan millions of rows. reltuples is -1 before the first VACUUM or ANALYZE.
    public const string DeadLetterCount = """
        SELECT CASE WHEN c.reltuples > 100000 THEN c.reltuples::bigint
                    ELSE (SELECT count(*) FROM partial_dead_letters) END
        FROM pg_class c
        WHERE c.oid = 'partial_dead_letters'::regclass
        """;

    // Records of collected spans past their retention ($1 in microseconds), or beyond the newest $2 rows (ids grow
    // with collection time), oldest first, $3 rows at a time; repeated like the tombstone purge.
    public const string PurgeCollected = """
        DELETE FROM partial_collected
        WHERE id = ANY (ARRAY(
            SELECT id FROM partial_collected
            WHERE collected_at < now() - $1 * interval '1 microsecond'
               OR id <= (SELECT id FROM partial_collected ORDER BY id DESC OFFSET $2 LIMIT 1)
            ORDER BY id
            LIMIT $3))
        """;
}
