using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using PartialCollector.LiveView.Data;
using PartialCollector.LiveView.Tests.Infrastructure;
using PartialCollector.TestSupport;
using Xunit.Abstractions;

namespace PartialCollector.LiveView.Tests;

/// <summary>
/// The listings' statements, exactly as <see cref="SpanStore"/> builds them, planned and run by PostgreSQL over a
/// million running spans and a million collected ones: every page is an index range scan that reads about one
/// page of rows, never a scan of a table, a sort of it, or a walk past rows a filter throws away (but for one
/// common service's crashed spans, where the planner may prefer the primary key: a bounded walk, see below). The
/// services summary reads only the last hour of crash records, through the BRIN index on collected_at.
/// </summary>
public sealed class QueryPlanTests(ITestOutputHelper output)
{
    private const int Rows = 1_000_000;
    private const int Limit = 100;

    [Fact]
    public async Task Every_page_over_a_million_rows_is_an_index_range_scan_of_about_one_page()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("live_plan");
        var seed = new Seed(new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 600 }.ConnectionString);
        var filling = Stopwatch.StartNew();

        // 1 % of the spans belong to tenant 'small', 2 % to service 'svc-7', 1 in 1,000 have no start time; 50,000 tombstones.
        // Crash records are written as the claim writes them: ids grow with collection time, one a second; 0.1 % of them
        // are of service 'rare'.
        await seed.ExecuteAsync(
            $"""
            INSERT INTO partial_traces (trace_id, span_id, trace, "timestamp", expires_at, tenant, service_name, span_name, start_time, frequency)
            SELECT md5(i::text), substr(md5('s' || i), 1, 16), '\x', now(), now() + interval '1 minute',
                   CASE WHEN i % 100 = 0 THEN 'small' ELSE 'big' END, 'svc-' || (i % 50), 'op-' || (i % 7),
                   CASE WHEN i % 1000 = 0 THEN NULL ELSE now() - i * interval '1 second' END, interval '5 seconds'
            FROM generate_series(1, {Rows}) i;
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at, stopped_until, tenant, service_name, span_name, start_time)
            SELECT md5('t' || i), substr(md5('u' || i), 1, 16), '\x', 'infinity', now() + interval '5 minutes', 'big', 'svc-7', 'op', now() - i * interval '1 second'
            FROM generate_series(1, 50000) i;
            INSERT INTO partial_collected (trace_id, span_id, tenant, service_name, span_name, start_time, last_heartbeat, frequency, collected_at, reason, trace)
            SELECT md5('c' || i), substr(md5('d' || i), 1, 16), CASE WHEN i % 100 = 0 THEN 'small' ELSE 'big' END,
                   CASE WHEN i % 1000 = 1 THEN 'rare' ELSE 'svc-' || (i % 50) END, 'op',
                   now() - ({Rows} - i) * interval '1 second' - interval '1 hour', now() - ({Rows} - i) * interval '1 second' - interval '1 minute', interval '5 seconds',
                   now() - ({Rows} - i) * interval '1 second', 'no stop before expiry', '\x'
            FROM generate_series(1, {Rows}) i;
            """);

        // As autovacuum leaves a settled table: statistics, and a visibility map.
        await seed.ExecuteAsync("VACUUM ANALYZE partial_traces");
        await seed.ExecuteAsync("VACUUM ANALYZE partial_collected");
        output.WriteLine($"filled in {filling.Elapsed.TotalSeconds:F1} s");

        await using var connection = await seed.OpenAsync();
        var middle = await RunningKeyAsync(connection, "start_time IS NOT NULL", Rows / 2);
        var untimed = await RunningKeyAsync(connection, "start_time IS NULL", 10);
        var crashedMiddle = await CrashedKeyAsync(connection, Rows / 2);

        SpanQuery Running(string? service = null, string? tenant = null, SpanCursor? after = null) => new(LiveSpan.Running, service, null, Limit, after, tenant);
        SpanQuery Crashed(string? service = null, string? tenant = null, SpanCursor? after = null) => new(LiveSpan.Crashed, service, null, Limit, after, tenant);

        await AssertIndexOnlyWorkAsync(connection, "running, first page", Running(), SpanStore.RunningSql, ["partial_traces_running_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "running, after a cursor mid-way", Running(after: middle), SpanStore.RunningSql, ["partial_traces_running_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "running, among spans without a start time", Running(after: untimed), SpanStore.RunningSql, ["partial_traces_running_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "running, one service", Running(service: "svc-7"), SpanStore.RunningSql, ["partial_traces_running_service_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "running, one service after a cursor", Running(service: "svc-7", after: middle), SpanStore.RunningSql, ["partial_traces_running_service_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "running, a tenant with 1 % of the spans", Running(tenant: "small"), SpanStore.RunningSql, ["partial_traces_running_tenant_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "running, that tenant after a cursor", Running(tenant: "small", after: middle), SpanStore.RunningSql, ["partial_traces_running_tenant_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "crashed, first page", Crashed(), SpanStore.CrashedSql, ["partial_collected_pkey"]);
        await AssertIndexOnlyWorkAsync(connection, "crashed, after a cursor mid-way", Crashed(after: crashedMiddle), SpanStore.CrashedSql, ["partial_collected_pkey"]);
        await AssertIndexOnlyWorkAsync(connection, "crashed, a service with 0.1 % of the spans", Crashed(service: "rare"), SpanStore.CrashedSql, ["partial_collected_service_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "crashed, that service after a cursor", Crashed(service: "rare", after: crashedMiddle), SpanStore.CrashedSql, ["partial_collected_service_idx"]);

        // A service's records are spread over the table (service_name has no physical order), and the planner costs
        // the service index's heap reads as random, so for a service with 2 % of the spans it may walk the primary key
        // instead, reading past 49 rows of other services for each one of its own: still about one page of blocks.
        string[] serviceOrKey = ["partial_collected_service_idx", "partial_collected_pkey"];
        await AssertIndexOnlyWorkAsync(connection, "crashed, a service with 2 % of the spans", Crashed(service: "svc-7"), SpanStore.CrashedSql, serviceOrKey, maxRemoved: 50 * (Limit + 1));
        await AssertIndexOnlyWorkAsync(connection, "crashed, that service after a cursor", Crashed(service: "svc-7", after: crashedMiddle), SpanStore.CrashedSql, serviceOrKey, maxRemoved: 50 * (Limit + 1));
        await AssertIndexOnlyWorkAsync(connection, "crashed, a tenant with 1 % of the spans", Crashed(tenant: "small"), SpanStore.CrashedSql, ["partial_collected_tenant_idx"]);
        await AssertIndexOnlyWorkAsync(connection, "crashed, that tenant after a cursor", Crashed(tenant: "small", after: crashedMiddle), SpanStore.CrashedSql, ["partial_collected_tenant_idx"]);

        await AssertLastHourIsReadThroughTheBrinIndexAsync(connection, null);
        await AssertLastHourIsReadThroughTheBrinIndexAsync(connection, "small");
        await AssertDetailIsReadThroughTheTraceHashAsync(connection, null);
        await AssertDetailIsReadThroughTheTraceHashAsync(connection, "small");
    }

    /// <summary>A crashed span's detail (record 500,000): the hash index on trace_id, a handful of pages.</summary>
    private async Task AssertDetailIsReadThroughTheTraceHashAsync(NpgsqlConnection connection, string? tenant)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + SpanStore.CrashedDetailSql(tenant, command);
        command.Parameters.Add(new NpgsqlParameter<string>("trace_id", Md5Hex("c500000")));
        command.Parameters.Add(new NpgsqlParameter<string>("span_id", Md5Hex("d500000")[..16]));
        var (top, nodes, summary, buffers) = await ExplainAsync(command, $"detail, tenant {tenant ?? "(none)"}");

        Assert.Equal(1, top.GetProperty("Actual Rows").GetDouble()); // record 500,000 is of tenant small
        Assert.Contains(nodes, n => n.TryGetProperty("Index Name", out var i) && i.GetString() == "partial_collected_trace_idx");
        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() == "Seq Scan");
        Assert.True(buffers < 20, $"detail: {buffers} buffers: {summary}");
    }

    private static string Md5Hex(string text) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// The services summary's crashes of the last hour: the block ranges of the BRIN index on collected_at that
    /// hold the last hour (3,600 of the million records), never a scan of partial_collected.
    /// </summary>
    private async Task AssertLastHourIsReadThroughTheBrinIndexAsync(NpgsqlConnection connection, string? tenant)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + SpanStore.ServicesSql(tenant, command);
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0];
        var nodes = Flatten(plan.GetProperty("Plan")).ToList();
        var summary = string.Join(" > ", nodes.Select(n =>
            $"{n.GetProperty("Node Type").GetString()}{(n.TryGetProperty("Index Name", out var i) ? " " + i.GetString() : "")}{(n.TryGetProperty("Relation Name", out var r) ? " on " + r.GetString() : "")} (rows {n.GetProperty("Actual Rows").GetDouble()})"));
        output.WriteLine($"services, tenant {tenant ?? "(none)"}: {plan.GetProperty("Execution Time").GetDouble():F2} ms: {summary}");

        var collected = nodes.Where(n => n.TryGetProperty("Relation Name", out var r) && r.GetString() == "partial_collected").ToList();
        Assert.NotEmpty(collected);
        Assert.All(collected, n => Assert.True(n.GetProperty("Node Type").GetString() == "Bitmap Heap Scan", $"partial_collected read by a {n.GetProperty("Node Type").GetString()}: {summary}"));
        Assert.Contains(nodes, n => n.TryGetProperty("Index Name", out var i) && i.GetString() == "partial_collected_collected_at_brin");
        var blocks = collected.Sum(n =>
            (n.TryGetProperty("Exact Heap Blocks", out var e) ? e.GetInt64() : 0) + (n.TryGetProperty("Lossy Heap Blocks", out var l) ? l.GetInt64() : 0));
        Assert.True(blocks < 1000, $"{blocks} heap blocks of partial_collected for the last hour: {summary}");
    }

    private async Task AssertIndexOnlyWorkAsync(
        NpgsqlConnection connection, string what, SpanQuery query, Func<SpanQuery, NpgsqlCommand, string> build, string[] indexes, int maxRemoved = 0)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + build(query, command);
        command.Parameters.Add(new NpgsqlParameter<int>("limit", query.Limit + 1));
        var (_, nodes, summary, buffers) = await ExplainAsync(command, what);

        var scans = nodes.Where(n => n.GetProperty("Node Type").GetString()!.Contains("Scan", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(scans);
        foreach (var scan in scans)
        {
            var type = scan.GetProperty("Node Type").GetString();
            Assert.True(type is "Index Scan" or "Index Only Scan", $"{what}: a {type}: {summary}");
            Assert.Contains(scan.GetProperty("Index Name").GetString(), indexes);
            Assert.True(scan.GetProperty("Actual Rows").GetDouble() <= query.Limit + 1, $"{what}: a scan returned more than a page: {summary}");
            var removed = scan.TryGetProperty("Rows Removed by Filter", out var r) ? r.GetDouble() : 0;
            Assert.True(removed <= maxRemoved, $"{what}: a scan threw away {removed} rows: {summary}");
        }

        Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() is "Sort" or "Incremental Sort" && n.GetProperty("Actual Rows").GetDouble() > 2 * (query.Limit + 1));
        Assert.True(buffers < 1000, $"{what}: {buffers} buffers for one page: {summary}");
    }

    /// <summary>Runs an <c>EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)</c> command: its top node, every node, a one-line summary and the buffers it read.</summary>
    private async Task<(JsonElement Top, List<JsonElement> Nodes, string Summary, long Buffers)> ExplainAsync(NpgsqlCommand command, string what)
    {
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0];
        var nodes = Flatten(plan.GetProperty("Plan")).ToList();
        var summary = string.Join(" > ", nodes.Select(n =>
            $"{n.GetProperty("Node Type").GetString()}{(n.TryGetProperty("Index Name", out var i) ? " " + i.GetString() : "")} (rows {n.GetProperty("Actual Rows").GetDouble()})"));
        var top = plan.GetProperty("Plan");
        var buffers = top.GetProperty("Shared Hit Blocks").GetInt64() + top.GetProperty("Shared Read Blocks").GetInt64();
        output.WriteLine($"{what}: {plan.GetProperty("Execution Time").GetDouble():F2} ms, {buffers} buffers: {summary}");
        return (top, nodes, summary, buffers);
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

    private static async Task<SpanCursor> RunningKeyAsync(NpgsqlConnection connection, string condition, int offset)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT start_time, trace_id, span_id FROM partial_traces WHERE stopped_until IS NULL AND {condition} ORDER BY start_time, trace_id, span_id OFFSET {offset} LIMIT 1";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return new SpanCursor(LiveSpan.Running, reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTime>(0), reader.GetString(1), reader.GetString(2), 0);
    }

    private static async Task<SpanCursor> CrashedKeyAsync(NpgsqlConnection connection, int offset)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM partial_collected ORDER BY id DESC OFFSET {offset} LIMIT 1";
        return SpanCursor.ForCrashed((long)(await command.ExecuteScalarAsync())!);
    }
}
