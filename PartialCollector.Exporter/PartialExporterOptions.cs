using PartialCollector.Core.Codecs;
using PartialCollector.Core.Tenants;
using PartialCollector.Exporter.Tenants;

namespace PartialCollector.Exporter;

/// <summary>Configuration section <c>PartialExporter</c>. Durations accept Go syntax (<c>5s</c>) or hh:mm:ss.</summary>
public sealed class PartialExporterOptions
{
    public const string Section = "PartialExporter";

    /// <summary>A span expires <c>frequency × ExpiryFactor</c> after its last heartbeat.</summary>
    public double ExpiryFactor { get; set; } = 3;

    /// <summary>How long a stopped span's tombstone keeps late heartbeats from bringing it back.</summary>
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Heartbeat interval assumed for the <c>span.state</c> alias, whose clients send no frequency.</summary>
    public TimeSpan DefaultFrequency { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Shortest <c>partial.frequency</c> accepted; shorter ones are rejected as <c>invalid_frequency</c>.</summary>
    public TimeSpan MinFrequency { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest <c>partial.frequency</c> accepted: with <see cref="ExpiryFactor"/>, how long a crash may stay unnoticed.</summary>
    public TimeSpan MaxFrequency { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Spans one log record may carry (every known client sends one); more is rejected as <c>too_many_spans</c>.</summary>
    public int MaxSpansPerRecord { get; set; } = 1000;

    /// <summary>Bytes of one stored span after the log's attributes and resource are merged in (<c>span_too_large</c> above).</summary>
    public int MaxStoredSpanSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// Bytes of stored spans one request may expand into: records past it are rejected as <c>request_too_large</c>,
    /// so a small request whose record carries large attributes and many spans cannot become gigabytes of rows.
    /// </summary>
    public long MaxExpandedRequestSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Bytes held by requests waiting for the database (their bodies and rows); above it new requests get 503 /
    /// UNAVAILABLE at once, so a slow database becomes back-pressure rather than an out-of-memory kill.
    /// </summary>
    public long MaxPendingBytes { get; set; } = 256 * 1024 * 1024;

    /// <summary>Most span rows in one database round trip; concurrent requests share it up to this size.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>
    /// Database round trips in flight at once (each on its own pooled connection). Fewer round trips gather more
    /// rows each, which costs PostgreSQL less per row: 2 beat 4 and 8 by a third at one record per request
    /// (docs/benchmarks.md); a second one keeps the database busy while the first one's answer travels.
    /// </summary>
    public int WriteConcurrency { get; set; } = 2;

    /// <summary>Largest request body accepted, as sent (413 / RESOURCE_EXHAUSTED above it).</summary>
    public long MaxRequestBodySize { get; set; } = 8 * 1024 * 1024;

    /// <summary>Largest body after gzip decompression, against decompression bombs.</summary>
    public long MaxDecompressedBodySize { get; set; } = 32 * 1024 * 1024;

    /// <summary>Trace each group-commit write (a database span per batch); off by default, as they would bury the traces people look for.</summary>
    public bool TraceDatabaseWrites { get; set; }

    /// <summary>Sent as Retry-After with 503 when the database is unavailable or the memory limit is reached.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Tenants by name. None: ingestion is open (and start-up says so). Any: every request must carry a tenant's
    /// key (or, over mTLS, certificate), and each span belongs to the tenant that first wrote it.
    /// </summary>
    public Dictionary<string, TenantOptions> Tenants { get; set; } = new(StringComparer.Ordinal);

    public DecodeLimits ToDecodeLimits() => new()
    {
        AliasDefaultFrequency = DefaultFrequency,
        MinFrequency = MinFrequency,
        MaxFrequency = MaxFrequency,
        MaxSpansPerRecord = MaxSpansPerRecord,
        MaxStoredSpanSize = MaxStoredSpanSize,
    };
}
