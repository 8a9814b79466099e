using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

/// <summary>
/// The expiry bucket on the production schema (the Migrator's ExpiryBucket.cs): each span rounds its expiry up on a grid
/// offset by a phase of its own, so heartbeats move their indexed bucket spread over time, never all at once after a
/// boundary, and a bucket is never before the expiry (nothing collected early) nor more than one width after it.
/// </summary>
public sealed class ExpiryBucketTests
{
    private const int Spans = 2000;

    // Seven seconds past a 30 s boundary of the old shared grid: a refresh 5 s later would have crossed none.
    private const string Expiry = "timestamptz '2026-01-01 00:00:07.123+00'";

    [Fact]
    public async Task EveryBucketEndsAfterItsExpiryByAtMostOneWidthOnAGridOfItsOwn()
    {
        var table = await SeededAsync("bucket_bounds");

        Assert.Equal(0, await table.ScalarAsync<long>("""
            SELECT count(*) FROM partial_traces
            WHERE NOT (expires_bucket > timezone('UTC', expires_at) AND expires_bucket <= timezone('UTC', expires_at) + interval '30 seconds')
            """));

        // On one grid for all, the 2,000 spans would share one bucket.
        var distinct = await table.ScalarAsync<long>("SELECT count(DISTINCT expires_bucket) FROM partial_traces");
        Assert.True(distinct >= Spans * 9 / 10, $"only {distinct} distinct buckets among {Spans} spans with one expiry");
    }

    [Fact]
    public async Task ARefreshMovesTheBucketOfItsShareOfSpansNotOfAllOrNone()
    {
        var table = await SeededAsync("bucket_moves");
        await table.ExecuteAsync("CREATE TABLE before_refresh AS SELECT span_id, expires_bucket FROM partial_traces");

        // Every span's expiry 5 s later, as a heartbeat would set it: with 30 s buckets about 5/30 of the spans cross
        // their own boundary (333 of 2,000; the binomial spread is about 17). On a shared grid it was all or none.
        await table.ExecuteAsync("UPDATE partial_traces SET expires_at = expires_at + interval '5 seconds'");
        var moved = await table.ScalarAsync<long>("""
            SELECT count(*) FROM partial_traces p JOIN before_refresh b USING (span_id) WHERE p.expires_bucket <> b.expires_bucket
            """);
        Assert.InRange(moved, 200, 500);
    }

    [Fact]
    public async Task ATombstoneIsNeverDue()
    {
        var table = await SeededAsync("bucket_tombstone");
        await table.ExecuteAsync("UPDATE partial_traces SET expires_at = 'infinity'");

        Assert.Equal(Spans, await table.ScalarAsync<long>("SELECT count(*) FROM partial_traces WHERE expires_bucket = 'infinity'"));
    }

    private static async Task<PartialTracesTable> SeededAsync(string name)
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync(name);
        await Migrations.ApplyAsync(connectionString, expiryBucket: TimeSpan.FromSeconds(30));
        var table = new PartialTracesTable(connectionString);
        await table.ExecuteAsync($"""
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at)
            SELECT md5(i::text), substr(md5('span' || i), 1, 16), '\x01', {Expiry}
            FROM generate_series(1, {Spans}) AS i
            """);
        return table;
    }
}
