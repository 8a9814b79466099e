using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>One expired span claimed by a receiver: moved to its crash record, in a batch under a lease.</summary>
/// <param name="Trace">The stored protobuf <c>TracesData</c>, as written by the exporter.</param>
/// <param name="Timestamp">The database time of the last heartbeat.</param>
/// <param name="HeartbeatUnixNano">The client's time of the last heartbeat, when known.</param>
/// <param name="Lease">The batch's lease as the claim set it; the batch is ours while it still holds it.</param>
/// <param name="OriginalExpiresAt">The span's exact expiry (a claim leaves it as it was).</param>
/// <param name="ClaimedAt">The database time of the first claim (the collection time), also when the batch is claimed again.</param>
/// <param name="Tenant">The tenant that wrote the span; null for rows written without one.</param>
/// <param name="ServiceName">The span's <c>service.name</c>, as the Exporter stored it; null for the original's rows.</param>
/// <param name="CollectedId">Its crash record's id in <c>partial_collected</c>.</param>
/// <param name="BatchId">The claimed batch it belongs to, in <c>partial_collection_batches</c>.</param>
public sealed record ClaimedSpan(
    SpanKey Key,
    byte[] Trace,
    DateTime Timestamp,
    long? HeartbeatUnixNano,
    DateTime Lease,
    DateTime OriginalExpiresAt,
    DateTime ClaimedAt,
    string? Tenant = null,
    string? ServiceName = null,
    long CollectedId = 0,
    long BatchId = 0);
