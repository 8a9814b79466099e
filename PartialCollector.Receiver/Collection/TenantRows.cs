using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>Rows bound for one export request, and the tenant whose header it carries (null: none).</summary>
public sealed record TenantRows(string? Tenant, List<ClaimedSpan> Rows);
