namespace PartialCollector.Exporter.Tenants;

/// <summary>The tenant sent more records per second than its <c>MaxRecordsPerSecond</c>; nothing was taken, retry after <see cref="RetryAfter"/>.</summary>
public sealed class TenantThrottledException(string tenant, TimeSpan retryAfter)
    : Exception($"tenant '{tenant}' is over its limit of log records per second; retry after {retryAfter.TotalSeconds:0.###} s")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
