using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>
/// Heartbeats and stops bound for one database round trip, one entry per span key, each with the tenant that
/// sent it. Collapsing here is what keeps PostgreSQL's "ON CONFLICT DO UPDATE command cannot affect row a second
/// time" from ever firing: a stop beats any heartbeat of the same span, and a newer heartbeat beats an older one.
/// Two tenants' events for one key never share a batch (<see cref="TryAddRange"/>), so each is judged against the
/// row's owner on its own.
/// </summary>
public sealed class WriteBatch
{
    private readonly Dictionary<SpanKey, BatchRow> byKey = [];

    public int Count => byKey.Count;

    /// <summary>Whether any row belongs to a tenant (the tenant-aware statement is needed).</summary>
    public bool HasTenants { get; private set; }

    public void Add(PartialSpanEvent next) => Add(next, null);

    public void AddRange(IEnumerable<PartialSpanEvent> events)
    {
        foreach (var e in events)
        {
            Add(e, null);
        }
    }

    /// <summary>Adds all of <paramref name="events"/>, or none when one of their keys is already here for another tenant.</summary>
    public bool TryAddRange(List<PartialSpanEvent> events, string? tenant)
    {
        foreach (var e in events)
        {
            if (byKey.TryGetValue(e.Key, out var current) && current.Tenant != tenant)
            {
                return false;
            }
        }

        foreach (var e in events)
        {
            Add(e, tenant);
        }

        return true;
    }

    public void Clear()
    {
        byKey.Clear();
        HasTenants = false;
    }

    /// <summary>The batch's rows sorted by key, so concurrent batches lock rows in one order and never deadlock.</summary>
    public List<BatchRow> Sorted()
    {
        var rows = new List<BatchRow>(byKey.Values);
        rows.Sort(CompareKeys);
        return rows;
    }

    private void Add(PartialSpanEvent next, string? tenant)
    {
        if (byKey.TryGetValue(next.Key, out var current) && !Supersedes(next, current.Event))
        {
            return;
        }

        byKey[next.Key] = new BatchRow(next, tenant);
        HasTenants |= tenant is not null;
    }

    private static bool Supersedes(PartialSpanEvent next, PartialSpanEvent current) =>
        current.Kind != PartialEventKind.Stop
        && (next.Kind == PartialEventKind.Stop || next.ObservedUnixNano >= current.ObservedUnixNano);

    private static int CompareKeys(BatchRow a, BatchRow b)
    {
        var byTrace = string.CompareOrdinal(a.Event.Key.TraceId, b.Event.Key.TraceId);
        return byTrace != 0 ? byTrace : string.CompareOrdinal(a.Event.Key.SpanId, b.Event.Key.SpanId);
    }
}

/// <summary>One row of a <see cref="WriteBatch"/>: the event and the tenant that sent it (null without tenants).</summary>
public readonly record struct BatchRow(PartialSpanEvent Event, string? Tenant);
