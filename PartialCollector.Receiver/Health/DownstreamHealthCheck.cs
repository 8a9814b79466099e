using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PartialCollector.Receiver.Health;

/// <summary>
/// Reports the downstream by what exports have done, not by probing it: degraded after one failed export
/// in a row, unhealthy after <see cref="UnhealthyAfter"/>. With nothing to send it stays healthy.
/// </summary>
public sealed class DownstreamHealthCheck(DownstreamHealth health) : IHealthCheck
{
    public const string Name = "downstream";
    public const int UnhealthyAfter = 3;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (failures, lastError, lastSuccess) = health.Snapshot();
        var data = new Dictionary<string, object>
        {
            ["consecutive_failures"] = failures,
            ["last_success"] = lastSuccess?.ToString("O") ?? "never",
        };
        var result = failures switch
        {
            0 => HealthCheckResult.Healthy("downstream accepted the last export", data),
            < UnhealthyAfter => HealthCheckResult.Degraded($"{failures} failed export(s) in a row; last: {lastError}", data: data),
            _ => HealthCheckResult.Unhealthy($"{failures} failed exports in a row; last: {lastError}", data: data),
        };
        return Task.FromResult(result);
    }
}
