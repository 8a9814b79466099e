using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using PartialCollector.Core.Model;
using PartialCollector.Core.Telemetry;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// Tenants: authenticated ingest over gRPC and HTTP with real clients, span ownership (nobody can stop or pin
/// another tenant's span, even racing on the same ids), per-tenant rate and live-span limits, tenant metrics.
/// </summary>
public sealed class TenantTests : IAsyncLifetime
{
    private const string KeyA = "key-for-team-a-0123456789";
    private const string KeyB = "key-for-team-b-0123456789";
    private const string KeyThrottled = "key-for-throttled-0123456789";
    private const string KeyQuota = "key-for-quota-0123456789";
    private ExporterHost exporter = null!;

    public async Task InitializeAsync() => exporter = await ExporterHost.StartAsync(new()
    {
        ["PartialExporter:Tenants:team-a:ApiKeys:0"] = "an-old-key-of-team-a-being-rotated",
        ["PartialExporter:Tenants:team-a:ApiKeys:1"] = KeyA,
        ["PartialExporter:Tenants:team-b:ApiKeys:0"] = KeyB,
        ["PartialExporter:Tenants:throttled:ApiKeys:0"] = KeyThrottled,
        ["PartialExporter:Tenants:throttled:MaxRecordsPerSecond"] = "5",
        ["PartialExporter:Tenants:quota:ApiKeys:0"] = KeyQuota,
        ["PartialExporter:Tenants:quota:MaxLiveSpans"] = "3",
        ["PartialExporter:ExpiryFactor"] = "2",
    });

    public async Task DisposeAsync() => await exporter.DisposeAsync();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithoutTheRightKeyNothingIsStored(bool overHttp)
    {
        using var anonymous = new LogsClient(exporter);
        using var wrong = new LogsClient(exporter, "not-a-key-of-anyone-at-all");
        using var right = new LogsClient(exporter, KeyA);
        var (k1, k2, k3) = (Spans.NewKey(), Spans.NewKey(), Spans.NewKey());

        var none = await anonymous.SendAsync(Request(Heartbeat(Traces(k1))), overHttp);
        var bad = await wrong.SendAsync(Request(Heartbeat(Traces(k2))), overHttp);
        var good = await right.SendAsync(Request(Heartbeat(Traces(k3))), overHttp);

        Assert.Equal(401, none.Status);
        Assert.Equal(401, bad.Status);
        Assert.Contains("Bearer", none.Detail);
        Assert.DoesNotContain("not-a-key-of-anyone-at-all", bad.Detail);
        Assert.True(good.Acknowledged && good.Rejected == 0, good.ToString());
        Assert.Null(await exporter.Table.FindAsync(k1));
        Assert.Null(await exporter.Table.FindAsync(k2));
        Assert.Equal("team-a", await TenantOfAsync(k3));
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task TheDotNetSdkSendsTheKeyFromItsHeaders(OtlpExportProtocol protocol)
    {
        var (stored, refused) = (Spans.NewKey(), Spans.NewKey());

        SendWithDotNetSdk(protocol, stored, $"Authorization=Bearer {KeyB}");
        SendWithDotNetSdk(protocol, refused, "Authorization=Bearer wrong-key-wrong-key-wrong");

        Assert.Equal("team-b", await TenantOfAsync(stored));
        Assert.Null(await exporter.Table.FindAsync(refused));
    }

    [Fact]
    public async Task TheNpmExporterSendsTheKeyFromOtelExporterOtlpHeaders()
    {
        var (stored, refused) = (Spans.NewKey(), Spans.NewKey());
        var logsUrl = new Uri(exporter.HttpEndpoint, "/v1/logs");

        await NodeClient.SendAsync(logsUrl, "heartbeat", stored.TraceId, stored.SpanId, "camel", "2s", headers: $"Authorization=Bearer%20{KeyA}");
        await NodeClient.SendAsync(logsUrl, "heartbeat", refused.TraceId, refused.SpanId, "camel", "2s");

        Assert.Equal("team-a", await TenantOfAsync(stored));
        Assert.Null(await exporter.Table.FindAsync(refused));
    }

    [Fact]
    public async Task TwoTenantsRacingOnTheSameIdsNeverBothWin()
    {
        using var a = new LogsClient(exporter, KeyA);
        using var b = new LogsClient(exporter, KeyB);
        var keys = Enumerable.Range(0, 40).Select(_ => Spans.NewKey()).ToList();

        var races = keys.Select(async (key, i) =>
        {
            var fromA = a.SendAsync(Request(Heartbeat(Traces(key, "a"))), useHttp: i % 2 == 0);
            var fromB = b.SendAsync(Request(Heartbeat(Traces(key, "b"))), useHttp: i % 2 == 1);
            return (Key: key, A: await fromA, B: await fromB);
        });

        foreach (var (key, fromA, fromB) in await Task.WhenAll(races))
        {
            Assert.True(fromA.Acknowledged && fromB.Acknowledged, $"{fromA} / {fromB}");
            var winner = await TenantOfAsync(key);
            var (won, lost) = winner == "team-a" ? (fromA, fromB) : (fromB, fromA);
            Assert.Equal(0, won.Rejected);
            Assert.Equal(1, lost.Rejected);
            Assert.Contains("owned_by_another_tenant", lost.Response!.PartialSuccess.ErrorMessage);
            Assert.Equal(winner == "team-a" ? "a" : "b", (await exporter.Table.FindAsync(key))!.Trace.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);
        }
    }

    [Fact]
    public async Task AnotherTenantCannotStopOrPinASpanWhichIsStillCollectedWhenItCrashes()
    {
        using var owner = new LogsClient(exporter, KeyA);
        using var intruder = new LogsClient(exporter, KeyB);
        var key = Spans.NewKey();
        Assert.Equal(0, (await owner.ExportAsync(Request(Heartbeat(Traces(key, "owned"), "1s", timeUnixNano: 100)))).Rejected);
        var before = await exporter.Table.FindAsync(key);

        var stop = new OpenTelemetry.Proto.Logs.V1.LogRecord
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString(key.TraceId)),
            SpanId = ByteString.CopyFrom(Convert.FromHexString(key.SpanId)),
            Attributes = { Attribute("partial.event", "stop") },
        };
        var pin = Heartbeat(Traces(key, "pinned"), "24h", timeUnixNano: ulong.MaxValue / 2);
        var stopAnswer = await intruder.ExportAsync(Request(stop));
        var pinAnswer = await intruder.PostAsync(Request(pin).ToByteArray());

        Assert.Contains("owned_by_another_tenant", stopAnswer.Response!.PartialSuccess.ErrorMessage);
        Assert.Contains("owned_by_another_tenant", pinAnswer.Response!.PartialSuccess.ErrorMessage);
        var after = await exporter.Table.FindAsync(key);
        Assert.NotNull(after);
        Assert.Equal(before, after with { Trace = before!.Trace });
        Assert.Equal("owned", after.Trace.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);

        // The owner's process "crashes": its span expires and the Receiver (a process of its own) still delivers it.
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = await ReceiverProcess.StartAsync(exporter.ConnectionString, sink.Endpoint, new() { ["PartialReceiver__GcInterval"] = "200ms" });
        await Poll.UntilAsync(
            () => Task.FromResult(sink.Received.ContainsKey(key)),
            delivered => delivered,
            what: "the owner's crashed span delivered");
    }

    [Fact]
    public async Task OverItsRateATenantIsToldToRetryAndThenSucceeds()
    {
        using var client = new LogsClient(exporter, KeyThrottled);
        LogsClient.Answer? overHttp = null, overGrpc = null;
        for (var i = 0; i < 200 && (overHttp is null || overGrpc is null); i++)
        {
            var answer = await client.SendAsync(Request(Heartbeat(Traces(Spans.NewKey()))), useHttp: overHttp is null);
            if (answer.Status == 429)
            {
                _ = answer.Transport == "http" ? overHttp = answer : overGrpc = answer;
            }
            else
            {
                Assert.True(answer.Acknowledged, answer.ToString());
            }
        }

        Assert.NotNull(overHttp);
        Assert.NotNull(overGrpc);
        Assert.InRange(overHttp.RetryAfter!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, overGrpc.GrpcStatus);
        Assert.NotNull(overGrpc.RetryAfter);

        var key = Spans.NewKey();
        await Poll.UntilAsync(() => client.ExportAsync(Request(Heartbeat(Traces(key)))), a => a.Acknowledged, what: "a request accepted after the retry delay");
        Assert.Equal("throttled", await TenantOfAsync(key));
    }

    [Fact]
    public async Task NewSpansBeyondTheLiveSpanLimitAreRejectedButRefreshesAndStopsWork()
    {
        using var client = new LogsClient(exporter, KeyQuota);
        var keys = Enumerable.Range(0, 5).Select(_ => Spans.NewKey()).ToList();

        var first = await client.ExportAsync(Request([.. keys.Select(k => Heartbeat(Traces(k)))]));

        Assert.Equal(2, first.Rejected);
        Assert.Contains("tenant_span_limit", first.Response!.PartialSuccess.ErrorMessage);
        var stored = new List<SpanKey>();
        foreach (var key in keys)
        {
            if (await exporter.Table.FindAsync(key) is not null)
            {
                stored.Add(key);
            }
        }

        Assert.Equal(3, stored.Count);
        var refresh = await client.PostAsync(Request(Heartbeat(Traces(stored[0]), timeUnixNano: 5)).ToByteArray());
        var another = await client.ExportAsync(Request(Heartbeat(Traces(Spans.NewKey()))));
        var stop = await client.ExportAsync(Request(Stop(Traces(stored[1]))));
        Assert.Equal(0, refresh.Rejected);
        Assert.Equal(1, another.Rejected);
        Assert.Equal(0, stop.Rejected);
        Assert.Null(await exporter.Table.FindAsync(stored[1]));

        // The stop made room: once the count is read again, a new span may start.
        var next = Spans.NewKey();
        await Poll.UntilAsync(() => client.ExportAsync(Request(Heartbeat(Traces(next)))), a => a.Rejected == 0, what: "room for a new span after a stop");
        Assert.Equal("quota", await TenantOfAsync(next));
    }

    [Fact]
    public async Task MetricsCarryTheTenant()
    {
        var meters = exporter.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var records = new MetricCollector<long>(meters, PartialCollectorTelemetry.MeterName, "partial.exporter.records");
        using var rejected = new MetricCollector<long>(meters, PartialCollectorTelemetry.MeterName, "partial.exporter.records.rejected");
        using var unauthenticated = new MetricCollector<long>(meters, PartialCollectorTelemetry.MeterName, "partial.exporter.requests.unauthenticated");
        using var client = new LogsClient(exporter, KeyB);
        using var anonymous = new LogsClient(exporter);

        await client.ExportAsync(Request(Heartbeat(Traces(Spans.NewKey())), Heartbeat(Traces(Spans.NewKey()), "soon")));
        await anonymous.ExportAsync(Request(Heartbeat(Traces(Spans.NewKey()))));

        Assert.Contains(records.GetMeasurementSnapshot(), m => m.Tags["tenant"] as string == "team-b" && m.Tags["event"] as string == "heartbeat");
        Assert.Contains(rejected.GetMeasurementSnapshot(), m => m.Tags["tenant"] as string == "team-b" && m.Tags["reason"] as string == "invalid_frequency");
        Assert.Contains(unauthenticated.GetMeasurementSnapshot(), m => m.Tags["reason"] as string == "missing_credentials");
    }

    private Task<string> TenantOfAsync(SpanKey key) => Poll.UntilAsync(
        () => exporter.Table.ScalarAsync<string>(
            "SELECT coalesce((SELECT tenant FROM partial_traces WHERE trace_id = @t AND span_id = @s), '')", ("t", key.TraceId), ("s", key.SpanId)),
        tenant => tenant.Length > 0,
        TimeSpan.FromSeconds(10),
        $"the row of {key} and its tenant");

    private void SendWithDotNetSdk(OtlpExportProtocol protocol, SpanKey key, string headers)
    {
        // Disposing the factory flushes the exporter, so the request has been answered when this returns.
        using var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(options => options.AddOtlpExporter(otlp =>
        {
            otlp.Protocol = protocol;
            otlp.Endpoint = protocol == OtlpExportProtocol.Grpc ? exporter.GrpcEndpoint : new Uri(exporter.HttpEndpoint, "/v1/logs");
            otlp.Headers = headers;
        })));
        var attributes = new List<KeyValuePair<string, object?>> { new("partial.event", "heartbeat"), new("partial.frequency", "2000ms") };
        var body = Convert.ToBase64String(Traces(key).ToByteArray());
        factory.CreateLogger("partial").Log(LogLevel.Information, default, attributes, null, (_, _) => body);
    }
}
