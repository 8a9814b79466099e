using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PartialCollector.LocalPostgres;

/// <summary>
/// A PostgreSQL cluster from the machine's own binaries (initdb, pg_ctl) in a data directory, listening on
/// 127.0.0.1 only, its socket in the data directory, run as the <c>postgres</c> user when this process is root
/// (<see cref="PostgresUser"/>). <see cref="StartThrowawayAsync"/> makes one in a new temporary folder that goes
/// when it is disposed (the tests' and the benchmark's server); the AppHost keeps its cluster and runs
/// <c>postgres</c> itself, with <see cref="Initialize"/> and <see cref="ServerArguments"/>.
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    private const int StartAttempts = 5;

    /// <summary>Held (an exclusive lock) for as long as the cluster's owner runs: a folder whose lock is free is left over.</summary>
    private const string OwnerFile = ".owner";

    private readonly IReadOnlyList<string> settings;
    private FileStream? owner;
    private int disposed;

    private LocalPostgresCluster(string binDirectory, string root, string? password, IReadOnlyList<string> settings)
    {
        BinDirectory = binDirectory;
        Root = root;
        DataDirectory = Path.Combine(root, "data");
        Password = password;
        this.settings = settings;
    }

    public string BinDirectory { get; }

    /// <summary>The folder holding the data directory, the server's log (<c>postgres.log</c>) and nothing else.</summary>
    public string Root { get; }

    public string DataDirectory { get; }

    public int Port { get; private set; }

    /// <summary>The <c>postgres</c> superuser's password, or null when the cluster trusts local TCP connections.</summary>
    public string? Password { get; }

    /// <summary>The server's log.</summary>
    public string LogFile => Path.Combine(Root, "postgres.log");

    /// <summary>
    /// Creates a cluster (<c>initdb</c>) in a new folder of the temp directory and starts it (<c>pg_ctl start</c>) on a
    /// free port, trying another port if that one is taken by the time the server binds it. The folder and the server
    /// go on <see cref="DisposeAsync"/>, or when this process exits; a folder that a killed process left behind goes
    /// when the next throwaway cluster with the same prefix starts (<see cref="RemoveLeftovers"/>).
    /// </summary>
    /// <param name="binDirectory">PostgreSQL's programs (<see cref="PostgresBinaries.Find"/>).</param>
    /// <param name="settings">Server settings (<c>name=value</c>) over PostgreSQL's defaults, later ones winning.</param>
    /// <param name="password">The <c>postgres</c> user's password (SCRAM); null: trust authentication.</param>
    public static async Task<LocalPostgresCluster> StartThrowawayAsync(
        string binDirectory, IEnumerable<string>? settings = null, string? password = "postgres", string folderPrefix = "partialcollector-pg-", CancellationToken cancellationToken = default)
    {
        RemoveLeftovers(binDirectory, folderPrefix);
        var cluster = new LocalPostgresCluster(binDirectory, PostgresUser.CreateTempFolder(folderPrefix), password, [.. settings ?? []]);
        cluster.owner = new FileStream(Path.Combine(cluster.Root, OwnerFile), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        AppDomain.CurrentDomain.ProcessExit += cluster.OnProcessExit;
        try
        {
            await InitializeAsync(binDirectory, cluster.DataDirectory, password, cancellationToken);
            for (var attempt = 1; ; attempt++)
            {
                cluster.Port = FreePort();
                try
                {
                    await cluster.StartAsync(cancellationToken);
                    return cluster;
                }
                catch (InvalidOperationException) when (attempt < StartAttempts && cluster.PortWasTaken())
                {
                    // Another process (another test assembly's cluster, say) bound the port between our probe and the server.
                }
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs <c>initdb</c> on <paramref name="dataDirectory"/> (created if missing, given to the programs' user): superuser
    /// <c>postgres</c> with <paramref name="password"/> over SCRAM, or trust authentication when it is null; UTF-8.
    /// </summary>
    public static void Initialize(string binDirectory, string dataDirectory, string? password) =>
        InitializeAsync(binDirectory, dataDirectory, password, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// The arguments that run a server on <paramref name="dataDirectory"/> (for <c>postgres</c> itself; <c>pg_ctl -o</c>
    /// takes them as one string): 127.0.0.1 and <paramref name="port"/>, its Unix socket in the data directory,
    /// then <paramref name="settings"/> (<c>name=value</c>, no spaces).
    /// </summary>
    public static IReadOnlyList<string> ServerArguments(string dataDirectory, int port, IEnumerable<string>? settings = null) =>
    [
        "-D", dataDirectory,
        "-p", port.ToString(CultureInfo.InvariantCulture),
        "-k", dataDirectory,
        "-c", "listen_addresses=127.0.0.1",
        .. (settings ?? []).SelectMany(s => new[] { "-c", s }),
    ];

    /// <summary>
    /// Removes the throwaway clusters (<paramref name="folderPrefix"/> in the temp directory) whose owner is gone: a
    /// test host killed before its exit handler finished leaves its folder, a gigabyte or more, and possibly its server.
    /// A folder whose owner lock is free is stopped (if its server still runs) and deleted; a folder from before the
    /// lock (none there) only once it is an hour old and its server is not running. Folders in use are never touched.
    /// </summary>
    public static void RemoveLeftovers(string binDirectory, string folderPrefix = "partialcollector-pg-")
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), folderPrefix + "*"))
        {
            try
            {
                var age = DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder);
                var lockFile = Path.Combine(folder, OwnerFile);
                var data = Path.Combine(folder, "data");
                if (File.Exists(lockFile))
                {
                    using var free = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None); // throws while the owner runs
                    if (ServerRuns(data))
                    {
                        PostgresUser.RunProgram(Path.Combine(binDirectory, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"], throwOnFailure: false);
                    }
                }
                else if (age < TimeSpan.FromHours(1) || ServerRuns(data))
                {
                    continue;
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // In use (the owner's lock), or gone meanwhile (another cleaner).
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>A TCP port nothing listens on at the moment.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The <c>postgres</c> database as the superuser, with the detail of server errors (development only).</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;{(Password is null ? "" : $"Password={Password};")}Database=postgres;Include Error Detail=true";

    /// <summary>
    /// Starts the server (again) on the same port and data directory; returns once it accepts connections, which
    /// after an immediate stop includes its crash recovery.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        var options = string.Join(' ', ServerArguments(DataDirectory, Port, settings).Skip(2)); // -D goes to pg_ctl itself
        return PostgresUser.RunProgramAsync(Pg("pg_ctl"), ["-D", DataDirectory, "-o", options, "-l", LogFile, "-w", "-t", "60", "start"], cancellationToken);
    }

    /// <summary>
    /// Stops the server: <paramref name="immediate"/> is <c>pg_ctl -m immediate</c>, every backend killed with no
    /// checkpoint, as in a crash (the next start runs recovery); otherwise <c>-m fast</c>. Returns once it is down.
    /// </summary>
    public Task StopAsync(bool immediate, CancellationToken cancellationToken = default) =>
        PostgresUser.RunProgramAsync(Pg("pg_ctl"), ["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60", "stop"], cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        owner?.Dispose();
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await StopAsync(immediate: true, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Best effort: the folder goes either way.
        }

        try
        {
            // The data first: a process killed meanwhile (a test host is, soon after its run) leaves the owner file,
            // whose free lock tells the next start that the rest is left over (RemoveLeftovers).
            if (Directory.Exists(DataDirectory))
            {
                Directory.Delete(DataDirectory, recursive: true);
            }

            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task InitializeAsync(string binDirectory, string dataDirectory, string? password, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        PostgresUser.Give(dataDirectory);
        if (password is null)
        {
            await PostgresUser.RunProgramAsync(Path.Combine(binDirectory, "initdb"), ["-D", dataDirectory, "-U", "postgres", "--auth", "trust", "-E", "UTF8", "--no-sync"], cancellationToken);
            return;
        }

        // Beside the data directory: initdb wants that empty. Readable by the programs' user only, and gone afterwards.
        var passwordFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataDirectory))!, $"initdb-pwfile-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, password + "\n", cancellationToken);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            PostgresUser.Give(passwordFile);
            await PostgresUser.RunProgramAsync(
                Path.Combine(binDirectory, "initdb"),
                ["-D", dataDirectory, "-U", "postgres", "--pwfile", passwordFile, "--auth", "scram-sha-256", "-E", "UTF8", "--no-sync"],
                cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private bool PortWasTaken()
    {
        try
        {
            var log = File.ReadAllText(LogFile);
            return log.Contains("could not bind", StringComparison.OrdinalIgnoreCase) || log.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether a postmaster runs on <paramref name="dataDirectory"/> (its pid file names a live process).</summary>
    private static bool ServerRuns(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            return false;
        }

        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited && process.ProcessName == "postgres";
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
    }

    /// <summary>
    /// The process is ending, and may be killed at any moment (a test host is, a moment after its run): the server's
    /// stop and the folder's removal go to a shell of their own, detached (its parent exits at once), which outlives
    /// this process. Should that not finish either, the folder's free owner lock has the next start remove it.
    /// </summary>
    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        owner?.Dispose();
        try
        {
            var (pgCtl, stop) = PostgresUser.CommandLine(Pg("pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "30", "stop"]);
            var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
            foreach (var argument in new[] { "-c", "(\"$@\"; rm -rf \"$0\") </dev/null >/dev/null 2>&1 &", Root, pgCtl }.Concat(stop))
            {
                start.ArgumentList.Add(argument);
            }

            using var shell = System.Diagnostics.Process.Start(start);
            shell?.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No shell: RemoveLeftovers takes what remains.
        }
    }

    private string Pg(string tool) => Path.Combine(BinDirectory, tool);
}
