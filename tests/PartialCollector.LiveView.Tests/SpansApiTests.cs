using System.Globalization;
using System.Net;
using System.Text.Json;
using PartialCollector.LiveView.Tests.Infrastructure;

namespace PartialCollector.LiveView.Tests;

/// <summary><c>GET /api/spans</c> against real PostgreSQL, rows seeded by SQL as the Exporter and Receiver write them.</summary>
public sealed class SpansApiTests
{
    [Fact]
    public async Task Running_spans_come_longest_running_first_with_their_fields_and_stopped_spans_never_appear()
    {
        await using var host = await LiveViewHost.StartAsync();
        var oldest = SeededSpan.New("billing", "nightly-close");
        var middle = SeededSpan.New("billing", "invoice-run");
        var newest = SeededSpan.New("search", "reindex");
        var noStart = SeededSpan.New("legacy", "unknown-start");
        var stopped = SeededSpan.New("billing", "finished-long-ago");
        await host.Seed.RunningAsync(newest, TimeSpan.FromSeconds(30));
        await host.Seed.RunningAsync(noStart, startedAgo: null);
        await host.Seed.RunningAsync(oldest, TimeSpan.FromHours(2), heartbeatAgo: TimeSpan.FromSeconds(1));
        await host.Seed.RunningAsync(middle, TimeSpan.FromMinutes(10));
        await host.Seed.TombstoneAsync(stopped, TimeSpan.FromDays(1));

        using var client = host.Client();
        var answer = await client.GetJsonAsync("/api/spans");
        var spans = answer.GetProperty("spans").EnumerateArray().ToList();

        Assert.Equal([oldest.Key, middle.Key, newest.Key, noStart.Key], spans.Select(s => s.Key()));
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("next").ValueKind);
        var first = spans[0];
        Assert.Equal(oldest.TraceId, first.Str("traceId"));
        Assert.Equal(oldest.SpanId, first.Str("spanId"));
        Assert.Equal("billing", first.Str("service"));
        Assert.Equal("nightly-close", first.Str("name"));
        Assert.Equal("running", first.Str("state"));
        Assert.InRange(first.GetProperty("ageSeconds").GetDouble(), 7199, 7300);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("collectedAt").ValueKind);
        foreach (var field in new[] { "startTime", "lastHeartbeat", "expiresAt" })
        {
            var text = first.Str(field)!;
            Assert.EndsWith("Z", text);
            Assert.True(DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed), text);
            Assert.Equal(DateTimeKind.Utc, parsed.Kind);
        }

        var lastHeartbeat = DateTime.Parse(first.Str("lastHeartbeat")!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var expiresAt = DateTime.Parse(first.Str("expiresAt")!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        Assert.Equal(TimeSpan.FromSeconds(15), expiresAt - lastHeartbeat);
        Assert.Equal(JsonValueKind.Null, spans[3].GetProperty("startTime").ValueKind);
        Assert.Equal(JsonValueKind.Null, spans[3].GetProperty("ageSeconds").ValueKind);
        Assert.DoesNotContain(stopped.Key, spans.Select(s => s.Key()));
    }

    [Fact]
    public async Task Pages_of_running_spans_cover_every_span_once_in_order_across_ties_and_missing_starts()
    {
        await using var host = await LiveViewHost.StartAsync();
        var sameStart = DateTime.UtcNow.AddMinutes(-30);
        var expected = new List<(DateTime? Start, SeededSpan Span)>();
        for (var i = 0; i < 41; i++)
        {
            var span = SeededSpan.New(i % 3 == 0 ? "alpha" : "beta", $"op-{i % 4}");

            // A third share one start time (ties broken by ids), a few have none (after every timed span).
            DateTime? start = i % 3 == 0 ? sameStart : i % 7 == 0 ? null : DateTime.UtcNow.AddSeconds(-i * 13);
            if (start is { } s)
            {
                await host.Seed.RunningAsync(span, null, startTime: s);
            }
            else
            {
                await host.Seed.RunningAsync(span, startedAgo: null);
            }

            // Npgsql keeps microseconds, as PostgreSQL does.
            expected.Add((start is { } t ? new DateTime(t.Ticks - (t.Ticks % 10), DateTimeKind.Utc) : null, span));
            if (i % 5 == 0)
            {
                await host.Seed.TombstoneAsync(SeededSpan.New("alpha", "stopped"), TimeSpan.FromHours(i));
            }
        }

        var order = expected
            .OrderBy(e => e.Start is null).ThenBy(e => e.Start).ThenBy(e => e.Span.TraceId, StringComparer.Ordinal).ThenBy(e => e.Span.SpanId, StringComparer.Ordinal)
            .ToList();
        using var client = host.Client();
        foreach (var limit in new[] { 1, 4, 7, 41, 1000 })
        {
            var all = await client.AllPagesAsync("/api/spans?state=running", limit);
            Assert.Equal(order.Select(e => e.Span.Key), all.Select(s => s.Key()));
        }

        var alpha = await client.AllPagesAsync("/api/spans?service=alpha", 4);
        Assert.Equal(order.Where(e => e.Span.Service == "alpha").Select(e => e.Span.Key), alpha.Select(s => s.Key()));
        var alphaOp0 = await client.AllPagesAsync("/api/spans?service=alpha&name=op-0", 2);
        Assert.Equal(order.Where(e => e.Span.Service == "alpha" && e.Span.Name == "op-0").Select(e => e.Span.Key), alphaOp0.Select(s => s.Key()));
        Assert.NotEmpty(alphaOp0);
    }

    [Fact]
    public async Task Crashed_spans_come_most_recently_recorded_first_and_page_without_gaps_or_duplicates()
    {
        await using var host = await LiveViewHost.StartAsync();
        var collectedAt = DateTime.UtcNow.AddMinutes(-3);
        var expected = new List<SeededSpan>();
        for (var i = 0; i < 17; i++)
        {
            var span = SeededSpan.New(i % 2 == 0 ? "alpha" : "beta", "job");
            expected.Add(span);

            // Recorded in order, as claims record them (ids grow with claim order), four in the same microsecond.
            await host.Seed.CollectedAsync(span, TimeSpan.Zero, collectedAt: collectedAt.AddSeconds(i is >= 5 and < 9 ? 5 : i));
        }

        await host.Seed.RunningAsync(SeededSpan.New("alpha", "still-running"), TimeSpan.FromMinutes(1));
        var newestFirst = Enumerable.Reverse(expected).Select(s => s.Key).ToList();

        using var client = host.Client();
        foreach (var limit in new[] { 1, 3, 17, 100 })
        {
            var all = await client.AllPagesAsync("/api/spans?state=crashed", limit);
            Assert.Equal(newestFirst, all.Select(s => s.Key()));
        }

        var first = (await client.GetJsonAsync("/api/spans?state=crashed&limit=1")).GetProperty("spans")[0];
        Assert.Equal("crashed", first.Str("state"));
        Assert.False(first.GetProperty("overdue").GetBoolean());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("expiresAt").ValueKind);
        Assert.EndsWith("Z", first.Str("collectedAt"));
        Assert.Equal(60, first.GetProperty("ageSeconds").GetDouble());

        var beta = await client.AllPagesAsync("/api/spans?state=crashed&service=beta", 2);
        Assert.Equal(newestFirst.Where(k => expected.Single(e => e.Key == k).Service == "beta"), beta.Select(s => s.Key()));
    }

    [Fact]
    public async Task A_running_span_moves_to_the_crashed_list_when_the_Receiver_collects_it()
    {
        await using var host = await LiveViewHost.StartAsync();
        var span = SeededSpan.New("worker", "import");
        await host.Seed.RunningAsync(span, TimeSpan.FromMinutes(5), heartbeatAgo: TimeSpan.FromSeconds(20));
        using var client = host.Client();
        var running = (await client.GetJsonAsync("/api/spans")).GetProperty("spans");
        Assert.Equal([span.Key], running.EnumerateArray().Select(s => s.Key()));
        Assert.True(running[0].GetProperty("overdue").GetBoolean());

        await host.Seed.CollectAsync(span);

        Assert.Empty((await client.GetJsonAsync("/api/spans")).GetProperty("spans").EnumerateArray());
        var crashed = (await client.GetJsonAsync("/api/spans?state=crashed")).GetProperty("spans");
        Assert.Equal([span.Key], crashed.EnumerateArray().Select(s => s.Key()));
        Assert.Equal(running[0].Str("lastHeartbeat"), crashed[0].Str("lastHeartbeat"));
        Assert.Equal(running[0].Str("startTime"), crashed[0].Str("startTime"));
    }

    [Fact]
    public async Task Overdue_means_the_last_heartbeat_is_older_than_the_spans_own_interval()
    {
        await using var host = await LiveViewHost.StartAsync();
        var late = SeededSpan.New("svc", "late");
        var onTime = SeededSpan.New("svc", "on-time");
        var slowButOnTime = SeededSpan.New("svc", "slow-interval");
        var noInterval = SeededSpan.New("svc", "no-interval");
        await host.Seed.RunningAsync(late, TimeSpan.FromMinutes(4), heartbeatAgo: TimeSpan.FromSeconds(12), frequency: TimeSpan.FromSeconds(5));
        await host.Seed.RunningAsync(onTime, TimeSpan.FromMinutes(3), heartbeatAgo: TimeSpan.FromSeconds(1), frequency: TimeSpan.FromSeconds(5));
        await host.Seed.RunningAsync(slowButOnTime, TimeSpan.FromMinutes(2), heartbeatAgo: TimeSpan.FromSeconds(12), frequency: TimeSpan.FromMinutes(1));
        await host.Seed.RunningWithoutFrequencyAsync(noInterval, TimeSpan.FromMinutes(1), heartbeatAgo: TimeSpan.FromMinutes(30));

        using var client = host.Client();
        var spans = (await client.GetJsonAsync("/api/spans")).GetProperty("spans").EnumerateArray()
            .ToDictionary(s => s.Str("name")!, s => s.GetProperty("overdue").GetBoolean());

        Assert.Equal(new Dictionary<string, bool> { ["late"] = true, ["on-time"] = false, ["slow-interval"] = false, ["no-interval"] = false }, spans);
    }

    [Theory]
    [InlineData("/api/spans?state=finished", "state must be 'running' or 'crashed'")]
    [InlineData("/api/spans?limit=0", "limit must be a whole number from 1 to 1000")]
    [InlineData("/api/spans?limit=1001", "limit must be a whole number from 1 to 1000")]
    [InlineData("/api/spans?limit=ten", "limit must be a whole number from 1 to 1000")]
    [InlineData("/api/spans?limit=-5", "limit must be a whole number from 1 to 1000")]
    [InlineData("/api/spans?cursor=not-a-cursor", "cursor is not one this API gave out")]
    [InlineData("/api/spans?cursor=cjotOmFhYWE6YmJiYg", "cursor is not one this API gave out")]
    [InlineData("/api/spans?state=crashed&cursor=Yzo2MzgwMDAwMDAwMDAwMDAwMDA6NDI", "cursor is not one this API gave out")] // c:{ticks}:{id}, the format before migration 0010
    [InlineData("/api/spans/0123/4567", "traceId must be 32 and spanId 16 hexadecimal digits")]
    [InlineData("/api/spans/0af7651916cd43dd8448eb211c80319c/b7ad6b716920333g", "traceId must be 32 and spanId 16 hexadecimal digits")]
    public async Task Bad_parameters_are_answered_400_with_a_problem_naming_them(string path, string message)
    {
        await using var host = await LiveViewHost.StartAsync();
        using var client = host.Client();

        var problem = await client.GetProblemAsync(path, HttpStatusCode.BadRequest);

        Assert.Contains(message, problem.Str("detail"));
    }

    [Fact]
    public async Task A_cursor_of_one_list_is_refused_by_the_other()
    {
        await using var host = await LiveViewHost.StartAsync();
        await host.Seed.CollectedAsync(SeededSpan.New("a", "x"), TimeSpan.FromSeconds(1));
        await host.Seed.CollectedAsync(SeededSpan.New("a", "y"), TimeSpan.FromSeconds(2));
        using var client = host.Client();
        var cursor = (await client.GetJsonAsync("/api/spans?state=crashed&limit=1")).Str("next");
        Assert.NotNull(cursor);

        var problem = await client.GetProblemAsync($"/api/spans?state=running&cursor={cursor}", HttpStatusCode.BadRequest);

        Assert.Contains("cursor belongs to state=crashed", problem.Str("detail"));
    }
}
