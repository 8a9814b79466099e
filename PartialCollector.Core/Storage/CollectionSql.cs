namespace PartialCollector.Core.Storage;

/// <summary>
/// The collection path's statements (the Receiver's). Each commits on its own; no lock or transaction is held while
/// spans are in flight downstream. A claim moves the due rows, in one statement, out of <c>partial_traces</c> (as a
/// queue's claim-and-delete would) into <c>partial_collected</c> (the crash record the live view shows, which also
/// keeps each span's trace until it is delivered) and records the batch in <c>partial_collection_batches</c> with a
/// lease. Delivering the batch is then one row: its batch record goes. A batch whose lease ends undelivered (its
/// receiver died mid-send, or the downstream refused it for now) is claimed again, before any new rows, from its crash
/// records. Due spans are found through <c>expires_bucket</c> (the expiry rounded up to Migrator:ExpiryBucket; a
/// bucket is claimed once it has passed, so nothing is collected early). A heartbeat that arrives after the claim
/// finds no row and writes a new one: the span is running again, and will be collected again if it stops again.
/// </summary>
internal static class CollectionSql
{
    // Oldest bucket first, SKIP LOCKED so replicas split the backlog instead of queueing on each other's rows.
    // The expires_bucket index serves both the filter and the order; tombstones ('infinity') never qualify, and
    // an idle cycle's claim finds an empty index range. A row that a heartbeat changed between the scan and its
    // lock is locked in its new version, which this statement's snapshot cannot see, so the delete skips it and it
    // stays: it was just refreshed. Data-modifying CTEs all run to completion, so the move and its batch record are
    // one atomic statement. The records' ids are drawn as the rows are deleted, so the answer and the batch read the
    // deleted rows once, rather than what the insert returns (another copy of every trace).
    public const string Claim = """
        WITH due AS (
            SELECT ctid
            FROM partial_traces
            WHERE expires_bucket <= timezone('UTC', now())
            ORDER BY expires_bucket
            LIMIT $1
            FOR UPDATE SKIP LOCKED),
        moved AS (
            DELETE FROM partial_traces p
            USING due
            WHERE p.ctid = due.ctid
            RETURNING nextval((SELECT pg_get_serial_sequence('partial_collected', 'id'))::regclass) AS id,
                      p.trace_id, p.span_id, p.tenant, p.service_name, p.span_name, p.start_time, p."timestamp",
                      p.frequency, p.trace, p.expires_at, p.heartbeat_unix_nano, now() AS collected_at),
        recorded AS (
            INSERT INTO partial_collected (id, trace_id, span_id, tenant, service_name, span_name, start_time, last_heartbeat,
                                           frequency, reason, trace, expires_at, heartbeat_unix_nano, collected_at)
            OVERRIDING SYSTEM VALUE
            SELECT id, trace_id, span_id, tenant, service_name, span_name, start_time, "timestamp", frequency,
                   'no stop before expiry', trace, expires_at, heartbeat_unix_nano, collected_at
            FROM moved),
        batch AS (
            INSERT INTO partial_collection_batches (ids, first_id, leased_until)
            SELECT array_agg(id), min(id), now() + $2 * interval '1 microsecond'
            FROM moved
            HAVING count(*) > 0
            RETURNING id, leased_until)
        SELECT m.id, m.trace_id, m.span_id, m.trace, m."timestamp", m.heartbeat_unix_nano, b.leased_until, m.expires_at,
               m.collected_at, m.tenant, m.service_name, b.id
        FROM moved m CROSS JOIN batch b
        """;

    // The oldest batch whose lease has ended, leased again, with its spans from their crash records, except spans
    // running again (a heartbeat since the claim wrote them a new row: they did not crash after all). A batch with
    // none of those left comes back as one row without a span, so it can be closed.
    public const string Reclaim = """
        WITH batch AS (
            UPDATE partial_collection_batches b
            SET leased_until = now() + $1 * interval '1 microsecond'
            WHERE b.id = (
                SELECT id FROM partial_collection_batches
                WHERE leased_until < now()
                ORDER BY id
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING b.id, b.ids, b.leased_until)
        SELECT c.id, c.trace_id, c.span_id, c.trace, c.last_heartbeat, c.heartbeat_unix_nano, b.leased_until, c.expires_at,
               c.collected_at, c.tenant, c.service_name, b.id
        FROM batch b
        LEFT JOIN partial_collected c ON c.id = ANY (b.ids)
            AND NOT EXISTS (SELECT 1 FROM partial_traces p WHERE p.trace_id = c.trace_id AND p.span_id = c.span_id)
        """;

    // Every span of the batch is settled: forget the batch (its crash records stay for the live view). Only while
    // the lease is still this claim's: past it another receiver owns the batch.
    public const string CloseBatch = """
        DELETE FROM partial_collection_batches WHERE id = $1 AND leased_until = $2
        """;

    // Retryable failure: keep the undelivered spans in the batch and make it due again at once (its spans keep their
    // place: batches are reclaimed oldest first, before new rows), instead of making every replica wait out the lease.
    public const string ReleaseBatch = """
        UPDATE partial_collection_batches
        SET ids = $3, first_id = (SELECT min(i) FROM unnest($3::bigint[]) AS i), leased_until = now()
        WHERE id = $1 AND leased_until = $2
        """;

    // Permanently rejected or undecodable: move the crash record, as stored (its tenant too), to the dead letters
    // with the reason; only while the batch is still this claim's.
    public const string MoveToDeadLetters = """
        WITH moved AS (
            DELETE FROM partial_collected c
            USING unnest($3::bigint[], $4::text[]) AS u(id, reason)
            WHERE c.id = u.id
              AND EXISTS (SELECT 1 FROM partial_collection_batches b WHERE b.id = $1 AND b.leased_until = $2)
            RETURNING c.trace_id, c.span_id, c.trace, c.last_heartbeat, u.reason, c.tenant)
        INSERT INTO partial_dead_letters (trace_id, span_id, trace, "timestamp", reason, tenant)
        SELECT trace_id, span_id, trace, last_heartbeat, reason, tenant FROM moved
        """;

    // Delivered but rejected in part: OTLP's partial success says how many spans, not which, so every span
    // of the request is kept here for inspection, with the tenant the claim read (they are also deleted as delivered).
    public const string CopyToDeadLetters = """
        INSERT INTO partial_dead_letters (trace_id, span_id, trace, "timestamp", reason, tenant)
        SELECT u.trace_id, u.span_id, u.trace, u.ts, u.reason, u.tenant
        FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[], $5::text[], $6::text[]) AS u(trace_id, span_id, trace, ts, reason, tenant)
        """;

    // Due and not delivered: expired spans not yet claimed, through the expires_bucket index (with nothing due the
    // range is empty, so the gauge costs an idle cycle nothing), and spans of batches handed back or whose lease
    // ran out (batches in flight under their lease are not waiting).
    public const string Backlog = """
        SELECT sum(n)::bigint, extract(epoch FROM now() - min(oldest))::float8
        FROM (
            SELECT count(*) AS n, min(expires_at) AS oldest
            FROM partial_traces
            WHERE expires_bucket <= timezone('UTC', now())
            UNION ALL
            SELECT count(*), min(c.expires_at)
            FROM partial_collection_batches b JOIN partial_collected c ON c.id = ANY (b.ids)
            WHERE b.leased_until <= now()) due
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

    // Records of collected spans past their retention ($1 in microseconds), or older than the newest $2 ids (ids
    // grow with claim order; gaps, from records dead-lettered or ids a failed claim drew, only make that keep fewer),
    // oldest first, $3 rows at a time; repeated like the tombstone purge. Never a record of a batch still in flight:
    // it holds the only copy of its span until the downstream has it. The walk along the primary key stops at the
    // newest record to purge: the newest past the retention, found through the BRIN index on collected_at (the
    // block ranges before the cutoff: with nothing to purge, none), or the id bound, read off the primary key's end.
    // So an idle cycle reads neither the table nor a count's worth of index. A record older than the retention with
    // an id above that newest one (claims committing out of order) goes a cycle later.
    public const string PurgeCollected = """
        WITH bound AS (
            SELECT (SELECT max(id) FROM partial_collected) - $2 AS beyond,
                   (SELECT id FROM partial_collected
                    WHERE collected_at < now() - $1 * interval '1 microsecond'
                    ORDER BY collected_at DESC LIMIT 1) AS expired,
                   coalesce((SELECT min(first_id) FROM partial_collection_batches), 9223372036854775807) AS in_flight)
        DELETE FROM partial_collected
        WHERE id = ANY (ARRAY(
            SELECT c.id FROM partial_collected c, bound b
            WHERE c.id <= greatest(b.beyond, b.expired)
              AND (c.id <= b.beyond OR c.collected_at < now() - $1 * interval '1 microsecond')
              AND c.id < b.in_flight
            ORDER BY c.id
            LIMIT $3))
        """;
}
