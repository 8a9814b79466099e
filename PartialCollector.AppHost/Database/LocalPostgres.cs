using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PartialCollector.LocalPostgres;

namespace PartialCollector.AppHost.Database;

/// <summary>
/// PostgreSQL started from the machine's own binaries, for run mode on a machine with no container engine.
/// <c>postgres</c> runs in the foreground as an executable resource, so the dashboard shows its state and logs
/// and stopping the AppHost stops it. The cluster lives in <c>.pgdata/</c> beside the AppHost project (kept
/// across runs; delete the folder to start over), is created with <c>initdb</c> on first use, listens on
/// 127.0.0.1 only, on a free port chosen at each start, with a generated password. PostgreSQL refuses to run as
/// root, so as root it runs as the <c>postgres</c> user. The Migrator creates the database itself. Finding the
/// binaries, switching user, initdb and the server's arguments are PartialCollector.LocalPostgres's, shared with
/// the tests and the benchmark.
/// </summary>
internal static class LocalPostgres
{
    public const string Section = "LocalPostgres";

    /// <summary>Where the binaries are: <c>LocalPostgres:BinDirectory</c>, <c>PG_BIN</c>, the newest <c>/usr/lib/postgresql/N/bin</c>, then <c>PATH</c>.</summary>
    public static string? FindBinDirectory(IConfiguration configuration) => PostgresBinaries.Find(configuration[$"{Section}:BinDirectory"]);

    /// <summary>Prepares the cluster (initdb on first use) and declares the server and the <c>partials</c> connection string.</summary>
    public static PartialsDatabase Add(IDistributedApplicationBuilder builder, string binDirectory, string connectionName)
    {
        var root = DataRoot(builder);
        var dataDirectory = Path.Combine(root, "data");
        var password = PrepareCluster(binDirectory, root, dataDirectory);
        var port = builder.Configuration.GetValue<int?>($"{Section}:Port") ?? LocalPostgresCluster.FreePort();

        var (command, arguments) = PostgresUser.CommandLine(Path.Combine(binDirectory, "postgres"), LocalPostgresCluster.ServerArguments(dataDirectory, port));

        var healthCheckKey = "local-postgres-accepts-connections";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, new TcpHealthCheck(port));

        var server = builder.AddExecutable("postgres", command, root, arguments)
            .WithEndpoint(name: "tcp", scheme: "tcp", port: port, targetPort: port, isProxied: false)
            .WithHealthCheck(healthCheckKey);

        var passwordParameter = builder.AddParameter("postgres-password", password, secret: true);
        var database = builder.AddConnectionString(
                connectionName,
                ReferenceExpression.Create($"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Password={passwordParameter};Database={connectionName}"))
            .WithParentRelationship(server);

        return new PartialsDatabase(database, server, $"local PostgreSQL from {binDirectory}, data in {dataDirectory}, port {port}");
    }

    /// <summary>
    /// <c>{section}:DataDirectory</c>, else <paramref name="folder"/> beside the AppHost project, else (the postgres user
    /// cannot reach the project) a folder of the temp directory, one per AppHost location.
    /// </summary>
    internal static string DataRoot(IDistributedApplicationBuilder builder, string section = Section, string folder = ".pgdata")
    {
        if (builder.Configuration[$"{section}:DataDirectory"] is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured, builder.AppHostDirectory);
        }

        if (PostgresUser.CanEnter(builder.AppHostDirectory))
        {
            return Path.Combine(builder.AppHostDirectory, folder);
        }

        // The postgres user cannot reach the project folder (e.g. a clone under /root): keep the data in the
        // temp folder instead, one cluster per AppHost location.
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(builder.AppHostDirectory)))[..12];
        return Path.Combine(Path.GetTempPath(), $"partialcollector{folder.Replace('.', '-')}-{hash}");
    }

    /// <summary>Creates the cluster when it is new, stops a server an earlier run left behind, returns the password.</summary>
    private static string PrepareCluster(string bin, string root, string dataDirectory)
    {
        Directory.CreateDirectory(root);
        var passwordFile = Path.Combine(root, "password");

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            LocalPostgresCluster.Initialize(bin, dataDirectory, password);
            File.WriteAllText(passwordFile, password);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            return password;
        }

        if (!File.Exists(passwordFile))
        {
            throw new InvalidOperationException(
                $"The local PostgreSQL cluster in {dataDirectory} has no password file {passwordFile}; delete {root} to create a new cluster.");
        }

        if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            // A server from an earlier run that did not stop (or a stale pid file: pg_ctl then just says so).
            PostgresUser.RunProgram(Path.Combine(bin, "pg_ctl"), ["-D", dataDirectory, "-m", "fast", "-w", "-t", "30", "stop"], throwOnFailure: false);
        }

        return File.ReadAllText(passwordFile).Trim();
    }

    /// <summary>Healthy once the server accepts TCP connections; the Migrator waits out the rest of start-up itself.</summary>
    internal sealed class TcpHealthCheck(int port) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (SocketException e)
            {
                return HealthCheckResult.Unhealthy($"127.0.0.1:{port} refuses connections: {e.Message}");
            }
        }
    }
}
