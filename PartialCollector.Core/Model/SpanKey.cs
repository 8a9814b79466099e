namespace PartialCollector.Core.Model;

/// <summary>A span's identity as the table stores it: lowercase hex trace id (32) and span id (16).</summary>
public readonly record struct SpanKey(string TraceId, string SpanId)
{
    public override string ToString() => $"{TraceId}/{SpanId}";
}
