using Npgsql;
using PartialCollector.Core.Storage;
using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

/// <summary>
/// A claim moves due spans to their crash records in one batch under a lease; settling closes the batch, hands it
/// back, or dead-letters some of it. These check that nothing claimed is lost, nothing is sent twice by one owner,
/// and a batch whose lease ran out is claimed again, first, with only what was left in it.
/// </summary>
public sealed class ClaimAndSettleTests
{
    [Fact]
    public async Task AClaimMovesTheDueSpansToOneBatchOfCrashRecordsAndClosingItLeavesTheRecords()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("settle_close");
        var expired = await ExpiredSpans.SeedAsync(connectionString, 300);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new CollectionStore(dataSource);
        var table = new PartialTracesTable(connectionString);

        var claimed = await store.ClaimAsync(200, TimeSpan.FromMinutes(1), CancellationToken.None);

        Assert.Equal(200, claimed.Select(c => c.CollectedId).Distinct().Count());
        Assert.Single(claimed.Select(c => c.BatchId).Distinct());
        Assert.Equal(expired.Except(claimed.Select(c => c.Key)).ToHashSet(), await table.KeysAsync());
        Assert.Equal(200, await table.CountAsync("partial_collected"));

        var settlement = new Settlement();
        settlement.Delivered.AddRange(claimed);
        var result = await store.SettleAsync(settlement, CancellationToken.None);

        Assert.Equal(200, result.Deleted);
        Assert.Equal(0, await table.CountAsync("partial_collection_batches"));
        Assert.Equal(200, await table.CountAsync("partial_collected"));
        Assert.Equal(100, (await store.ClaimAsync(1000, TimeSpan.FromMinutes(1), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task ABatchWhoseLeaseRanOutIsClaimedAgainFirstAndTheFirstOwnerCanNoLongerSettleIt()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("settle_lease");
        await ExpiredSpans.SeedAsync(connectionString, 20);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new CollectionStore(dataSource);
        var first = await store.ClaimAsync(1000, TimeSpan.FromMilliseconds(300), CancellationToken.None);

        // The first owner died mid-send: nothing is due while its lease holds, then its batch comes back whole.
        var again = await Poll.UntilAsync(
            () => store.ClaimAsync(1000, TimeSpan.FromMinutes(1), CancellationToken.None),
            rows => rows.Count > 0,
            what: "the batch claimed again after its lease");
        Assert.Equal(first[0].BatchId, again[0].BatchId);
        Assert.Equal(first.Select(r => r.CollectedId).Order(), again.Select(r => r.CollectedId).Order());
        Assert.Equal(first.Select(r => r.Trace.Length).Sum(), again.Select(r => r.Trace.Length).Sum());

        var late = new Settlement();
        late.Delivered.AddRange(first);
        Assert.Equal(new SettleResult(0, 0, 0, 20), await store.SettleAsync(late, CancellationToken.None));

        var owner = new Settlement();
        owner.Delivered.AddRange(again);
        Assert.Equal(20, (await store.SettleAsync(owner, CancellationToken.None)).Deleted);
        Assert.Empty(await store.ClaimAsync(1000, TimeSpan.FromMinutes(1), CancellationToken.None));
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync("partial_collection_batches"));
    }

    [Fact]
    public async Task ReleasingKeepsOnlyTheUndeliveredSpansInTheBatchAndDeadLettersLeaveIt()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("settle_release");
        await ExpiredSpans.SeedAsync(connectionString, 10);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new CollectionStore(dataSource);
        var claimed = await store.ClaimAsync(1000, TimeSpan.FromMinutes(1), CancellationToken.None);

        var settlement = new Settlement();
        settlement.Delivered.AddRange(claimed.Take(5));
        settlement.DeadLetters.AddRange(claimed.Skip(5).Take(2).Select(s => new DeadLetter(s, "refused for good")));
        settlement.Released.AddRange(claimed.Skip(7));
        var result = await store.SettleAsync(settlement, CancellationToken.None);

        Assert.Equal(new SettleResult(5, 2, 3, 0), result);
        Assert.Equal(2, await ExpiredSpans.DeadLetterCountAsync(connectionString, "refused for good"));
        Assert.Equal(8, await new PartialTracesTable(connectionString).CountAsync("partial_collected"));
        var retry = await store.ClaimAsync(1000, TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal(claimed.Skip(7).Select(s => s.Key).ToHashSet(), retry.Select(s => s.Key).ToHashSet());
        Assert.All(retry, r => Assert.Equal(claimed[0].BatchId, r.BatchId));
    }
}
