using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace PartialCollector.LiveView;

/// <summary>Refuses start-up on bad configuration, naming the key.</summary>
public sealed class LiveViewOptionsValidator : IValidateOptions<LiveViewOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveViewOptions options)
    {
        var failures = new List<string>();
        const string s = LiveViewOptions.Section;
        if (!string.IsNullOrWhiteSpace(options.TraceUrlTemplate))
        {
            var sample = options.TraceUrl(new string('0', 32), new string('0', 16))!;
            if (!options.TraceUrlTemplate.Contains("{traceId}", StringComparison.Ordinal))
            {
                failures.Add($"{s}:TraceUrlTemplate must contain {{traceId}} (got '{options.TraceUrlTemplate}').");
            }
            else if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{s}:TraceUrlTemplate must be an absolute http or https URL once {{traceId}} and {{spanId}} are filled in (got '{options.TraceUrlTemplate}').");
            }
        }

        if (options.RefreshInterval < TimeSpan.FromMilliseconds(100) || options.RefreshInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:RefreshInterval must be between 100ms and 1h (got {options.RefreshInterval}).");
        }

        if (options.MaxServiceSeries is < 1 or > 10_000)
        {
            failures.Add($"{s}:MaxServiceSeries must be between 1 and 10000 (got {options.MaxServiceSeries}).");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

/// <summary>The tenants' keys as the live view uses them: the same rules as the Exporter's, so one section serves both.</summary>
public sealed partial class LiveViewTenantsOptionsValidator : IValidateOptions<LiveViewTenantsOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveViewTenantsOptions options)
    {
        var failures = new List<string>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (tenant, settings) in options.Tenants)
        {
            var t = $"{LiveViewTenantsOptions.Section}:Tenants:{tenant}";
            if (!TenantName().IsMatch(tenant))
            {
                failures.Add($"{t}: a tenant name is 1 to 64 letters, digits, '.', '_' or '-'.");
            }

            for (var i = 0; i < settings.ApiKeys.Count; i++)
            {
                // The key itself never goes into a message.
                if (settings.ApiKeys[i].Trim().Length < 16)
                {
                    failures.Add($"{t}:ApiKeys:{i} must be at least 16 characters.");
                }
                else if (!keys.Add(settings.ApiKeys[i].Trim()))
                {
                    failures.Add($"{t}:ApiKeys:{i} is also another tenant's key.");
                }
            }
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex TenantName();
}
