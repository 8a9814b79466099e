using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace PartialCollector.Bench;

/// <summary>Realistic load: ~600-byte single-span traces over a fixed key space, as heartbeat or stop logs.</summary>
public sealed class SpanPayloads
{
    private readonly byte[][] traceIds;
    private readonly byte[][] spanIds;

    public SpanPayloads(int keys)
    {
        var random = new Random(42);
        traceIds = new byte[keys][];
        spanIds = new byte[keys][];
        for (var i = 0; i < keys; i++)
        {
            traceIds[i] = new byte[16];
            spanIds[i] = new byte[8];
            random.NextBytes(traceIds[i]);
            random.NextBytes(spanIds[i]);
        }
    }

    public int Count => traceIds.Length;

    public string TraceIdHex(int key) => Convert.ToHexStringLower(traceIds[key]);

    public string SpanIdHex(int key) => Convert.ToHexStringLower(spanIds[key]);

    public TracesData Traces(int key)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceIds[key]),
            SpanId = ByteString.CopyFrom(spanIds[key]),
            Name = "long-running-batch-job",
            Kind = Span.Types.SpanKind.Internal,
            StartTimeUnixNano = 1_700_000_000_000_000_000,
        };
        for (var i = 0; i < 8; i++)
        {
            span.Attributes.Add(new KeyValue { Key = $"app.attribute.{i}", Value = new AnyValue { StringValue = $"value-{i}-{key}-padding-padding" } });
        }

        return new TracesData
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource
                    {
                        Attributes =
                        {
                            new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "bench-service" } },
                            new KeyValue { Key = "host.name", Value = new AnyValue { StringValue = "bench-host-0001.example.internal" } },
                        },
                    },
                    ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "bench", Version = "1.0.0" }, Spans = { span } } },
                },
            },
        };
    }

    public LogRecord Record(int key, bool stop) => new()
    {
        TimeUnixNano = (ulong)DateTime.UtcNow.Ticks * 100,
        Body = new AnyValue { StringValue = Convert.ToBase64String(Traces(key).ToByteArray()) },
        Attributes =
        {
            new KeyValue { Key = "partial.event", Value = new AnyValue { StringValue = stop ? "stop" : "heartbeat" } },
            new KeyValue { Key = "partial.frequency", Value = new AnyValue { StringValue = "5000ms" } },
        },
    };

    public static byte[] Request(IEnumerable<LogRecord> records)
    {
        var scope = new ScopeLogs();
        scope.LogRecords.Add(records);
        var request = new ExportLogsServiceRequest
        {
            ResourceLogs = { new ResourceLogs { Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "bench" } } } }, ScopeLogs = { scope } } },
        };
        return request.ToByteArray();
    }
}
