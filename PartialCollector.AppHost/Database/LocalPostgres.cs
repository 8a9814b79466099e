using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PartialCollector.AppHost.Database;

/// <summary>
/// PostgreSQL started from the machine's own binaries, for run mode on a machine with no container engine.
/// <c>postgres</c> runs in the foreground as an executable resource, so the dashboard shows its state and logs
/// and stopping the AppHost stops it. The cluster lives in <c>.pgdata/</c> beside the AppHost project (kept
/// across runs; delete the folder to start over), is created with <c>initdb</c> on first use, listens on
/// 127.0.0.1 only, on a free port chosen at each start, with a generated password. PostgreSQL refuses to run as
/// root, so as root it runs as the <c>postgres</c> user. The Migrator creates the database itself.
/// </summary>
internal static class LocalPostgres
{
    public const string Section = "LocalPostgres";
    internal const string ServiceUser = "postgres";

    /// <summary>Where the binaries are: <c>LocalPostgres:BinDirectory</c>, <c>PG_BIN</c>, the newest <c>/usr/lib/postgresql/N/bin</c>, then <c>PATH</c>.</summary>
    public static string? FindBinDirectory(IConfiguration configuration)
    {
        static bool Exists(string path) =>
            File.Exists(path) && (File.ResolveLinkTarget(path, returnFinalTarget: true) is not { } target || target.Exists); // no dangling links

        static bool HasServer(string? dir) =>
            !string.IsNullOrEmpty(dir) && Exists(Path.Combine(dir, "initdb")) && Exists(Path.Combine(dir, "postgres")) && Exists(Path.Combine(dir, "pg_ctl"));

        foreach (var configured in new[] { configuration[$"{Section}:BinDirectory"], Environment.GetEnvironmentVariable("PG_BIN") })
        {
            if (HasServer(configured))
            {
                return configured;
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var version) ? version : 0)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(HasServer);
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasServer);
    }

    /// <summary>Prepares the cluster (initdb on first use) and declares the server and the <c>partials</c> connection string.</summary>
    public static PartialsDatabase Add(IDistributedApplicationBuilder builder, string binDirectory, string connectionName)
    {
        var runAsServiceUser = Environment.UserName == "root";
        var root = DataRoot(builder, runAsServiceUser);
        var dataDirectory = Path.Combine(root, "data");
        var password = PrepareCluster(binDirectory, root, dataDirectory, runAsServiceUser);
        var port = builder.Configuration.GetValue<int?>($"{Section}:Port") ?? FreePort();

        var postgresArguments = new[]
        {
            "-D", dataDirectory, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", dataDirectory,
            "-c", "listen_addresses=127.0.0.1",
        };
        var postgresExecutable = Path.Combine(binDirectory, "postgres");

        var (command, arguments) = AsServiceUser(postgresExecutable, postgresArguments, runAsServiceUser);

        var healthCheckKey = "local-postgres-accepts-connections";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, new TcpHealthCheck(port));

        var server = builder.AddExecutable("postgres", command, root, arguments)
            .WithEndpoint(name: "tcp", scheme: "tcp", port: port, targetPort: port, isProxied: false)
            .WithHealthCheck(healthCheckKey);

        var passwordParameter = builder.AddParameter("postgres-password", password, secret: true);
        var database = builder.AddConnectionString(
                connectionName,
                ReferenceExpression.Create($"Host=127.0.0.1;Port={port.ToString(System.Globalization.CultureInfo.InvariantCulture)};Username=postgres;Password={passwordParameter};Database={connectionName}"))
            .WithParentRelationship(server);

        return new PartialsDatabase(database, server, $"local PostgreSQL from {binDirectory}, data in {dataDirectory}, port {port}");
    }

    /// <summary>
    /// The command line of an executable resource that runs <paramref name="executable"/> as the service user when
    /// the AppHost runs as root. setpriv switches user and then exec()s the program, so the process the dashboard
    /// supervises (and signals on stop) is the program itself; runuser would stay in between as a parent. Either works.
    /// </summary>
    internal static (string Command, string[] Arguments) AsServiceUser(string executable, string[] arguments, bool runAsServiceUser) =>
        !runAsServiceUser
            ? (executable, arguments)
            : File.Exists("/usr/bin/setpriv")
                ? ("/usr/bin/setpriv", ["--reuid", ServiceUser, "--regid", ServiceUser, "--init-groups", "--", executable, .. arguments])
                : ("runuser", ["-u", ServiceUser, "--", executable, .. arguments]);

    /// <summary>
    /// <c>{section}:DataDirectory</c>, else <paramref name="folder"/> beside the AppHost project, else (the postgres user
    /// cannot reach the project) a folder of the temp directory, one per AppHost location.
    /// </summary>
    internal static string DataRoot(IDistributedApplicationBuilder builder, bool runAsServiceUser, string section = Section, string folder = ".pgdata")
    {
        if (builder.Configuration[$"{section}:DataDirectory"] is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured, builder.AppHostDirectory);
        }

        var beside = Path.Combine(builder.AppHostDirectory, folder);
        if (!runAsServiceUser || Run("runuser", ["-u", ServiceUser, "--", "test", "-x", builder.AppHostDirectory], throwOnFailure: false) == 0)
        {
            return beside;
        }

        // The postgres user cannot reach the project folder (e.g. a clone under /root): keep the data in the
        // temp folder instead, one cluster per AppHost location.
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(builder.AppHostDirectory)))[..12];
        return Path.Combine(Path.GetTempPath(), $"partialcollector{folder.Replace('.', '-')}-{hash}");
    }

    /// <summary>Creates the cluster when it is new, stops a server an earlier run left behind, returns the password.</summary>
    private static string PrepareCluster(string bin, string root, string dataDirectory, bool runAsServiceUser)
    {
        Directory.CreateDirectory(root);
        var passwordFile = Path.Combine(root, "password");

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            Directory.CreateDirectory(dataDirectory);
            var initPasswordFile = Path.Combine(dataDirectory, "..", "initdb-pwfile");
            File.WriteAllText(initPasswordFile, password + "\n");
            try
            {
                if (runAsServiceUser)
                {
                    Run("chown", [$"{ServiceUser}:{ServiceUser}", dataDirectory, initPasswordFile]);
                }

                RestrictToOwner(dataDirectory, UnixFileMode.UserExecute);
                RunPg(bin, "initdb", ["-D", dataDirectory, "-U", "postgres", "--pwfile", initPasswordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--no-sync"], runAsServiceUser);
            }
            finally
            {
                File.Delete(initPasswordFile);
            }

            File.WriteAllText(passwordFile, password);
            RestrictToOwner(passwordFile, UnixFileMode.None);
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
            RunPg(bin, "pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "30", "stop"], runAsServiceUser, throwOnFailure: false);
        }

        return File.ReadAllText(passwordFile).Trim();
    }

    private static void RestrictToOwner(string path, UnixFileMode extra)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);
        }
    }

    internal static int RunPg(string bin, string tool, string[] arguments, bool runAsServiceUser, bool throwOnFailure = true)
    {
        var executable = Path.Combine(bin, tool);
        return runAsServiceUser
            ? Run("runuser", ["-u", ServiceUser, "--", executable, .. arguments], throwOnFailure)
            : Run(executable, arguments, throwOnFailure);
    }

    internal static int Run(string fileName, string[] arguments, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0 && throwOnFailure)
        {
            throw new InvalidOperationException(
                $"Local PostgreSQL: `{fileName} {string.Join(' ', arguments)}` exited {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
        }

        return process.ExitCode;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
