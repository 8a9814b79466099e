using Npgsql;
using PartialCollector.Core.Model;
using static PartialCollector.Core.Storage.NpgsqlParameters;

namespace PartialCollector.Core.Storage;

/// <summary>
/// The collection path: claims expired spans in batches under a lease (moving them to their crash records) and
/// settles each claimed batch (close, release, dead-letter) in one round trip. Every statement commits on its own;
/// see <see cref="CollectionSql"/>.
/// </summary>
public sealed class CollectionStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Claims a batch for <paramref name="lease"/>: the oldest batch whose lease ended undelivered if there is one,
    /// else up to <paramref name="batchSize"/> expired spans, oldest first. Empty when nothing is due.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedSpan>> ClaimAsync(int batchSize, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var reclaim = new NpgsqlCommand(CollectionSql.Reclaim, connection).WithParameters(Micros(lease));
            var (spans, batch) = await ReadClaimAsync(reclaim, cancellationToken);
            if (batch is not { } empty || spans.Count > 0)
            {
                if (spans.Count > 0)
                {
                    return spans;
                }

                break;
            }

            // A batch with nothing left in it (its records dead-lettered or purged): close it and look again.
            await using var close = new NpgsqlCommand(CollectionSql.CloseBatch, connection).WithParameters(Value(empty.Id), Value(empty.Lease));
            await close.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var claim = new NpgsqlCommand(CollectionSql.Claim, connection).WithParameters(Value(batchSize), Micros(lease));
        return (await ReadClaimAsync(claim, cancellationToken)).Spans;
    }

    /// <summary>Applies a batch's outcome in one round trip and one transaction; a no-op when empty.</summary>
    public async Task<SettleResult> SettleAsync(Settlement settlement, CancellationToken cancellationToken)
    {
        if (settlement.IsEmpty)
        {
            return default;
        }

        // The statements are idempotent and guarded by the lease, so a retry after a transient failure is safe.
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

    private static async Task<(List<ClaimedSpan> Spans, (long Id, DateTime Lease)? Batch)> ReadClaimAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var spans = new List<ClaimedSpan>();
        (long, DateTime)? batch = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            batch ??= (reader.GetInt64(11), reader.GetFieldValue<DateTime>(6));
            if (reader.IsDBNull(0))
            {
                continue;
            }

            spans.Add(new ClaimedSpan(
                new SpanKey(reader.GetString(1), reader.GetString(2)),
                reader.GetFieldValue<byte[]>(3),
                reader.GetFieldValue<DateTime>(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.GetFieldValue<DateTime>(6),
                reader.IsDBNull(7) ? default : reader.GetFieldValue<DateTime>(7),
                reader.GetFieldValue<DateTime>(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.GetInt64(0),
                reader.GetInt64(11)));
        }

        return (spans, batch);
    }

    private async Task<SettleResult> ExecuteSettleAsync(Settlement settlement, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = connection.CreateBatch();
        int? copy = null;
        var claims = new List<(int Spans, int? Move, int Close, int Released)>();

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

        // One claimed batch per settlement in practice; grouped all the same, each guarded by its own lease.
        var deadLetters = settlement.DeadLetters.ToLookup(d => (d.Span.BatchId, d.Span.Lease));
        var released = settlement.Released.ToLookup(s => (s.BatchId, s.Lease));
        var claimed = settlement.Delivered.Concat(settlement.DeadLetters.Select(d => d.Span)).Concat(settlement.Released)
            .GroupBy(s => (s.BatchId, s.Lease));
        foreach (var claim in claimed)
        {
            int? move = null;
            var dead = deadLetters[claim.Key].ToList();
            if (dead.Count > 0)
            {
                move = batch.BatchCommands.Count;
                batch.BatchCommands.Add(new NpgsqlBatchCommand(CollectionSql.MoveToDeadLetters).WithParameters(
                    Value(claim.Key.BatchId),
                    Value(claim.Key.Lease),
                    Value(dead.ConvertAll(d => d.Span.CollectedId).ToArray()),
                    TextArray(dead.ConvertAll(d => d.Reason).ToArray())));
            }

            // After the move, whose guard reads the batch row.
            var back = released[claim.Key].Select(s => s.CollectedId).ToArray();
            var close = batch.BatchCommands.Count;
            batch.BatchCommands.Add(back.Length == 0
                ? new NpgsqlBatchCommand(CollectionSql.CloseBatch).WithParameters(Value(claim.Key.BatchId), Value(claim.Key.Lease))
                : new NpgsqlBatchCommand(CollectionSql.ReleaseBatch).WithParameters(Value(claim.Key.BatchId), Value(claim.Key.Lease), Value(back)));
            claims.Add((claim.Count(), move, close, back.Length));
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);

        int Affected(int? index) => index is { } i ? batch.BatchCommands[i].RecordsAffected : 0;
        var result = new SettleResult(0, Affected(copy), 0, 0);
        foreach (var (spans, move, close, back) in claims)
        {
            var moved = Affected(move);
            result = Affected(close) == 1
                ? result with { Deleted = result.Deleted + spans - moved - back, DeadLettered = result.DeadLettered + moved, Released = result.Released + back }
                : result with { LeaseLost = result.LeaseLost + spans };
        }

        return result;
    }
}
