using Microsoft.Extensions.Options;

namespace PartialCollector.Exporter;

/// <summary>Refuses start-up on bad configuration, naming the key.</summary>
public sealed class PartialExporterOptionsValidator : IValidateOptions<PartialExporterOptions>
{
    public ValidateOptionsResult Validate(string? name, PartialExporterOptions options)
    {
        var failures = new List<string>();
        const string s = PartialExporterOptions.Section;
        if (!(options.ExpiryFactor > 0) || double.IsInfinity(options.ExpiryFactor))
        {
            failures.Add($"{s}:ExpiryFactor must be a number greater than 0 (got {options.ExpiryFactor}).");
        }

        if (options.TombstoneRetention <= TimeSpan.Zero)
        {
            failures.Add($"{s}:TombstoneRetention must be positive (got {options.TombstoneRetention}).");
        }

        if (options.DefaultFrequency <= TimeSpan.Zero)
        {
            failures.Add($"{s}:DefaultFrequency must be positive (got {options.DefaultFrequency}).");
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

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
