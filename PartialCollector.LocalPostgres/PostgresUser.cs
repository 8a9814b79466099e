using System.Diagnostics;

namespace PartialCollector.LocalPostgres;

/// <summary>
/// Runs PostgreSQL's programs (initdb, pg_ctl, postgres, pg_autoctl) as a user they accept: PostgreSQL refuses to
/// run as root, so as root they run as the <c>postgres</c> user; otherwise as the current user.
/// </summary>
public static class PostgresUser
{
    public const string ServiceUser = "postgres";

    /// <summary>True when the programs run as <see cref="ServiceUser"/> instead of the current (root) user.</summary>
    public static bool SwitchesUser => Environment.UserName == "root";

    /// <summary>
    /// The command line that runs <paramref name="executable"/> as the right user. As root, <c>setpriv</c> switches
    /// user and exec()s the program, so the process started is the program itself (its pid, its tree, the signals
    /// it is sent); <c>runuser</c> stays in between as a parent where there is no setpriv.
    /// </summary>
    public static (string FileName, string[] Arguments) CommandLine(string executable, IEnumerable<string> arguments) =>
        !SwitchesUser
            ? (executable, [.. arguments])
            : File.Exists("/usr/bin/setpriv")
                ? ("/usr/bin/setpriv", ["--reuid", ServiceUser, "--regid", ServiceUser, "--init-groups", "--", executable, .. arguments])
                : ("runuser", ["-u", ServiceUser, "--", executable, .. arguments]);

    /// <summary>
    /// How to start a PostgreSQL program as the right user, with no <c>PG*</c> variable of this process (libpq's
    /// variables must not redirect the program's connections) and with <paramref name="environment"/> added.
    /// </summary>
    public static ProcessStartInfo StartInfo(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (fileName, commandArguments) = CommandLine(executable, arguments);
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in commandArguments)
        {
            start.ArgumentList.Add(argument);
        }

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

    /// <summary>A new folder in the temp directory for PostgreSQL's files, given to <see cref="ServiceUser"/> when the user switches.</summary>
    public static string CreateTempFolder(string prefix)
    {
        var folder = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        Give(folder);
        return folder;
    }

    /// <summary>Gives files or folders (not their contents) to <see cref="ServiceUser"/> when the programs run as that user.</summary>
    public static void Give(params string[] paths)
    {
        if (SwitchesUser)
        {
            Run("chown", [$"{ServiceUser}:{ServiceUser}", .. paths]);
        }
    }

    /// <summary>Whether the programs' user can enter <paramref name="directory"/> (a project under /root, say, it cannot).</summary>
    public static bool CanEnter(string directory) =>
        !SwitchesUser || Run("runuser", ["-u", ServiceUser, "--", "test", "-x", directory], throwOnFailure: false) == 0;

    /// <summary>Runs a PostgreSQL program to completion as the right user; throws with its output when it fails.</summary>
    public static Task RunProgramAsync(string executable, IEnumerable<string> arguments, CancellationToken cancellationToken = default, IReadOnlyDictionary<string, string>? environment = null) =>
        RunAsync(StartInfo(executable, arguments, environment), throwOnFailure: true, cancellationToken);

    /// <summary>Runs a PostgreSQL program to completion as the right user and returns its exit code; throws with its output when it fails, if asked to.</summary>
    public static int RunProgram(string executable, IEnumerable<string> arguments, bool throwOnFailure = true, IReadOnlyDictionary<string, string>? environment = null) =>
        Run(StartInfo(executable, arguments, environment), throwOnFailure).ExitCode;

    /// <summary>Runs a program as the current user and returns its exit code; throws with its output when it fails, if asked to.</summary>
    public static int Run(string fileName, IEnumerable<string> arguments, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Run(start, throwOnFailure).ExitCode;
    }

    /// <summary>What a program (as the current user) writes to stdout; throws when it fails.</summary>
    public static string Output(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Run(start, throwOnFailure: true).Output.Trim();
    }

    private static (int ExitCode, string Output) Run(ProcessStartInfo start, bool throwOnFailure)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0 && throwOnFailure)
        {
            throw Failed(start, process.ExitCode, stderr.Result, stdout.Result);
        }

        return (process.ExitCode, stdout.Result);
    }

    private static async Task RunAsync(ProcessStartInfo start, bool throwOnFailure, CancellationToken cancellationToken)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 && throwOnFailure)
        {
            throw Failed(start, process.ExitCode, await stderr, await stdout);
        }
    }

    private static InvalidOperationException Failed(ProcessStartInfo start, int exitCode, string stderr, string stdout) =>
        new($"`{start.FileName} {string.Join(' ', start.ArgumentList)}` exited {exitCode}: {stderr.Trim()} {stdout.Trim()}".TrimEnd());
}
