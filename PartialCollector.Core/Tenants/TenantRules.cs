using System.Text.RegularExpressions;

namespace PartialCollector.Core.Tenants;

/// <summary>
/// What makes <c>PartialExporter:Tenants</c> valid. The Exporter and the live view read the same section, so both
/// check it here, and a configuration one of them accepts the other does not refuse.
/// </summary>
public static partial class TenantRules
{
    /// <summary>Adds a message naming the full key for each problem in <paramref name="tenants"/>, read from <paramref name="section"/>.</summary>
    public static void Validate(string section, IReadOnlyDictionary<string, TenantOptions> tenants, List<string> failures)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tenant) in tenants)
        {
            var t = $"{section}:Tenants:{name}";
            if (!TenantName().IsMatch(name))
            {
                failures.Add($"{t}: a tenant name is 1 to 64 letters, digits, '.', '_' or '-' (it travels in a header).");
            }

            if (tenant.ApiKeys.Count == 0 && tenant.ClientCertificateThumbprints.Count == 0)
            {
                failures.Add($"{t}:ApiKeys must hold at least one key (or {t}:ClientCertificateThumbprints one thumbprint).");
            }

            for (var i = 0; i < tenant.ApiKeys.Count; i++)
            {
                // The key itself never goes into a message.
                if (tenant.ApiKeys[i].Trim().Length < 16)
                {
                    failures.Add($"{t}:ApiKeys:{i} must be at least 16 characters.");
                }
                else if (!keys.Add(tenant.ApiKeys[i].Trim()))
                {
                    failures.Add($"{t}:ApiKeys:{i} is also another tenant's key.");
                }
            }

            for (var i = 0; i < tenant.ClientCertificateThumbprints.Count; i++)
            {
                if (!Thumbprint().IsMatch(tenant.ClientCertificateThumbprints[i]))
                {
                    failures.Add($"{t}:ClientCertificateThumbprints:{i} must be a SHA-1 thumbprint: 40 hexadecimal digits.");
                }
            }

            if (tenant.MaxRecordsPerSecond is < 1)
            {
                failures.Add($"{t}:MaxRecordsPerSecond must be at least 1, or unset for no limit (got {tenant.MaxRecordsPerSecond}).");
            }

            if (tenant.MaxLiveSpans is < 1)
            {
                failures.Add($"{t}:MaxLiveSpans must be at least 1, or unset for no limit (got {tenant.MaxLiveSpans}).");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex TenantName();

    [GeneratedRegex("^([0-9A-Fa-f]{2}[: ]?){19}[0-9A-Fa-f]{2}$")]
    private static partial Regex Thumbprint();
}
