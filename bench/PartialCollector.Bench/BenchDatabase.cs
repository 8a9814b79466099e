using Npgsql;
using PartialCollector.LocalPostgres;

namespace PartialCollector.Bench;

/// <summary>
/// The bench's own PostgreSQL when no <c>--connection</c> is given: a throwaway cluster from the machine's binaries
/// (PartialCollector.LocalPostgres, as the AppHost and the tests start theirs), with PostgreSQL's default settings but
/// <c>max_connections=300</c> (the references' and the services' pools) and any <c>--postgres-setting</c>, trust authentication on 127.0.0.1, run as
/// the postgres user when root; stopped and removed when the bench ends, Ctrl+C included.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly LocalPostgresCluster cluster;

    private BenchDatabase(LocalPostgresCluster cluster)
    {
        this.cluster = cluster;
        ConnectionString = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "bench", IncludeErrorDetail = false }.ConnectionString;
        Console.CancelKeyPress += OnCancel;
    }

    /// <summary>The <c>bench</c> database (the Migrator creates it).</summary>
    public string ConnectionString { get; }

    public static async Task<BenchDatabase> StartAsync(IEnumerable<string> settings)
    {
        var bin = PostgresBinaries.Find() ?? throw new InvalidOperationException($"bench: {PostgresBinaries.NotFound} Or give --connection.");
        var cluster = await LocalPostgresCluster.StartThrowawayAsync(bin, ["max_connections=300", .. settings], password: null, folderPrefix: "partialcollector-bench-pg-");
        Console.Error.WriteLine($"bench: PostgreSQL {PostgresBinaries.Version(bin)} on port {cluster.Port} (default settings{string.Concat(settings.Select(s => ", " + s))}) in {cluster.Root}");
        return new BenchDatabase(cluster);
    }

    public async ValueTask DisposeAsync()
    {
        Console.CancelKeyPress -= OnCancel;
        await cluster.DisposeAsync();
    }

    // Ctrl+C ends the process without its exit handlers: stop and remove the cluster first.
    private void OnCancel(object? sender, ConsoleCancelEventArgs e) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
