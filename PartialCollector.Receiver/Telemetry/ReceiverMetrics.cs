using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;

namespace PartialCollector.Receiver.Telemetry;

/// <summary>The Receiver's own metrics, under meter <c>PartialCollector</c>.</summary>
public sealed class ReceiverMetrics
{
    private readonly Counter<long> collected;
    private readonly Counter<long> delivered;
    private readonly Counter<long> retried;
    private readonly Counter<long> deadLettered;
    private readonly Histogram<double> cycleDuration;
    private readonly Counter<long> crashed;
    private readonly BoundedSeries services;
    private long backlogRows;
    private long oldestAgeTicks;
    private long deadLetterRows;

    public ReceiverMetrics(IMeterFactory meterFactory, IOptions<PartialReceiverOptions> options)
    {
        var meter = meterFactory.Create(PartialCollectorTelemetry.MeterName);
        services = new BoundedSeries(options.Value.MaxServiceSeries);
        crashed = meter.CreateCounter<long>("partial.spans.crashed", "{span}", "Spans whose heartbeats stopped without a stop event, delivered downstream, by service.name.");
        collected = meter.CreateCounter<long>("partial.receiver.spans.collected", "{span}", "Expired span rows claimed.");
        delivered = meter.CreateCounter<long>("partial.receiver.spans.delivered", "{span}", "Span rows accepted downstream and deleted.");
        retried = meter.CreateCounter<long>("partial.receiver.spans.retried", "{span}", "Span rows handed back after a retryable downstream failure.");
        deadLettered = meter.CreateCounter<long>("partial.receiver.spans.dead_lettered", "{span}", "Span rows moved or copied to partial_dead_letters.");
        cycleDuration = meter.CreateHistogram<double>("partial.receiver.cycle.duration", "s", "Duration of one collection cycle.");
        meter.CreateObservableGauge("partial.receiver.backlog", () => Interlocked.Read(ref backlogRows), "{span}", "Expired span rows not yet delivered (as of the last cycle).");
        meter.CreateObservableGauge("partial.receiver.backlog.oldest_age", () => TimeSpan.FromTicks(Interlocked.Read(ref oldestAgeTicks)).TotalSeconds, "s", "How long ago the oldest undelivered span expired (as of the last cycle).");
        meter.CreateObservableGauge("partial.receiver.dead_letters", () => Interlocked.Read(ref deadLetterRows), "{span}", "Rows in partial_dead_letters (as of the last cycle; PostgreSQL's estimate above 100,000).");
    }

    public long DeadLetters => Interlocked.Read(ref deadLetterRows);

    public BacklogStats Backlog => new(Interlocked.Read(ref backlogRows), TimeSpan.FromTicks(Interlocked.Read(ref oldestAgeTicks)));

    public void Collected(int rows) => collected.Add(rows);

    /// <summary>Counts delivered spans as crashes by service (a span running again since its claim counts too: rare, and it did go quiet).</summary>
    public void Crashed(IEnumerable<ClaimedSpan> delivered)
    {
        foreach (var service in delivered.GroupBy(s => services.Name(s.ServiceName)))
        {
            crashed.Add(service.Count(), new KeyValuePair<string, object?>("service.name", service.Key));
        }
    }

    public void Settled(SettleResult result)
    {
        delivered.Add(result.Deleted);
        retried.Add(result.Released);
        deadLettered.Add(result.DeadLettered);
    }

    public void Cycle(TimeSpan elapsed, bool failed) =>
        cycleDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", failed ? "failure" : "success"));

    public void BacklogMeasured(BacklogStats stats)
    {
        Interlocked.Exchange(ref backlogRows, stats.Expired);
        Interlocked.Exchange(ref oldestAgeTicks, stats.OldestAge.Ticks);
    }

    public void DeadLettersMeasured(long rows) => Interlocked.Exchange(ref deadLetterRows, rows);
}
