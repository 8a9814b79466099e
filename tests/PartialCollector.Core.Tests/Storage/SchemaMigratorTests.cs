using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using PartialCollector.Migrator;
using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

public sealed class SchemaMigratorTests
{
    [Fact]
    public async Task CreatesTheOriginalsColumnsAndRunsTwiceWithoutHarm()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateMigratedDatabaseAsync("mig");
        await Migrations.ApplyAsync(connectionString);

        var table = new PartialTracesTable(connectionString);
        var columns = await table.ScalarAsync<string>(
            "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'partial_traces'");
        Assert.StartsWith(
            "trace_id:text,span_id:text,trace:bytea,timestamp:timestamp with time zone,expires_at:timestamp with time zone",
            columns);
        // Due spans are found by expiry bucket; the exact expiry is not indexed, so heartbeats can be HOT updates.
        Assert.Equal("partial_traces_expires_bucket_idx", await table.ScalarAsync<string>(
            "SELECT string_agg(indexname, ',') FROM pg_indexes WHERE tablename = 'partial_traces' AND indexdef LIKE '%(expires_%'"));
        var scripts = typeof(PartialCollector.Migrator.SchemaMigrator).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        Assert.True(scripts >= 5, $"only {scripts} migration scripts are embedded");
        Assert.Equal(scripts, await table.ScalarAsync<long>("SELECT count(*) FROM schemaversions"));
    }

    [Fact]
    public async Task AdoptsADatabaseCreatedByTheOriginalsGolangMigrate()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("adopt");
        var table = new PartialTracesTable(connectionString);
        await table.ExecuteAsync("""
            CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
            INSERT INTO schema_migrations VALUES (1, false);
            CREATE TABLE partial_traces (
                trace_id TEXT NOT NULL, span_id TEXT NOT NULL, trace BYTEA NOT NULL,
                timestamp TIMESTAMPTZ DEFAULT NOW(), expires_at TIMESTAMPTZ,
                PRIMARY KEY (trace_id, span_id));
            CREATE INDEX idx_expires_at ON partial_traces (expires_at);
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at) VALUES ('aa', 'bb', '\x01', now());
            """);

        await Migrations.ApplyAsync(connectionString);

        Assert.Equal(1, await table.CountAsync());
        Assert.Equal("partial_traces_expires_bucket_idx", await table.ScalarAsync<string>(
            "SELECT string_agg(indexname, ',') FROM pg_indexes WHERE tablename = 'partial_traces' AND indexdef LIKE '%(expires_%'"));
        Assert.Equal(0, await table.CountTombstonesAsync());
    }

    [Fact]
    public async Task MovesTombstonesOfTheSeparateTableIntoPartialTraces()
    {
        // The schema as migrations 0001 and 0002 left it, with a live span and two tombstones (one of them
        // over a span that also has a row, as a heartbeat racing its stop could leave it).
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("tombstones");
        var table = new PartialTracesTable(connectionString);
        await table.ExecuteAsync(EmbeddedScript("0001_partial_traces.sql") + ";" + EmbeddedScript("0002_heartbeat_order_and_tombstones.sql"));
        await table.ExecuteAsync("""
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at) VALUES ('live', 'a', '\x01', now()), ('stopped', 'b', '\x01', now());
            INSERT INTO partial_tombstones VALUES ('stopped', 'b', now() + interval '1 minute'), ('gone', 'c', now() + interval '1 minute');
            """);

        await Migrations.ApplyAsync(connectionString);

        Assert.Equal(1, await table.CountAsync());
        Assert.True(await table.HasTombstoneAsync(new("stopped", "b")));
        Assert.True(await table.HasTombstoneAsync(new("gone", "c")));
        Assert.True(await table.ScalarAsync<bool>("SELECT to_regclass('partial_tombstones') IS NULL"));
    }

    [Fact]
    public async Task RefusesADirtyGolangMigrateDatabaseWithAClearMessage()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("dirty");
        await new PartialTracesTable(connectionString).ExecuteAsync(
            "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (1, true);");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrations.ApplyAsync(connectionString));

        Assert.Contains("dirty", error.Message);
    }

    [Fact]
    public async Task AcceptsTheOriginalsPostgresUrlForm()
    {
        var server = await PostgresServer.GetAsync();
        var keywords = new Npgsql.NpgsqlConnectionStringBuilder(await server.CreateEmptyDatabaseAsync("url"));
        var url = $"postgres://{keywords.Username}:{Uri.EscapeDataString(keywords.Password ?? "")}@{keywords.Host}:{keywords.Port}/{keywords.Database}?sslmode=disable";

        await Migrations.ApplyAsync(url);

        Assert.Equal(0, await new PartialTracesTable(keywords.ConnectionString).CountAsync());
    }

    [Fact]
    public async Task WaitsForTheServerToTakeWritesThenMigrates()
    {
        // As pg_auto_failover leaves a standby it is promoting: out of recovery, but read-only until the old
        // primary's demote timeout has passed. The cluster is this test's own: the shared one stays writable.
        await using var cluster = await TestClusters.StartAsync();
        var admin = new PartialTracesTable(cluster.ConnectionString + ";Pooling=false;Options=-c default_transaction_read_only=off");
        await admin.ExecuteAsync("ALTER SYSTEM SET default_transaction_read_only = on");
        await admin.ExecuteAsync("SELECT pg_reload_conf()");
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "migrated_when_writable" }.ConnectionString;
        var logger = new FakeLogger<SchemaMigrator>();
        var migrator = new SchemaMigrator(Options.Create(new MigratorOptions { StartupTimeout = TimeSpan.FromSeconds(60) }), logger, TimeProvider.System);

        var migration = migrator.MigrateAsync(connectionString, CancellationToken.None);
        await Poll.UntilAsync(
            () => Task.FromResult(logger.Collector.GetSnapshot().Count(r => r.Message.Contains("read-only", StringComparison.Ordinal))),
            n => n >= 2,
            TimeSpan.FromSeconds(30),
            "the Migrator to report the read-only server twice");
        Assert.False(migration.IsCompleted, $"the Migrator finished against a read-only server: {migration.Exception?.GetBaseException().Message}");

        await admin.ExecuteAsync("ALTER SYSTEM RESET default_transaction_read_only");
        await admin.ExecuteAsync("SELECT pg_reload_conf()");
        await migration.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }

    [Fact]
    public async Task GivesUpOnAServerThatStaysReadOnlyAfterTheStartupTimeout()
    {
        await using var cluster = await TestClusters.StartAsync("default_transaction_read_only=on");
        var migrator = new SchemaMigrator(
            Options.Create(new MigratorOptions { StartupTimeout = TimeSpan.FromSeconds(1) }), new FakeLogger<SchemaMigrator>(), TimeProvider.System);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => migrator.MigrateAsync(cluster.ConnectionString, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("Migrator:StartupTimeout", error.Message);
        Assert.Contains("read-only", error.Message);
    }

    private static string EmbeddedScript(string name)
    {
        var assembly = typeof(PartialCollector.Migrator.SchemaMigrator).Assembly;
        var resource = assembly.GetManifestResourceNames().Single(n => n.EndsWith("." + name, StringComparison.Ordinal));
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return reader.ReadToEnd();
    }
}
