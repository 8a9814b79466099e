using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PartialCollector.Migrator;

namespace PartialCollector.Tests.Infrastructure;

/// <summary>Applies the schema exactly as the Migrator does.</summary>
public static class Migrations
{
    public static Task ApplyAsync(string connectionString) =>
        new SchemaMigrator(Options.Create(new MigratorOptions()), NullLogger<SchemaMigrator>.Instance, TimeProvider.System)
            .MigrateAsync(connectionString, CancellationToken.None);
}
