namespace PartialCollector.Receiver.Delivery;

/// <summary>The headers one export request carries: the configured ones, and its own on top.</summary>
public static class RequestHeaders
{
    /// <summary>
    /// <paramref name="configured"/> without those <paramref name="own"/> names (compared without regard to case),
    /// then <paramref name="own"/>; the configured list itself when the request has none of its own.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Merge(
        IReadOnlyList<KeyValuePair<string, string>> configured, IReadOnlyList<KeyValuePair<string, string>> own)
    {
        if (own.Count == 0)
        {
            return configured;
        }

        var replaced = own.Select(h => h.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return [.. configured.Where(h => !replaced.Contains(h.Key)), .. own];
    }
}
