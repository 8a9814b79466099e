using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Durations;

namespace PartialCollector.Core.Configuration;

/// <summary>
/// The one way the services take their settings: a section bound to an options class, durations in Go syntax
/// (<c>5s</c>, <c>1m30s</c>) or hh:mm:ss, and an <see cref="IValidateOptions{TOptions}"/> run when the host starts.
/// Either failure stops start-up with a message naming the full key: the binder's for a value it cannot read
/// (<c>PartialExporter:RetryAfter</c>), the validator's for one it refuses (<c>PartialExporter:MaxFrequency must be ...</c>).
/// </summary>
public static class ValidatedOptionsExtensions
{
    /// <param name="section">The section's key; the validator's messages start with it.</param>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        // Process-wide and idempotent; registered here, before anything binds a TimeSpan from configuration.
        DurationTypeConverter.Register();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return services.AddOptions<TOptions>()
            .Bind(configuration.GetSection(section))
            .ValidateOnStart();
    }
}
