namespace PartialCollector.Receiver.Delivery;

/// <summary>What the downstream made of one export request.</summary>
public abstract record ExportOutcome
{
    private ExportOutcome()
    {
    }

    /// <summary>Accepted; <paramref name="RejectedSpans"/> &gt; 0 when OTLP partial success rejected some.</summary>
    public sealed record Delivered(long RejectedSpans = 0, string? Message = null) : ExportOutcome;

    /// <summary>Not accepted for a passing reason (unavailable, overloaded, timed out): send again later.</summary>
    public sealed record Retryable(string Reason) : ExportOutcome;

    /// <summary>Refused for good (malformed data): sending it again would fail the same way.</summary>
    public sealed record Rejected(string Reason) : ExportOutcome;

    /// <summary>
    /// Refused because the request is larger than the downstream takes (gRPC <c>RESOURCE_EXHAUSTED</c> naming the
    /// message size, HTTP 413): the same spans in smaller requests may pass.
    /// </summary>
    public sealed record TooLarge(string Reason) : ExportOutcome;
}
