using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PartialCollector.Migrator;

namespace PartialCollector.TestSupport;

/// <summary>
/// Applies the schema exactly as the Migrator does, with one-second expiry buckets so spans that tests make crash
/// are collected within a second of their expiry rather than up to the default 30 s.
/// </summary>
public static class Migrations
{
    public static Task ApplyAsync(string connectionString, TimeSpan? expiryBucket = null) =>
        new SchemaMigrator(Options.Create(new MigratorOptions { ExpiryBucket = expiryBucket ?? TimeSpan.FromSeconds(1) }), NullLogger<SchemaMigrator>.Instance, TimeProvider.System)
            .MigrateAsync(connectionString, CancellationToken.None);
}
