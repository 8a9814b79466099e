using System.Net;
using System.Text.Json;
using PartialCollector.LiveView.Tests.Infrastructure;

namespace PartialCollector.LiveView.Tests;

/// <summary><c>GET /api/spans/{traceId}/{spanId}</c> and <c>GET /api/services</c>.</summary>
public sealed class SpanDetailAndServicesTests
{
    [Fact]
    public async Task A_running_span_comes_with_its_stored_span_as_OTLP_JSON_with_hex_ids()
    {
        await using var host = await LiveViewHost.StartAsync();
        var span = SeededSpan.New("checkout", "settle-batch");
        await host.Seed.RunningAsync(span, TimeSpan.FromMinutes(2));
        using var client = host.Client();

        // Ids in any case find the span; answers carry them lowercase.
        var detail = await client.GetJsonAsync($"/api/spans/{span.TraceId.ToUpperInvariant()}/{span.SpanId}");

        Assert.Equal(span.TraceId, detail.Str("traceId"));
        Assert.Equal("running", detail.Str("state"));
        Assert.Equal("checkout", detail.Str("service"));
        Assert.Equal("settle-batch", detail.Str("name"));
        Assert.NotEqual(JsonValueKind.Null, detail.GetProperty("expiresAt").ValueKind);
        var resourceSpans = detail.GetProperty("span").GetProperty("resourceSpans")[0];
        var attribute = resourceSpans.GetProperty("resource").GetProperty("attributes")[0];
        Assert.Equal("service.name", attribute.Str("key"));
        Assert.Equal("checkout", attribute.GetProperty("value").Str("stringValue"));
        var stored = resourceSpans.GetProperty("scopeSpans")[0].GetProperty("spans")[0];
        Assert.Equal(span.TraceId, stored.Str("traceId"));
        Assert.Equal(span.SpanId, stored.Str("spanId"));
        Assert.Equal("settle-batch", stored.Str("name"));
    }

    [Fact]
    public async Task A_collected_span_is_found_as_crashed_and_stopped_or_unknown_spans_are_404()
    {
        await using var host = await LiveViewHost.StartAsync();
        var crashed = SeededSpan.New("checkout", "lost");
        var stopped = SeededSpan.New("checkout", "done");
        await host.Seed.CollectedAsync(crashed, TimeSpan.FromMinutes(1));
        await host.Seed.TombstoneAsync(stopped, TimeSpan.FromMinutes(1));
        using var client = host.Client();

        var detail = await client.GetJsonAsync($"/api/spans/{crashed.TraceId}/{crashed.SpanId}");
        Assert.Equal("crashed", detail.Str("state"));
        Assert.Equal(crashed.SpanId, detail.GetProperty("span").GetProperty("resourceSpans")[0].GetProperty("scopeSpans")[0].GetProperty("spans")[0].Str("spanId"));
        Assert.EndsWith("Z", detail.Str("collectedAt"));

        await client.GetProblemAsync($"/api/spans/{stopped.TraceId}/{stopped.SpanId}", HttpStatusCode.NotFound);
        var unknown = SeededSpan.New("x", "y");
        var problem = await client.GetProblemAsync($"/api/spans/{unknown.TraceId}/{unknown.SpanId}", HttpStatusCode.NotFound);
        Assert.Contains(unknown.TraceId, problem.Str("detail"));
    }

    [Fact]
    public async Task Services_count_running_spans_the_oldest_age_and_crashes_of_the_last_hour()
    {
        await using var host = await LiveViewHost.StartAsync();
        await host.Seed.RunningAsync(SeededSpan.New("billing", "a"), TimeSpan.FromMinutes(90));
        await host.Seed.RunningAsync(SeededSpan.New("billing", "b"), TimeSpan.FromMinutes(5));
        await host.Seed.TombstoneAsync(SeededSpan.New("billing", "stopped"), TimeSpan.FromDays(2));
        await host.Seed.RunningAsync(SeededSpan.New("search", "c"), TimeSpan.FromSeconds(40));
        await host.Seed.CollectedAsync(SeededSpan.New("search", "d"), TimeSpan.FromMinutes(10));
        await host.Seed.CollectedAsync(SeededSpan.New("search", "e"), TimeSpan.FromMinutes(59));
        await host.Seed.CollectedAsync(SeededSpan.New("search", "old"), TimeSpan.FromMinutes(61));
        await host.Seed.CollectedAsync(SeededSpan.New("mailer", "f"), TimeSpan.FromMinutes(1));
        using var client = host.Client();

        var services = (await client.GetJsonAsync("/api/services")).GetProperty("services").EnumerateArray().ToList();

        Assert.Equal(["billing", "mailer", "search"], services.Select(s => s.Str("service")));
        Assert.Equal([2L, 0L, 1L], services.Select(s => s.GetProperty("running").GetInt64()));
        Assert.Equal([0L, 1L, 2L], services.Select(s => s.GetProperty("crashedLastHour").GetInt64()));
        Assert.InRange(services[0].GetProperty("oldestRunningAgeSeconds").GetDouble(), 5400, 5460);
        Assert.InRange(services[2].GetProperty("oldestRunningAgeSeconds").GetDouble(), 40, 100);
        Assert.Equal(JsonValueKind.Null, services[1].GetProperty("oldestRunningAgeSeconds").ValueKind);
    }
}
