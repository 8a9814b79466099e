using Microsoft.Extensions.DependencyInjection;
using PartialCollector.Core.Model;
using PartialCollector.Exporter.Ingestion;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// A database that does not keep up becomes back-pressure: once the bytes held by requests waiting for it reach
/// MaxPendingBytes, new requests get 503 with Retry-After / UNAVAILABLE at once, and what was taken is committed.
/// </summary>
public sealed class BackPressureTests : IAsyncLifetime
{
    private ExporterHost exporter = null!;
    private LogsClient client = null!;

    public async Task InitializeAsync()
    {
        exporter = await ExporterHost.StartAsync(new()
        {
            ["PartialExporter:MaxRequestBodySize"] = "65536",
            ["PartialExporter:MaxDecompressedBodySize"] = "65536",
            ["PartialExporter:MaxStoredSpanSize"] = "32768",
            ["PartialExporter:MaxExpandedRequestSize"] = "65536",
            ["PartialExporter:MaxPendingBytes"] = "262144",
            ["PartialExporter:RetryAfter"] = "3s",
        });
        client = new LogsClient(exporter);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await exporter.DisposeAsync();
    }

    [Fact]
    public async Task RequestsBeyondTheMemoryLimitAreRefusedAtOnceAndTheOthersCommitted()
    {
        var limit = exporter.Services.GetRequiredService<PendingBytesLimit>();
        await using var tableLock = await TableLock.TakeAsync(exporter.ConnectionString);

        // Each request holds about 40 KB (its body, then its row) until the database takes it.
        var waiting = new List<(SpanKey Key, Task<LogsClient.Answer> Answer)>();
        LogsClient.Answer? refusedHttp = null, refusedGrpc = null;
        for (var i = 0; refusedHttp is null || refusedGrpc is null; i++)
        {
            Assert.True(i < 100, "the memory limit never refused a request");
            var key = Spans.NewKey();
            var record = Heartbeat(Traces(key));
            record.Attributes.Add(Attribute("payload", new string('p', 20_000)));
            var overHttp = i % 2 == 0;
            var held = limit.Held;
            var send = client.SendAsync(Request(record), overHttp);
            // Answered, or holding both its body and its row (about 20 KB each): only then the next request, so a
            // request is never refused for its row because the next one's body got in first.
            await Poll.UntilAsync(() => Task.FromResult(send.IsCompleted || limit.Held >= held + 30_000), taken => taken, what: "the request answered or held whole");
            if (send.IsCompleted && (await send).Status == 503)
            {
                _ = overHttp ? refusedHttp = await send : refusedGrpc = await send;
                continue;
            }

            waiting.Add((key, send));
        }

        Assert.Equal(TimeSpan.FromSeconds(3), refusedHttp.RetryAfter);
        Assert.Contains("MaxPendingBytes", refusedHttp.Detail);
        Assert.Contains("MaxPendingBytes", refusedGrpc.Detail);
        Assert.DoesNotContain(waiting, w => w.Answer.IsCompletedSuccessfully && w.Answer.Result.Acknowledged);

        // Released: everything that was taken is committed; a request refused after its body was read got 503 too.
        await tableLock.DisposeAsync();
        var acknowledged = 0;
        foreach (var (key, answer) in waiting)
        {
            var result = await answer;
            if (result.Acknowledged)
            {
                acknowledged++;
                Assert.NotNull(await exporter.Table.FindAsync(key));
            }
            else
            {
                Assert.True(result.Status == 503 && result.Detail!.Contains("MaxPendingBytes"), $"queued request answered {result}");
            }
        }

        Assert.True(acknowledged >= 3, $"only {acknowledged} requests were taken before the limit");
        Assert.Equal(0, limit.Held);
    }
}
