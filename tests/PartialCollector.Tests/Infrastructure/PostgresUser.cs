using System.Diagnostics;

namespace PartialCollector.Tests.Infrastructure;

/// <summary>
/// Runs PostgreSQL's programs (initdb, pg_ctl, pg_autoctl, postgres) as a user they accept: PostgreSQL refuses to
/// run as root, so as root they run as the <c>postgres</c> user; otherwise as the current user. Shared by the
/// test fixtures that start servers from the machine's binaries (<see cref="LocalPostgresCluster"/>,
/// <see cref="AutoFailoverCluster"/>).
/// </summary>
public static class PostgresUser
{
    public const string ServiceUser = "postgres";

    /// <summary>True when the programs run as <see cref="ServiceUser"/> instead of the current (root) user.</summary>
    public static bool SwitchesUser => Environment.UserName == "root";

    /// <summary>A folder for PostgreSQL's files: created, and given to <see cref="ServiceUser"/> when the user switches.</summary>
    public static async Task<string> CreateFolderAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var root = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        await GiveAsync(root, cancellationToken);
        return root;
    }

    /// <summary>Gives a file or folder to <see cref="ServiceUser"/> when the programs run as that user.</summary>
    public static Task GiveAsync(string path, CancellationToken cancellationToken = default) =>
        SwitchesUser ? RunAsync("chown", [$"{ServiceUser}:{ServiceUser}", path], cancellationToken) : Task.CompletedTask;

    /// <summary>Runs a PostgreSQL program to completion as the right user; throws with its output when it fails.</summary>
    public static Task RunProgramAsync(string executable, string[] arguments, CancellationToken cancellationToken = default, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = StartInfo(executable, arguments, environment);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return RunAsync(start, cancellationToken);
    }

    /// <summary>
    /// How to start a long-running PostgreSQL program as the right user. As root, <c>setpriv</c> switches user and
    /// exec()s the program, so the process started is the program itself (its pid, its tree); <c>runuser</c>
    /// stays in between as a parent where there is no setpriv.
    /// </summary>
    public static ProcessStartInfo StartInfo(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (fileName, prefix) = !SwitchesUser
            ? (executable, Array.Empty<string>())
            : File.Exists("/usr/bin/setpriv")
                ? ("/usr/bin/setpriv", ["--reuid", ServiceUser, "--regid", ServiceUser, "--init-groups", "--", executable])
                : ("runuser", ["-u", ServiceUser, "--", executable]);
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in prefix.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        // libpq's variables of the test's own environment must not redirect the programs' connections.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("PG", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>Runs a program to completion as the current user; throws with its output when it fails.</summary>
    public static Task RunAsync(string fileName, string[] arguments, CancellationToken cancellationToken = default)
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

        return RunAsync(start, cancellationToken);
    }

    private static async Task RunAsync(ProcessStartInfo start, CancellationToken cancellationToken)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}
