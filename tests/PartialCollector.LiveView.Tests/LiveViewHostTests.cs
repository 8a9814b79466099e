using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Telemetry;
using PartialCollector.LiveView.Telemetry;
using PartialCollector.LiveView.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.LiveView.Tests;

/// <summary>The service as deployed: health endpoints, start-up validation, the running-spans gauge.</summary>
public sealed class LiveViewHostTests
{
    [Fact]
    public async Task Health_and_aliveness_answer_200()
    {
        await using var host = await LiveViewHost.StartAsync();
        using var client = host.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    [Theory]
    [InlineData("LiveView:TraceUrlTemplate", "http://jaeger:16686/trace/", "LiveView:TraceUrlTemplate must contain {traceId}")]
    [InlineData("LiveView:TraceUrlTemplate", "jaeger/trace/{traceId}", "LiveView:TraceUrlTemplate must be an absolute http or https URL")]
    [InlineData("LiveView:RefreshInterval", "10ms", "LiveView:RefreshInterval must be between 100ms and 1h")]
    [InlineData("LiveView:MaxServiceSeries", "0", "LiveView:MaxServiceSeries must be between 1 and 10000")]
    [InlineData("PartialExporter:Tenants:acme:ApiKeys:0", "short", "PartialExporter:Tenants:acme:ApiKeys:0 must be at least 16 characters")]
    [InlineData("PartialExporter:Tenants:acme:ClientCertificateThumbprints:0", "not-hex", "PartialExporter:Tenants:acme:ClientCertificateThumbprints:0 must be a SHA-1 thumbprint")]
    [InlineData("PartialExporter:Tenants:acme:MaxLiveSpans", "0", "PartialExporter:Tenants:acme:MaxLiveSpans must be at least 1")]
    public async Task Bad_configuration_refuses_start_up_naming_the_key(string key, string value, string message)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("live_opts");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = LiveViewHost.Build(connectionString, FreePorts.Next(), new() { [key] = value });
            await app.StartAsync();
        });

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task The_running_gauge_counts_by_service_and_sums_services_beyond_the_bound_as_other()
    {
        await using var host = await LiveViewHost.StartAsync(new() { ["LiveView:MaxServiceSeries"] = "2", ["LiveView:RefreshInterval"] = "100ms" });
        foreach (var (service, count) in new[] { ("billing", 4), ("search", 3), ("mailer", 2), ("audit", 1) })
        {
            for (var i = 0; i < count; i++)
            {
                await host.Seed.RunningAsync(SeededSpan.New(service, "op", tenant: i % 2 == 0 ? "a" : null), TimeSpan.FromMinutes(i + 1));
            }
        }

        await host.Seed.TombstoneAsync(SeededSpan.New("billing", "stopped"), TimeSpan.FromMinutes(1));
        using var collector = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), PartialCollectorTelemetry.MeterName, RunningSpansGauge.InstrumentName);

        var series = await Poll.UntilAsync(
            () =>
            {
                collector.RecordObservableInstruments();
                return Task.FromResult(collector.GetMeasurementSnapshot(clear: true)
                    .ToDictionary(m => (string)m.Tags["service.name"]!, m => m.Value));
            },
            s => s.Count > 0,
            what: "partial.spans.running measurements");

        Assert.Equal(new Dictionary<string, long> { ["billing"] = 4, ["search"] = 3, ["other"] = 3 }, series);

        // Later collections see later counts.
        await host.Seed.CollectAsync((await FirstRunningAsync(host, "billing"))!);
        await Poll.UntilAsync(
            () =>
            {
                collector.RecordObservableInstruments();
                return Task.FromResult(collector.GetMeasurementSnapshot(clear: true).Where(m => (string)m.Tags["service.name"]! == "billing").Select(m => m.Value).LastOrDefault());
            },
            billing => billing == 3,
            what: "billing down to 3");
    }

    private static async Task<SeededSpan?> FirstRunningAsync(LiveViewHost host, string service)
    {
        using var client = host.Client();
        var span = (await client.GetJsonAsync($"/api/spans?service={service}&limit=1")).GetProperty("spans")[0];
        return new SeededSpan(span.Str("traceId")!, span.Str("spanId")!, service, span.Str("name")!);
    }
}
