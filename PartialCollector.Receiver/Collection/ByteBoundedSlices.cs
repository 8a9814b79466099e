using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Cuts claimed rows, in order, into runs whose export request should stay under <c>MaxBatchBytes</c>, judged by
/// the stored size, which bounds the request when each row holds one span (as the Exporter stores
/// them); <see cref="BatchSender"/> measures requests with rows of several spans. A row larger than the bound on
/// its own is a run of one.
/// </summary>
public static class ByteBoundedSlices
{
    /// <summary>
    /// What decorating adds to a span at most: the <c>partial.gc</c> attribute, an end time, an error status with
    /// its message, and longer length prefixes of the messages around it. Grouping spans by resource and scope
    /// only ever shrinks the request.
    /// </summary>
    public const int DecorationBytes = 160;

    public static List<List<ClaimedSpan>> Cut(IReadOnlyList<ClaimedSpan> rows, int maxBytes)
    {
        var slices = new List<List<ClaimedSpan>>();
        var current = new List<ClaimedSpan>();
        long bytes = 0;
        foreach (var row in rows)
        {
            var size = (long)row.Trace.Length + DecorationBytes;
            if (current.Count > 0 && bytes + size > maxBytes)
            {
                slices.Add(current);
                current = [];
                bytes = 0;
            }

            current.Add(row);
            bytes += size;
        }

        if (current.Count > 0)
        {
            slices.Add(current);
        }

        return slices;
    }
}
