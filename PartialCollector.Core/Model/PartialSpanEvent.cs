namespace PartialCollector.Core.Model;

/// <summary>
/// One span's heartbeat or stop, decoded from a log record and ready to store.
/// </summary>
/// <param name="Trace">Protobuf <c>TracesData</c> holding only this span, attributes merged (heartbeats only).</param>
/// <param name="Frequency">The client's heartbeat interval (heartbeats only).</param>
/// <param name="ObservedUnixNano">The log record's time, used so an older heartbeat never overwrites a newer one; 0 when unknown.</param>
/// <param name="Record">Which log record of its request the event came from, so a refusal is reported for that record.</param>
/// <param name="Summary">What the live view shows without decoding the span (heartbeats only).</param>
public readonly record struct PartialSpanEvent(
    PartialEventKind Kind,
    SpanKey Key,
    byte[]? Trace,
    TimeSpan Frequency,
    long ObservedUnixNano,
    int Record = 0,
    SpanSummary? Summary = null);

/// <summary>A running span as people look at it: its service (<c>service.name</c>), name and start.</summary>
public sealed record SpanSummary(string? Service, string Name, DateTime? Start);
