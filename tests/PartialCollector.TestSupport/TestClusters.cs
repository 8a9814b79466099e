using PartialCollector.LocalPostgres;

namespace PartialCollector.TestSupport;

/// <summary>
/// Throwaway PostgreSQL clusters from the machine's binaries (<see cref="LocalPostgresCluster"/>), tuned for tests:
/// <see cref="PostgresServer"/>'s when there is no other server, and those of tests that stop, crash or reconfigure
/// a server of their own.
/// </summary>
public static class TestClusters
{
    /// <summary>
    /// Fast and throwaway: nothing survives a machine crash, and with synchronous_commit off a commit is acknowledged
    /// before its WAL is written, so even a server crash (pg_ctl -m immediate) can lose the last ones. Later settings
    /// win, so a test that crashes the server asks for synchronous_commit=on.
    /// </summary>
    public static readonly IReadOnlyList<string> Fast = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=1000"];

    /// <summary>Starts a cluster of its own with <see cref="Fast"/> and then <paramref name="settings"/> (<c>name=value</c>).</summary>
    public static Task<LocalPostgresCluster> StartAsync(params string[] settings)
    {
        var bin = PostgresBinaries.Find()
            ?? throw new InvalidOperationException($"This test starts a PostgreSQL server of its own, and {PostgresBinaries.NotFound}");
        return LocalPostgresCluster.StartThrowawayAsync(bin, [.. Fast, .. settings]);
    }
}
