using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace PartialCollector.Receiver.Delivery;

/// <summary>OTLP/gRPC: <c>TraceService/Export</c> on one long-lived HTTP/2 channel.</summary>
public sealed class GrpcTraceExporter : ITraceExporter, IDisposable
{
    // TraceService/Export as the generated client calls it, but for a request that is already encoded (SpanSplicer):
    // its bytes go out as they are, and only the answer is parsed.
    private static readonly Method<byte[], ExportTraceServiceResponse> Export = new(
        MethodType.Unary,
        TraceService.Descriptor.FullName,
        "Export",
        Marshallers.Create(static (byte[] request) => request, static request => request),
        Marshallers.Create(static (ExportTraceServiceResponse response) => response.ToByteArray(), ExportTraceServiceResponse.Parser.ParseFrom));

    private readonly GrpcChannel channel;
    private readonly CallInvoker invoker;
    private readonly IReadOnlyList<KeyValuePair<string, string>> configuredHeaders;
    private readonly Metadata headers;
    private readonly TimeSpan timeout;
    private readonly bool gzip;
    private readonly TimeProvider timeProvider;

    public GrpcTraceExporter(IOptions<PartialReceiverOptions> options, TimeProvider timeProvider)
    {
        var downstream = options.Value.Downstream;
        timeout = downstream.Timeout;
        this.timeProvider = timeProvider;
        channel = GrpcChannel.ForAddress(downstream.Endpoint!, new GrpcChannelOptions
        {
            // The cycle owns retries (it releases the rows and backs off); the channel must not retry on its own.
            MaxRetryAttempts = 0,

            // After an outage the channel waits out its own reconnect back-off (2 minutes at most by default)
            // before it tries again; keep it within the cycle's back-off so recovery is noticed promptly.
            MaxReconnectBackoff = options.Value.MaxBackoff,
            MaxReceiveMessageSize = 4 * 1024 * 1024,
            MaxSendMessageSize = null,
            HttpHandler = new SocketsHttpHandler
            {
                ConnectTimeout = downstream.Timeout,
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            },
        });
        invoker = channel.CreateCallInvoker();
        gzip = downstream.UsesGzip;
        configuredHeaders = OtlpHeaders.Parse(downstream.Headers);
        headers = MetadataOf(configuredHeaders);
    }

    public async Task<ExportOutcome> ExportAsync(ExportRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var deadline = timeProvider.GetUtcNow().UtcDateTime + timeout;
            var metadata = request.Headers.Count == 0 ? headers : MetadataOf(RequestHeaders.Merge(configuredHeaders, request.Headers));
            var response = await invoker.AsyncUnaryCall(Export, null, new CallOptions(metadata, deadline, cancellationToken), request.Traces);
            return response.PartialSuccess is { RejectedSpans: > 0 } partial
                ? new ExportOutcome.Delivered(partial.RejectedSpans, partial.ErrorMessage)
                : new ExportOutcome.Delivered(0, response.PartialSuccess?.ErrorMessage is { Length: > 0 } warning ? warning : null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return Classify(e.StatusCode, e.Status.Detail);
        }
    }

    public void Dispose() => channel.Dispose();

    // gRPC metadata keys are lowercase.
    private Metadata MetadataOf(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var metadata = new Metadata();
        foreach (var (key, value) in pairs)
        {
            metadata.Add(key.ToLowerInvariant(), value);
        }

        if (gzip)
        {
            // Grpc.Net.Client's documented per-call switch for request compression.
            metadata.Add("grpc-internal-encoding-request", "gzip");
        }

        return metadata;
    }

    /// <summary>
    /// OTLP's retryable codes, plus the ones that describe the deployment rather than the data
    /// (authentication, permission, a wrong endpoint): dead-lettering every span because an API key is
    /// missing would be worse than waiting for the configuration to be fixed.
    /// </summary>
    /// <remarks>
    /// <c>RESOURCE_EXHAUSTED</c> is also OTLP's throttling code, so it means "too large" only when the detail says
    /// so, as gRPC servers word it: Grpc.Net "Received message exceeds the maximum configured message size",
    /// grpc-go (the Collector) "grpc: received message larger than max (N vs. M)".
    /// </remarks>
    public static ExportOutcome Classify(StatusCode code, string detail) => code switch
    {
        StatusCode.ResourceExhausted when IsMessageSizeLimit(detail) => new ExportOutcome.TooLarge($"gRPC {code}: {detail}"),
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted
            or StatusCode.Cancelled or StatusCode.OutOfRange or StatusCode.DataLoss
            or StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.Unimplemented
            => new ExportOutcome.Retryable($"gRPC {code}: {detail}"),
        _ => new ExportOutcome.Rejected($"gRPC {code}: {detail}"),
    };

    private static bool IsMessageSizeLimit(string detail) =>
        detail.Contains("exceeds the maximum configured message size", StringComparison.OrdinalIgnoreCase)
        || detail.Contains("message larger than max", StringComparison.OrdinalIgnoreCase);
}
