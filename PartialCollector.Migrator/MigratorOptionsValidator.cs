using Microsoft.Extensions.Options;

namespace PartialCollector.Migrator;

/// <summary>Refuses start-up on bad configuration, naming the key.</summary>
public sealed class MigratorOptionsValidator : IValidateOptions<MigratorOptions>
{
    public ValidateOptionsResult Validate(string? name, MigratorOptions options)
    {
        var failures = new List<string>();
        const string s = MigratorOptions.Section;
        if (options.StartupTimeout < TimeSpan.Zero || options.StartupTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:StartupTimeout must be between 0s and 1h (got {options.StartupTimeout}).");
        }

        if (options.ExpiryBucket < TimeSpan.FromSeconds(1) || options.ExpiryBucket > TimeSpan.FromHours(1))
        {
            failures.Add($"{s}:ExpiryBucket must be between 1s and 1h (got {options.ExpiryBucket}).");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
