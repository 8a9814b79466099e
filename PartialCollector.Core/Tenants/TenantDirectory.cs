using System.Security.Cryptography;
using System.Text;

namespace PartialCollector.Core.Tenants;

/// <summary>
/// Who a credential belongs to. Keys are kept as SHA-256 digests and every stored digest is compared, in
/// constant time, on every lookup: neither the time taken nor a log line tells an attacker anything about a key.
/// </summary>
public sealed class TenantDirectory
{
    private readonly List<(byte[] Digest, string Tenant)> keys = [];
    private readonly Dictionary<string, string> thumbprints = new(StringComparer.OrdinalIgnoreCase);

    public TenantDirectory(IReadOnlyDictionary<string, TenantOptions> tenants)
    {
        foreach (var (name, tenant) in tenants)
        {
            keys.AddRange(tenant.ApiKeys.Select(k => (Digest(k), name)));
            foreach (var thumbprint in tenant.ClientCertificateThumbprints)
            {
                thumbprints[Normalize(thumbprint)] = name;
            }
        }

        Tenants = tenants;
    }

    /// <summary>With no tenant configured, ingestion is open: no credential is asked for.</summary>
    public bool IsOpen => Tenants.Count == 0;

    public IReadOnlyDictionary<string, TenantOptions> Tenants { get; }

    public string? FindByKey(string presented)
    {
        var digest = Digest(presented);
        string? found = null;
        foreach (var (candidate, tenant) in keys)
        {
            // No early exit: every lookup costs the same whichever key matches.
            if (CryptographicOperations.FixedTimeEquals(candidate, digest))
            {
                found = tenant;
            }
        }

        return found;
    }

    public string? FindByThumbprint(string thumbprint) => thumbprints.GetValueOrDefault(Normalize(thumbprint));

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static string Normalize(string thumbprint) => thumbprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
}
