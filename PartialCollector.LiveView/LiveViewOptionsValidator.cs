using Microsoft.Extensions.Options;
using PartialCollector.Core.Tenants;

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

/// <summary>The tenants as the live view uses them: the Exporter's section, checked by the same rules.</summary>
public sealed class LiveViewTenantsOptionsValidator : IValidateOptions<LiveViewTenantsOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveViewTenantsOptions options)
    {
        var failures = new List<string>();
        TenantRules.Validate(LiveViewTenantsOptions.Section, options.Tenants, failures);
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
