namespace PartialCollector.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster from the machine's own binaries (initdb / pg_ctl), for machines without
/// Docker. PostgreSQL refuses to run as root, so as root the cluster runs as the <c>postgres</c> user
/// (<see cref="PostgresUser"/>).
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    private readonly string binDirectory;
    private readonly string dataDirectory;
    private readonly string serverOptions;

    private LocalPostgresCluster(string binDirectory, string root, int port, IEnumerable<string> settings)
    {
        this.binDirectory = binDirectory;
        Root = root;
        dataDirectory = Path.Combine(root, "data");
        Port = port;

        // Fast and throwaway by default: nothing survives a machine crash, and with synchronous_commit off a commit
        // is acknowledged before its WAL is written, so even a server crash (pg_ctl -m immediate) can lose the last
        // ones. Later settings win, so a test that crashes the server asks for synchronous_commit=on.
        serverOptions = string.Join(' ', new[] { $"-p {port}", $"-k {root}", "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=1000" }
            .Concat(settings.Select(s => $"-c {s}")));
    }

    public string Root { get; }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Password=postgres;Database=postgres;Include Error Detail=true";

    public static string? FindBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } configured && File.Exists(Path.Combine(configured, "initdb")))
        {
            return configured;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
    }

    /// <summary>Creates a cluster in a new temporary folder and starts it on a free port.</summary>
    /// <param name="settings">extra server settings (<c>name=value</c>), applied after the defaults so they win.</param>
    public static async Task<LocalPostgresCluster> StartAsync(string binDirectory, IEnumerable<string>? settings = null, CancellationToken cancellationToken = default)
    {
        var root = await PostgresUser.CreateFolderAsync("partialcollector-pg-", cancellationToken);
        var cluster = new LocalPostgresCluster(binDirectory, root, FreePorts.Next(), settings ?? []);
        try
        {
            var passwordFile = Path.Combine(root, "pwfile");
            await File.WriteAllTextAsync(passwordFile, "postgres\n", cancellationToken);
            await PostgresUser.GiveAsync(passwordFile, cancellationToken);

            await cluster.RunPgAsync("initdb", ["-D", cluster.dataDirectory, "-U", "postgres", "--pwfile", passwordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--no-sync"], cancellationToken);
            await cluster.StartAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts the server (again) on the same port and data directory; returns once it accepts connections, which
    /// after an immediate stop includes its crash recovery.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        RunPgAsync("pg_ctl", ["-D", dataDirectory, "-o", serverOptions, "-l", Path.Combine(Root, "postgres.log"), "-w", "-t", "60", "start"], cancellationToken);

    /// <summary>
    /// Stops the server: <paramref name="immediate"/> is <c>pg_ctl -m immediate</c>, every backend killed with no
    /// checkpoint, as in a crash (the next start runs recovery); otherwise <c>-m fast</c>. Returns once it is down.
    /// </summary>
    public Task StopAsync(bool immediate, CancellationToken cancellationToken = default) =>
        RunPgAsync("pg_ctl", ["-D", dataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60", "stop"], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
            {
                await StopAsync(immediate: true, CancellationToken.None);
            }
        }
        catch (Exception)
        {
            // Best effort: the folder goes either way.
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task RunPgAsync(string tool, string[] arguments, CancellationToken cancellationToken) =>
        PostgresUser.RunProgramAsync(Path.Combine(binDirectory, tool), arguments, cancellationToken);
}
