using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>
/// Heartbeats and stops bound for one database round trip, one entry per span key. Collapsing here is what
/// keeps PostgreSQL's "ON CONFLICT DO UPDATE command cannot affect row a second time" from ever firing:
/// a stop beats any heartbeat of the same span, and a newer heartbeat beats an older one.
/// </summary>
public sealed class WriteBatch
{
    private readonly Dictionary<SpanKey, PartialSpanEvent> byKey = [];

    public int Count => byKey.Count;

    public void Add(PartialSpanEvent next)
    {
        if (byKey.TryGetValue(next.Key, out var current) && !Supersedes(next, current))
        {
            return;
        }

        byKey[next.Key] = next;
    }

    public void AddRange(IEnumerable<PartialSpanEvent> events)
    {
        foreach (var e in events)
        {
            Add(e);
        }
    }

    public void Clear() => byKey.Clear();

    /// <summary>The batch's events sorted by key, so concurrent batches lock rows in one order and never deadlock.</summary>
    public List<PartialSpanEvent> Sorted()
    {
        var events = new List<PartialSpanEvent>(byKey.Values);
        events.Sort(CompareKeys);
        return events;
    }

    private static bool Supersedes(PartialSpanEvent next, PartialSpanEvent current) =>
        current.Kind != PartialEventKind.Stop
        && (next.Kind == PartialEventKind.Stop || next.ObservedUnixNano >= current.ObservedUnixNano);

    private static int CompareKeys(PartialSpanEvent a, PartialSpanEvent b)
    {
        var byTrace = string.CompareOrdinal(a.Key.TraceId, b.Key.TraceId);
        return byTrace != 0 ? byTrace : string.CompareOrdinal(a.Key.SpanId, b.Key.SpanId);
    }
}
