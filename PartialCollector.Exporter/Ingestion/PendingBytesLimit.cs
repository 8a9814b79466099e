using Microsoft.Extensions.Options;

namespace PartialCollector.Exporter.Ingestion;

/// <summary>
/// Bounds the bytes held by requests between arrival and answer, as the OpenTelemetry Collector's memory limiter
/// does: bytes are reserved as a body arrives (before it is buffered or parsed), then for the rows it becomes;
/// above <see cref="PartialExporterOptions.MaxPendingBytes"/> the request is refused at once with a retryable
/// answer, so a slow database or a flood becomes back-pressure on clients instead of an out-of-memory kill.
/// </summary>
public sealed class PendingBytesLimit(IOptions<PartialExporterOptions> options)
{
    private readonly long max = options.Value.MaxPendingBytes;
    private long held;

    public long Held => Interlocked.Read(ref held);

    public long Max => max;

    public bool IsExceeded => Held >= max;

    /// <summary>A request's share of the limit, released when the request has been answered.</summary>
    public Reservation Begin() => new(this);

    /// <summary>Takes <paramref name="bytes"/> unless that would pass the limit; with nothing held, any one request fits.</summary>
    private bool TryReserve(long bytes)
    {
        while (true)
        {
            var current = Interlocked.Read(ref held);
            if (current > 0 && current + bytes > max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref held, current + bytes, current) == current)
            {
                return true;
            }
        }
    }

    private void Release(long bytes) => Interlocked.Add(ref held, -bytes);

    public sealed class Reservation(PendingBytesLimit limit) : IDisposable
    {
        private long bytes;

        public long Bytes => bytes;

        public bool TryAdd(long more)
        {
            if (!limit.TryReserve(more))
            {
                return false;
            }

            bytes += more;
            return true;
        }

        public void Dispose()
        {
            limit.Release(bytes);
            bytes = 0;
        }
    }
}
