using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using PartialCollector.LiveView.Data;

namespace PartialCollector.LiveView.Page;

/// <summary>What the page shows at one moment: the running and crashed spans of one tenant, optionally of one service.</summary>
public sealed record LivePanelModel(
    SpanPage Running,
    SpanPage Crashed,
    IReadOnlyList<ServiceSummary> Services,
    string? Service,
    DateTime Now,
    LiveViewOptions Options)
{
    public long RunningTotal => Service is null ? Services.Sum(s => s.Running) : Services.Where(s => s.Service == Service).Sum(s => s.Running);

    public long CrashedLastHour => Service is null ? Services.Sum(s => s.CrashedLastHour) : Services.Where(s => s.Service == Service).Sum(s => s.CrashedLastHour);

    public int OverdueShown => Running.Spans.Count(s => s.Overdue);

    public string? TraceUrl(LiveSpan span) => Options.TraceUrl(span.TraceId, span.SpanId);

    public string Ago(DateTime time) => Format.Duration(Now - time) + " ago";

    public static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Loads the page's data. Per-service counts are shared by a tenant's viewers for one refresh interval.</summary>
public sealed class LivePanelLoader(SpanStore store, IOptions<LiveViewOptions> options, TimeProvider time)
{
    /// <summary>Rows per table on the page; the API pages through all of them.</summary>
    public const int RowsShown = 200;

    private readonly ConcurrentDictionary<string, (DateTimeOffset Taken, Task<IReadOnlyList<ServiceSummary>> Services)> services = new(StringComparer.Ordinal);

    public async Task<LivePanelModel> LoadAsync(string? tenant, string? service, CancellationToken cancellationToken)
    {
        service = string.IsNullOrEmpty(service) ? null : service;
        var running = await store.ListAsync(new SpanQuery(LiveSpan.Running, service, null, RowsShown, null, tenant), cancellationToken);
        var crashed = await store.ListAsync(new SpanQuery(LiveSpan.Crashed, service, null, RowsShown, null, tenant), cancellationToken);
        return new LivePanelModel(running, crashed, await ServicesAsync(tenant, cancellationToken), service, time.GetUtcNow().UtcDateTime, options.Value);
    }

    public async Task<IReadOnlyList<ServiceSummary>> ServicesAsync(string? tenant, CancellationToken cancellationToken)
    {
        var key = tenant ?? "";
        var now = time.GetUtcNow();
        if (services.TryGetValue(key, out var cached) && now - cached.Taken < options.Value.RefreshInterval && !cached.Services.IsFaulted)
        {
            return await cached.Services;
        }

        var fresh = store.ServicesAsync(tenant, CancellationToken.None);
        services[key] = (now, fresh);
        return await fresh.WaitAsync(cancellationToken);
    }
}

public static class Format
{
    /// <summary>Compact, like the dashboard's durations: 42s, 3m 12s, 2h 05m, 3d 4h.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalSeconds < 60 ? $"{(int)span.TotalSeconds}s"
            : span.TotalMinutes < 60 ? $"{(int)span.TotalMinutes}m {span.Seconds:00}s"
            : span.TotalHours < 24 ? $"{(int)span.TotalHours}h {span.Minutes:00}m"
            : $"{(int)span.TotalDays}d {span.Hours}h";
    }

    public static string Seconds(double? seconds) => seconds is { } s ? Duration(TimeSpan.FromSeconds(s)) : "–";
}
