using Google.Protobuf;
using Npgsql;
using NpgsqlTypes;

namespace PartialCollector.Bench;

/// <summary>
/// The reference points, issued straight from Npgsql on the same database: (a) the original implementation's
/// write pattern, one autocommit upsert per span, on a table as the original creates it (its expires_at index
/// included, so every upsert is a non-HOT update as it is for the original); (b) our table's limit, multi-row
/// upserts of 1,000 rows into partial_traces.
/// </summary>
public static class DatabaseReferences
{
    /// <summary>The original's table, column for column, with its golang-migrate index.</summary>
    public const string CreateOriginalTable = """
        DROP TABLE IF EXISTS original_partial_traces;
        CREATE TABLE original_partial_traces (
            trace_id text NOT NULL, span_id text NOT NULL, trace bytea NOT NULL,
            "timestamp" timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL,
            PRIMARY KEY (trace_id, span_id));
        CREATE INDEX original_partial_traces_expires_at_idx ON original_partial_traces (expires_at);
        """;

    private const string SingleUpsert = """
        INSERT INTO original_partial_traces (trace_id, span_id, trace, "timestamp", expires_at)
        VALUES ($1, $2, $3, now(), now() + interval '15 seconds')
        ON CONFLICT (trace_id, span_id) DO UPDATE
        SET trace = EXCLUDED.trace, "timestamp" = EXCLUDED."timestamp", expires_at = EXCLUDED.expires_at
        """;

    private const string MultiUpsert = """
        INSERT INTO partial_traces (trace_id, span_id, trace, "timestamp", expires_at)
        SELECT u.t, u.s, u.b, now(), now() + interval '15 seconds'
        FROM unnest($1::text[], $2::text[], $3::bytea[]) AS u(t, s, b)
        ON CONFLICT (trace_id, span_id) DO UPDATE
        SET trace = EXCLUDED.trace, "timestamp" = EXCLUDED."timestamp", expires_at = EXCLUDED.expires_at
        """;

    public static async Task<LoadResult> OriginalPatternAsync(NpgsqlDataSource dataSource, SpanPayloads payloads, int clients, TimeSpan warmUp, TimeSpan duration, Action? measuring = null)
    {
        var (traceIds, spanIds, traces) = Columns(payloads);
        var connections = await OpenAsync(dataSource, clients);
        var result = await LoadDriver.RunAsync("(a) original: 1 upsert per span, 32 conns", clients, warmUp, duration, async (client, i) =>
        {
            var key = (int)((client * 7919L + i * clients) % payloads.Count);
            await using var command = new NpgsqlCommand(SingleUpsert, connections[client])
            {
                Parameters = { new() { Value = traceIds[key] }, new() { Value = spanIds[key] }, new() { Value = traces[key] } },
            };
            await command.ExecuteNonQueryAsync();
            return 1;
        }, measuring);
        await CloseAsync(connections);
        return result;
    }

    public static async Task<LoadResult> MultiRowLimitAsync(NpgsqlDataSource dataSource, SpanPayloads payloads, int clients, TimeSpan warmUp, TimeSpan duration, Action? measuring = null)
    {
        const int rows = 1000;
        var (traceIds, spanIds, traces) = Columns(payloads);
        var connections = await OpenAsync(dataSource, clients);
        var result = await LoadDriver.RunAsync($"(b) limit: 1,000-row upserts, {clients} conns", clients, warmUp, duration, async (client, i) =>
        {
            var start = (int)((client * 25_000L + i * rows) % (payloads.Count - rows));
            await using var command = new NpgsqlCommand(MultiUpsert, connections[client])
            {
                Parameters =
                {
                    new() { Value = traceIds[start..(start + rows)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    new() { Value = spanIds[start..(start + rows)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
                    new() { Value = traces[start..(start + rows)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                },
            };
            await command.ExecuteNonQueryAsync();
            return rows;
        }, measuring);
        await CloseAsync(connections);
        return result;
    }

    private static (string[] TraceIds, string[] SpanIds, byte[][] Traces) Columns(SpanPayloads payloads)
    {
        var traceIds = new string[payloads.Count];
        var spanIds = new string[payloads.Count];
        var traces = new byte[payloads.Count][];
        for (var i = 0; i < payloads.Count; i++)
        {
            traceIds[i] = payloads.TraceIdHex(i);
            spanIds[i] = payloads.SpanIdHex(i);
            traces[i] = payloads.Traces(i).ToByteArray();
        }

        return (traceIds, spanIds, traces);
    }

    private static async Task<NpgsqlConnection[]> OpenAsync(NpgsqlDataSource dataSource, int count)
    {
        var connections = new NpgsqlConnection[count];
        for (var i = 0; i < count; i++)
        {
            connections[i] = await dataSource.OpenConnectionAsync();
        }

        return connections;
    }

    private static async Task CloseAsync(NpgsqlConnection[] connections)
    {
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
    }
}
