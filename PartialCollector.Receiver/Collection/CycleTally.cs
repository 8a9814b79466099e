using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// What one collection cycle has done so far, in rows and requests, and the first failure. The claimer and the
/// senders add to it concurrently, hence the interlocked counters; the cycle reads it, also after one of them threw.
/// It coordinates nothing: that is the channel's job (see <see cref="CycleDrain"/>).
/// </summary>
public sealed class CycleTally
{
    private int collected, delivered, deadLettered, released, leaseLost, requests;
    private string? failure;

    public void Claimed(int rows) => Interlocked.Add(ref collected, rows);

    public void Sent(int count) => Interlocked.Add(ref requests, count);

    public void Settled(SettleResult result)
    {
        Interlocked.Add(ref delivered, result.Deleted);
        Interlocked.Add(ref deadLettered, result.DeadLettered);
        Interlocked.Add(ref released, result.Released);
        Interlocked.Add(ref leaseLost, result.LeaseLost);
    }

    /// <summary>Keeps the first reason: the one the cycle reports.</summary>
    public void Failed(string reason) => Interlocked.CompareExchange(ref failure, reason, null);

    public CycleResult ToResult() => new(
        Volatile.Read(ref collected),
        Volatile.Read(ref delivered),
        Volatile.Read(ref deadLettered),
        Volatile.Read(ref released),
        Volatile.Read(ref leaseLost),
        Volatile.Read(ref requests),
        Volatile.Read(ref failure));
}
