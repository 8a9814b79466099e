using OpenTelemetry.Proto.Collector.Trace.V1;

namespace PartialCollector.Receiver.Delivery;

/// <summary>
/// One export request: the spans, and headers for this request only. They go on top of the configured
/// <c>Downstream:Headers</c>, replacing any of the same name (compared without regard to case).
/// </summary>
public sealed record ExportRequest(ExportTraceServiceRequest Traces, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public ExportRequest(ExportTraceServiceRequest traces)
        : this(traces, [])
    {
    }
}
