using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Model;

namespace PartialCollector.TestSupport;

/// <summary>Test data: random ids and single-span traces.</summary>
public static class Spans
{
    public static SpanKey NewKey() =>
        new(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 8)));

    public static Span NewSpan(SpanKey key, string name = "work") => new()
    {
        TraceId = ByteString.CopyFrom(Convert.FromHexString(key.TraceId)),
        SpanId = ByteString.CopyFrom(Convert.FromHexString(key.SpanId)),
        Name = name,
        Kind = Span.Types.SpanKind.Internal,
        StartTimeUnixNano = 1_700_000_000_000_000_000,
    };

    public static TracesData Traces(Span span, string serviceName = "test-service") => new()
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = serviceName } } } },
                ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "tests" }, Spans = { span } } },
            },
        },
    };

    public static PartialSpanEvent Heartbeat(SpanKey key, TimeSpan frequency, long observed = 0, string name = "work") =>
        new(PartialEventKind.Heartbeat, key, Traces(NewSpan(key, name)).ToByteArray(), frequency, observed);

    /// <summary>A heartbeat whose span carries a string attribute of <paramref name="paddingBytes"/> characters.</summary>
    public static PartialSpanEvent PaddedHeartbeat(SpanKey key, TimeSpan frequency, int paddingBytes, string name = "work") =>
        new(PartialEventKind.Heartbeat, key, Traces(Padded(NewSpan(key, name), paddingBytes)).ToByteArray(), frequency, 0);

    public static Span Padded(Span span, int bytes)
    {
        span.Attributes.Add(new KeyValue { Key = "padding", Value = new AnyValue { StringValue = new string('x', bytes) } });
        return span;
    }

    public static PartialSpanEvent Stop(SpanKey key, long observed = 0) =>
        new(PartialEventKind.Stop, key, null, TimeSpan.Zero, observed);
}
