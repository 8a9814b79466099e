using NpgsqlTypes;
using PartialCollector.Core.Model;

namespace PartialCollector.Core.Storage;

/// <summary>One expired row claimed by a receiver; the lease and timestamp identify the claim when settling it.</summary>
/// <param name="Trace">The stored protobuf <c>TracesData</c>, as written by the exporter.</param>
/// <param name="Timestamp">The database time of the last heartbeat.</param>
/// <param name="HeartbeatUnixNano">The client's time of the last heartbeat, when known.</param>
/// <param name="Lease">The <c>leased_until</c> the claim set; the row is ours while it still holds it.</param>
/// <param name="OriginalExpiresAt">The span's exact expiry (a claim leaves it as it was).</param>
/// <param name="ClaimedAt">The database time of the claim (the collection time).</param>
/// <param name="Tenant">The tenant that wrote the span; null for rows written without one.</param>
/// <param name="ServiceName">The span's <c>service.name</c>, as the Exporter stored it; null for the original's rows.</param>
/// <param name="RowVersion">Where the claim wrote the row (its <c>ctid</c>): a settle goes straight there.</param>
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
    NpgsqlTid RowVersion = default);
