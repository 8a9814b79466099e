namespace PartialCollector.Core.Storage;

/// <summary>A claimed span bound for <c>partial_dead_letters</c>, with why it was not delivered.</summary>
public sealed record DeadLetter(ClaimedSpan Span, string Reason);
