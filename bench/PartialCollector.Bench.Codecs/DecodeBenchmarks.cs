using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Codecs.Json;
using PartialCollector.Core.Model;

namespace PartialCollector.Bench.Codecs;

/// <summary>
/// Per record: decode the body, flatten, merge the log's attributes and resource, encode the stored
/// <c>TracesData</c>; for each body flavour in the wire contract.
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private readonly PartialLogDecoder decoder = new(new DecodeLimits());
    private readonly List<PartialSpanEvent> output = new(4);
    private readonly Resource logResource = new() { Attributes = { Kv("service.name", "bench"), Kv("host.name", "h-0001") } };
    private LogRecord proto = null!;
    private LogRecord camelJson = null!;
    private LogRecord snakeJson = null!;

    [GlobalSetup]
    public void Setup()
    {
        var traces = Traces();
        proto = Record(Convert.ToBase64String(traces.ToByteArray()), bodyType: null);
        camelJson = Record(System.Text.Encoding.UTF8.GetString(OtlpJsonWriter.WriteTracesData(traces)), "json/v1");
        var span = traces.ResourceSpans[0].ScopeSpans[0].Spans[0];
        var attributes = string.Join(",", span.Attributes.Select(a => "{\"key\":\"" + a.Key + "\",\"value\":{\"string_value\":\"" + a.Value.StringValue + "\"}}"));
        var snake = "{\"resource_spans\":[{\"scope_spans\":[{\"scope\":{\"name\":\"bench\"},\"spans\":[{"
            + "\"trace_id\":\"" + Convert.ToHexStringLower(span.TraceId.Span) + "\",\"span_id\":\"" + Convert.ToHexStringLower(span.SpanId.Span)
            + "\",\"parent_span_id\":\"0000000000000000\",\"name\":\"" + span.Name + "\",\"kind\":1,"
            + "\"start_time_unix_nano\":1700000000000000000,\"attributes\":[" + attributes + "]}]}]}]}";
        snakeJson = Record(snake, "json/v1");
    }

    [Benchmark(Baseline = true)]
    public int Base64Protobuf() => Decode(proto);

    [Benchmark]
    public int CamelCaseJson() => Decode(camelJson);

    [Benchmark]
    public int SnakeCaseJson() => Decode(snakeJson);

    private int Decode(LogRecord record)
    {
        output.Clear();
        decoder.Decode(logResource, record, output);
        return output[0].Trace!.Length;
    }

    private static TracesData Traces()
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()),
            SpanId = ByteString.CopyFrom(Enumerable.Range(1, 8).Select(i => (byte)i).ToArray()),
            Name = "long-running-batch-job",
            Kind = Span.Types.SpanKind.Internal,
            StartTimeUnixNano = 1_700_000_000_000_000_000,
        };
        for (var i = 0; i < 8; i++)
        {
            span.Attributes.Add(Kv($"app.attribute.{i}", $"value-{i}-padding-padding"));
        }

        return new TracesData
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { Kv("service.name", "bench-service") } },
                    ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "bench" }, Spans = { span } } },
                },
            },
        };
    }

    private static LogRecord Record(string body, string? bodyType)
    {
        var record = new LogRecord
        {
            Body = new AnyValue { StringValue = body },
            Attributes = { Kv("partial.event", "heartbeat"), Kv("partial.frequency", "5000ms"), Kv("log.attribute", "x") },
        };
        if (bodyType is not null)
        {
            record.Attributes.Add(Kv("partial.body.type", bodyType));
        }

        return record;
    }

    private static KeyValue Kv(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
}
