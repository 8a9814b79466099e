using System.Diagnostics;
using OpenTelemetry;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// One collection cycle: drain everything that is due, one claimer feeding up to <c>Concurrency</c> senders (see
/// <see cref="CycleDrain"/>), so claims and settles overlap sends; then measure the
/// backlog and purge tombstones and dead letters whose retention has passed (see <see cref="RetentionPurge"/>).
/// </summary>
public sealed partial class CollectionCycle(
    CycleDrain drain,
    CollectionStore store,
    RetentionPurge purge,
    ReceiverMetrics metrics,
    TimeProvider timeProvider,
    ILogger<CollectionCycle> logger)
{
    public async Task<CycleResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var startedAt = timeProvider.GetUtcNow();
        var started = timeProvider.GetTimestamp();
        var tally = new CycleTally();
        var completed = false;
        try
        {
            // An idle cycle every few seconds would bury the traces people look for; its database calls and sends
            // are not traced, and the cycle itself is, afterwards, only when it did something (see Trace).
            using (SuppressInstrumentationScope.Begin())
            {
                await drain.RunAsync(tally, cancellationToken);
                metrics.BacklogMeasured(await store.GetBacklogAsync(cancellationToken));
                await purge.RunAsync(cancellationToken);
            }

            completed = true;
        }
        finally
        {
            // Also when the drain threw: what it did before is part of this cycle.
            var totals = tally.ToResult();
            metrics.Cycle(timeProvider.GetElapsedTime(started), failed: !completed || totals.Failed);
            if (totals.Collected > 0 || totals.Failed || !completed)
            {
                Trace(startedAt, totals, completed);
            }
        }

        var cycle = tally.ToResult();
        if (cycle.Collected > 0)
        {
            LogCycle(cycle.Collected, cycle.Delivered, cycle.DeadLettered, cycle.Released, cycle.LeaseLost);
        }

        return cycle;
    }

    private static void Trace(DateTimeOffset startedAt, CycleResult totals, bool completed)
    {
        using var activity = PartialCollectorTelemetry.ActivitySource.StartActivity(
            "partial.receiver.cycle", ActivityKind.Internal, parentContext: default, startTime: startedAt);
        activity?.SetTag("partial.receiver.collected", totals.Collected);
        activity?.SetTag("partial.receiver.delivered", totals.Delivered);
        activity?.SetTag("partial.receiver.dead_lettered", totals.DeadLettered);
        activity?.SetTag("partial.receiver.released", totals.Released);
        if (totals.Failure is not null || !completed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, totals.Failure ?? "the cycle failed (see the Receiver's log)");
        }
    }

    [LoggerMessage(LogLevel.Information, "Collected {Collected} expired spans: {Delivered} delivered, {DeadLettered} dead-lettered, {Released} handed back, {LeaseLost} taken over by another receiver after the lease ran out")]
    private partial void LogCycle(int collected, int delivered, int deadLettered, int released, int leaseLost);
}
