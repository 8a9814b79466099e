using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// The Exporter's own traces, exported over OTLP like every service's: requests it serves make spans, except the
/// OTLP ingestion it exists for (over HTTP and gRPC) and the health probes, which would bury everything else.
/// </summary>
public sealed class SelfTracingTests
{
    [Fact]
    public async Task IngestionAndHealthProbesMakeNoSpanWhileOtherRequestsDo()
    {
        await using var sink = await SpanSink.StartAsync();
        var database = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("selftrace");
        await using var exporter = await ExporterProcess.StartAsync(database, new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        });
        using var client = new LogsClient(exporter.GrpcEndpoint, exporter.HttpEndpoint);
        using var http = new HttpClient { BaseAddress = exporter.HttpEndpoint };

        Assert.True((await client.SendAsync(Request(Heartbeat(Traces(Spans.NewKey()))), useHttp: true)).Acknowledged);
        Assert.True((await client.SendAsync(Request(Heartbeat(Traces(Spans.NewKey()))), useHttp: false)).Acknowledged);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);

        // Ended last: once its span is exported, any span of the requests before it would have been too.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/traced-control")).StatusCode);
        await Poll.UntilAsync(() => Task.FromResult(sink.Paths.Contains("/traced-control")), found => found, TimeSpan.FromSeconds(30), "the control request's span");

        Assert.DoesNotContain(sink.Paths, path =>
            path.StartsWith("/v1/logs", StringComparison.Ordinal)
            || path.StartsWith("/opentelemetry.proto.collector.logs.v1.LogsService", StringComparison.Ordinal)
            || path.StartsWith("/health", StringComparison.Ordinal)
            || path.StartsWith("/alive", StringComparison.Ordinal));
    }

    /// <summary>An OTLP/HTTP endpoint that keeps the <c>url.path</c> of every server span it receives.</summary>
    private sealed class SpanSink : IAsyncDisposable
    {
        private readonly WebApplication app;

        private SpanSink(WebApplication app, int port)
        {
            this.app = app;
            Endpoint = $"http://127.0.0.1:{port}";
        }

        public string Endpoint { get; }

        public ConcurrentBag<string> Paths { get; } = [];

        public static async Task<SpanSink> StartAsync()
        {
            var port = FreePorts.Next();
            var builder = WebApplication.CreateSlimBuilder();

            // The test folder holds the Exporter's appsettings.json, with its Kestrel endpoints: read none.
            builder.Configuration.Sources.Clear();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1));
            var sink = new SpanSink(builder.Build(), port);
            sink.app.MapPost("/v1/traces", sink.ReceiveAsync);

            // The Exporter's logs and metrics come here too; accepted and ignored.
            sink.app.MapPost("/v1/logs", () => Results.Ok());
            sink.app.MapPost("/v1/metrics", () => Results.Ok());
            await sink.app.StartAsync();
            return sink;
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();

        private async Task<IResult> ReceiveAsync(HttpRequest request)
        {
            var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var export = ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray());
            foreach (var span in export.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans))
            {
                if (span.Attributes.FirstOrDefault(a => a.Key == "url.path") is { } path)
                {
                    Paths.Add(path.Value.StringValue);
                }
            }

            return Results.Bytes(new ExportTraceServiceResponse().ToByteArray(), "application/x-protobuf");
        }
    }
}
