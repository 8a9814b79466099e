using Grpc.Core;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

public sealed class DownstreamFailureTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task DownstreamThatRefusesThenAnswersUnavailableLosesNothing(int concurrency)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_fail");
        var keys = await ExpiredSpans.SeedAsync(connectionString, 250);
        await using var sink = new TestTraceSink { FailWith = StatusCode.Unavailable };
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint, new Dictionary<string, string?>
        {
            ["PartialReceiver:BatchSize"] = "100",
            ["PartialReceiver:Concurrency"] = $"{concurrency}",
        });
        var table = new PartialTracesTable(connectionString);

        // Nothing listens yet: connection refused. The claimer may have claimed ahead of the failed send; those
        // batches are handed back unsent, and nothing is claimed after the failure, so no row is claimed twice
        // (collected would exceed the 250 rows there are).
        var refused = await receiver.Cycle.RunOnceAsync(CancellationToken.None);
        Assert.NotNull(refused.Failure);
        Assert.Equal(refused.Collected, refused.Released);
        Assert.InRange(refused.Collected, 100, 250);

        Assert.Equal(250, await table.CountUndeliveredAsync());

        // Listening, but UNAVAILABLE (the channel reconnects after its own short back-off, so poll).
        await sink.StartListeningAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sink.FailedRequests == 0 && DateTime.UtcNow < deadline)
        {
            var unavailable = await receiver.Cycle.RunOnceAsync(CancellationToken.None);
            Assert.Contains("Unavailable", unavailable.Failure);
            Assert.Equal(0, unavailable.Delivered);
            await Task.Delay(100);
        }

        Assert.True(sink.FailedRequests > 0, "the sink was never reached");
        Assert.Equal(250, await table.CountUndeliveredAsync());

        // Recovered: the next cycle drains everything.
        sink.FailWith = null;
        var recovered = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(recovered.Failure);
        Assert.Equal(250, recovered.Delivered);
        Assert.Equal(250, recovered.Collected);

        // One claimer: full batches in claim order, whatever the concurrency.
        Assert.Equal(3, recovered.Batches);
        Assert.Equal(keys.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));
        Assert.Equal(0, await table.CountAsync());
        Assert.Equal(0, await ExpiredSpans.DeadLetterCountAsync(connectionString));
    }

    [Fact]
    public async Task PermanentRejectionMovesTheBatchToTheDeadLetters()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_reject");
        await ExpiredSpans.SeedAsync(connectionString, 3);
        await using var sink = await TestTraceSink.StartAsync();
        sink.FailWith = StatusCode.InvalidArgument;
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(3, result.DeadLettered);
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
        var reasons = await ExpiredSpans.DeadLetterReasonsAsync(connectionString);
        Assert.Equal(3, reasons.Count);
        Assert.All(reasons, r => Assert.Contains("InvalidArgument", r));

        // Nothing is retried forever: the next cycle has nothing to do.
        Assert.Equal(0, (await receiver.Cycle.RunOnceAsync(CancellationToken.None)).Collected);
    }

    [Fact]
    public async Task PartialSuccessDeletesTheBatchAndKeepsACopyOfEverySpanWithTheReason()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_partial");
        await ExpiredSpans.SeedAsync(connectionString, 4);
        await using var sink = await TestTraceSink.StartAsync();
        sink.RejectSpans = 1;
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(4, result.Delivered);
        Assert.Equal(4, result.DeadLettered);
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
        Assert.All(await ExpiredSpans.DeadLetterReasonsAsync(connectionString), r => Assert.StartsWith("downstream rejected 1 of 4 spans: test sink rejected some", r));
    }

    [Fact]
    public async Task PartialSuccessRejectingEverySpanDeadLettersThemInsteadOfDeleting()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_allrej");
        await ExpiredSpans.SeedAsync(connectionString, 2);
        await using var sink = await TestTraceSink.StartAsync();
        sink.RejectSpans = 2;
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, result.Delivered);
        Assert.Equal(2, result.DeadLettered);
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
        Assert.All(await ExpiredSpans.DeadLetterReasonsAsync(connectionString), r => Assert.StartsWith("downstream rejected all 2 spans", r));
    }

    [Fact]
    public async Task HttpProtobufDeliversGzipBodiesAndRetriesA503()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_httpgz");
        var keys = await ExpiredSpans.SeedAsync(connectionString, 5);
        await using var sink = await TestTraceSink.StartAsync(http: true);
        sink.FailWith = StatusCode.Unavailable;
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint, new Dictionary<string, string?>
        {
            ["PartialReceiver:Downstream:Protocol"] = "http/protobuf",
            ["PartialReceiver:Downstream:Compression"] = "gzip",
        });

        var failed = await receiver.Cycle.RunOnceAsync(CancellationToken.None);
        sink.FailWith = null;
        var recovered = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Contains("HTTP 503", failed.Failure);
        Assert.Equal(5, failed.Released);
        Assert.Equal(5, recovered.Delivered);
        Assert.Equal("gzip", sink.LastContentEncoding);
        Assert.Equal(keys.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, true)]
    [InlineData(StatusCode.DeadlineExceeded, true)]
    [InlineData(StatusCode.ResourceExhausted, true)]
    [InlineData(StatusCode.Aborted, true)]
    [InlineData(StatusCode.Unauthenticated, true)]
    [InlineData(StatusCode.InvalidArgument, false)]
    [InlineData(StatusCode.Internal, false)]
    public void GrpcStatusesAreClassifiedAsOtlpSays(StatusCode code, bool retryable) =>
        Assert.Equal(retryable, GrpcTraceExporter.Classify(code, "x") is ExportOutcome.Retryable);

    [Theory]
    [InlineData(StatusCode.ResourceExhausted, "Received message exceeds the maximum configured message size.", true)]
    [InlineData(StatusCode.ResourceExhausted, "grpc: received message larger than max (5242880 vs. 4194304)", true)]
    [InlineData(StatusCode.ResourceExhausted, "rate limited", false)]
    [InlineData(StatusCode.InvalidArgument, "Received message exceeds the maximum configured message size.", false)]
    public void OnlyAResourceExhaustedNamingTheMessageSizeIsTooLarge(StatusCode code, string detail, bool tooLarge) =>
        Assert.Equal(tooLarge, GrpcTraceExporter.Classify(code, detail) is ExportOutcome.TooLarge);

    [Fact]
    public void Http413IsTooLarge() =>
        Assert.IsType<ExportOutcome.TooLarge>(HttpTraceExporter.Classify(System.Net.HttpStatusCode.RequestEntityTooLarge, "x"));

    [Theory]
    [InlineData(429, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(401, true)]
    [InlineData(400, false)]
    [InlineData(413, false)]
    [InlineData(500, false)]
    public void HttpStatusesAreClassifiedAsOtlpSays(int status, bool retryable) =>
        Assert.Equal(retryable, HttpTraceExporter.Classify((System.Net.HttpStatusCode)status, "x") is ExportOutcome.Retryable);
}
