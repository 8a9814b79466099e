using Microsoft.Extensions.Diagnostics.HealthChecks;
using PartialCollector.Receiver.Health;

namespace PartialCollector.Receiver.Tests;

public sealed class DownstreamHealthCheckTests
{
    [Fact]
    public async Task DegradesAfterAFailedExportTurnsUnhealthyAfterThreeAndRecoversOnSuccess()
    {
        var health = new DownstreamHealth();
        var check = new DownstreamHealthCheck(health);

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
        health.Failed("gRPC Unavailable: down");
        var degraded = await check.CheckHealthAsync(new HealthCheckContext());
        health.Failed("gRPC Unavailable: down");
        health.Failed("gRPC Unavailable: still down");
        var unhealthy = await check.CheckHealthAsync(new HealthCheckContext());
        health.Succeeded(DateTimeOffset.UtcNow);

        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal(HealthStatus.Unhealthy, unhealthy.Status);
        Assert.Contains("still down", unhealthy.Description);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
    }
}
