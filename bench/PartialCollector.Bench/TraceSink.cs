using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace PartialCollector.Bench;

/// <summary>A minimal OTLP/gRPC trace sink that acknowledges at once and counts the spans it got.</summary>
public sealed class TraceSink : TraceService.TraceServiceBase, IAsyncDisposable
{
    private long spans;
    private long firstArrival;
    private WebApplication? app;

    public long Spans => Interlocked.Read(ref spans);

    /// <summary>Stopwatch timestamp of the first export received, 0 before it.</summary>
    public long FirstArrival => Interlocked.Read(ref firstArrival);

    public Uri Endpoint { get; private set; } = null!;

    public async Task StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton(this);
        app = builder.Build();
        app.MapGrpcService<TraceSink>();
        await app.StartAsync();
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        long count = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                count += scopeSpans.Spans.Count;
            }
        }

        Interlocked.CompareExchange(ref firstArrival, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        Interlocked.Add(ref spans, count);
        return Task.FromResult(new ExportTraceServiceResponse());
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }
}
