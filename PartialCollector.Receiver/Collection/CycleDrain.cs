using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Drains what is due in one cycle: one claimer feeds a bounded channel of batches to <c>Concurrency</c> senders,
/// which send (see <see cref="BatchSender"/>) and settle them. The claimer is the only one that claims, and it
/// stops for good at the first failure, so no row is claimed twice in a cycle; a sender hands rows back only after
/// the claimer has stopped. A backlog that fits in one batch is one claim and one request, as is an idle cycle's one claim.
/// </summary>
public sealed class CycleDrain(
    CollectionStore store,
    BatchSender sender,
    IOptions<PartialReceiverOptions> options,
    ReceiverMetrics metrics,
    TimeProvider timeProvider)
{
    public async Task RunAsync(CycleTally tally, CancellationToken cancellationToken)
    {
        var concurrency = options.Value.Concurrency;

        // Room for one batch per sender: a sender that finishes finds the next batch ready, while the claimer stays
        // at most one round ahead (claimed rows wait here under their lease).
        var batches = Channel.CreateBounded<ClaimedBatch>(new BoundedChannelOptions(concurrency) { SingleWriter = true });
        using var stop = new CancellationTokenSource();
        var claimer = ClaimAsync(batches.Writer, stop, tally, cancellationToken);
        var senders = Enumerable.Range(0, concurrency).Select(_ => SendAsync(batches.Reader, claimer, stop, tally, cancellationToken));
        await Task.WhenAll([claimer, .. senders]);
    }

    private async Task ClaimAsync(ChannelWriter<ClaimedBatch> writer, CancellationTokenSource stop, CycleTally tally, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        try
        {
            while (!stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var started = timeProvider.GetTimestamp();
                var rows = await store.ClaimAsync(settings.BatchSize, settings.Lease, cancellationToken);
                if (rows.Count == 0)
                {
                    break;
                }

                tally.Claimed(rows.Count);
                metrics.Collected(rows.Count);
                var batch = new ClaimedBatch(rows, started);
                try
                {
                    await writer.WriteAsync(batch, stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // A sender failed while this batch waited for room (or during its claim): hand it back unsent.
                    await ReleaseAsync(batch, tally);
                    break;
                }

                if (rows.Count < settings.BatchSize)
                {
                    break;
                }
            }
        }
        catch
        {
            // Typically the database is unreachable: the senders would only fail the same way.
            await stop.CancelAsync();
            throw;
        }
        finally
        {
            writer.Complete();
        }
    }

    private async Task SendAsync(ChannelReader<ClaimedBatch> reader, Task claimer, CancellationTokenSource stop, CycleTally tally, CancellationToken cancellationToken)
    {
        try
        {
            // Read to the end even after a failure, so every batch already claimed is settled or handed back.
            await foreach (var batch in reader.ReadAllAsync(CancellationToken.None))
            {
                if (stop.IsCancellationRequested)
                {
                    await StoppedAsync(claimer);
                    await ReleaseAsync(batch, tally);
                    continue;
                }

                var outcome = await sender.SendAsync(batch, cancellationToken);
                tally.Sent(outcome.Requests);
                if (outcome.Failure is not null)
                {
                    tally.Failed(outcome.Failure);
                    await stop.CancelAsync();

                    // Before the settle hands rows back: a claim under way could otherwise take them again.
                    await StoppedAsync(claimer);
                }

                // Settle even when shutting down: what the downstream accepted must not be sent again.
                Settled(await store.SettleAsync(outcome.Settlement, CancellationToken.None), tally);
                metrics.Crashed(outcome.Settlement.Delivered);
            }
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private async Task ReleaseAsync(ClaimedBatch batch, CycleTally tally)
    {
        var settlement = new Settlement();
        settlement.Released.AddRange(batch.Rows);
        Settled(await store.SettleAsync(settlement, CancellationToken.None), tally);
    }

    private void Settled(SettleResult result, CycleTally tally)
    {
        metrics.Settled(result);
        tally.Settled(result);
    }

    // Whether it ended well or not: the claimer's own error reaches the cycle through its task.
    private static async Task StoppedAsync(Task claimer) => await claimer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
