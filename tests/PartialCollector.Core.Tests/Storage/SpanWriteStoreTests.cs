using Npgsql;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

public sealed class SpanWriteStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);
    private NpgsqlDataSource dataSource = null!;
    private SpanWriteStore store = null!;
    private PartialTracesTable table = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateMigratedDatabaseAsync("write");
        // A bounded pool: the concurrency tests queue for connections instead of taking the shared server's last ones.
        dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 20 }.ConnectionString);
        store = new SpanWriteStore(dataSource);
        table = new PartialTracesTable(connectionString);
    }

    public async Task DisposeAsync() => await dataSource.DisposeAsync();

    [Fact]
    public async Task HeartbeatStoresTheSpanWithExpiryOfFrequencyTimesFactorOnTheDatabaseClock()
    {
        var key = Spans.NewKey();
        var result = await WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromMilliseconds(1500), observed: 42));

        Assert.Equal(1, result.Upserted);
        var row = await table.FindAsync(key);
        Assert.NotNull(row);
        Assert.Equal(TimeSpan.FromMilliseconds(4500), row.ExpiresAt - row.Timestamp);
        Assert.Equal(42, row.HeartbeatUnixNano);
        Assert.Equal(key.SpanId, Convert.ToHexStringLower(row.Trace.ResourceSpans[0].ScopeSpans[0].Spans[0].SpanId.Span));
    }

    [Fact]
    public async Task LaterHeartbeatRefreshesTheRowButAnOlderOneDoesNotOverwriteIt()
    {
        var key = Spans.NewKey();
        await WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(1), observed: 100, name: "first"));
        await WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(1), observed: 300, name: "newest"));
        var stale = await WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(1), observed: 200, name: "stale"));

        Assert.Equal(0, stale.Upserted);
        Assert.Equal(1, stale.Suppressed);
        var row = await table.FindAsync(key);
        Assert.Equal("newest", row!.Trace.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);
        Assert.Equal(300, row.HeartbeatUnixNano);
    }

    [Fact]
    public async Task StopTurnsTheRowIntoATombstoneThatKeepsALateHeartbeatOut()
    {
        var key = Spans.NewKey();
        await WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(1), observed: 1));
        var stop = await WriteAsync(3, Spans.Stop(key, observed: 2));
        var late = await WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(1), observed: 3));

        Assert.Equal(1, stop.Deleted);
        Assert.Equal(0, late.Upserted);
        Assert.Equal(1, late.Suppressed);
        Assert.Null(await table.FindAsync(key));
        Assert.True(await table.HasTombstoneAsync(key));

        // The tombstone is never due for collection, and may be purged once its retention has passed.
        Assert.Equal(
            "infinity",
            await table.ScalarAsync<string>("SELECT expires_at::text FROM partial_traces WHERE trace_id = @t AND span_id = @s", ("t", key.TraceId), ("s", key.SpanId)));
        Assert.True(await table.ScalarAsync<bool>(
            "SELECT stopped_until BETWEEN now() + interval '4 minutes' AND now() + interval '6 minutes' FROM partial_traces WHERE trace_id = @t AND span_id = @s",
            ("t", key.TraceId),
            ("s", key.SpanId)));
    }

    [Fact]
    public async Task StopOfAnUnknownSpanLeavesOnlyATombstone()
    {
        var key = Spans.NewKey();
        var result = await WriteAsync(3, Spans.Stop(key));
        var again = await WriteAsync(3, Spans.Stop(key));
        var late = await WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(1), observed: 1));

        Assert.Equal(0, result.Deleted);
        Assert.Equal(0, again.Deleted);
        Assert.Equal(0, late.Upserted);
        Assert.Equal(0, await table.CountAsync());
        Assert.True(await table.HasTombstoneAsync(key));
    }

    [Fact]
    public async Task OneBatchMixesHeartbeatsAndStopsOfManySpans()
    {
        var running = Enumerable.Range(0, 50).Select(_ => Spans.NewKey()).ToArray();
        var ending = Enumerable.Range(0, 50).Select(_ => Spans.NewKey()).ToArray();
        await WriteAsync(3, [.. ending.Select(k => Spans.Heartbeat(k, TimeSpan.FromSeconds(1), observed: 1))]);

        var result = await WriteAsync(3, [
            .. running.Select(k => Spans.Heartbeat(k, TimeSpan.FromSeconds(1), observed: 2)),
            .. ending.Select(k => Spans.Stop(k, observed: 2)),
        ]);

        Assert.Equal(new WriteResult(50, 50, 0), result);
        Assert.Equal(running.OrderBy(k => k.TraceId).ThenBy(k => k.SpanId), (await table.AllAsync()).Select(r => r.Key).OrderBy(k => k.TraceId).ThenBy(k => k.SpanId));
        Assert.Equal(50, await table.CountTombstonesAsync());
    }

    [Fact]
    public async Task DuplicateKeysInOneBatchCollapseAndAStopWins()
    {
        var refreshed = Spans.NewKey();
        var stopped = Spans.NewKey();
        var batch = new WriteBatch();
        batch.Add(Spans.Heartbeat(refreshed, TimeSpan.FromSeconds(1), observed: 5, name: "old"));
        batch.Add(Spans.Heartbeat(refreshed, TimeSpan.FromSeconds(1), observed: 9, name: "new"));
        batch.Add(Spans.Heartbeat(refreshed, TimeSpan.FromSeconds(1), observed: 7, name: "reordered"));
        batch.Add(Spans.Heartbeat(stopped, TimeSpan.FromSeconds(1), observed: 1));
        batch.Add(Spans.Stop(stopped, observed: 2));
        batch.Add(Spans.Heartbeat(stopped, TimeSpan.FromSeconds(1), observed: 3));

        var result = await store.WriteAsync(batch, 3, Retention, CancellationToken.None);

        Assert.Equal(1, result.Upserted);
        Assert.Equal("new", (await table.FindAsync(refreshed))!.Trace.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);
        Assert.Null(await table.FindAsync(stopped));
    }

    [Fact]
    public async Task ConcurrentHeartbeatsAndStopsNeverResurrectAStoppedSpan()
    {
        // Every span gets a heartbeat and a stop in separate, concurrent transactions, in both orders.
        var keys = Enumerable.Range(0, 300).Select(_ => Spans.NewKey()).ToArray();
        var writes = keys.SelectMany((key, i) => new[]
        {
            Task.Run(() => WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(30), observed: 1))),
            Task.Run(() => WriteAsync(3, Spans.Stop(key, observed: 2))),
            Task.Run(() => WriteAsync(3, Spans.Heartbeat(key, TimeSpan.FromSeconds(30), observed: 3))),
        }.Skip(i % 2)).ToArray();

        await Task.WhenAll(writes);

        Assert.Equal(0, await table.CountAsync());
        Assert.Equal(keys.Length, await table.CountTombstonesAsync());
    }

    private Task<WriteResult> WriteAsync(double factor, params PartialSpanEvent[] events)
    {
        var batch = new WriteBatch();
        batch.AddRange(events);
        return store.WriteAsync(batch, factor, Retention, CancellationToken.None);
    }
}
