using PartialCollector.Receiver.Collection;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

public sealed class ConcurrentReceiverTests
{
    [Fact]
    public async Task TwoReceiversDeliverEachOf10000SpansExactlyOnce()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_two");
        var keys = await ExpiredSpans.SeedAsync(connectionString, 10_000);
        await using var sink = await TestTraceSink.StartAsync();
        var settings = new Dictionary<string, string?> { ["PartialReceiver:BatchSize"] = "250" };
        await using var first = ReceiverHarness.Create(connectionString, sink.Endpoint, settings);
        await using var second = ReceiverHarness.Create(connectionString, sink.Endpoint, settings);
        var table = new PartialTracesTable(connectionString);

        var results = await Task.WhenAll(DrainAsync(first.Cycle, table), DrainAsync(second.Cycle, table));

        Assert.Equal(10_000, sink.Received.Count);
        Assert.Equal(keys.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));
        Assert.Equal(10_000, results.Sum(r => r.Delivered));
        Assert.All(results, r => Assert.True(r.Delivered > 0, "both receivers took a share"));
        Assert.Equal(0, await table.CountAsync());
    }

    [Fact]
    public async Task FourSendersDeliverEachOf3000SpansExactlyOnceInOneCycle()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_lanes");
        var keys = await ExpiredSpans.SeedAsync(connectionString, 3_000);
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint, new Dictionary<string, string?>
        {
            ["PartialReceiver:Concurrency"] = "4",
            ["PartialReceiver:BatchSize"] = "100",
        });
        var table = new PartialTracesTable(connectionString);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(3_000, result.Collected);
        Assert.Equal(3_000, result.Delivered);
        Assert.Equal(keys.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, await table.CountAsync());
        Assert.Equal(0, (await receiver.Cycle.RunOnceAsync(CancellationToken.None)).Collected);
    }

    [Fact]
    public async Task AnotherSenderSendsWhileTheFirstWaitsForTheDownstream()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_overlap");
        await ExpiredSpans.SeedAsync(connectionString, 40);
        var secondExport = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exports = 0;
        var downstream = new DelegateTraceExporter(async _ =>
        {
            // The first export answers only once another has started: one sender at a time would time out here.
            if (Interlocked.Increment(ref exports) == 1)
            {
                await secondExport.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            else
            {
                secondExport.TrySetResult();
            }

            return new ExportOutcome.Delivered();
        });
        await using var receiver = ReceiverHarness.Create(
            connectionString,
            "http://127.0.0.1:1",
            new Dictionary<string, string?> { ["PartialReceiver:Concurrency"] = "2", ["PartialReceiver:BatchSize"] = "10" },
            downstream);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(40, result.Delivered);
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }

    [Fact]
    public async Task ABacklogThatFitsInOneBatchIsOneExportRequestWhateverTheConcurrency()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_onebatch");
        await ExpiredSpans.SeedAsync(connectionString, 50);
        var downstream = new DelegateTraceExporter(_ => Task.FromResult<ExportOutcome>(new ExportOutcome.Delivered()));
        await using var receiver = ReceiverHarness.Create(
            connectionString,
            "http://127.0.0.1:1",
            new Dictionary<string, string?> { ["PartialReceiver:Concurrency"] = "4", ["PartialReceiver:BatchSize"] = "100" },
            downstream);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(50, result.Delivered);
        Assert.Equal(1, result.Batches);
        Assert.Single(downstream.Requests);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ABacklogIsClaimedByEveryClaimerAtOnceAndEachSpanDeliveredOnce(int claimers)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync($"recv_claimers{claimers}");
        var keys = await ExpiredSpans.SeedAsync(connectionString, 1000);
        var table = new PartialTracesTable(connectionString);
        var firstSend = true;
        var downstream = new DelegateTraceExporter(async _ =>
        {
            // Hold the first send until everything the claimers can hold is claimed: the batch being sent, one in the
            // channel, and one per claimer waiting for room in it. With fewer claimers running this never comes.
            if (firstSend)
            {
                firstSend = false;
                await Poll.UntilAsync(() => BatchesAsync(table), n => n == 2 + claimers, what: $"{2 + claimers} batches claimed");
            }

            return new ExportOutcome.Delivered();
        });
        await using var receiver = ReceiverHarness.Create(
            connectionString,
            "http://127.0.0.1:1",
            new Dictionary<string, string?>
            {
                ["PartialReceiver:Concurrency"] = "1",
                ["PartialReceiver:BatchSize"] = "50",
                ["PartialReceiver:Claimers"] = $"{claimers}",
            },
            downstream);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(1000, result.Delivered);
        var sent = downstream.Requests.SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
            .Select(s => new PartialCollector.Core.Model.SpanKey(Convert.ToHexStringLower(s.TraceId.Span), Convert.ToHexStringLower(s.SpanId.Span)))
            .ToList();
        Assert.Equal(keys.ToHashSet(), sent.ToHashSet());
        Assert.Equal(1000, sent.Count);
        Assert.Equal(0, await BatchesAsync(table));
    }

    [Fact]
    public async Task ARetryableFailureHandsBackTheBatchesClaimedAheadWithoutSendingThem()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_ahead");
        await ExpiredSpans.SeedAsync(connectionString, 250);
        var table = new PartialTracesTable(connectionString);
        var downstream = new DelegateTraceExporter(async _ =>
        {
            // Fail only once the claimer has claimed everything: one batch in the channel, one waiting for room.
            await Poll.UntilAsync(() => LeasedAsync(table), n => n == 250, what: "the claimer to claim ahead");
            return new ExportOutcome.Retryable("down");
        });
        await using var receiver = ReceiverHarness.Create(
            connectionString,
            "http://127.0.0.1:1",
            new Dictionary<string, string?> { ["PartialReceiver:Concurrency"] = "1", ["PartialReceiver:BatchSize"] = "100" },
            downstream);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal("down", result.Failure);
        Assert.Equal(250, result.Collected);
        Assert.Equal(250, result.Released);
        Assert.Equal(1, result.Batches);
        Assert.Single(downstream.Requests);
        Assert.Equal(0, await LeasedAsync(table));
        Assert.Equal(250, await table.CountUndeliveredAsync());
    }

    [Fact]
    public async Task SpansOfAReceiverKilledMidBatchAreDeliveredByAnotherAfterTheLease()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_kill");
        var keys = await ExpiredSpans.SeedAsync(connectionString, 20);
        await using var sink = await TestTraceSink.StartAsync();
        await using var survivor = ReceiverHarness.Create(connectionString, sink.Endpoint);

        // The "killed" receiver claims under a short lease and never sends or settles. The lease leaves a loaded
        // machine seconds to reach the survivor's first cycle, which must find nothing collectable.
        var killed = ReceiverHarness.Create(connectionString, sink.Endpoint);
        var claimed = await killed.Get<PartialCollector.Core.Storage.CollectionStore>().ClaimAsync(1000, TimeSpan.FromSeconds(5), CancellationToken.None);
        await killed.DisposeAsync();
        Assert.Equal(20, claimed.Count);

        // Leased: not collectable yet.
        Assert.Equal(0, (await survivor.Cycle.RunOnceAsync(CancellationToken.None)).Collected);

        var delivered = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (delivered < 20 && DateTime.UtcNow < deadline)
        {
            delivered += (await survivor.Cycle.RunOnceAsync(CancellationToken.None)).Delivered;
            await Task.Delay(50);
        }

        Assert.Equal(20, delivered);
        Assert.Equal(keys.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }

    private static Task<long> BatchesAsync(PartialTracesTable table) =>
        table.ScalarAsync<long>("SELECT count(*) FROM partial_collection_batches");

    private static Task<long> LeasedAsync(PartialTracesTable table) =>
        table.ScalarAsync<long>("SELECT coalesce(sum(cardinality(ids)), 0)::bigint FROM partial_collection_batches WHERE leased_until > now()");

    private static async Task<CycleResult> DrainAsync(CollectionCycle cycle, PartialTracesTable table)
    {
        int collected = 0, delivered = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var result = await cycle.RunOnceAsync(CancellationToken.None);
            Assert.Null(result.Failure);
            collected += result.Collected;
            delivered += result.Delivered;
            if (result.Collected == 0 && await table.CountAsync() == 0)
            {
                break;
            }
        }

        return new CycleResult(collected, delivered, 0, 0, 0, 0, null);
    }
}
