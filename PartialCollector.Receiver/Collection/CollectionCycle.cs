using System.Diagnostics;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Health;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// One collection cycle: claim a batch of expired spans, mark them, send them in one export request,
/// then delete, release or dead-letter them by the outcome; repeat while batches come back full, so a
/// large backlog drains at full speed with one batch in memory at a time.
/// </summary>
public sealed partial class CollectionCycle(
    ExpiredSpanStore store,
    SpanDecorator decorator,
    ITraceExporter exporter,
    IOptions<PartialReceiverOptions> options,
    ReceiverMetrics metrics,
    DownstreamHealth health,
    TimeProvider timeProvider,
    ILogger<CollectionCycle> logger)
{
    private const int TombstonePurgeLimit = 10_000;

    public async Task<CycleResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var activity = PartialCollectorTelemetry.ActivitySource.StartActivity("partial.receiver.cycle");
        var started = timeProvider.GetTimestamp();
        int collected = 0, delivered = 0, deadLettered = 0, released = 0, keptAlive = 0, batches = 0;
        string? failure = null;
        var completed = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var claimed = await store.ClaimAsync(settings.BatchSize, settings.Lease, cancellationToken);
                if (claimed.Count == 0)
                {
                    break;
                }

                collected += claimed.Count;
                metrics.Collected(claimed.Count);
                var (settlement, sent, batchFailure) = await DeliverAsync(claimed, cancellationToken);
                batches += sent ? 1 : 0;

                // Settle even when shutting down: what the downstream accepted must not be sent again.
                var result = await store.SettleAsync(settlement, CancellationToken.None);
                metrics.Settled(result);
                delivered += result.Deleted;
                deadLettered += result.DeadLettered;
                released += result.Released;
                keptAlive += result.KeptAlive;

                if (batchFailure is not null)
                {
                    failure = batchFailure;
                    break;
                }

                if (claimed.Count < settings.BatchSize)
                {
                    break;
                }
            }

            metrics.BacklogMeasured(await store.GetBacklogAsync(cancellationToken));
            await store.PurgeTombstonesAsync(TombstonePurgeLimit, cancellationToken);
            completed = true;
        }
        finally
        {
            metrics.Cycle(timeProvider.GetElapsedTime(started), failed: !completed || failure is not null);
            activity?.SetTag("partial.receiver.collected", collected);
            activity?.SetTag("partial.receiver.delivered", delivered);
            activity?.SetTag("partial.receiver.dead_lettered", deadLettered);
            activity?.SetTag("partial.receiver.released", released);
            if (failure is not null)
            {
                activity?.SetStatus(ActivityStatusCode.Error, failure);
            }
        }

        var cycle = new CycleResult(collected, delivered, deadLettered, released, keptAlive, batches, failure);
        if (collected > 0)
        {
            LogCycle(cycle.Collected, cycle.Delivered, cycle.DeadLettered, cycle.Released, cycle.KeptAlive);
        }

        return cycle;
    }

    private async Task<(Settlement Settlement, bool Sent, string? Failure)> DeliverAsync(IReadOnlyList<ClaimedSpan> claimed, CancellationToken cancellationToken)
    {
        var settlement = new Settlement();
        var batch = decorator.Decorate(claimed);
        settlement.DeadLetters.AddRange(batch.Undeliverable);
        if (batch.Sendable.Count == 0)
        {
            return (settlement, false, null);
        }

        ExportOutcome outcome;
        try
        {
            outcome = await exporter.ExportAsync(batch.Request, cancellationToken);
        }
        catch (Exception e)
        {
            // Shutdown, an exporter bug or an unexpected transport error: the rows must be handed back, not stranded.
            outcome = new ExportOutcome.Retryable(cancellationToken.IsCancellationRequested ? "shutting down" : $"{e.GetType().Name}: {e.Message}");
        }

        switch (outcome)
        {
            case ExportOutcome.Delivered { RejectedSpans: var rejected } accepted when rejected >= batch.SpanCount:
                health.Succeeded(timeProvider.GetUtcNow());
                var all = $"downstream rejected all {batch.SpanCount} spans: {accepted.Message}";
                settlement.DeadLetters.AddRange(batch.Sendable.Select(s => new DeadLetter(s, all)));
                LogRejected(batch.SpanCount, all);
                break;
            case ExportOutcome.Delivered { RejectedSpans: > 0 } partial:
                // OTLP says how many spans were rejected, not which: keep a copy of every span of the request.
                health.Succeeded(timeProvider.GetUtcNow());
                var some = $"downstream rejected {partial.RejectedSpans} of {batch.SpanCount} spans: {partial.Message}";
                settlement.Delivered.AddRange(batch.Sendable);
                settlement.Copies.AddRange(batch.Sendable.Select(s => new DeadLetter(s, some)));
                LogRejected(batch.SpanCount, some);
                break;
            case ExportOutcome.Delivered:
                health.Succeeded(timeProvider.GetUtcNow());
                settlement.Delivered.AddRange(batch.Sendable);
                break;
            case ExportOutcome.Rejected rejectedExport:
                health.Failed(rejectedExport.Reason);
                var reason = $"downstream rejected the export: {rejectedExport.Reason}";
                settlement.DeadLetters.AddRange(batch.Sendable.Select(s => new DeadLetter(s, reason)));
                LogRejected(batch.SpanCount, reason);
                break;
            case ExportOutcome.Retryable retry:
                health.Failed(retry.Reason);
                settlement.Released.AddRange(batch.Sendable);
                LogRetry(batch.Sendable.Count, retry.Reason);
                return (settlement, true, retry.Reason);
        }

        return (settlement, true, null);
    }

    [LoggerMessage(LogLevel.Information, "Collected {Collected} expired spans: {Delivered} delivered, {DeadLettered} dead-lettered, {Released} handed back, {KeptAlive} kept alive by a heartbeat")]
    private partial void LogCycle(int collected, int delivered, int deadLettered, int released, int keptAlive);

    [LoggerMessage(LogLevel.Warning, "Downstream export of {Spans} spans failed, will retry: {Reason}")]
    private partial void LogRetry(int spans, string reason);

    [LoggerMessage(LogLevel.Error, "Dead-lettering after a permanent rejection of {Spans} spans: {Reason}")]
    private partial void LogRejected(int spans, string reason);
}
