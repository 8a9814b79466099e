using System.Threading.RateLimiting;
using PartialCollector.Core.Tenants;

namespace PartialCollector.Exporter.Tenants;

/// <summary>
/// <c>MaxRecordsPerSecond</c> per tenant: a token bucket per tenant (one second's worth of records), counted in
/// log records rather than requests, since one request may carry one record or thousands.
/// </summary>
public sealed class TenantRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter;
    private readonly TenantDirectory directory;

    public TenantRateLimiter(TenantDirectory directory)
    {
        this.directory = directory;
        limiter = PartitionedRateLimiter.Create<string, string>(tenant =>
            directory.Tenants.TryGetValue(tenant, out var options) && options.MaxRecordsPerSecond is { } perSecond
                ? RateLimitPartition.GetTokenBucketLimiter(tenant, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perSecond,
                    TokensPerPeriod = perSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter(tenant));
    }

    /// <returns>Null when the records may go on; otherwise how long the client should wait.</returns>
    public TimeSpan? TryAcquire(string tenant, int records)
    {
        if (records == 0 || directory.Tenants.GetValueOrDefault(tenant)?.MaxRecordsPerSecond is not { } perSecond)
        {
            return null;
        }

        // A request larger than a whole second's allowance may go when the bucket is full, rather than never.
        using var lease = limiter.AttemptAcquire(tenant, Math.Min(records, perSecond));
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public void Dispose() => limiter.Dispose();
}
