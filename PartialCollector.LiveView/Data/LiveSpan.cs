namespace PartialCollector.LiveView.Data;

/// <summary>
/// What the view shows of one span, running (in <c>partial_traces</c>) or crashed (in <c>partial_collected</c>); the API
/// gives it as it is (ids lowercase hex, times ISO 8601 UTC, ages in seconds to the millisecond).
/// </summary>
/// <param name="AgeSeconds">Running: since its start, now. Crashed: from its start to its last heartbeat. Null without a start time.</param>
/// <param name="Overdue">Running: its last heartbeat is older than its heartbeat interval (never for crashed spans).</param>
public record LiveSpan(
    string TraceId,
    string SpanId,
    string? Service,
    string? Name,
    DateTime? StartTime,
    DateTime LastHeartbeat,
    DateTime? ExpiresAt,
    DateTime? CollectedAt,
    double? AgeSeconds,
    bool Overdue,
    string State)
{
    public const string Running = "running";
    public const string Crashed = "crashed";
}

/// <summary>One page of spans and the cursor of the next one (null on the last page).</summary>
public sealed record SpanPage(IReadOnlyList<LiveSpan> Spans, string? Next);

/// <summary>Per service: spans running now, how long the oldest has run, spans collected in the last hour.</summary>
public sealed record ServiceSummary(string? Service, long Running, double? OldestRunningAgeSeconds, long CrashedLastHour);

/// <summary>A listing, validated: which state, which filters, how many, after which row; tenant null when the view is open.</summary>
public sealed record SpanQuery(string State, string? Service, string? Name, int Limit, SpanCursor? After, string? Tenant);
