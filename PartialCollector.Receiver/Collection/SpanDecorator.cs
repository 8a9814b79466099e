using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Turns claimed rows into one encoded export request: each span marked <c>partial.gc = true</c>, given an end
/// time and (optionally) an error status, and spans of the same resource and scope grouped together (see
/// <see cref="SpanSplicer"/>). A row that is empty, malformed or holds no span is set apart with the reason.
/// </summary>
public sealed class SpanDecorator(IOptions<PartialReceiverOptions> options)
{
    public const string ErrorMessage = "span ended without a stop event (collected by partial.gc)";

    public DecoratedBatch Decorate(IReadOnlyList<ClaimedSpan> claimed)
    {
        var settings = options.Value;
        var splicer = new SpanSplicer(settings.MarkAsError);
        var sendable = new List<ClaimedSpan>(claimed.Count);
        var undeliverable = new List<DeadLetter>();
        foreach (var row in claimed)
        {
            if (splicer.Add(row.Trace, EndTime(row, settings.EndTime)) is { } reason)
            {
                undeliverable.Add(new DeadLetter(row, reason));
            }
            else
            {
                sendable.Add(row);
            }
        }

        return new DecoratedBatch(splicer.ToArray(), splicer.SpanCount, sendable, undeliverable);
    }

    /// <summary>
    /// The last heartbeat by the client's own clock when the exporter recorded it (the same clock as the
    /// span's start time), else by the database's; or the database time of the claim.
    /// </summary>
    private static ulong EndTime(ClaimedSpan row, EndTimeSource source) => source switch
    {
        EndTimeSource.CollectionTime => UnixNano(row.ClaimedAt),
        _ => row.HeartbeatUnixNano is { } client and > 0 ? (ulong)client : UnixNano(row.Timestamp),
    };

    private static ulong UnixNano(DateTime utc) => (ulong)Math.Max(0, (utc - DateTime.UnixEpoch).Ticks) * 100;
}
