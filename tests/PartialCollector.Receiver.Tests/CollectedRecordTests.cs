using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PartialCollector.Core.Telemetry;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Receiver.Tests;

/// <summary>
/// What the live view needs from collection: a record of each delivered crash (partial_collected, bounded by age
/// and count), the crash counter by service, and a cycle that is traced only when it did something. The heartbeats
/// come through the real Exporter, a process of its own.
/// </summary>
// Alone: the cycle's ActivitySource is process-wide, and other tests' cycles would show in the listener.
[Collection(nameof(SerialTests))]
public sealed class CollectedRecordTests : IAsyncLifetime
{
    private ExporterProcess exporter = null!;
    private TestTraceSink sink = null!;

    public async Task InitializeAsync()
    {
        exporter = await ExporterProcess.StartAsync(await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("collected"));
        sink = await TestTraceSink.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await sink.DisposeAsync();
        await exporter.DisposeAsync();
    }

    [Fact]
    public async Task ADeliveredCrashIsRecordedWithItsServiceAndCountedByService()
    {
        await using var receiver = ReceiverHarness.Create(exporter.ConnectionString, sink.Endpoint);
        using var crashed = new MetricCollector<long>(
            receiver.Get<System.Diagnostics.Metrics.IMeterFactory>(), PartialCollectorTelemetry.MeterName, "partial.spans.crashed");
        using var client = new LogsClient(exporter);
        var key = Spans.NewKey();
        await client.ExportAsync(Request(Heartbeat(Traces(key, "nightly-import"), "100ms")));

        await Poll.UntilAsync(
            async () => { await receiver.Cycle.RunOnceAsync(CancellationToken.None); return sink.Received.ContainsKey(key); },
            delivered => delivered,
            what: "the crashed span delivered");

        var record = await exporter.Table.ScalarAsync<string>(
            "SELECT concat_ws('|', service_name, span_name, reason, frequency::text, (last_heartbeat < collected_at)::text, (length(trace) > 0)::text) FROM partial_collected WHERE trace_id = @t AND span_id = @s",
            ("t", key.TraceId),
            ("s", key.SpanId));
        Assert.Equal("test-service|nightly-import|no stop before expiry|00:00:00.1|true|true", record);
        Assert.Contains(crashed.GetMeasurementSnapshot(), m => m.Value == 1 && m.Tags["service.name"] as string == "test-service");
    }

    [Fact]
    public async Task RecordsOlderThanTheRetentionOrBeyondTheMostRowsArePurged()
    {
        // Ids grow with collection time: five from three days ago, then thirty from the last hour.
        await exporter.Table.ExecuteAsync("""
            INSERT INTO partial_collected (trace_id, span_id, last_heartbeat, collected_at, reason, trace)
            SELECT md5(i::text), lpad(i::text, 16, '0'), now(), now() - interval '3 days', 'no stop before expiry', '\x00'
            FROM generate_series(31, 35) AS i;
            INSERT INTO partial_collected (trace_id, span_id, last_heartbeat, collected_at, reason, trace)
            SELECT md5(i::text), lpad(i::text, 16, '0'), now(), now() - interval '1 hour' + i * interval '1 second', 'no stop before expiry', '\x00'
            FROM generate_series(1, 30) AS i;
            """);
        await using var receiver = ReceiverHarness.Create(exporter.ConnectionString, sink.Endpoint, new Dictionary<string, string?>
        {
            ["PartialReceiver:CollectedRetention"] = "1d",
            ["PartialReceiver:CollectedMaxRows"] = "10",
        });

        await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        // The newest ten survive: the 3-day-old ones went by age, the next twenty by count.
        Assert.Equal("21-30", await exporter.Table.ScalarAsync<string>(
            "SELECT min(span_id::int) || '-' || max(span_id::int) FROM partial_collected"));
    }

    [Fact]
    public async Task AnIdleCycleLeavesNoTraceAndABusyOneLeavesOneSpan()
    {
        await using var receiver = ReceiverHarness.Create(exporter.ConnectionString, sink.Endpoint);
        var started = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PartialCollectorTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (started)
                {
                    started.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await receiver.Cycle.RunOnceAsync(CancellationToken.None);
        Assert.DoesNotContain(started, a => a.OperationName == "partial.receiver.cycle");

        using var client = new LogsClient(exporter);
        var key = Spans.NewKey();
        await client.ExportAsync(Request(Heartbeat(Traces(key), "100ms")));
        await Poll.UntilAsync(
            async () => { await receiver.Cycle.RunOnceAsync(CancellationToken.None); return sink.Received.ContainsKey(key); },
            delivered => delivered,
            what: "the crashed span delivered");

        List<Activity> cycles;
        lock (started)
        {
            cycles = started.Where(a => a.OperationName == "partial.receiver.cycle").ToList();
        }

        var cycle = Assert.Single(cycles);
        Assert.Equal(1, cycle.GetTagItem("partial.receiver.delivered"));
    }
}
