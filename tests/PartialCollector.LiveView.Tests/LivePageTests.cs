using Microsoft.Playwright;
using PartialCollector.LiveView.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PartialCollector.LiveView.Tests;

/// <summary>The page in a real browser (the machine's Chromium through Playwright), against real PostgreSQL.</summary>
public sealed class LivePageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        (playwright, browser) = await Chromium.LaunchAsync();

        // A loaded two-core machine (the whole suite, a build) can take seconds for one page load or refresh.
        Assertions.SetDefaultExpectTimeout((float)Deadline.TotalMilliseconds);
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
    }

    [Fact]
    public async Task A_span_appears_as_it_starts_turns_overdue_then_moves_to_the_crashed_tab_without_a_reload()
    {
        await using var host = await LiveViewHost.StartAsync(new()
        {
            ["LiveView:RefreshInterval"] = "300ms",
            ["LiveView:TraceUrlTemplate"] = "http://traces.example/trace/{traceId}?span={spanId}",
        });
        var page = await browser!.NewPageAsync();
        page.SetDefaultTimeout((float)(Deadline * 2).TotalMilliseconds);
        await page.GotoAsync(host.BaseAddress.ToString());
        await Assertions.Expect(page.Locator(".panel-running .empty")).ToContainTextAsync("No running spans");
        await page.EvaluateAsync("() => window.liveViewTestMarker = 'same document'");
        var loadedAt = await page.EvaluateAsync<double>("() => performance.timeOrigin");

        // The stylesheet is served locally and applies: the page uses the system font stack.
        Assert.Contains("system-ui", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).fontFamily"));

        var span = SeededSpan.New("checkout", "settle-nightly-batch");
        await host.Seed.RunningAsync(span, TimeSpan.FromMinutes(7), frequency: TimeSpan.FromSeconds(5));
        var runningRow = page.Locator($".panel-running tr[data-span-id='{span.SpanId}']");
        await runningRow.WaitForAsync(new() { Timeout = (float)Deadline.TotalMilliseconds });
        await Assertions.Expect(runningRow).ToContainTextAsync("settle-nightly-batch");
        await Assertions.Expect(runningRow.Locator(".service")).ToHaveTextAsync("checkout");
        await Assertions.Expect(runningRow.Locator(".badge")).ToHaveTextAsync("Running");
        await Assertions.Expect(runningRow.Locator(".name a")).ToHaveAttributeAsync("href", $"http://traces.example/trace/{span.TraceId}?span={span.SpanId}");
        await Assertions.Expect(page.Locator("[data-show=running] .count")).ToHaveTextAsync("1");

        // Its heartbeats stop: past its interval it is marked overdue.
        await host.Seed.ExecuteAsync(
            "UPDATE partial_traces SET \"timestamp\" = now() - interval '20 seconds' WHERE span_id = @span_id",
            ("span_id", span.SpanId));
        await Assertions.Expect(runningRow.Locator(".badge.overdue")).ToHaveTextAsync("Overdue", new() { Timeout = (float)Deadline.TotalMilliseconds });

        // The Receiver collects it: it leaves the running table and shows on the crashed tab.
        await host.Seed.CollectAsync(span);
        await runningRow.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = (float)Deadline.TotalMilliseconds });
        await page.Locator("[data-show=crashed]").ClickAsync();
        var crashedRow = page.Locator($".panel-crashed tr[data-span-id='{span.SpanId}']");
        await Assertions.Expect(crashedRow).ToBeVisibleAsync(new() { Timeout = (float)Deadline.TotalMilliseconds });
        await Assertions.Expect(crashedRow).ToContainTextAsync("settle-nightly-batch");
        await Assertions.Expect(crashedRow.Locator(".badge.crashed")).ToHaveTextAsync("Crashed");
        await Assertions.Expect(page.Locator(".panel-running")).ToBeHiddenAsync();

        // The tab stays chosen across refreshes, and all of it happened in the page first loaded.
        var refreshed = await page.Locator("#live-status").TextContentAsync();
        await Assertions.Expect(page.Locator("#live-status")).Not.ToHaveTextAsync(refreshed!, new() { Timeout = (float)Deadline.TotalMilliseconds });
        await Assertions.Expect(crashedRow).ToBeVisibleAsync();
        Assert.Equal("same document", await page.EvaluateAsync<string>("() => window.liveViewTestMarker"));
        Assert.Equal(loadedAt, await page.EvaluateAsync<double>("() => performance.timeOrigin"));
        Assert.Contains("tab=crashed", page.Url);
    }

    [Fact]
    public async Task The_service_filter_narrows_both_tables_and_the_page_renders_for_a_screenshot()
    {
        // Refreshing as often as allowed, so a refresh lands while the filter's form submission navigates away.
        await using var host = await LiveViewHost.StartAsync(new()
        {
            ["LiveView:TraceUrlTemplate"] = "http://localhost:15080/traces/detail/{traceId}",
            ["LiveView:RefreshInterval"] = "100ms",
        });
        await SeedDemoAsync(host);
        var page = await browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 420 } });
        page.SetDefaultTimeout((float)(Deadline * 2).TotalMilliseconds);
        await page.GotoAsync(host.BaseAddress.ToString());

        await Assertions.Expect(page.Locator(".panel-running tbody tr")).ToHaveCountAsync(8);
        await Assertions.Expect(page.Locator(".panel-running .badge.overdue")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".tabs .summary .badge.overdue")).ToHaveTextAsync("2 overdue");
        await Assertions.Expect(page.Locator("[data-show=crashed] .count")).ToHaveTextAsync("3");
        var screenshot = Environment.GetEnvironmentVariable("LIVEVIEW_SCREENSHOT") is { Length: > 0 } path ? path : Path.Combine(AppContext.BaseDirectory, "liveview.png");
        await page.ScreenshotAsync(new() { Path = screenshot });
        output.WriteLine($"screenshot: {screenshot}");

        // Choosing a service reloads the page filtered to it (a GET form); the refreshes keep the filter.
        await page.Locator("#service").SelectOptionAsync("billing");
        await page.WaitForURLAsync(url => url.Contains("service=billing", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator(".panel-running tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".panel-running tbody .service")).ToHaveTextAsync(["billing", "billing"]);
        await Assertions.Expect(page.Locator("[data-show=crashed] .count")).ToHaveTextAsync("1");
    }

    [Fact]
    public async Task With_tenants_the_page_asks_for_a_key_and_shows_only_that_tenants_spans()
    {
        await using var host = await LiveViewHost.StartAsync(new(TenantTests.TwoTenants) { ["LiveView:RefreshInterval"] = "300ms" });
        var acme = SeededSpan.New("shop", "acme-import", "acme");
        var globex = SeededSpan.New("shop", "globex-import", "globex");
        await host.Seed.RunningAsync(acme, TimeSpan.FromMinutes(2));
        await host.Seed.RunningAsync(globex, TimeSpan.FromMinutes(3));
        var context = await browser!.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)(Deadline * 2).TotalMilliseconds);

        await page.GotoAsync(host.BaseAddress.ToString());
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
        await page.Locator("#key").FillAsync("not-the-key-of-anyone-here");
        await page.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator(".error")).ToContainTextAsync("belongs to no tenant");

        await page.Locator("#key").FillAsync("acme-key-0123456789abcdef");
        await page.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator(".who strong")).ToHaveTextAsync("acme");
        await Assertions.Expect(page.Locator($".panel-running tr[data-span-id='{acme.SpanId}']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"tr[data-span-id='{globex.SpanId}']")).ToHaveCountAsync(0);
        Assert.DoesNotContain("key", page.Url, StringComparison.OrdinalIgnoreCase);
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "partialcollector.liveview");
        Assert.True(cookie.HttpOnly);
        Assert.DoesNotContain("acme-key", cookie.Value, StringComparison.Ordinal);

        // The refreshes carry the cookie: a new span of the tenant appears, another tenant's never does.
        var later = SeededSpan.New("shop", "acme-export", "acme");
        await host.Seed.RunningAsync(later, TimeSpan.FromSeconds(5));
        await host.Seed.RunningAsync(SeededSpan.New("shop", "globex-export", "globex"), TimeSpan.FromSeconds(5));
        await Assertions.Expect(page.Locator($".panel-running tr[data-span-id='{later.SpanId}']")).ToBeVisibleAsync(new() { Timeout = (float)Deadline.TotalMilliseconds });
        await Assertions.Expect(page.Locator(".panel-running tbody tr")).ToHaveCountAsync(2);

        await page.Locator(".who button").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
        await page.GotoAsync(host.BaseAddress.ToString());
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
    }

    /// <summary>What a demo looks like: a few services, long and short operations, two overdue, three crashed.</summary>
    private static async Task SeedDemoAsync(LiveViewHost host)
    {
        var running = new (string Service, string Name, TimeSpan Age, TimeSpan Heartbeat)[]
        {
            ("reports", "quarterly-revenue-rollup", TimeSpan.FromHours(2.3), TimeSpan.FromSeconds(2)),
            ("billing", "invoice-run 2024-06", TimeSpan.FromMinutes(47), TimeSpan.FromSeconds(1)),
            ("search", "reindex products", TimeSpan.FromMinutes(31), TimeSpan.FromSeconds(49)),
            ("checkout", "settle-nightly-batch", TimeSpan.FromMinutes(12), TimeSpan.FromSeconds(3)),
            ("billing", "dunning emails", TimeSpan.FromMinutes(6), TimeSpan.FromSeconds(4)),
            ("search", "crawl sitemap", TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(56)),
            ("checkout", "fraud-model refresh", TimeSpan.FromSeconds(95), TimeSpan.FromSeconds(1)),
            ("reports", "export csv #4821", TimeSpan.FromSeconds(22), TimeSpan.FromSeconds(2)),
        };
        foreach (var (service, name, age, heartbeat) in running)
        {
            // A 30 s interval: the others stay on time however slowly the machine runs the test.
            await host.Seed.RunningAsync(SeededSpan.New(service, name), age, heartbeatAgo: heartbeat, frequency: TimeSpan.FromSeconds(30));
        }

        // Oldest first, as the Receiver records them (the crashed tab lists the most recently recorded first).
        await host.Seed.CollectedAsync(SeededSpan.New("checkout", "settle-nightly-batch"), TimeSpan.FromMinutes(48), ranFor: TimeSpan.FromMinutes(9));
        await host.Seed.CollectedAsync(SeededSpan.New("billing", "invoice-run 2024-05"), TimeSpan.FromMinutes(26), ranFor: TimeSpan.FromHours(1.2));
        await host.Seed.CollectedAsync(SeededSpan.New("search", "reindex orders"), TimeSpan.FromMinutes(2), ranFor: TimeSpan.FromMinutes(14));
    }
}
