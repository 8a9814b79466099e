using DbUp;
using Microsoft.Extensions.Options;
using Npgsql;
using PartialCollector.Core.Storage;

namespace PartialCollector.Migrator;

/// <summary>
/// Applies the embedded, versioned SQL scripts in <c>Migrations/</c> with DbUp (journal table
/// <c>schemaversions</c>). Waits while PostgreSQL is still starting or failing over (until a server takes writes); adopts a database the original's
/// golang-migrate created (its <c>schema_migrations</c> table) since every script is idempotent.
/// </summary>
public sealed partial class SchemaMigrator(IOptions<MigratorOptions> options, ILogger<SchemaMigrator> logger, TimeProvider time)
{
    public async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        var normalized = PostgresConnectionString.Normalize(connectionString);
        var log = new UpgradeLogAdapter(logger);
        await WaitForWritablePrimaryAsync(normalized, cancellationToken);
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
        LogUpToDate(result.Scripts.Count());
    }

    /// <summary>
    /// Waits, within <see cref="MigratorOptions.StartupTimeout"/>, until a server accepts connections and takes
    /// writes: not starting up, not a standby in recovery, not read-only. During a failover the Migrator meets every
    /// one of these (no host answers, no host is primary yet, or pg_auto_failover's promoted standby still refuses
    /// writes with <c>default_transaction_read_only</c> until the old primary's demote timeout has passed), so it
    /// waits them out instead of failing.
    /// </summary>
    private async Task WaitForWritablePrimaryAsync(string connectionString, CancellationToken cancellationToken)
    {
        // Connect to the maintenance database: the target database may not exist yet.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        var deadline = time.GetUtcNow() + options.Value.StartupTimeout;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            string reason;
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'", connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                var (inRecovery, readOnly) = (reader.GetBoolean(0), reader.GetBoolean(1));
                if (!inRecovery && !readOnly)
                {
                    return;
                }

                reason = inRecovery ? "it is a standby in recovery" : "it is read-only (default_transaction_read_only)";
                if (time.GetUtcNow() >= deadline)
                {
                    throw new InvalidOperationException(
                        $"PostgreSQL at {builder.Host}:{builder.Port} took no writes within {options.Value.StartupTimeout} (Migrator:StartupTimeout): {reason}.");
                }
            }
            catch (Exception e) when (IsWorthWaitingFor(e) && time.GetUtcNow() < deadline)
            {
                reason = e.Message;
            }

            LogNotReady(builder.Host, builder.Port, reason);
            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }
    }

    /// <summary>
    /// Errors a starting or failing-over server gives: no connection at all (refused, reset, no host of a multi-host
    /// string is a primary yet), the server starting up or shutting down, or a read-only transaction. A server that
    /// answers with anything else (a wrong password, a missing role) is refused at once.
    /// </summary>
    private static bool IsWorthWaitingFor(Exception e) => e switch
    {
        PostgresException p => p.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown
            or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.ReadOnlySqlTransaction,
        NpgsqlException => true,
        TimeoutException => true,
        _ => false,
    };

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

                LogAdopting(version);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No golang-migrate history: a database of our own.
        }
    }

    [LoggerMessage(LogLevel.Information, "Schema is up to date ({Count} scripts applied now)")]
    private partial void LogUpToDate(int count);

    [LoggerMessage(LogLevel.Information, "PostgreSQL at {Host}:{Port} is not ready for writes yet ({Reason}); retrying")]
    private partial void LogNotReady(string? host, int port, string reason);

    [LoggerMessage(LogLevel.Information, "Adopting a database created by the original implementation (golang-migrate version {Version})")]
    private partial void LogAdopting(long version);

    [LoggerMessage(LogLevel.Critical, "Migration failed: {Reason}")]
    internal static partial void LogFailed(ILogger logger, Exception e, string reason);
}
