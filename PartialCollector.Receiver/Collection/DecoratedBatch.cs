using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// A claimed batch made ready to send: the request (an encoded <c>ExportTraceServiceRequest</c>), the rows in it, and
/// the rows that cannot be sent.
/// </summary>
public sealed record DecoratedBatch(
    byte[] Request,
    int SpanCount,
    List<ClaimedSpan> Sendable,
    List<DeadLetter> Undeliverable);
