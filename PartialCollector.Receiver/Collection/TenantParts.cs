using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Splits claimed rows by tenant, when requests are routed by tenant: one part per tenant (rows without one form
/// their own part), each in claim order, the parts in the order of their oldest row. Otherwise all rows are one part,
/// which carries no tenant.
/// </summary>
public static class TenantParts
{
    public static List<TenantRows> Split(IReadOnlyList<ClaimedSpan> rows, bool byTenant) => byTenant
        ? [.. rows.GroupBy(r => r.Tenant, StringComparer.Ordinal).Select(part => new TenantRows(part.Key, [.. part]))]
        : [new TenantRows(null, [.. rows])];
}
