using Microsoft.Extensions.Options;
using PartialCollector.Core.Tenants;

namespace PartialCollector.Exporter;

/// <summary>Refuses start-up on bad configuration, naming the key.</summary>
public sealed class PartialExporterOptionsValidator : IValidateOptions<PartialExporterOptions>
{
    public ValidateOptionsResult Validate(string? name, PartialExporterOptions options)
    {
        var failures = new List<string>();
        const string s = PartialExporterOptions.Section;
        if (!(options.ExpiryFactor > 0) || !(options.ExpiryFactor <= 1000))
        {
            failures.Add($"{s}:ExpiryFactor must be a number greater than 0 and at most 1000 (got {options.ExpiryFactor}).");
        }

        if (options.TombstoneRetention <= TimeSpan.Zero)
        {
            failures.Add($"{s}:TombstoneRetention must be positive (got {options.TombstoneRetention}).");
        }

        if (options.MinFrequency <= TimeSpan.Zero)
        {
            failures.Add($"{s}:MinFrequency must be positive (got {options.MinFrequency}).");
        }

        if (options.MaxFrequency < options.MinFrequency || options.MaxFrequency > TimeSpan.FromDays(366))
        {
            failures.Add($"{s}:MaxFrequency must be at least {s}:MinFrequency and at most 366 days (got {options.MaxFrequency}).");
        }

        if (options.DefaultFrequency < options.MinFrequency || options.DefaultFrequency > options.MaxFrequency)
        {
            failures.Add($"{s}:DefaultFrequency must be between {s}:MinFrequency and {s}:MaxFrequency (got {options.DefaultFrequency}).");
        }

        if (options.MaxSpansPerRecord is < 1 or > 100_000)
        {
            failures.Add($"{s}:MaxSpansPerRecord must be between 1 and 100000 (got {options.MaxSpansPerRecord}).");
        }

        if (options.MaxStoredSpanSize is < 1024 or > 256 * 1024 * 1024)
        {
            failures.Add($"{s}:MaxStoredSpanSize must be between 1024 and 268435456 bytes (got {options.MaxStoredSpanSize}).");
        }

        if (options.MaxExpandedRequestSize < options.MaxStoredSpanSize)
        {
            failures.Add($"{s}:MaxExpandedRequestSize must be at least {s}:MaxStoredSpanSize (got {options.MaxExpandedRequestSize}).");
        }

        if (options.MaxPendingBytes < options.MaxDecompressedBodySize + options.MaxExpandedRequestSize)
        {
            failures.Add($"{s}:MaxPendingBytes must hold at least one largest request: {s}:MaxDecompressedBodySize + {s}:MaxExpandedRequestSize (got {options.MaxPendingBytes}).");
        }

        if (options.MaxBatchSize is < 1 or > 50_000)
        {
            failures.Add($"{s}:MaxBatchSize must be between 1 and 50000 (got {options.MaxBatchSize}).");
        }

        if (options.WriteConcurrency is < 1 or > 64)
        {
            failures.Add($"{s}:WriteConcurrency must be between 1 and 64 (got {options.WriteConcurrency}).");
        }

        if (options.MaxRequestBodySize < 1024)
        {
            failures.Add($"{s}:MaxRequestBodySize must be at least 1024 bytes (got {options.MaxRequestBodySize}).");
        }

        if (options.MaxDecompressedBodySize < options.MaxRequestBodySize)
        {
            failures.Add($"{s}:MaxDecompressedBodySize must be at least {s}:MaxRequestBodySize (got {options.MaxDecompressedBodySize}).");
        }

        if (options.RetryAfter < TimeSpan.Zero)
        {
            failures.Add($"{s}:RetryAfter must not be negative (got {options.RetryAfter}).");
        }

        TenantRules.Validate(PartialExporterOptions.Section, options.Tenants, failures);
        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
