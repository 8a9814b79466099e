using PartialCollector.Receiver.Collection;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Telemetry;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>Storage stays bounded: dead letters, tombstones and crash records go once their retention has passed, however many there are.</summary>
public sealed class RetentionPurgeTests
{
    [Fact]
    public async Task DeadLettersOlderThanTheRetentionArePurgedNewerKeptAndTheGaugeCountsThem()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_dlpurge");
        var table = new PartialTracesTable(connectionString);

        // More old rows than one purge statement removes, so the cycle must repeat it.
        await table.ExecuteAsync($"""
            INSERT INTO partial_dead_letters (trace_id, span_id, trace, reason, dead_at)
            SELECT 'old' || i, 's', '\x', 'test', now() - interval '8 days' FROM generate_series(1, {RetentionPurge.Limit + 2_500}) i;
            INSERT INTO partial_dead_letters (trace_id, span_id, trace, reason, dead_at)
            SELECT 'new' || i, 's', '\x', 'test', now() - interval '6 days' FROM generate_series(1, 3) i;
            """);
        await using var receiver = ReceiverHarness.Create(connectionString, "http://127.0.0.1:1", exporter: Idle());

        await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(3, await ExpiredSpans.DeadLetterCountAsync(connectionString));
        Assert.Equal(0, await table.ScalarAsync<long>("SELECT count(*) FROM partial_dead_letters WHERE trace_id LIKE 'old%'"));
        Assert.Equal(3, receiver.Get<ReceiverMetrics>().DeadLetters);
    }

    [Fact]
    public async Task TheRetentionIsConfigurableAndTheGaugeFollowsNewDeadLetters()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_dlretention");
        var table = new PartialTracesTable(connectionString);
        await table.ExecuteAsync("""
            INSERT INTO partial_dead_letters (trace_id, span_id, trace, reason, dead_at)
            VALUES ('a', 's', '\x', 'test', now() - interval '2 hours'), ('b', 's', '\x', 'test', now() - interval '30 minutes')
            """);
        await ExpiredSpans.SeedAsync(connectionString, 4);
        var rejecting = new DelegateTraceExporter(_ => Task.FromResult<ExportOutcome>(new ExportOutcome.Rejected("no")));
        await using var receiver = ReceiverHarness.Create(
            connectionString, "http://127.0.0.1:1", new Dictionary<string, string?> { ["PartialReceiver:DeadLetterRetention"] = "1h" }, rejecting);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(4, result.DeadLettered);
        Assert.Equal(0, await table.ScalarAsync<long>("SELECT count(*) FROM partial_dead_letters WHERE trace_id = 'a'"));
        Assert.Equal(5, await ExpiredSpans.DeadLetterCountAsync(connectionString));
        Assert.Equal(5, receiver.Get<ReceiverMetrics>().DeadLetters);
    }

    [Fact]
    public async Task MoreExpiredTombstonesThanOneStatementRemovesArePurgedInOneCycleAndFreshOnesKept()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_tombpurge");
        var table = new PartialTracesTable(connectionString);
        const int expired = 25_000;
        await table.ExecuteAsync($"""
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at, stopped_until)
            SELECT 'stopped' || i, 's', '\x', 'infinity', now() - interval '1 second' FROM generate_series(1, {expired}) i;
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at, stopped_until)
            SELECT 'recent' || i, 's', '\x', 'infinity', now() + interval '5 minutes' FROM generate_series(1, 10) i;
            """);
        await using var receiver = ReceiverHarness.Create(connectionString, "http://127.0.0.1:1", exporter: Idle());

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, result.Collected);
        Assert.Equal(10, await table.CountTombstonesAsync());
        Assert.Equal(0, await table.ScalarAsync<long>("SELECT count(*) FROM partial_traces WHERE trace_id LIKE 'stopped%'"));
    }

    [Fact]
    public async Task CrashRecordsPastTheRetentionGoUpToTheOldestBatchInFlightAndRecentOnesStay()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_collpurge");
        var table = new PartialTracesTable(connectionString);

        // Ids grow with collection time: six from two days ago, then four from the last minutes. The fifth old one
        // is in a batch still leased (mid-send), so it and every record after it stay.
        await table.ExecuteAsync("""
            INSERT INTO partial_collected (trace_id, span_id, last_heartbeat, collected_at, reason, trace)
            SELECT 'old' || i, 's', now(), now() - interval '2 days' + i * interval '1 second', 'no stop before expiry', '\x00'
            FROM generate_series(1, 6) i;
            INSERT INTO partial_collected (trace_id, span_id, last_heartbeat, collected_at, reason, trace)
            SELECT 'new' || i, 's', now(), now() - interval '5 minutes' + i * interval '1 second', 'no stop before expiry', '\x00'
            FROM generate_series(1, 4) i;
            INSERT INTO partial_collection_batches (ids, first_id, leased_until)
            SELECT array_agg(id), min(id), now() + interval '1 hour' FROM partial_collected WHERE trace_id = 'old5';
            """);
        await using var receiver = ReceiverHarness.Create(connectionString, "http://127.0.0.1:1", exporter: Idle());

        await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal("new1,new2,new3,new4,old5,old6", await table.ScalarAsync<string>(
            "SELECT string_agg(trace_id, ',' ORDER BY trace_id) FROM partial_collected"));

        // Once the batch is delivered the rest past the retention goes; nothing within it does.
        await table.ExecuteAsync("DELETE FROM partial_collection_batches");
        await receiver.Cycle.RunOnceAsync(CancellationToken.None);
        Assert.Equal("new1,new2,new3,new4", await table.ScalarAsync<string>(
            "SELECT string_agg(trace_id, ',' ORDER BY trace_id) FROM partial_collected"));
    }

    private static DelegateTraceExporter Idle() =>
        new(_ => throw new InvalidOperationException("nothing is due, so nothing may be sent"));
}
