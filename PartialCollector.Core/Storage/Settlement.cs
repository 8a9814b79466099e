namespace PartialCollector.Core.Storage;

/// <summary>What became of one claimed batch; applied in one round trip by <see cref="CollectionStore.SettleAsync"/>.</summary>
public sealed class Settlement
{
    /// <summary>Accepted downstream: done (their crash records stay for the live view).</summary>
    public List<ClaimedSpan> Delivered { get; } = [];

    /// <summary>Delivered spans also copied to the dead letters (the downstream rejected some of them).</summary>
    public List<DeadLetter> Copies { get; } = [];

    /// <summary>Never deliverable: their crash records are moved to the dead letters.</summary>
    public List<DeadLetter> DeadLetters { get; } = [];

    /// <summary>Not delivered for a passing reason: their batch is due again at once, with only these spans.</summary>
    public List<ClaimedSpan> Released { get; } = [];

    public bool IsEmpty => Delivered.Count == 0 && Copies.Count == 0 && DeadLetters.Count == 0 && Released.Count == 0;
}
