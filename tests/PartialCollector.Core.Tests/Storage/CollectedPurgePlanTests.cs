using System.Text.Json;
using Npgsql;
using PartialCollector.Core.Storage;
using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

/// <summary>
/// The purge of crash records, planned and run by PostgreSQL over 200,000 records with nothing to purge (every cycle
/// ends with such a statement): it must not walk the table filtering each record, as it did along the primary key,
/// nor walk the key to find the bound of CollectedMaxRows.
/// </summary>
public sealed class CollectedPurgePlanTests
{
    [Fact]
    public async Task WithNothingToPurgeThePurgeReadsNoRecordsItThrowsAway()
    {
        const int rows = 200_000;
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("collected_purge_plan");
        var table = new PartialTracesTable(connectionString);

        // As the claim writes them: ids grow with collection time, one a second, the oldest 2.3 days ago.
        await table.ExecuteAsync($"""
            INSERT INTO partial_collected (trace_id, span_id, last_heartbeat, collected_at, reason, trace)
            SELECT md5(i::text), 's', now(), now() - ({rows} - i) * interval '1 second', 'no stop before expiry', '\x00'
            FROM generate_series(1, {rows}) i
            """);
        await table.ExecuteAsync("VACUUM ANALYZE partial_collected");

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + CollectionSql.PurgeCollected, connection)
            .WithParameters(NpgsqlParameters.Micros(TimeSpan.FromDays(7)), NpgsqlParameters.Value(rows), NpgsqlParameters.Value(10_000));
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");

        var nodes = Flatten(plan).ToList();
        Assert.Equal(0, plan.GetProperty("Actual Rows").GetDouble());
        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() == "Seq Scan" && n.GetProperty("Relation Name").GetString() == "partial_collected");
        var removed = nodes.Sum(n => n.TryGetProperty("Rows Removed by Filter", out var r) ? r.GetDouble() : 0);
        Assert.True(removed == 0, $"the purge read and threw away {removed} records");

        // Nor count its way down the primary key to the CollectedMaxRows-th newest record: the id bound is read off
        // the key's end, so the statement touches a few pages of each index, not a table's worth of entries.
        var pages = plan.GetProperty("Shared Hit Blocks").GetDouble() + plan.GetProperty("Shared Read Blocks").GetDouble();
        Assert.True(pages < 100, $"the purge read {pages} pages with nothing to purge");
        Assert.Equal(rows, await table.CountAsync("partial_collected"));
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray().SelectMany(Flatten))
            {
                yield return child;
            }
        }
    }
}
