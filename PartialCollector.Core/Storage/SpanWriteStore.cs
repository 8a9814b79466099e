using Npgsql;
using NpgsqlTypes;
using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The write path: applies a <see cref="WriteBatch"/> of heartbeats and stops in one round trip and one
/// transaction. Retries deadlocks and serialization failures, which concurrent batches can provoke.
/// </summary>
public sealed class SpanWriteStore(NpgsqlDataSource dataSource)
{
    private const int MaxAttempts = 3;

    public async Task<WriteResult> WriteAsync(WriteBatch batch, double expiryFactor, TimeSpan tombstoneRetention, CancellationToken cancellationToken)
    {
        var (heartbeats, stops) = batch.Split();
        if (heartbeats.Count == 0 && stops.Count == 0)
        {
            return default;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ExecuteAsync(heartbeats, stops, expiryFactor, tombstoneRetention, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
            }
        }
    }

    private async Task<WriteResult> ExecuteAsync(
        List<PartialSpanEvent> heartbeats,
        List<PartialSpanEvent> stops,
        double expiryFactor,
        TimeSpan tombstoneRetention,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = connection.CreateBatch();
        int? upsertCommand = null;
        int? undoCommand = null;

        if (stops.Count > 0)
        {
            var (traceIds, spanIds) = Keys(stops);
            batch.BatchCommands.Add(Command(WritePathSql.UpsertTombstones, TextArray(traceIds), TextArray(spanIds), new NpgsqlParameter<long> { Value = ToMicros(tombstoneRetention) }));
            batch.BatchCommands.Add(Command(WritePathSql.LockKeys, TextArray(traceIds), TextArray(spanIds)));
            batch.BatchCommands.Add(Command(WritePathSql.DeleteStopped, TextArray(traceIds), TextArray(spanIds)));
        }

        if (heartbeats.Count > 0)
        {
            var (traceIds, spanIds) = Keys(heartbeats);
            var traces = new byte[heartbeats.Count][];
            var ttls = new long[heartbeats.Count];
            var observed = new long[heartbeats.Count];
            for (var i = 0; i < heartbeats.Count; i++)
            {
                traces[i] = heartbeats[i].Trace!;
                ttls[i] = ToMicros(heartbeats[i].Frequency * expiryFactor);
                observed[i] = heartbeats[i].ObservedUnixNano;
            }

            upsertCommand = batch.BatchCommands.Count;
            batch.BatchCommands.Add(Command(
                WritePathSql.UpsertHeartbeats,
                TextArray(traceIds),
                TextArray(spanIds),
                new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = traces },
                new NpgsqlParameter<long[]> { TypedValue = ttls },
                new NpgsqlParameter<long[]> { TypedValue = observed }));
            undoCommand = batch.BatchCommands.Count;
            batch.BatchCommands.Add(Command(WritePathSql.DeleteResurrected, TextArray(traceIds), TextArray(spanIds)));
        }

        var deleted = 0;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // Only the stop's delete returns rows; step over the result sets in order.
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    deleted = (int)reader.GetInt64(0);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        var upserted = upsertCommand is { } u ? batch.BatchCommands[u].RecordsAffected : 0;
        var undone = undoCommand is { } d ? batch.BatchCommands[d].RecordsAffected : 0;
        var applied = (int)(upserted - undone);
        return new WriteResult(applied, deleted, heartbeats.Count - applied);
    }

    private static (string[] TraceIds, string[] SpanIds) Keys(List<PartialSpanEvent> events)
    {
        var traceIds = new string[events.Count];
        var spanIds = new string[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            traceIds[i] = events[i].Key.TraceId;
            spanIds[i] = events[i].Key.SpanId;
        }

        return (traceIds, spanIds);
    }

    private static long ToMicros(TimeSpan value) => value.Ticks / (TimeSpan.TicksPerMillisecond / 1000);

    private static NpgsqlParameter<string[]> TextArray(string[] values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values };

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }
}
