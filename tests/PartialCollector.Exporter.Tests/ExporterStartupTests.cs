using Microsoft.Extensions.Options;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Exporter.Tests;

public sealed class ExporterStartupTests
{
    [Theory]
    [InlineData("PartialExporter:ExpiryFactor", "0")]
    [InlineData("PartialExporter:ExpiryFactor", "-1")]
    [InlineData("PartialExporter:MaxBatchSize", "0")]
    [InlineData("PartialExporter:TombstoneRetention", "-5s")]
    [InlineData("PartialExporter:ExpiryFactor", "1e300")]
    [InlineData("PartialExporter:MinFrequency", "0s")]
    [InlineData("PartialExporter:MaxFrequency", "50ms")]
    [InlineData("PartialExporter:MaxSpansPerRecord", "0")]
    [InlineData("PartialExporter:MaxStoredSpanSize", "10")]
    [InlineData("PartialExporter:MaxExpandedRequestSize", "2048")]
    [InlineData("PartialExporter:MaxPendingBytes", "1048576")]
    public async Task InvalidConfigurationStopsStartUpNamingTheKey(string key, string value)
    {
        var app = ExporterHost.Build("Host=127.0.0.1;Database=none", new() { [key] = value }, out _, out _);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(key, error.Message);
        await app.DisposeAsync();
    }

    [Fact]
    public async Task UnparsableDurationStopsStartUpNamingTheKey()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var app = ExporterHost.Build("Host=127.0.0.1;Database=none", new() { ["PartialExporter:RetryAfter"] = "soon" }, out _, out _);
            await app.StartAsync();
        });

        Assert.Contains("PartialExporter:RetryAfter", error.Message);
    }
}
