using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>Rows one claim returned, and when the claim started (by the local clock), which bounds how long they are ours.</summary>
public sealed record ClaimedBatch(IReadOnlyList<ClaimedSpan> Rows, long ClaimStarted);
