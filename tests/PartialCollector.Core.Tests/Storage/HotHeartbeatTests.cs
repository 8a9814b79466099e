using Npgsql;
using PartialCollector.Core.Storage;
using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

/// <summary>
/// Heartbeats are HOT updates (no index writes) on the production schema: every indexed column of partial_traces
/// stays as it was while a span runs, but for the expiry bucket. Hour-wide buckets here, so that the rounds (seconds on a
/// loaded machine) cross almost no span's bucket boundary: a refresh moves the bucket (an index write, as meant) of
/// about refresh interval / width of the spans, a sixth with 30 s buckets and 5 s heartbeats.
/// </summary>
[Collection(nameof(HotHeartbeatTests))]
public sealed class HotHeartbeatTests
{
    [Fact]
    public async Task AtLeastFourInFiveHeartbeatsAreHeapOnlyUpdates()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("hot");
        await Migrations.ApplyAsync(connectionString, expiryBucket: TimeSpan.FromHours(1));
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        // An autovacuum or autoanalyze of the table holds back what pruning may remove while it runs (long, on a loaded
        // machine), and with nothing pruned there is no room for heap-only versions: this counts the heartbeats' own doing.
        await using (var noAutovacuum = dataSource.CreateCommand("ALTER TABLE partial_traces SET (autovacuum_enabled = false)"))
        {
            await noAutovacuum.ExecuteNonQueryAsync();
        }

        var store = new SpanWriteStore(dataSource);
        var keys = Enumerable.Range(0, 50).Select(_ => Spans.NewKey()).ToList();

        for (var round = 1; round <= 11; round++)
        {
            var batch = new WriteBatch();
            batch.AddRange(keys.Select(k => Spans.Heartbeat(k, TimeSpan.FromSeconds(5), observed: round)));
            await store.WriteAsync(batch, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
        }

        // Ten rounds of refreshes after the inserts. A backend reports its statistics when it ends (an idle one only
        // every 10 s or so), so close the pool's connections before reading pg_stat_user_tables.
        await dataSource.DisposeAsync();
        var table = new PartialTracesTable(connectionString);
        var updates = await Poll.UntilAsync(
            () => table.ScalarAsync<string>("SELECT n_tup_upd || '/' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'partial_traces'"),
            s => s.StartsWith("500/", StringComparison.Ordinal),
            what: "the updates counted");
        var hot = long.Parse(updates.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(hot >= 400, $"only {hot} of 500 heartbeats were HOT updates");
    }
}

/// <summary>
/// Run alone, after the tests that run in parallel: under a parallel run it once counted 260 HOT updates of 500, other
/// databases' work on the same server holding back what pruning may remove (not established which).
/// </summary>
[CollectionDefinition(nameof(HotHeartbeatTests), DisableParallelization = true)]
public sealed class HotHeartbeatTestsRunAlone;
