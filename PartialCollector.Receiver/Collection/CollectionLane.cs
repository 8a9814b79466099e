using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// One lane of a collection cycle: claim a batch of expired spans, send it (see <see cref="BatchSender"/>), then
/// delete, release or dead-letter its rows by the outcome; repeat while batches come back full and no lane
/// has failed. Each lane holds one batch in memory at a time.
/// </summary>
public sealed class CollectionLane(
    ExpiredSpanStore store,
    BatchSender sender,
    IOptions<PartialReceiverOptions> options,
    ReceiverMetrics metrics,
    TimeProvider timeProvider)
{
    public async Task RunAsync(CycleProgress progress, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        try
        {
            while (!cancellationToken.IsCancellationRequested && progress.TryBeginClaim())
            {
                IReadOnlyList<ClaimedSpan> claimed;
                var claimStarted = timeProvider.GetTimestamp();
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
                var (settlement, requests, failure) = await sender.SendAsync(new ClaimedBatch(claimed, claimStarted), cancellationToken);
                progress.Sent(requests);

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
}
