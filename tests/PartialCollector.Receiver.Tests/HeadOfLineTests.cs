using Google.Protobuf;
using PartialCollector.Core.Model;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>A span that cannot be delivered never stops the others: requests bounded in bytes, refusals split in halves.</summary>
public sealed class HeadOfLineTests
{
    private const int DefaultMaxBatchBytes = 3 * 1024 * 1024;

    [Fact]
    public async Task LargeAndSmallSpansAreAllDeliveredOnceInRequestsTheSinkAccepts()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_bytes");
        var large = await ExpiredSpans.SeedAsync(connectionString, 30, paddingBytes: 400 * 1024);
        var small = await ExpiredSpans.SeedAsync(connectionString, 500);
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(530, result.Delivered);
        Assert.Equal(0, result.DeadLettered);
        Assert.Equal(large.Concat(small).ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, sink.FailedRequests);
        Assert.InRange(sink.LargestRequest, 400 * 1024, DefaultMaxBatchBytes);

        // 12 MB of spans under a 3 MiB bound: at least four requests, and no more than one per large span plus one.
        Assert.InRange(result.Batches, 4, 31);
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }

    [Fact]
    public async Task ARowLargerThanTheSinkTakesIsDeadLetteredAndEverythingBehindItArrives()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_huge");
        var behind = await ExpiredSpans.SeedAsync(connectionString, 2_500);
        var huge = Spans.NewKey();
        var table = new PartialTracesTable(connectionString);

        // Another writer stored a 5 MB span; it expired first, so it is at the head of the line.
        await InsertExpiredAsync(connectionString, huge, Spans.Traces(Spans.Padded(Spans.NewSpan(huge, "huge"), 5_000_000)).ToByteArray());
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint, new Dictionary<string, string?>
        {
            ["PartialReceiver:BatchSize"] = "1000",
        });

        var delivered = 0;
        for (var cycle = 0; cycle < 3 && delivered < behind.Count; cycle++)
        {
            var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);
            Assert.Null(result.Failure);
            delivered += result.Delivered;
        }

        Assert.Equal(behind.Count, delivered);
        Assert.Equal(behind.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, await table.CountAsync());
        var reason = Assert.Single(await ExpiredSpans.DeadLetterReasonsAsync(connectionString));
        Assert.Contains("too large", reason);
        Assert.Contains("ResourceExhausted", reason);
        Assert.Equal(huge.SpanId, await table.ScalarAsync<string>("SELECT span_id FROM partial_dead_letters"));
    }

    [Fact]
    public async Task ARejectedSpanIsIsolatedByHalvingAndDeadLetteredWithItsReasonWhileTheRestIsDelivered()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_halves");
        var good = await ExpiredSpans.SeedAsync(connectionString, 40);
        var poison = (await ExpiredSpans.SeedAsync(connectionString, 1, name: "poison")).Single();
        good.AddRange(await ExpiredSpans.SeedAsync(connectionString, 40));
        await using var sink = await TestTraceSink.StartAsync();
        sink.RejectSpanNamed = "poison";
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(80, result.Delivered);
        Assert.Equal(1, result.DeadLettered);
        Assert.Equal(good.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));

        // Halving 81 spans down to the one: one refused request per level, about 2 log2(81) requests in all.
        Assert.InRange(sink.FailedRequests, 2, 8);
        Assert.InRange(result.Batches, 3, 15);
        var reason = Assert.Single(await ExpiredSpans.DeadLetterReasonsAsync(connectionString));
        Assert.Contains("InvalidArgument: test sink rejects spans named 'poison'", reason);
        var table = new PartialTracesTable(connectionString);
        Assert.Equal(poison.SpanId, await table.ScalarAsync<string>("SELECT span_id FROM partial_dead_letters"));
        Assert.Equal(0, await table.CountAsync());

        // Nothing loops: the next cycle has nothing to do.
        Assert.Equal(0, (await receiver.Cycle.RunOnceAsync(CancellationToken.None)).Collected);
    }

    [Fact]
    public async Task RowsOfManySpansAreMeasuredAndSplitBeforeTheyAreSent()
    {
        // Another writer stored 100 spans per row: decorating adds more per row than the byte slices allow for.
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_multispan");
        var keys = new List<SpanKey>();
        for (var row = 0; row < 40; row++)
        {
            var rowKey = Spans.NewKey();
            var traces = Spans.Traces(Spans.NewSpan(rowKey));
            for (var i = 0; i < 99; i++)
            {
                var key = Spans.NewKey();
                keys.Add(key);
                traces.ResourceSpans[0].ScopeSpans[0].Spans.Add(Spans.NewSpan(key));
            }

            keys.Add(rowKey);
            await InsertExpiredAsync(connectionString, rowKey, traces.ToByteArray());
        }

        var sizes = new List<int>();
        var downstream = new DelegateTraceExporter(request =>
        {
            lock (sizes)
            {
                sizes.Add(request.CalculateSize());
            }

            return Task.FromResult<ExportOutcome>(new ExportOutcome.Delivered());
        });
        await using var receiver = ReceiverHarness.Create(
            connectionString, "http://127.0.0.1:1", new Dictionary<string, string?> { ["PartialReceiver:MaxBatchBytes"] = "65536" }, downstream);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(40, result.Delivered);
        Assert.All(sizes, size => Assert.InRange(size, 1, 65536));
        var sent = downstream.Requests.SelectMany(r => r.ResourceSpans).SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans)
            .Select(s => new SpanKey(Convert.ToHexStringLower(s.TraceId.Span), Convert.ToHexStringLower(s.SpanId.Span))).ToList();
        Assert.Equal(keys.ToHashSet(), sent.ToHashSet());
        Assert.Equal(keys.Count, sent.Count);
    }

    [Fact]
    public async Task RequestsThatCouldOutlastTheClaimsLeaseAreNotSentAndTheirRowsHandedBack()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_leaseguard");
        await ExpiredSpans.SeedAsync(connectionString, 3, paddingBytes: 40 * 1024);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var downstream = new DelegateTraceExporter(_ =>
        {
            // A slow first request: 26 s of the 30 s lease are gone, less than the 5 s timeout of another send is left.
            clock.Advance(TimeSpan.FromSeconds(26));
            return Task.FromResult<ExportOutcome>(new ExportOutcome.Delivered());
        });

        // 64 KiB per request: the three 40 KB spans need three.
        await using var receiver = ReceiverHarness.Create(
            connectionString,
            "http://127.0.0.1:1",
            new Dictionary<string, string?> { ["PartialReceiver:MaxBatchBytes"] = "65536", ["PartialReceiver:Lease"] = "30s" },
            downstream,
            clock);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Contains("lease", result.Failure);
        Assert.Single(downstream.Requests);
        Assert.Equal(1, result.Delivered);
        Assert.Equal(2, result.Released);
        Assert.Equal(2, await new PartialTracesTable(connectionString).CountUndeliveredAsync());
    }

    private static async Task InsertExpiredAsync(string connectionString, SpanKey key, byte[] trace)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "INSERT INTO partial_traces (trace_id, span_id, trace, expires_at) VALUES (@t, @s, @b, now() - interval '10 minutes')", connection);
        command.Parameters.AddWithValue("t", key.TraceId);
        command.Parameters.AddWithValue("s", key.SpanId);
        command.Parameters.AddWithValue("b", trace);
        await command.ExecuteNonQueryAsync();
    }
}
