using PartialCollector.Core.Storage;
using PartialCollector.Core.Tenants;

namespace PartialCollector.Exporter.Tenants;

/// <summary>
/// <c>MaxLiveSpans</c> per tenant: how many new spans each limited tenant may still start. The live count is read
/// from the database at most every <see cref="RefreshInterval"/> and moved on by the spans this Exporter starts in
/// between, so the limit holds exactly for one replica and within a refresh's worth of new spans across replicas;
/// spans that end or are collected free room at the next refresh.
/// </summary>
public sealed class TenantSpanQuota(TenantDirectory directory, SpanWriteStore store, TimeProvider timeProvider)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);
    private readonly Lock gate = new();
    private readonly Dictionary<string, (long Live, long ReadAt)> counts = [];

    /// <returns>New spans left per limited tenant among <paramref name="tenants"/>; null when none of them is limited.</returns>
    public async Task<IReadOnlyDictionary<string, int>?> NewSpansLeftAsync(IEnumerable<string> tenants, CancellationToken cancellationToken)
    {
        var limited = tenants.Where(t => directory.Tenants.GetValueOrDefault(t)?.MaxLiveSpans is not null).Distinct().ToList();
        if (limited.Count == 0)
        {
            return null;
        }

        var now = timeProvider.GetTimestamp();
        List<string> stale;
        lock (gate)
        {
            stale = limited.Where(t => !counts.TryGetValue(t, out var c) || timeProvider.GetElapsedTime(c.ReadAt, now) >= RefreshInterval).ToList();
        }

        if (stale.Count > 0)
        {
            var fresh = await store.CountLiveSpansAsync(stale, cancellationToken);
            lock (gate)
            {
                foreach (var tenant in stale)
                {
                    counts[tenant] = (fresh.GetValueOrDefault(tenant), now);
                }
            }
        }

        lock (gate)
        {
            return limited.ToDictionary(t => t, t => (int)Math.Clamp(directory.Tenants[t].MaxLiveSpans!.Value - counts[t].Live, 0, int.MaxValue));
        }
    }

    public void Started(IReadOnlyDictionary<string, int> started)
    {
        lock (gate)
        {
            foreach (var (tenant, n) in started)
            {
                if (counts.TryGetValue(tenant, out var c))
                {
                    counts[tenant] = (c.Live + n, c.ReadAt);
                }
            }
        }
    }
}
