using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.TestSupport;
using Xunit.Abstractions;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// The Exporter's memory stays bounded whatever clients send: requests that would expand into gigabytes of rows,
/// and a flood of large requests while the database does not answer, leave its peak RSS (VmHWM) under 1 GB.
/// The Exporter runs as a process of its own, so its memory is measured apart from the tests'.
/// </summary>
public sealed class MemoryBoundTests(ITestOutputHelper output)
{
    private const long OneGigabyte = 1024L * 1024 * 1024;

    [Fact]
    public async Task AmplifyingRequestsAndAFloodAgainstAStuckDatabaseLeaveTheExporterUnderOneGigabyte()
    {
        var database = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("mem");
        await using var exporter = await ExporterProcess.StartAsync(database);
        using var client = new LogsClient(exporter.GrpcEndpoint, exporter.HttpEndpoint);

        // 1 MB gzip requests whose record carries 200 KB of attributes and 1,000 spans: 200 MB of rows each, if built.
        var amplifier = Request(Amplifier(spans: 1000)).ToByteArray();
        var amplified = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.PostAsync(amplifier, gzip: true)));
        Assert.All(amplified, a => Assert.Contains("request_too_large", a.Response?.PartialSuccess?.ErrorMessage));

        // A stuck database: 2 MB requests pile up until the memory limit answers 503.
        await using var tableLock = await TableLock.TakeAsync(database);
        var large = Heartbeat(Traces(Spans.NewKey()));
        large.Attributes.Add(Attribute("payload", new string('x', 900_000)));
        var flood = Enumerable.Range(0, 400).Select(i => client.SendAsync(Request(large, large.Clone()), useHttp: i % 2 == 0)).ToList();
        await Poll.UntilAsync(() => Task.FromResult(flood.Count(t => t.IsCompleted)), n => n >= 100, TimeSpan.FromSeconds(60), "the memory limit to refuse requests");
        var peak = PeakRss(exporter.Id);
        await tableLock.DisposeAsync();
        var answers = await Task.WhenAll(flood);

        output.WriteLine($"Exporter peak RSS {peak / (1024 * 1024)} MiB; {answers.Count(a => a.Status == 503)} of {answers.Length} refused at the memory limit");
        Assert.True(peak < OneGigabyte, $"Exporter peak RSS {peak / (1024 * 1024)} MiB");
        Assert.Contains(answers, a => a.Status == 503 && a.Detail!.Contains("MaxPendingBytes"));
        Assert.Contains(answers, a => a.Acknowledged);
        Assert.All(answers, a => Assert.True(a.Status is 200 or 503, a.ToString()));
        Assert.True(PeakRss(exporter.Id) < OneGigabyte, $"Exporter peak RSS {PeakRss(exporter.Id) / (1024 * 1024)} MiB");
    }

    private static long PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
