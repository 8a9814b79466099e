namespace PartialCollector.Core.Codecs;

public enum DecodeStatus
{
    Accepted,

    /// <summary>No recognised partial event: not ours, counted but not an error.</summary>
    Ignored,
    Rejected,
}

/// <summary>What became of one log record; <see cref="Detail"/> explains a rejection to the client.</summary>
public readonly record struct DecodeOutcome(DecodeStatus Status, RejectReason Reason = RejectReason.None, string? Detail = null)
{
    public static DecodeOutcome Accepted { get; } = new(DecodeStatus.Accepted);

    public static DecodeOutcome Ignored { get; } = new(DecodeStatus.Ignored);

    public static DecodeOutcome Reject(RejectReason reason, string detail) => new(DecodeStatus.Rejected, reason, detail);
}
