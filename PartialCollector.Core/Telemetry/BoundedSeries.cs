namespace PartialCollector.Core.Telemetry;

/// <summary>
/// Attribute values for a metric whose values come from clients (service names): the first <c>limit</c>
/// distinct values get a series of their own, later ones are counted as <c>other</c>, so no client can make a
/// metrics backend store unbounded series.
/// </summary>
public sealed class BoundedSeries(int limit)
{
    public const string Other = "other";
    public const string Unknown = "unknown";
    private readonly HashSet<string> known = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public string Name(string? value)
    {
        value ??= Unknown;
        lock (gate)
        {
            if (known.Contains(value))
            {
                return value;
            }

            if (known.Count < limit)
            {
                known.Add(value);
                return value;
            }
        }

        return Other;
    }
}
