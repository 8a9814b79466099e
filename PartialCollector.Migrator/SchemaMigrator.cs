using DbUp;
using Microsoft.Extensions.Options;
using Npgsql;
using PartialCollector.Core.Storage;

namespace PartialCollector.Migrator;

/// <summary>
/// Applies the embedded, versioned SQL scripts in <c>Migrations/</c> with DbUp (journal table
/// <c>schemaversions</c>). Waits while PostgreSQL is still starting; adopts a database the original's
/// golang-migrate created (its <c>schema_migrations</c> table) since every script is idempotent.
/// </summary>
public sealed class SchemaMigrator(IOptions<MigratorOptions> options, ILogger<SchemaMigrator> logger, TimeProvider time)
{
    public const string ConnectionName = "partials";

    public async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        var normalized = PostgresConnectionString.Normalize(connectionString);
        var log = new UpgradeLogAdapter(logger);
        await WaitForServerAsync(normalized, cancellationToken);
        EnsureDatabase.For.PostgresqlDatabase(normalized, log);
        await CheckGolangMigrateStateAsync(normalized, cancellationToken);

        var result = DeployChanges.To.PostgresqlDatabase(normalized)
            .WithScriptsEmbeddedInAssembly(typeof(SchemaMigrator).Assembly, name => name.EndsWith(".sql", StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogTo(log)
            .Build()
            .PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Migration script '{result.ErrorScript?.Name}' failed: {result.Error?.Message}", result.Error);
        }

        await ExpiryBucket.EnsureAsync(normalized, options.Value.ExpiryBucket, cancellationToken);
        logger.LogInformation("Schema is up to date ({Count} scripts applied now)", result.Scripts.Count());
    }

    private async Task WaitForServerAsync(string connectionString, CancellationToken cancellationToken)
    {
        // Connect to the maintenance database: the target database may not exist yet.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        var deadline = time.GetUtcNow() + options.Value.StartupTimeout;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (e is NpgsqlException { IsTransient: true } or PostgresException { SqlState: "57P03" } && time.GetUtcNow() < deadline)
            {
                logger.LogInformation("PostgreSQL at {Host}:{Port} is not ready yet ({Reason}); retrying", builder.Host, builder.Port, e.Message);
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task CheckGolangMigrateStateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT version, dirty FROM schema_migrations WHERE to_regclass('schema_migrations') IS NOT NULL", connection);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var version = reader.GetInt64(0);
                if (reader.GetBoolean(1))
                {
                    throw new InvalidOperationException(
                        $"The original implementation's golang-migrate left this database dirty at version {version}; fix it with 'migrate force' before adopting it.");
                }

                logger.LogInformation("Adopting a database created by the original implementation (golang-migrate version {Version})", version);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No golang-migrate history: a database of our own.
        }
    }
}
