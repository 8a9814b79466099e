namespace PartialCollector.Receiver.Delivery;

/// <summary>
/// One export request: the spans, as an encoded <c>ExportTraceServiceRequest</c> (sent as they are), and headers for
/// this request only. They go on top of the configured <c>Downstream:Headers</c>, replacing any of the same name
/// (compared without regard to case).
/// </summary>
public sealed record ExportRequest(byte[] Traces, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public ExportRequest(byte[] traces)
        : this(traces, [])
    {
    }
}
