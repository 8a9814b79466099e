using System.Collections;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Resources;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace PartialCollector.Demo;

/// <summary>
/// Sends partial-span logs in the wire contract's format through the OpenTelemetry .NET SDK: a dedicated
/// <see cref="ILoggerFactory"/> whose only exporter is OTLP to the Exporter, kept apart from the demo's own
/// self-telemetry (which goes to the dashboard like every service's). Each record carries the attributes
/// <c>partial.event</c> and <c>partial.frequency</c> and, as its body, the base64 of a protobuf
/// <c>TracesData</c> holding the one span (no <c>partial.body.type</c>: base64 protobuf is the default).
/// </summary>
public sealed class PartialSpanLogs : IDisposable
{
    public const string DefaultServiceName = "partialcollector-demo";
    private const string ScopeName = "PartialCollector.Demo";

    private readonly ILoggerFactory factory;
    private readonly ILogger logger;
    private readonly string frequency;
    private readonly string serviceName;
    private readonly ProtoResource resource;

    public PartialSpanLogs(IOptions<DemoOptions> options, IConfiguration configuration)
    {
        // The spans carry the demo's own service name (OTEL_SERVICE_NAME, "demo" under the AppHost), so collected
        // crashes sit next to the demo's finished operations in the dashboard.
        serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } configured ? configured : DefaultServiceName;

        // The tracer's resource, as a real partial-span processor sends it: OTEL_SERVICE_NAME and
        // OTEL_RESOURCE_ATTRIBUTES (service.instance.id under the AppHost) included, so a collected crash shows as
        // this same instance, not as a second one. No generated instance id: that is what made a second one.
        var resourceBuilder = ResourceBuilder.CreateDefault().AddService(serviceName, autoGenerateServiceInstanceId: false);
        resource = ToProto(resourceBuilder.Build());
        var demo = options.Value;
        frequency = ((long)demo.HeartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
        var http = demo.Protocol == "http/protobuf";
        var endpoint = demo.Endpoint ?? throw new InvalidOperationException($"{DemoOptions.Section}:Endpoint is not set.");
        if (http && !endpoint.AbsolutePath.EndsWith("/v1/logs", StringComparison.Ordinal))
        {
            endpoint = new Uri(endpoint, "/v1/logs");
        }

        factory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddOpenTelemetry(otel =>
            {
                otel.SetResourceBuilder(resourceBuilder);
                otel.AddOtlpExporter((exporter, processor) =>
                {
                    exporter.Endpoint = endpoint;
                    exporter.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                    // The tenant's key (PartialDemo:Headers), not the dashboard's key the AppHost hands this process.
                    exporter.Headers = demo.Headers;
                    processor.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 250;
                });
            }));
        logger = factory.CreateLogger(ScopeName);
    }

    public void Heartbeat(DemoOperation operation) =>
        Emit("heartbeat", operation, end: null);

    public void Stop(DemoOperation operation, DateTimeOffset end) =>
        Emit("stop", operation, end);

    public void Dispose() => factory.Dispose(); // flushes what is still batched

    private void Emit(string partialEvent, DemoOperation operation, DateTimeOffset? end)
    {
        var body = Convert.ToBase64String(BuildTracesData(operation, end).ToByteArray());
        var state = new PartialLogState(partialEvent, partialEvent == "heartbeat" ? frequency : null, body);
        logger.Log(LogLevel.Information, default, state, null, static (s, _) => s.Body);
    }

    private TracesData BuildTracesData(DemoOperation operation, DateTimeOffset? end)
    {
        Span<byte> traceId = stackalloc byte[16];
        Span<byte> spanId = stackalloc byte[8];
        operation.TraceId.CopyTo(traceId);
        operation.SpanId.CopyTo(spanId);
        var span = new OpenTelemetry.Proto.Trace.V1.Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(spanId),
            Name = operation.Name,
            Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Internal,
            StartTimeUnixNano = UnixNanos(operation.Start),
            Attributes =
            {
                StringAttribute("demo.operation.id", operation.Id),
                new KeyValue { Key = "demo.operation.steps.done", Value = new AnyValue { IntValue = operation.StepsDone } },
            },
        };
        if (end is { } endTime)
        {
            span.EndTimeUnixNano = UnixNanos(endTime);
            span.Status = new Status { Code = Status.Types.StatusCode.Ok };
        }

        return new TracesData
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = resource,
                    ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = ScopeName }, Spans = { span } } },
                },
            },
        };
    }

    private static ProtoResource ToProto(Resource source)
    {
        var proto = new ProtoResource();
        foreach (var (key, value) in source.Attributes)
        {
            proto.Attributes.Add(new KeyValue
            {
                Key = key,
                Value = value switch
                {
                    bool b => new AnyValue { BoolValue = b },
                    long or int => new AnyValue { IntValue = Convert.ToInt64(value, CultureInfo.InvariantCulture) },
                    double d => new AnyValue { DoubleValue = d },
                    _ => new AnyValue { StringValue = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" },
                },
            });
        }

        return proto;
    }

    private static KeyValue StringAttribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static ulong UnixNanos(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>
    /// The record's state: the <c>partial.*</c> attributes, then <c>{OriginalFormat}</c>, which the SDK makes the
    /// record's body (it must come last) and does not export as an attribute.
    /// </summary>
    private sealed class PartialLogState(string partialEvent, string? frequency, string body) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] items = frequency is null
            ? [new("partial.event", partialEvent), new("{OriginalFormat}", body)]
            : [new("partial.event", partialEvent), new("partial.frequency", frequency), new("{OriginalFormat}", body)];

        public string Body => body;

        public int Count => items.Length;

        public KeyValuePair<string, object?> this[int index] => items[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>One long operation of the demo: the span the heartbeats carry.</summary>
public sealed class DemoOperation(string id, string name, ActivityTraceId traceId, ActivitySpanId spanId, DateTimeOffset start)
{
    public string Id { get; } = id;

    public string Name { get; } = name;

    public ActivityTraceId TraceId { get; } = traceId;

    public ActivitySpanId SpanId { get; } = spanId;

    public DateTimeOffset Start { get; } = start;

    public long StepsDone { get; set; }
}
