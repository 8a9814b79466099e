using OpenTelemetry.Proto.Collector.Trace.V1;
using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>A claimed batch made ready to send: the request, the rows in it, and the rows that cannot be sent.</summary>
public sealed record DecoratedBatch(
    ExportTraceServiceRequest Request,
    int SpanCount,
    List<ClaimedSpan> Sendable,
    List<DeadLetter> Undeliverable);
