using Google.Protobuf;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using PartialCollector.Core.Model;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Exporter.Tests;

/// <summary>Heartbeats and stops sent by real OTLP clients: the OpenTelemetry .NET SDK and npm's exporter.</summary>
public sealed class RealClientTests : IAsyncLifetime
{
    private ExporterHost exporter = null!;

    public async Task InitializeAsync() => exporter = await ExporterHost.StartAsync();

    public async Task DisposeAsync() => await exporter.DisposeAsync();

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task DotNetSdkHeartbeatIsStoredAndItsStopForgetsIt(OtlpExportProtocol protocol)
    {
        var key = Spans.NewKey();
        var body = Convert.ToBase64String(PartialLogs.Traces(key, "sdk-operation").ToByteArray());

        SendWithDotNetSdk(protocol, body, "heartbeat");
        var row = await Poll.UntilAsync(() => exporter.Table.FindAsync(key), r => r is not null, what: "the heartbeat row");

        var resourceSpans = row!.Trace.ResourceSpans[0];
        var span = resourceSpans.ScopeSpans[0].Spans[0];
        Assert.Equal("sdk-operation", span.Name);
        Assert.Contains(span.Attributes, a => a.Key == "log.only.attribute" && a.Value.StringValue == "from-log");
        Assert.DoesNotContain(span.Attributes, a => a.Key.StartsWith("partial.", StringComparison.Ordinal));
        // The body's resource wins; the log's resource fills in what it lacks.
        Assert.Contains(resourceSpans.Resource.Attributes, a => a.Key == "service.name" && a.Value.StringValue == "test-service");
        Assert.Contains(resourceSpans.Resource.Attributes, a => a.Key == "sdk.client.only" && a.Value.StringValue == "yes");
        Assert.Equal(TimeSpan.FromSeconds(6), row.ExpiresAt - row.Timestamp);
        Assert.NotNull(row.HeartbeatUnixNano);

        SendWithDotNetSdk(protocol, body, "stop");
        await Poll.UntilAsync(() => exporter.Table.FindAsync(key), r => r is null, what: "the row to be deleted");
        Assert.True(await exporter.Table.HasTombstoneAsync(key));
    }

    [Theory]
    [InlineData("camel", "node-long-operation")]
    [InlineData("snake", "snake-long-operation")]
    public async Task NpmJsonExporterHeartbeatIsStoredAndItsStopForgetsIt(string flavor, string spanName)
    {
        var key = Spans.NewKey();
        var logsUrl = new Uri(exporter.HttpEndpoint, "/v1/logs");

        await NodeClient.SendAsync(logsUrl, "heartbeat", key.TraceId, key.SpanId, flavor, "2s");
        var row = await exporter.Table.FindAsync(key);

        Assert.NotNull(row);
        var resourceSpans = row.Trace.ResourceSpans[0];
        var span = resourceSpans.ScopeSpans[0].Spans[0];
        Assert.Equal(spanName, span.Name);
        Assert.True(span.ParentSpanId.IsEmpty);
        Assert.Contains(span.Attributes, a => a.Key == "log.only.attribute");
        Assert.Contains(resourceSpans.Resource.Attributes, a => a.Key == "service.name");
        Assert.Equal(TimeSpan.FromSeconds(6), row.ExpiresAt - row.Timestamp);

        await NodeClient.SendAsync(logsUrl, "stop", key.TraceId, key.SpanId, flavor);
        Assert.Null(await exporter.Table.FindAsync(key));
    }

    private void SendWithDotNetSdk(OtlpExportProtocol protocol, string body, string partialEvent)
    {
        // Disposing the factory flushes the exporter, so the request has been answered when this returns.
        using var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(options =>
        {
            options.IncludeFormattedMessage = true;
            options.SetResourceBuilder(ResourceBuilder.CreateEmpty()
                .AddAttributes([new("service.name", "sdk-client"), new("sdk.client.only", "yes")]));
            options.AddOtlpExporter(otlp =>
            {
                otlp.Protocol = protocol;
                otlp.Endpoint = protocol == OtlpExportProtocol.Grpc ? exporter.GrpcEndpoint : new Uri(exporter.HttpEndpoint, "/v1/logs");
            });
        }));
        var logger = factory.CreateLogger("partial");
        var attributes = new List<KeyValuePair<string, object?>>
        {
            new("partial.event", partialEvent),
            new("partial.frequency", "2000ms"),
            new("log.only.attribute", "from-log"),
        };
        logger.Log(LogLevel.Information, default, attributes, null, (_, _) => body);
    }
}
