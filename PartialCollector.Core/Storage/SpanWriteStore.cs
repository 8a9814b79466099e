using Npgsql;
using NpgsqlTypes;
using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The write path: applies a <see cref="WriteBatch"/> of heartbeats and stops as one statement, one round trip,
/// one transaction (<see cref="WritePathSql.Write"/>). Retries deadlocks and serialization failures, which a
/// writer outside this service (the original implementation sharing the table) could still provoke.
/// </summary>
public sealed class SpanWriteStore(NpgsqlDataSource dataSource)
{
    private const int MaxAttempts = 3;

    public async Task<WriteResult> WriteAsync(WriteBatch batch, double expiryFactor, TimeSpan tombstoneRetention, CancellationToken cancellationToken)
    {
        var events = batch.Sorted();
        if (events.Count == 0)
        {
            return default;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ExecuteAsync(events, expiryFactor, tombstoneRetention, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
            }
        }
    }

    private async Task<WriteResult> ExecuteAsync(List<PartialSpanEvent> events, double expiryFactor, TimeSpan tombstoneRetention, CancellationToken cancellationToken)
    {
        var count = events.Count;
        var traceIds = new string[count];
        var spanIds = new string[count];
        var traces = new byte[count][];
        var ttls = new long[count];
        var observed = new long[count];
        var stops = new bool[count];
        var heartbeats = 0;
        for (var i = 0; i < count; i++)
        {
            var e = events[i];
            traceIds[i] = e.Key.TraceId;
            spanIds[i] = e.Key.SpanId;
            observed[i] = e.ObservedUnixNano;
            stops[i] = e.Kind == PartialEventKind.Stop;
            traces[i] = stops[i] ? [] : e.Trace!;
            ttls[i] = stops[i] ? 0 : ToMicros(e.Frequency * expiryFactor);
            heartbeats += stops[i] ? 0 : 1;
        }

        await using var command = dataSource.CreateCommand(WritePathSql.Write);
        command.Parameters.Add(TextArray(traceIds));
        command.Parameters.Add(TextArray(spanIds));
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = traces });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ttls });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = observed });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = stops });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ToMicros(tombstoneRetention) });

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var applied = (int)reader.GetInt64(0);
        var ended = (int)reader.GetInt64(1);
        return new WriteResult(applied, ended, heartbeats - applied);
    }

    private static long ToMicros(TimeSpan value) => value.Ticks / (TimeSpan.TicksPerMillisecond / 1000);

    private static NpgsqlParameter<string[]> TextArray(string[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values };
}
