using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Configuration;
using PartialCollector.Migrator;

namespace PartialCollector.Core.Tests.Storage;

/// <summary>The Migrator's settings, bound and checked the way its Program does.</summary>
public sealed class MigratorOptionsTests
{
    [Theory]
    [InlineData("Migrator:StartupTimeout", "-1s", "Migrator:StartupTimeout must be between 0s and 1h")]
    [InlineData("Migrator:StartupTimeout", "2h", "Migrator:StartupTimeout must be between 0s and 1h")]
    [InlineData("Migrator:ExpiryBucket", "500ms", "Migrator:ExpiryBucket must be between 1s and 1h")]
    [InlineData("Migrator:ExpiryBucket", "1h1s", "Migrator:ExpiryBucket must be between 1s and 1h")]
    public void BadValueIsRefusedNamingTheKey(string key, string value, string message)
    {
        using var provider = Provider(new() { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MigratorOptions>>().Value);

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void GoDurationsBind()
    {
        // The AppHost sets Migrator__ExpiryBucket=5s in run mode.
        using var provider = Provider(new() { ["Migrator:ExpiryBucket"] = "5s", ["Migrator:StartupTimeout"] = "00:00:30" });

        var options = provider.GetRequiredService<IOptions<MigratorOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(5), options.ExpiryBucket);
        Assert.Equal(TimeSpan.FromSeconds(30), options.StartupTimeout);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddValidatedOptions<MigratorOptions, MigratorOptionsValidator>(configuration, MigratorOptions.Section);
        return services.BuildServiceProvider();
    }
}
