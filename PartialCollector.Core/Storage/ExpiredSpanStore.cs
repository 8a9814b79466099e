using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The GC path: claims expired spans under a lease and settles each claimed batch (delete, release,
/// dead-letter) in one round trip. Every statement commits on its own; see <see cref="GcPathSql"/>.
/// </summary>
public sealed class ExpiredSpanStore(NpgsqlDataSource dataSource)
{
    private const int MaxAttempts = 3;

    /// <summary>Claims up to <paramref name="batchSize"/> expired rows, oldest first, for <paramref name="lease"/>.</summary>
    public async Task<IReadOnlyList<ClaimedSpan>> ClaimAsync(int batchSize, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(GcPathSql.Claim, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ToMicros(lease) });

        var claimed = new List<ClaimedSpan>(batchSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claimed.Add(new ClaimedSpan(
                new SpanKey(reader.GetString(1), reader.GetString(2)),
                reader.GetFieldValue<byte[]>(3),
                reader.GetFieldValue<DateTime>(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.GetFieldValue<DateTime>(6),
                reader.GetFieldValue<DateTime>(7),
                reader.GetFieldValue<DateTime>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.GetFieldValue<NpgsqlTid>(0)));
        }

        return claimed;
    }

    /// <summary>Applies a batch's outcome in one round trip and one transaction; a no-op when empty.</summary>
    public async Task<SettleResult> SettleAsync(Settlement settlement, CancellationToken cancellationToken)
    {
        if (settlement.IsEmpty)
        {
            return default;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ExecuteSettleAsync(settlement, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxAttempts)
            {
                // Heartbeat batches lock the same rows in key order; the statements are idempotent, so run them again.
            }
        }
    }

    public async Task<BacklogStats> GetBacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(GcPathSql.Backlog, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var count = reader.GetInt64(0);
        var age = reader.IsDBNull(1) ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(1)));
        return new BacklogStats(count, age);
    }

    /// <summary>Removes up to <paramref name="limit"/> tombstones whose retention has passed.</summary>
    public async Task<int> PurgeTombstonesAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(GcPathSql.PurgeTombstones, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Removes up to <paramref name="limit"/> dead letters older than <paramref name="retention"/>.</summary>
    /// <summary>Removes up to <paramref name="limit"/> records of collected spans older than <paramref name="retention"/> or beyond the newest <paramref name="maxRows"/>.</summary>
    public async Task<int> PurgeCollectedAsync(TimeSpan retention, int maxRows, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(GcPathSql.PurgeCollected, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ToMicros(retention) });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = maxRows });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PurgeDeadLettersAsync(TimeSpan retention, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(GcPathSql.PurgeDeadLetters, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = ToMicros(retention) });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Rows in <c>partial_dead_letters</c>: exact up to 100,000, PostgreSQL's estimate beyond.</summary>
    public async Task<long> CountDeadLettersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(GcPathSql.DeadLetterCount, connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<SettleResult> ExecuteSettleAsync(Settlement settlement, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = connection.CreateBatch();
        int? delete = null, copy = null, move = null, release = null;

        if (settlement.Copies.Count > 0)
        {
            var spans = settlement.Copies.ConvertAll(d => d.Span);
            copy = batch.BatchCommands.Count;
            batch.BatchCommands.Add(Command(
                GcPathSql.CopyToDeadLetters,
                TextArray(spans.ConvertAll(s => s.Key.TraceId)),
                TextArray(spans.ConvertAll(s => s.Key.SpanId)),
                new NpgsqlParameter<byte[][]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, TypedValue = spans.ConvertAll(s => s.Trace).ToArray() },
                TimeArray(spans.ConvertAll(s => s.Timestamp)),
                TextArray(settlement.Copies.ConvertAll(d => d.Reason)),
                NullableTextArray(spans.ConvertAll(s => s.Tenant))));
        }

        if (settlement.Delivered.Count > 0)
        {
            delete = batch.BatchCommands.Count;
            batch.BatchCommands.Add(Command(GcPathSql.DeleteDelivered, ClaimKeys(settlement.Delivered)));
        }

        if (settlement.DeadLetters.Count > 0)
        {
            var spans = settlement.DeadLetters.ConvertAll(d => d.Span);
            move = batch.BatchCommands.Count;
            batch.BatchCommands.Add(Command(GcPathSql.MoveToDeadLetters, [.. ClaimKeys(spans), TextArray(settlement.DeadLetters.ConvertAll(d => d.Reason))]));
        }

        if (settlement.Released.Count > 0)
        {
            release = batch.BatchCommands.Count;
            batch.BatchCommands.Add(Command(GcPathSql.Release, ClaimKeys(settlement.Released)));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);

        int Affected(int? index) => index is { } i ? batch.BatchCommands[i].RecordsAffected : 0;
        var deleted = Affected(delete);
        var moved = Affected(move);
        var released = Affected(release);
        var claimed = settlement.Delivered.Count + settlement.DeadLetters.Count + settlement.Released.Count;
        return new SettleResult(deleted, moved + Affected(copy), released, claimed - deleted - moved - released);
    }

    // The claim's identity: the row version it wrote, the key, and the lease and heartbeat time it left on the row.
    private static NpgsqlParameter[] ClaimKeys(List<ClaimedSpan> spans) =>
    [
        TextArray(spans.ConvertAll(s => RowVersionText(s.RowVersion))),
        TextArray(spans.ConvertAll(s => s.Key.TraceId)),
        TextArray(spans.ConvertAll(s => s.Key.SpanId)),
        TimeArray(spans.ConvertAll(s => s.Lease)),
        TimeArray(spans.ConvertAll(s => s.Timestamp)),
    ];

    // As text, which the statements cast to tid: Npgsql reads tid but has no array writer for it.
    private static string RowVersionText(NpgsqlTid tid) =>
        string.Create(CultureInfo.InvariantCulture, $"({tid.BlockNumber},{tid.OffsetNumber})");

    private static long ToMicros(TimeSpan value) => value.Ticks / (TimeSpan.TicksPerMillisecond / 1000);

    private static NpgsqlParameter<string[]> TextArray(List<string> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values.ToArray() };

    private static NpgsqlParameter<string?[]> NullableTextArray(List<string?> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, TypedValue = values.ToArray() };

    private static NpgsqlParameter<DateTime[]> TimeArray(List<DateTime> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, TypedValue = values.ToArray() };

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }
}
