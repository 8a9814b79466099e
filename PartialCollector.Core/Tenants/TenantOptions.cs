namespace PartialCollector.Core.Tenants;

/// <summary>
/// One tenant, <c>PartialExporter:Tenants:{name}</c> (the Exporter and the live view read the same section). Keys and thumbprints are lists so they can come from
/// environment variables, user secrets or files mounted from Kubernetes secrets (<c>ApiKeys:0</c>, <c>ApiKeys:1</c>).
/// </summary>
public sealed class TenantOptions
{
    /// <summary>Bearer keys this tenant's clients send (<c>Authorization: Bearer {key}</c>); several allow rotation.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>SHA-1 thumbprints (hex) of client certificates that identify this tenant over mTLS.</summary>
    public List<string> ClientCertificateThumbprints { get; set; } = [];

    /// <summary>Log records per second this tenant may send (unset: unlimited); above it 429 / RESOURCE_EXHAUSTED.</summary>
    public int? MaxRecordsPerSecond { get; set; }

    /// <summary>Spans this tenant may keep stored at once (unset: unlimited); new spans beyond it are rejected.</summary>
    public int? MaxLiveSpans { get; set; }
}
