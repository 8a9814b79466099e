namespace PartialCollector.LocalPostgres;

/// <summary>Where this machine's PostgreSQL programs are.</summary>
public static class PostgresBinaries
{
    /// <summary>The environment variable naming the folder that holds <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>.</summary>
    public const string Variable = "PG_BIN";

    private const string DebianRoot = "/usr/lib/postgresql";

    /// <summary>
    /// The first folder holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>: <paramref name="configured"/>,
    /// <c>PG_BIN</c>, the newest <c>/usr/lib/postgresql/N/bin</c> (Debian, Ubuntu), then <c>PATH</c>; null when none does.
    /// </summary>
    public static string? Find(string? configured = null)
    {
        foreach (var candidate in new[] { configured, Environment.GetEnvironmentVariable(Variable) })
        {
            if (HasServer(candidate))
            {
                return candidate;
            }
        }

        if (Directory.Exists(DebianRoot))
        {
            var newest = Directory.GetDirectories(DebianRoot)
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

    /// <summary>What to say when <see cref="Find"/> found nothing.</summary>
    public static string NotFound =>
        $"PostgreSQL's binaries (initdb, pg_ctl, postgres) were found neither in {Variable}, nor under {DebianRoot}/<version>/bin, nor on PATH "
        + "(Debian/Ubuntu: apt-get install postgresql).";

    /// <summary>
    /// <c>pg_autoctl</c>, when it and the <c>pgautofailover</c> extension for the server in <paramref name="binDirectory"/>
    /// are installed (Debian: <c>postgresql-N-auto-failover</c>); null when either is missing.
    /// </summary>
    public static string? FindPgAutoctl(string binDirectory)
    {
        var pgAutoctl = new[] { Path.Combine(binDirectory, "pg_autoctl"), "/usr/bin/pg_autoctl" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "pg_autoctl")))
            .FirstOrDefault(Exists);

        // Debian: /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15/extension/pgautofailover.control
        var version = Path.GetFileName(Path.GetDirectoryName(binDirectory.TrimEnd(Path.DirectorySeparatorChar)));
        var extension = new[]
        {
            $"/usr/share/postgresql/{version}/extension/pgautofailover.control",
            Path.Combine(binDirectory, "..", "share", "extension", "pgautofailover.control"),
            Path.Combine(binDirectory, "..", "share", "postgresql", "extension", "pgautofailover.control"),
        }.Any(File.Exists);
        return pgAutoctl is not null && extension ? pgAutoctl : null;
    }

    /// <summary>The server's version from <c>postgres --version</c> (<c>postgres (PostgreSQL) 15.8 (Debian ...)</c> gives <c>15.8</c>).</summary>
    public static string Version(string binDirectory)
    {
        var output = PostgresUser.Output(Path.Combine(binDirectory, "postgres"), ["--version"]);
        return output.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(word => char.IsAsciiDigit(word[0])) ?? output;
    }

    private static bool HasServer(string? directory) =>
        !string.IsNullOrEmpty(directory)
        && Exists(Path.Combine(directory, "initdb"))
        && Exists(Path.Combine(directory, "pg_ctl"))
        && Exists(Path.Combine(directory, "postgres"));

    /// <summary>A file, and not a dangling link (Debian leaves links of removed versions behind).</summary>
    private static bool Exists(string path) =>
        File.Exists(path) && (File.ResolveLinkTarget(path, returnFinalTarget: true) is not { } target || target.Exists);
}
