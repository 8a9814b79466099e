using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Health;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// One lane of a collection cycle: claim a batch of expired spans, mark them, send them in one export request,
/// then delete, release or dead-letter them by the outcome; repeat while batches come back full and no lane
/// has failed. Each lane holds one batch in memory at a time.
/// </summary>
public sealed partial class CollectionLane(
    ExpiredSpanStore store,
    SpanDecorator decorator,
    ITraceExporter exporter,
    IOptions<PartialReceiverOptions> options,
    ReceiverMetrics metrics,
    DownstreamHealth health,
    TimeProvider timeProvider,
    ILogger<CollectionLane> logger)
{
    public async Task RunAsync(CycleProgress progress, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        try
        {
            while (!cancellationToken.IsCancellationRequested && progress.TryBeginClaim())
            {
                IReadOnlyList<ClaimedSpan> claimed;
                try
                {
                    claimed = await store.ClaimAsync(settings.BatchSize, settings.Lease, cancellationToken);
                }
                finally
                {
                    progress.EndClaim();
                }

                if (claimed.Count == 0)
                {
                    break;
                }

                progress.Claimed(claimed.Count, settings.BatchSize);
                metrics.Collected(claimed.Count);
                var (settlement, sent, failure) = await DeliverAsync(claimed, cancellationToken);
                if (sent)
                {
                    progress.Sent();
                }

                if (failure is not null)
                {
                    // Before the settle hands the rows back: no other lane may claim them again in this cycle.
                    await progress.FailAsync(failure);
                }

                // Settle even when shutting down: what the downstream accepted must not be sent again.
                var result = await store.SettleAsync(settlement, CancellationToken.None);
                metrics.Settled(result);
                progress.Settled(result);

                if (failure is not null || claimed.Count < settings.BatchSize)
                {
                    break;
                }
            }
        }
        catch
        {
            progress.Stop();
            throw;
        }
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

    [LoggerMessage(LogLevel.Warning, "Downstream export of {Spans} spans failed, will retry: {Reason}")]
    private partial void LogRetry(int spans, string reason);

    [LoggerMessage(LogLevel.Error, "Dead-lettering after a permanent rejection of {Spans} spans: {Reason}")]
    private partial void LogRejected(int spans, string reason);
}
