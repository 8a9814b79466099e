using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>What sending one claimed batch came to: the settlement to apply, export requests sent, and why it stopped early.</summary>
public sealed record BatchOutcome(Settlement Settlement, int Requests, string? Failure);
