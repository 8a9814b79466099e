namespace PartialCollector.Receiver.Collection;

/// <summary>What one collection cycle did, in rows.</summary>
/// <param name="Collected">Rows claimed.</param>
/// <param name="Delivered">Rows accepted downstream and deleted.</param>
/// <param name="DeadLettered">Rows moved (or, for partial rejections, copied) to the dead letters.</param>
/// <param name="Released">Rows handed back after a retryable failure.</param>
/// <param name="LeaseLost">Claimed spans another receiver took over after the lease ran out.</param>
/// <param name="Batches">Export requests sent.</param>
/// <param name="Failure">Why the cycle stopped early (a retryable downstream failure), else null.</param>
public sealed record CycleResult(int Collected, int Delivered, int DeadLettered, int Released, int LeaseLost, int Batches, string? Failure)
{
    public bool Failed => Failure is not null;
}
