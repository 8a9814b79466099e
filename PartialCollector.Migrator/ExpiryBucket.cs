using System.Globalization;
using Npgsql;

namespace PartialCollector.Migrator;

/// <summary>
/// The Receiver's index of due spans: <c>expires_bucket</c>, a stored generated column holding <c>expires_at</c>
/// rounded up to <see cref="MigratorOptions.ExpiryBucket"/>, and its index; the exact <c>expires_at</c> index goes.
/// Each span rounds on a grid of its own, offset by a phase drawn from its span id: on one grid for all, every
/// running span's next heartbeat after each boundary moved its bucket (a burst of index writes, then none for the
/// rest of the bucket), and how many heartbeats were HOT depended on where a window fell. Spread, the same share of
/// heartbeats (refresh interval / bucket) moves its bucket at every moment. Always later than the expiry and at most a
/// bucket after it, so nothing is collected early and the oldest still go first, at bucket granularity.
/// A UTC <c>timestamp</c>: arithmetic on <c>timestamptz</c> depends on the session's time zone, which a generated
/// column may not.
/// Generated, so any writer (the original implementation too) keeps it right. Rebuilt only when the width or the
/// expression changes (the column's comment records both); the exact expiry stays the truth, the bucket only says
/// where to look.
/// </summary>
public static class ExpiryBucket
{
    public static async Task EnsureAsync(string connectionString, TimeSpan width, CancellationToken cancellationToken)
    {
        var seconds = (long)width.TotalSeconds;
        var marker = $"bucket={seconds}s,phase=span_id";
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var check = new NpgsqlCommand(
            "SELECT col_description('partial_traces'::regclass, attnum) FROM pg_attribute WHERE attrelid = 'partial_traces'::regclass AND attname = 'expires_bucket' AND NOT attisdropped",
            connection))
        {
            if (await check.ExecuteScalarAsync(cancellationToken) as string == marker)
            {
                return;
            }
        }

        var s = seconds.ToString(CultureInfo.InvariantCulture);
        var ms = (seconds * 1000).ToString(CultureInfo.InvariantCulture);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var rebuild = new NpgsqlCommand(
            $"""
            ALTER TABLE partial_traces DROP COLUMN IF EXISTS expires_bucket;
            ALTER TABLE partial_traces ADD COLUMN expires_bucket timestamp GENERATED ALWAYS AS (
                CASE WHEN isfinite(expires_at)
                     THEN date_bin({s} * interval '1 second', timezone('UTC', expires_at),
                                   timestamp '2000-01-01' + ((hashtext(span_id) % {ms} + {ms}) % {ms}) * interval '1 millisecond')
                          + {s} * interval '1 second'
                     ELSE 'infinity' END) STORED;
            CREATE INDEX partial_traces_expires_bucket_idx ON partial_traces (expires_bucket);
            COMMENT ON COLUMN partial_traces.expires_bucket IS '{marker}';
            DO $$
            DECLARE i record;
            BEGIN
                FOR i IN SELECT c.relname FROM pg_index x
                         JOIN pg_class c ON c.oid = x.indexrelid
                         JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
                         WHERE x.indrelid = 'partial_traces'::regclass AND x.indnatts = 1 AND a.attname = 'expires_at'
                LOOP
                    EXECUTE format('DROP INDEX %I', i.relname);
                END LOOP;
            END $$;
            """,
            connection,
            transaction);
        await rebuild.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
