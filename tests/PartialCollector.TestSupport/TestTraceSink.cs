using System.Collections.Concurrent;
using System.IO.Compression;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using PartialCollector.Core.Model;

namespace PartialCollector.TestSupport;

/// <summary>
/// An OTLP/gRPC trace sink the test controls: it counts every span it accepts (by key) and can be told
/// to answer with a gRPC status instead. <see cref="Port"/> is fixed before start, so a test can point a
/// receiver at it while nothing listens yet (connection refused). Like an OTLP Collector, it takes gRPC messages
/// up to 4 MiB and answers larger ones with RESOURCE_EXHAUSTED.
/// </summary>
public sealed class TestTraceSink : IAsyncDisposable
{
    public const int MaxReceiveMessageSize = 4 * 1024 * 1024;
    private readonly bool http;
    private WebApplication? app;
    private int largestRequest;

    /// <param name="http">Serve OTLP/HTTP (<c>POST /v1/traces</c>, protobuf, optionally gzip) instead of OTLP/gRPC.</param>
    public TestTraceSink(bool http = false)
    {
        this.http = http;
        Port = AspireDashboard.FreePort();
    }

    /// <summary>When set, a request holding a span of this name is refused with INVALID_ARGUMENT, and nothing in it counted.</summary>
    public string? RejectSpanNamed { get; set; }

    /// <summary>Bytes of the largest request the sink accepted.</summary>
    public int LargestRequest => Volatile.Read(ref largestRequest);

    /// <summary>The Content-Encoding of the last OTLP/HTTP request.</summary>
    public string? LastContentEncoding { get; private set; }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>When set, every export is answered with this status and nothing is counted.</summary>
    public StatusCode? FailWith { get; set; }

    /// <summary>When positive, accepted requests report this many spans rejected (OTLP partial success).</summary>
    public long RejectSpans { get; set; }

    public ConcurrentDictionary<SpanKey, int> Received { get; } = new();

    /// <summary>Every request that reached the sink, in arrival order, with its headers and spans.</summary>
    public ConcurrentQueue<SinkRequest> Log { get; } = new();

    public int Requests => requests;

    public int FailedRequests => failedRequests;

    private int requests;
    private int failedRequests;

    public static async Task<TestTraceSink> StartAsync(bool http = false)
    {
        var sink = new TestTraceSink(http);
        await sink.StartListeningAsync();
        return sink;
    }

    public async Task StartListeningAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();

        // The test folder holds the referenced services' appsettings.json, with their Kestrel endpoints: read none.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, Port, o => o.Protocols = http ? HttpProtocols.Http1 : HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = MaxReceiveMessageSize);
        builder.Services.AddSingleton(this);
        app = builder.Build();
        app.MapGrpcService<Service>();
        app.MapPost("/v1/traces", HandleHttpAsync);
        await app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    private async Task HandleHttpAsync(HttpContext context)
    {
        LastContentEncoding = context.Request.Headers.ContentEncoding.ToString();
        var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        body.Position = 0;
        Stream source = LastContentEncoding == "gzip" ? new GZipStream(body, CompressionMode.Decompress) : body;
        ExportTraceServiceResponse response;
        try
        {
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            response = Export(ExportTraceServiceRequest.Parser.ParseFrom(source), headers);
        }
        catch (RpcException e)
        {
            context.Response.StatusCode = e.StatusCode == StatusCode.InvalidArgument ? 400 : 503;
            return;
        }

        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(response.ToByteArray());
    }

    private ExportTraceServiceResponse Export(ExportTraceServiceRequest request, Dictionary<string, string> headers)
    {
        Interlocked.Increment(ref requests);
        var spans = request.ResourceSpans.SelectMany(r => r.ScopeSpans).SelectMany(s => s.Spans).ToList();
        var keys = spans.ConvertAll(span => new SpanKey(Convert.ToHexStringLower(span.TraceId.Span), Convert.ToHexStringLower(span.SpanId.Span)));
        if (FailWith is { } status)
        {
            Refuse(headers, keys);
            throw new RpcException(new Status(status, "test sink told to fail"));
        }

        if (RejectSpanNamed is { } name && spans.Any(s => s.Name == name))
        {
            Refuse(headers, keys);
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"test sink rejects spans named '{name}'"));
        }

        var size = request.CalculateSize();
        for (var largest = LargestRequest; size > largest; largest = LargestRequest)
        {
            Interlocked.CompareExchange(ref largestRequest, size, largest);
        }

        foreach (var key in keys)
        {
            Received.AddOrUpdate(key, 1, (_, n) => n + 1);
        }

        Log.Enqueue(new SinkRequest(headers, keys, Accepted: true));
        var response = new ExportTraceServiceResponse();
        if (RejectSpans > 0)
        {
            response.PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = RejectSpans, ErrorMessage = "test sink rejected some" };
        }

        return response;
    }

    private void Refuse(Dictionary<string, string> headers, List<SpanKey> keys)
    {
        Interlocked.Increment(ref failedRequests);
        Log.Enqueue(new SinkRequest(headers, keys, Accepted: false));
    }

    private sealed class Service(TestTraceSink sink) : TraceService.TraceServiceBase
    {
        // gRPC metadata keys arrive lowercase; a key sent twice is joined as HTTP would.
        public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context) =>
            Task.FromResult(sink.Export(
                request,
                context.RequestHeaders.GroupBy(h => h.Key).ToDictionary(g => g.Key, g => string.Join(",", g.Select(ValueOf)))));

        private static string ValueOf(Metadata.Entry entry) => entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value;
    }
}
