using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PartialCollector.Core.Model;
using PartialCollector.Core.Telemetry;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// A group-commit batch that the database refuses because of one request's rows (here a trigger raising a data
/// exception, as a constraint or another writer's rule could) is split until that request is found: it alone is
/// answered 400 / INVALID_ARGUMENT, every other request of the batch is committed and acknowledged.
/// </summary>
public sealed class WriterIsolationTests : IAsyncLifetime
{
    private const string PoisonSpanId = "badbadbadbadbad0";
    private ExporterHost exporter = null!;
    private LogsClient client = null!;

    public async Task InitializeAsync()
    {
        var database = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("iso");
        await new PartialTracesTable(database).ExecuteAsync($"""
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'span % is refused by a rule of this database', NEW.span_id USING ERRCODE = '22023';
            END $$;
            CREATE TRIGGER refuse_poison BEFORE INSERT OR UPDATE ON partial_traces
                FOR EACH ROW WHEN (NEW.span_id = '{PoisonSpanId}') EXECUTE FUNCTION refuse_poison();
            """);

        // One write loop, so everything queued behind the held lock lands in one batch.
        exporter = await ExporterHost.StartAsync(new() { ["PartialExporter:WriteConcurrency"] = "1" }, database);
        client = new LogsClient(exporter);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await exporter.DisposeAsync();
    }

    [Fact]
    public async Task OnlyTheRequestHoldingTheRefusedRowFails()
    {
        using var accepted = new MetricCollector<long>(
            exporter.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), PartialCollectorTelemetry.MeterName, "partial.exporter.records");
        using var unwritable = new MetricCollector<long>(
            exporter.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), PartialCollectorTelemetry.MeterName, "partial.exporter.rows.unwritable");

        // Hold the table so the first write waits and the rest queue up behind it.
        await using var tableLock = await TableLock.TakeAsync(exporter.ConnectionString);

        var goodKeys = Enumerable.Range(0, 20).Select(_ => Spans.NewKey()).ToList();
        var poisonKey = new SpanKey(Spans.NewKey().TraceId, PoisonSpanId);
        var good = goodKeys.Select((key, i) => client.SendAsync(Request(Heartbeat(Traces(key))), useHttp: i % 2 == 0)).ToList();
        var grpcPoison = client.ExportAsync(Request(Heartbeat(Traces(poisonKey))));
        var httpPoison = client.PostAsync(Request(Heartbeat(Traces(poisonKey))).ToByteArray());
        await Poll.UntilAsync(
            () => Task.FromResult(accepted.GetMeasurementSnapshot().Sum(m => m.Value)),
            n => n == goodKeys.Count + 2,
            what: "every request decoded and queued");
        await tableLock.DisposeAsync();

        var answers = await Task.WhenAll(good);
        Assert.All(answers, a => Assert.True(a.Acknowledged, $"good request answered {a}"));
        foreach (var key in goodKeys)
        {
            Assert.NotNull(await exporter.Table.FindAsync(key));
        }

        var grpcAnswer = await grpcPoison;
        var httpAnswer = await httpPoison;
        Assert.Equal(400, grpcAnswer.Status);
        Assert.Equal(400, httpAnswer.Status);
        Assert.Contains("refused by a rule of this database", grpcAnswer.Detail);
        Assert.Contains("refused by a rule of this database", httpAnswer.Detail);
        Assert.Null(await exporter.Table.FindAsync(poisonKey));
        Assert.Equal(2, unwritable.GetMeasurementSnapshot().Sum(m => m.Value));
    }
}
