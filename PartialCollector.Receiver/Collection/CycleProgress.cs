using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// What the lanes of one collection cycle have done so far, and what they tell each other: that a claim came
/// back full (the other lanes join), and that one failed (the others claim no more). Lanes update it
/// concurrently, hence the interlocked counters; the cycle reads it, also after a lane threw.
/// </summary>
public sealed class CycleProgress
{
    private readonly TaskCompletionSource fullBatchClaimed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private int collected, delivered, deadLettered, released, keptAlive, batches;
    private string? failure;
    private bool stopped;
    private int claimsUnderWay;
    private TaskCompletionSource? claimsFinished;

    /// <summary>Completes when a claim first comes back full: there is a backlog worth more lanes.</summary>
    public Task FullBatchClaimed => fullBatchClaimed.Task;

    public bool Stopped
    {
        get
        {
            lock (gate)
            {
                return stopped;
            }
        }
    }

    /// <summary>False once a lane has failed; otherwise the caller claims and then calls <see cref="EndClaim"/>.</summary>
    public bool TryBeginClaim()
    {
        lock (gate)
        {
            if (stopped)
            {
                return false;
            }

            claimsUnderWay++;
            return true;
        }
    }

    public void EndClaim()
    {
        lock (gate)
        {
            if (--claimsUnderWay == 0)
            {
                claimsFinished?.TrySetResult();
            }
        }
    }

    public void Claimed(int rows, int batchSize)
    {
        Interlocked.Add(ref collected, rows);
        if (rows >= batchSize)
        {
            fullBatchClaimed.TrySetResult();
        }
    }

    public void Sent(int requests) => Interlocked.Add(ref batches, requests);

    public void Settled(SettleResult result)
    {
        Interlocked.Add(ref delivered, result.Deleted);
        Interlocked.Add(ref deadLettered, result.DeadLettered);
        Interlocked.Add(ref released, result.Released);
        Interlocked.Add(ref keptAlive, result.KeptAlive);
    }

    /// <summary>
    /// A retryable downstream failure (the first is the one the cycle reports): no lane claims again, and the
    /// task completes once the claims already under way have, so rows the caller then hands back cannot be
    /// claimed a second time in this cycle.
    /// </summary>
    public Task FailAsync(string reason)
    {
        Interlocked.CompareExchange(ref failure, reason, null);
        lock (gate)
        {
            stopped = true;
            if (claimsUnderWay == 0)
            {
                return Task.CompletedTask;
            }

            claimsFinished ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return claimsFinished.Task;
        }
    }

    /// <summary>A lane threw (typically the database is unreachable): the others would only fail the same way.</summary>
    public void Stop()
    {
        lock (gate)
        {
            stopped = true;
        }
    }

    public CycleResult ToResult() => new(
        Volatile.Read(ref collected),
        Volatile.Read(ref delivered),
        Volatile.Read(ref deadLettered),
        Volatile.Read(ref released),
        Volatile.Read(ref keptAlive),
        Volatile.Read(ref batches),
        Volatile.Read(ref failure));
}
