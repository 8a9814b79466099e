using Npgsql;
using PartialCollector.Core.Storage;
using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

/// <summary>
/// A settle reaches the claimed rows by the location the claim wrote them to (their ctid), not through the primary
/// key: these check that it finds exactly the claim's rows, and that a row moved since is not lost but collected again.
/// </summary>
public sealed class ClaimAndSettleTests
{
    [Fact]
    public async Task ASettleDeletesTheClaimedRowsThroughTheirLocationAndNothingElse()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("settle_location");
        var expired = await ExpiredSpans.SeedAsync(connectionString, 300);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new CollectionStore(dataSource);

        var claimed = await store.ClaimAsync(200, TimeSpan.FromMinutes(1), CancellationToken.None);
        var settlement = new Settlement();
        settlement.Delivered.AddRange(claimed);
        var result = await store.SettleAsync(settlement, CancellationToken.None);

        Assert.Equal(200, claimed.Select(c => c.RowVersion).Distinct().Count());
        Assert.Equal(200, result.Deleted);
        var left = await new PartialTracesTable(connectionString).KeysAsync();
        Assert.Equal(expired.Except(claimed.Select(c => c.Key)).ToHashSet(), left);
    }

    [Fact]
    public async Task ARowMovedBetweenClaimAndSettleIsNotDeletedAndIsClaimedAgainWhenTheLeaseEnds()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("settle_moved");
        var expired = await ExpiredSpans.SeedAsync(connectionString, 50);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new CollectionStore(dataSource);
        var claimed = await store.ClaimAsync(1000, TimeSpan.FromSeconds(1), CancellationToken.None);

        // Rewrites the table: every row gets a new location, as VACUUM FULL, CLUSTER or pg_repack would give it.
        await new PartialTracesTable(connectionString).ExecuteAsync("VACUUM FULL partial_traces");
        var settlement = new Settlement();
        settlement.Delivered.AddRange(claimed);
        var result = await store.SettleAsync(settlement, CancellationToken.None);

        // A row the rewrite left where it was is still the claim's own and goes; every other one is not forgotten but
        // due again after its lease (at least once, as when a receiver dies mid-send).
        Assert.Equal(50, claimed.Count);
        Assert.True(result.Deleted < 25, $"{result.Deleted} of 50 rows matched after the rewrite");
        var left = await new PartialTracesTable(connectionString).KeysAsync();
        Assert.Equal(50 - result.Deleted, left.Count);
        var again = await Poll.UntilAsync(
            () => store.ClaimAsync(1000, TimeSpan.FromMinutes(1), CancellationToken.None),
            rows => rows.Count > 0,
            what: "the moved rows claimed again after their lease");
        Assert.Equal(left, again.Select(r => r.Key).ToHashSet());
        Assert.Subset(expired.ToHashSet(), left);
    }
}
