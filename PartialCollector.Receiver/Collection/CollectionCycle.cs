using System.Diagnostics;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// One collection cycle: drain everything that is due through up to <c>Concurrency</c> lanes at once (see
/// <see cref="CollectionLane"/>), so one lane's claim or settle overlaps another's send; then measure the
/// backlog and purge tombstones and dead letters whose retention has passed (see <see cref="RetentionPurge"/>).
/// </summary>
public sealed partial class CollectionCycle(
    CollectionLane lane,
    ExpiredSpanStore store,
    RetentionPurge purge,
    IOptions<PartialReceiverOptions> options,
    ReceiverMetrics metrics,
    TimeProvider timeProvider,
    ILogger<CollectionCycle> logger)
{
    public async Task<CycleResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        using var activity = PartialCollectorTelemetry.ActivitySource.StartActivity("partial.receiver.cycle");
        var started = timeProvider.GetTimestamp();
        var progress = new CycleProgress();
        var completed = false;
        try
        {
            await RunLanesAsync(progress, cancellationToken);
            metrics.BacklogMeasured(await store.GetBacklogAsync(cancellationToken));
            await purge.RunAsync(cancellationToken);
            completed = true;
        }
        finally
        {
            // Also when a lane threw: what the other lanes did before is part of this cycle.
            var totals = progress.ToResult();
            metrics.Cycle(timeProvider.GetElapsedTime(started), failed: !completed || totals.Failed);
            activity?.SetTag("partial.receiver.collected", totals.Collected);
            activity?.SetTag("partial.receiver.delivered", totals.Delivered);
            activity?.SetTag("partial.receiver.dead_lettered", totals.DeadLettered);
            activity?.SetTag("partial.receiver.released", totals.Released);
            if (totals.Failure is not null)
            {
                activity?.SetStatus(ActivityStatusCode.Error, totals.Failure);
            }
        }

        var cycle = progress.ToResult();
        if (cycle.Collected > 0)
        {
            LogCycle(cycle.Collected, cycle.Delivered, cycle.DeadLettered, cycle.Released, cycle.KeptAlive);
        }

        return cycle;
    }

    private async Task RunLanesAsync(CycleProgress progress, CancellationToken cancellationToken)
    {
        var lanes = new List<Task> { lane.RunAsync(progress, cancellationToken) };
        var concurrency = options.Value.Concurrency;
        if (concurrency > 1)
        {
            // The other lanes join only while the first drains full batches: a backlog that fits in one batch
            // stays one export request, and an idle cycle costs one claim, as with a single lane.
            await Task.WhenAny(lanes[0], progress.FullBatchClaimed);
            if (progress.FullBatchClaimed.IsCompleted && !lanes[0].IsCompleted && !progress.Stopped)
            {
                for (var i = 1; i < concurrency; i++)
                {
                    lanes.Add(lane.RunAsync(progress, cancellationToken));
                }
            }
        }

        await Task.WhenAll(lanes);
    }

    [LoggerMessage(LogLevel.Information, "Collected {Collected} expired spans: {Delivered} delivered, {DeadLettered} dead-lettered, {Released} handed back, {KeptAlive} kept alive by a heartbeat")]
    private partial void LogCycle(int collected, int delivered, int deadLettered, int released, int keptAlive);
}
