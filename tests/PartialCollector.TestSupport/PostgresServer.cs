using Npgsql;
using PartialCollector.Core.Storage;
using PartialCollector.LocalPostgres;
using Testcontainers.PostgreSql;

namespace PartialCollector.TestSupport;

/// <summary>
/// One real PostgreSQL server for each test process (one per test assembly), from the first source that works:
/// <c>ConnectionStrings__partials</c> from the environment (shared by every assembly: database names carry the
/// process id), else Testcontainers when Docker is there, else a throwaway cluster from the machine's PostgreSQL
/// binaries (<see cref="TestClusters"/>: its own port and folder). Each test asks it for a fresh, migrated database
/// of its own.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private static int databaseCounter;
    private readonly string adminConnectionString;

    private PostgresServer(string adminConnectionString, string source)
    {
        this.adminConnectionString = adminConnectionString;
        Source = source;
    }

    public string Source { get; }

    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Creates an empty database (no schema) and returns its connection string.</summary>
    public async Task<string> CreateEmptyDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref databaseCounter)}";
        await using (var connection = new NpgsqlConnection(adminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Creates a database and applies the Migrator's schema to it.</summary>
    public async Task<string> CreateMigratedDatabaseAsync(string prefix = "t")
    {
        var connectionString = await CreateEmptyDatabaseAsync(prefix);
        await Migrations.ApplyAsync(connectionString);
        return connectionString;
    }

    private static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(PartialsConnection.EnvironmentVariable) is { Length: > 0 } configured)
        {
            return new PostgresServer(PostgresConnectionString.Normalize(configured), PartialsConnection.EnvironmentVariable);
        }

        if (DockerIsAvailable())
        {
            var container = new PostgreSqlBuilder("postgres:17").Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return new PostgresServer(container.GetConnectionString(), "Testcontainers");
        }

        if (PostgresBinaries.Find() is not null)
        {
            // Its own cluster, port and folder in each test process (each test assembly), removed when the process exits.
            var cluster = await TestClusters.StartAsync();
            return new PostgresServer(cluster.ConnectionString, $"local binaries in {cluster.BinDirectory}");
        }

        throw new InvalidOperationException(
            "No PostgreSQL for the tests. Provide one of: (1) ConnectionStrings__partials pointing at a server the tests may create databases on; " +
            "(2) a running Docker engine, for Testcontainers; (3) PostgreSQL's binaries (initdb, pg_ctl) under /usr/lib/postgresql/<version>/bin, on PATH, or in PG_BIN " +
            "(Debian: apt-get install postgresql).");
    }

    private static bool DockerIsAvailable()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 })
        {
            return true;
        }

        const string socket = "/var/run/docker.sock";
        if (!File.Exists(socket))
        {
            return false;
        }

        try
        {
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
