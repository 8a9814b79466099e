using Npgsql;
using PartialCollector.Core.Model;
using static PartialCollector.Core.Storage.NpgsqlParameters;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The write path: applies a <see cref="WriteBatch"/> of heartbeats and stops as one statement, one round trip,
/// one transaction (<see cref="WriteSql"/>). Retries deadlocks and serialization failures (<see cref="TransientRetry"/>),
/// which a writer outside this service (the original implementation sharing the table) could still provoke.
/// </summary>
public sealed class SpanWriteStore(NpgsqlDataSource dataSource)
{
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

        return await TransientRetry.RunAsync(() => batch.HasTenants
            ? ExecuteForTenantsAsync(rows, expiryFactor, tombstoneRetention, newSpansLeft, cancellationToken)
            : ExecuteAsync(rows, expiryFactor, tombstoneRetention, cancellationToken));
    }

    private async Task<WriteResult> ExecuteAsync(List<BatchRow> rows, double expiryFactor, TimeSpan tombstoneRetention, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WriteSql.Write);
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
        await using var command = new NpgsqlCommand(WriteSql.WriteForTenants, connection);
        var heartbeats = AddRowParameters(command, rows, expiryFactor, tombstoneRetention);
        command.Parameters.Add(TextArray(rows.ConvertAll(r => r.Tenant!).ToArray()));
        command.Parameters.Add(Value(
            rows.ConvertAll<int?>(r => r.Tenant is { } t && newSpansLeft?.TryGetValue(t, out var left) == true ? Math.Max(left, 0) : null).ToArray()));

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
            await using var owners = new NpgsqlCommand(WriteSql.Owners, connection).WithParameters(
                TextArray(unapplied.ConvertAll(r => r.Event.Key.TraceId).ToArray()),
                TextArray(unapplied.ConvertAll(r => r.Event.Key.SpanId).ToArray()));
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
        await using var command = dataSource.CreateCommand(WriteSql.LiveSpansByTenant).WithParameters(TextArray([.. tenants]));
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

        command.WithParameters(
            TextArray(traceIds),
            TextArray(spanIds),
            ByteaArray(traces),
            Value(ttls),
            Value(observed),
            Value(stops),
            Micros(tombstoneRetention),
            TextArray(rows.ConvertAll(r => r.Event.Summary?.Service!).ToArray()),
            TextArray(rows.ConvertAll(r => r.Event.Summary?.Name!).ToArray()),
            NullableTimeArray(rows.ConvertAll(r => r.Event.Summary?.Start).ToArray()),
            Value(rows.ConvertAll(r => ToMicros(r.Event.Frequency)).ToArray()));
        return heartbeats;
    }

    private static IEnumerable<int> Ordinals(NpgsqlDataReader reader, int column) =>
        reader.IsDBNull(column) ? [] : reader.GetFieldValue<long[]>(column).Select(o => (int)o - 1);
}
