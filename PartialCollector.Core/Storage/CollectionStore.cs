using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using PartialCollector.Core.Model;
using static PartialCollector.Core.Storage.NpgsqlParameters;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The collection path: claims expired spans under a lease and settles each claimed batch (delete, release,
/// dead-letter) in one round trip. Every statement commits on its own; see <see cref="CollectionSql"/>.
/// </summary>
public sealed class CollectionStore(NpgsqlDataSource dataSource)
{
    /// <summary>Claims up to <paramref name="batchSize"/> expired rows, oldest first, for <paramref name="lease"/>.</summary>
    public async Task<IReadOnlyList<ClaimedSpan>> ClaimAsync(int batchSize, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CollectionSql.Claim, connection).WithParameters(Value(batchSize), Micros(lease));

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

        // Heartbeat batches lock the same rows in key order, so a deadlock is possible; the statements are idempotent.
        return await TransientRetry.RunAsync(() => ExecuteSettleAsync(settlement, cancellationToken));
    }

    public async Task<BacklogStats> GetBacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CollectionSql.Backlog, connection);
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
        await using var command = new NpgsqlCommand(CollectionSql.PurgeTombstones, connection).WithParameters(Value(limit));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Removes up to <paramref name="limit"/> dead letters older than <paramref name="retention"/>.</summary>
    /// <summary>Removes up to <paramref name="limit"/> records of collected spans older than <paramref name="retention"/> or beyond the newest <paramref name="maxRows"/>.</summary>
    public async Task<int> PurgeCollectedAsync(TimeSpan retention, int maxRows, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CollectionSql.PurgeCollected, connection).WithParameters(Micros(retention), Value(maxRows), Value(limit));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PurgeDeadLettersAsync(TimeSpan retention, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CollectionSql.PurgeDeadLetters, connection).WithParameters(Micros(retention), Value(limit));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Rows in <c>partial_dead_letters</c>: exact up to 100,000, PostgreSQL's estimate beyond.</summary>
    public async Task<long> CountDeadLettersAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CollectionSql.DeadLetterCount, connection);
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
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CollectionSql.CopyToDeadLetters).WithParameters(
                TextArray(spans.ConvertAll(s => s.Key.TraceId).ToArray()),
                TextArray(spans.ConvertAll(s => s.Key.SpanId).ToArray()),
                ByteaArray(spans.ConvertAll(s => s.Trace).ToArray()),
                TimeArray(spans.ConvertAll(s => s.Timestamp).ToArray()),
                TextArray(settlement.Copies.ConvertAll(d => d.Reason).ToArray()),
                NullableTextArray(spans.ConvertAll(s => s.Tenant).ToArray())));
        }

        if (settlement.Delivered.Count > 0)
        {
            delete = batch.BatchCommands.Count;
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CollectionSql.DeleteDelivered).WithParameters(ClaimKeys(settlement.Delivered)));
        }

        if (settlement.DeadLetters.Count > 0)
        {
            var spans = settlement.DeadLetters.ConvertAll(d => d.Span);
            move = batch.BatchCommands.Count;
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CollectionSql.MoveToDeadLetters).WithParameters(
                [.. ClaimKeys(spans), TextArray(settlement.DeadLetters.ConvertAll(d => d.Reason).ToArray())]));
        }

        if (settlement.Released.Count > 0)
        {
            release = batch.BatchCommands.Count;
            batch.BatchCommands.Add(new NpgsqlBatchCommand(CollectionSql.Release).WithParameters(ClaimKeys(settlement.Released)));
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
        TextArray(spans.ConvertAll(s => RowVersionText(s.RowVersion)).ToArray()),
        TextArray(spans.ConvertAll(s => s.Key.TraceId).ToArray()),
        TextArray(spans.ConvertAll(s => s.Key.SpanId).ToArray()),
        TimeArray(spans.ConvertAll(s => s.Lease).ToArray()),
        TimeArray(spans.ConvertAll(s => s.Timestamp).ToArray()),
    ];

    // As text, which the statements cast to tid: Npgsql reads tid but has no array writer for it.
    private static string RowVersionText(NpgsqlTid tid) =>
        string.Create(CultureInfo.InvariantCulture, $"({tid.BlockNumber},{tid.OffsetNumber})");
}
