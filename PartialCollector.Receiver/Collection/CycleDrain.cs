using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Drains what is due in one cycle: <c>Claimers</c> claimers feed a bounded channel of batches to <c>Concurrency</c>
/// senders, which send (see <see cref="BatchSender"/>) and settle them. Only one claimer starts; the others join
/// once a claim comes back full (there is a backlog). Claimers stop for good at the first failure, so no batch is
/// claimed twice in a cycle; a sender hands a batch back only after every claimer has stopped. A backlog that fits in
/// one batch is one claim and one request, as is an idle cycle's one claim.
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
        var claimer = ClaimersAsync(batches.Writer, stop, tally, cancellationToken);
        var senders = Enumerable.Range(0, concurrency).Select(_ => SendAsync(batches.Reader, claimer, stop, tally, cancellationToken));
        await Task.WhenAll([claimer, .. senders]);
    }

    private async Task ClaimersAsync(ChannelWriter<ClaimedBatch> writer, CancellationTokenSource stop, CycleTally tally, CancellationToken cancellationToken)
    {
        // Batches claimed but never queued because a sender failed meanwhile; handed back only once every claimer
        // has stopped, or a claim still under way could take one again at once.
        var unsent = new ConcurrentQueue<ClaimedBatch>();
        try
        {
            var backlog = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var first = ClaimAsync(writer, stop, tally, backlog, unsent, cancellationToken);
            Task[] claimers = [first];
            if (await Task.WhenAny(first, backlog.Task) == backlog.Task)
            {
                claimers = [first, .. Enumerable.Range(1, options.Value.Claimers - 1).Select(_ => ClaimAsync(writer, stop, tally, backlog, unsent, cancellationToken))];
            }

            await Task.WhenAll(claimers);
        }
        finally
        {
            writer.Complete();
            while (unsent.TryDequeue(out var batch))
            {
                await ReleaseAsync(batch, tally);
            }
        }
    }

    private async Task ClaimAsync(
        ChannelWriter<ClaimedBatch> writer, CancellationTokenSource stop, CycleTally tally, TaskCompletionSource backlog, ConcurrentQueue<ClaimedBatch> unsent, CancellationToken cancellationToken)
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
                    // A sender failed while this batch waited for room (or during its claim): it goes back unsent.
                    unsent.Enqueue(batch);
                    break;
                }

                if (rows.Count < settings.BatchSize)
                {
                    break;
                }

                backlog.TrySetResult();
            }
        }
        catch
        {
            // Typically the database is unreachable: the senders would only fail the same way.
            await stop.CancelAsync();
            throw;
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

    // Whether they ended well or not: a claimer's own error reaches the cycle through the claimers' task.
    private static async Task StoppedAsync(Task claimer) => await claimer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
}
