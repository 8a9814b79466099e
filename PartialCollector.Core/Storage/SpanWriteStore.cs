using Npgsql;
using NpgsqlTypes;
using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The write path: applies a <see cref="WriteBatch"/> of heartbeats and stops as one statement, one round trip,
/// one transaction (<see cref="WritePathSql"/>). Retries deadlocks and serialization failures, which a
/// writer outside this service (the original implementation sharing the table) could still provoke.
/// </summary>
public sealed class SpanWriteStore(NpgsqlDataSource dataSource)
{
    private const int MaxAttempts = 3;

    /// <param name="newSpansLeft">How many new spans each limited tenant may still start; tenants not in it have no limit.</param>
    public async Task<WriteResult> WriteAsync(
        WriteBatch batch,
        double expiryFactor,
        TimeSpan tombstoneRetention,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, int>? newSpansLeft = null)
    {
        var rows = batch.Sorted();
        if (rows.Count == 0)
        {
            return default;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return batch.HasTenants
                    ? await ExecuteForTenantsAsync(rows, expiryFactor, tombstoneRetention, newSpansLeft, cancellationToken)
                    : await ExecuteAsync(rows, expiryFactor, tombstoneRetention, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
            }
        }
    }

    private async Task<WriteResult> ExecuteAsync(List<BatchRow> rows, double expiryFactor, TimeSpan tombstoneRetention, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WritePathSql.Write);
        var heartbeats = AddRowParameters(command, rows, expiryFactor, tombstoneRetention);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var applied = (int)reader.GetInt64(0);
        return new WriteResult(applied, (int)reader.GetInt64(1), heartbeats - applied);
    }

    private async Task<WriteResult> ExecuteForTenantsAsync(
        List<BatchRow> rows, double expiryFactor, TimeSpan tombstoneRetention, IReadOnlyDictionary<string, int>? newSpansLeft, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(WritePathSql.WriteForTenants, connection);
        var heartbeats = AddRowParameters(command, rows, expiryFactor, tombstoneRetention);
        command.Parameters.Add(TextArray(rows.ConvertAll(r => r.Tenant!).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<int?[]>
        {
            TypedValue = rows.ConvertAll<int?>(r => r.Tenant is { } t && newSpansLeft?.TryGetValue(t, out var left) == true ? Math.Max(left, 0) : null).ToArray(),
        });

        int applied, ended;
        var refused = new Dictionary<SpanKey, RowRefusal>();
        var unapplied = new List<BatchRow>();
        var started = new Dictionary<string, int>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            applied = (int)reader.GetInt64(0);
            ended = (int)reader.GetInt64(1);
            foreach (var ordinal in Ordinals(reader, 2))
            {
                refused[rows[ordinal].Event.Key] = RowRefusal.TenantSpanLimit;
            }

            unapplied.AddRange(Ordinals(reader, 3).Select(i => rows[i]));
            if (!reader.IsDBNull(4))
            {
                var tenants = reader.GetFieldValue<string[]>(4);
                var counts = reader.GetFieldValue<long[]>(5);
                for (var i = 0; i < tenants.Length; i++)
                {
                    started[tenants[i]] = (int)counts[i];
                }
            }
        }

        // Not applied: stale, stopped, or owned by someone else. Only the last is the client's to hear about; a new
        // statement sees the other tenant's row even when it committed while this one waited for its lock.
        if (unapplied.Count > 0)
        {
            await using var owners = new NpgsqlCommand(WritePathSql.Owners, connection);
            owners.Parameters.Add(TextArray(unapplied.ConvertAll(r => r.Event.Key.TraceId).ToArray()));
            owners.Parameters.Add(TextArray(unapplied.ConvertAll(r => r.Event.Key.SpanId).ToArray()));
            var tenantOf = unapplied.ToDictionary(r => r.Event.Key, r => r.Tenant);
            await using var reader = await owners.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = new SpanKey(reader.GetString(0), reader.GetString(1));
                if (reader.GetString(2) != tenantOf[key])
                {
                    refused[key] = RowRefusal.OwnedByAnotherTenant;
                }
            }
        }

        var refusedHeartbeats = rows.Count(r => r.Event.Kind == PartialEventKind.Heartbeat && refused.ContainsKey(r.Event.Key));
        return new WriteResult(applied, ended, heartbeats - applied - refusedHeartbeats)
        {
            Refused = refused,
            StartedByTenant = started,
        };
    }

    /// <summary>Live (not stopped) spans per tenant, for the tenants asked about that have any.</summary>
    public async Task<Dictionary<string, long>> CountLiveSpansAsync(IReadOnlyCollection<string> tenants, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WritePathSql.LiveSpansByTenant);
        command.Parameters.Add(TextArray([.. tenants]));
        var counts = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    /// <returns>The number of heartbeats among the rows.</returns>
    private static int AddRowParameters(NpgsqlCommand command, List<BatchRow> rows, double expiryFactor, TimeSpan tombstoneRetention)
    {
        var count = rows.Count;
        var traceIds = new string[count];
        var spanIds = new string[count];
        var traces = new byte[count][];
        var ttls = new long[count];
        var observed = new long[count];
        var stops = new bool[count];
        var heartbeats = 0;
        for (var i = 0; i < count; i++)
        {
            var e = rows[i].Event;
            traceIds[i] = e.Key.TraceId;
            spanIds[i] = e.Key.SpanId;
            observed[i] = e.ObservedUnixNano;
            stops[i] = e.Kind == PartialEventKind.Stop;
            traces[i] = stops[i] ? [] : e.Trace!;
            ttls[i] = stops[i] ? 0 : ToMicros(e.Frequency * expiryFactor);
            heartbeats += stops[i] ? 0 : 1;
        }

        command.Parameters.Add(TextArray(traceIds));
        command.Parameters.Add(TextArray(spanIds));
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = traces });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ttls });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = observed });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = stops });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ToMicros(tombstoneRetention) });
        command.Parameters.Add(TextArray(rows.ConvertAll(r => r.Event.Summary?.Service!).ToArray()));
        command.Parameters.Add(TextArray(rows.ConvertAll(r => r.Event.Summary?.Name!).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTime?[]>
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
            TypedValue = rows.ConvertAll(r => r.Event.Summary?.Start).ToArray(),
        });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = rows.ConvertAll(r => ToMicros(r.Event.Frequency)).ToArray() });
        return heartbeats;
    }

    private static IEnumerable<int> Ordinals(NpgsqlDataReader reader, int column) =>
        reader.IsDBNull(column) ? [] : reader.GetFieldValue<long[]>(column).Select(o => (int)o - 1);

    private static long ToMicros(TimeSpan value) => value.Ticks / (TimeSpan.TicksPerMillisecond / 1000);

    private static NpgsqlParameter<string[]> TextArray(string[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values };
}
