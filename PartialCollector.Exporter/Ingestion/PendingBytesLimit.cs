using Microsoft.Extensions.Options;

namespace PartialCollector.Exporter.Ingestion;

/// <summary>
/// Bounds the bytes held by requests between arrival and commit, as the OpenTelemetry Collector's memory
/// limiter does: above <see cref="PartialExporterOptions.MaxPendingBytes"/> new requests are refused at once
/// with a retryable answer, so a slow database becomes back-pressure on clients instead of an out-of-memory kill.
/// </summary>
public sealed class PendingBytesLimit(IOptions<PartialExporterOptions> options)
{
    private readonly long max = options.Value.MaxPendingBytes;
    private long held;

    public long Held => Interlocked.Read(ref held);

    public long Max => max;

    public bool IsExceeded => Held >= max;

    /// <summary>Takes <paramref name="bytes"/> unless that would pass the limit; with nothing held, any one request fits.</summary>
    public bool TryReserve(long bytes)
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

    public void Release(long bytes) => Interlocked.Add(ref held, -bytes);
}
