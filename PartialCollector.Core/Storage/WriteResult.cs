using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <param name="Upserted">Heartbeat rows inserted or refreshed.</param>
/// <param name="Deleted">Live spans that stops ended (their rows became tombstones).</param>
/// <param name="Suppressed">Heartbeats not applied: the span was stopped, or a newer heartbeat is stored.</param>
public readonly record struct WriteResult(int Upserted, int Deleted, int Suppressed)
{
    /// <summary>Rows refused for their tenant (another tenant owns the span, or the tenant is at its live-span limit).</summary>
    public IReadOnlyDictionary<SpanKey, RowRefusal> Refused
    {
        get => refused ?? EmptyRefusals;
        init => refused = value;
    }

    /// <summary>New spans each tenant started in this batch.</summary>
    public IReadOnlyDictionary<string, int> StartedByTenant
    {
        get => startedByTenant ?? EmptyStarted;
        init => startedByTenant = value;
    }

    private static readonly Dictionary<SpanKey, RowRefusal> EmptyRefusals = [];
    private static readonly Dictionary<string, int> EmptyStarted = [];
    private readonly IReadOnlyDictionary<SpanKey, RowRefusal>? refused;
    private readonly IReadOnlyDictionary<string, int>? startedByTenant;
}

public enum RowRefusal
{
    /// <summary>The span's row belongs to another tenant; it was left exactly as it was.</summary>
    OwnedByAnotherTenant,

    /// <summary>A heartbeat that would start a new span beyond its tenant's live-span limit.</summary>
    TenantSpanLimit,
}
