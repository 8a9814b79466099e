using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace PartialCollector.Bench;

/// <summary>
/// A minimal OTLP/gRPC trace sink that acknowledges at once and counts the spans it got. Lean on purpose: it
/// shares the machine with what it measures, so it answers gRPC by hand and counts spans by walking the
/// protobuf wire format instead of building the request's objects (that took a sixth of the machine).
/// </summary>
public sealed class TraceSink : IAsyncDisposable
{
    private const string ExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

    // An empty ExportTraceServiceResponse in a gRPC frame: not compressed, length 0.
    private static readonly byte[] EmptyResponse = [0, 0, 0, 0, 0];

    private long spans;
    private long firstArrival;
    private WebApplication? app;

    public long Spans => Interlocked.Read(ref spans);

    /// <summary>When set (before start), every span received is counted here by trace id + span id (hex), to find duplicates.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, int>? Keys { get; init; }

    /// <summary>Stopwatch timestamp of the first export received, 0 before it.</summary>
    public long FirstArrival => Interlocked.Read(ref firstArrival);

    public Uri Endpoint { get; private set; } = null!;

    public async Task StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.ListenLocalhost(port, o => o.Protocols = HttpProtocols.Http2);
        });
        app = builder.Build();
        app.MapPost(ExportPath, ExportAsync);
        await app.StartAsync();
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>
    /// Sends the sink <paramref name="requests"/> gRPC exports of <paramref name="request"/>'s bytes over one HTTP/2
    /// connection, then forgets them: a downstream in production is long warm, while a fresh sink would spend a
    /// measured drain's first seconds compiling Kestrel's HTTP/2 path (a third of its CPU in a profile).
    /// </summary>
    public async Task WarmUpAsync(byte[] request, int requests)
    {
        var frame = new byte[5 + request.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), request.Length);
        request.CopyTo(frame, 5);
        using var client = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        for (var i = 0; i < requests; i++)
        {
            using var content = new ByteArrayContent(frame);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            using var response = await client.PostAsync(new Uri(Endpoint, ExportPath), content);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        }

        Interlocked.Exchange(ref spans, 0);
        Interlocked.Exchange(ref firstArrival, 0);
        Keys?.Clear();
    }

    private async Task ExportAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        ReadResult read;
        while (!(read = await reader.ReadAsync()).IsCompleted)
        {
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        // One gRPC frame: 1 byte compressed flag, 4 bytes big-endian length, the message. Copied into a pooled
        // buffer: a new array per request of a megabyte would be a large-object allocation each time.
        var length = (int)Math.Max(0, read.Buffer.Length - 5);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var body = rented.AsSpan(0, length);
            if (length > 0)
            {
                read.Buffer.Slice(5).CopyTo(body);
            }

            reader.AdvanceTo(read.Buffer.End);
            Interlocked.CompareExchange(ref firstArrival, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
            Interlocked.Add(ref spans, CountSpans(body));
            if (Keys is not null)
            {
                RecordKeys(body, Keys);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        context.Response.ContentType = "application/grpc";
        context.Response.AppendTrailer("grpc-status", "0");
        await context.Response.Body.WriteAsync(EmptyResponse);
    }

    /// <summary>ExportTraceServiceRequest.resource_spans (1) → ResourceSpans.scope_spans (2) → ScopeSpans.spans (2).</summary>
    private static long CountSpans(ReadOnlySpan<byte> request)
    {
        long count = 0;
        foreach (var resourceSpans in Fields(request, 1))
        {
            foreach (var scopeSpans in Fields(request.Slice(resourceSpans.Start, resourceSpans.Length), 2))
            {
                count += Fields(request.Slice(resourceSpans.Start, resourceSpans.Length).Slice(scopeSpans.Start, scopeSpans.Length), 2).Count;
            }
        }

        return count;
    }

    /// <summary>Span.trace_id (1) and span_id (2) of every span, as in <see cref="CountSpans"/>.</summary>
    private static void RecordKeys(ReadOnlySpan<byte> request, System.Collections.Concurrent.ConcurrentDictionary<string, int> keys)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var resource = request.Slice(resourceSpans.Start, resourceSpans.Length);
            foreach (var scopeSpans in Fields(resource, 2))
            {
                var scope = resource.Slice(scopeSpans.Start, scopeSpans.Length);
                foreach (var spanField in Fields(scope, 2))
                {
                    var span = scope.Slice(spanField.Start, spanField.Length);
                    var traceId = Fields(span, 1).Select(f => (f.Start, f.Length)).FirstOrDefault();
                    var spanId = Fields(span, 2).Select(f => (f.Start, f.Length)).FirstOrDefault();
                    var key = Convert.ToHexStringLower(span.Slice(traceId.Start, traceId.Length)) + Convert.ToHexStringLower(span.Slice(spanId.Start, spanId.Length));
                    keys.AddOrUpdate(key, 1, (_, n) => n + 1);
                }
            }
        }
    }

    /// <summary>Where the length-delimited fields numbered <paramref name="field"/> of one message are.</summary>
    private static List<(int Start, int Length)> Fields(ReadOnlySpan<byte> message, int field)
    {
        var found = new List<(int, int)>();
        var i = 0;
        while (i < message.Length)
        {
            var tag = Varint(message, ref i);
            switch ((int)(tag & 7))
            {
                case 0:
                    Varint(message, ref i);
                    break;
                case 1:
                    i += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref i);
                    if ((int)(tag >> 3) == field)
                    {
                        found.Add((i, length));
                    }

                    i += length;
                    break;
                case 5:
                    i += 4;
                    break;
                default:
                    throw new InvalidDataException($"unexpected wire type in tag {tag}");
            }
        }

        return found;
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = data[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }
}
