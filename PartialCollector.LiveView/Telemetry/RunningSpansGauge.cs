using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Telemetry;
using PartialCollector.LiveView.Data;

namespace PartialCollector.LiveView.Telemetry;

/// <summary>
/// <c>partial.spans.running</c>: spans running now by <c>service.name</c>, over every tenant. Read from one grouped
/// query at most once per <c>LiveView:RefreshInterval</c>, however often metrics are collected: a collection that
/// finds the counts stale starts a refresh in the background and reports the last counts meanwhile. The
/// <c>LiveView:MaxServiceSeries</c> services with most running spans get a series each, the rest are summed as
/// <c>other</c>, so a flood of service names cannot flood the metrics backend.
/// </summary>
public sealed partial class RunningSpansGauge
{
    public const string InstrumentName = "partial.spans.running";
    public const string OtherService = "other";
    public const string UnknownService = "unknown_service";

    private readonly SpanStore store;
    private readonly LiveViewOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<RunningSpansGauge> logger;
    private volatile IReadOnlyList<Measurement<long>> measurements = [];
    private long lastAttemptTicks = DateTimeOffset.MinValue.UtcTicks;
    private int refreshing;

    public RunningSpansGauge(IMeterFactory meterFactory, SpanStore store, IOptions<LiveViewOptions> options, TimeProvider time, ILogger<RunningSpansGauge> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        meterFactory.Create(PartialCollectorTelemetry.MeterName).CreateObservableGauge(
            InstrumentName,
            Observe,
            "{span}",
            "Spans running now (heartbeating, not stopped) by service.name; services beyond LiveView:MaxServiceSeries are summed as 'other'.");
    }

    /// <summary>Series per service, the rest summed as <see cref="OtherService"/>.</summary>
    public static IReadOnlyList<Measurement<long>> Bucket(IEnumerable<(string? Service, long Running)> counts, int maxSeries)
    {
        var ordered = counts.OrderByDescending(c => c.Running).ThenBy(c => c.Service, StringComparer.Ordinal).ToList();
        var measurements = ordered.Take(maxSeries)
            .Select(c => new Measurement<long>(c.Running, new KeyValuePair<string, object?>("service.name", c.Service ?? UnknownService)))
            .ToList();
        if (ordered.Count > maxSeries)
        {
            measurements.Add(new Measurement<long>(ordered.Skip(maxSeries).Sum(c => c.Running), new KeyValuePair<string, object?>("service.name", OtherService)));
        }

        return measurements;
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        // Attempts, not successes, are spaced: a database that is down is asked once per interval, not per collection.
        var now = time.GetUtcNow().UtcTicks;
        if (now - Interlocked.Read(ref lastAttemptTicks) >= options.RefreshInterval.Ticks && Interlocked.Exchange(ref refreshing, 1) == 0)
        {
            Interlocked.Exchange(ref lastAttemptTicks, now);
            _ = Task.Run(RefreshAsync);
        }

        return measurements;
    }

    private async Task RefreshAsync()
    {
        try
        {
            var counts = await store.CountRunningByServiceAsync(CancellationToken.None);
            measurements = Bucket(counts, options.MaxServiceSeries);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            LogRefreshFailed(logger, e);
        }
        finally
        {
            Volatile.Write(ref refreshing, 0);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not count running spans for partial.spans.running; the gauge keeps its last values.")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
