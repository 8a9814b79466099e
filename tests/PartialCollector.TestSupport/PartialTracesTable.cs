using Npgsql;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Model;

namespace PartialCollector.TestSupport;

/// <summary>Reads the tables directly, to assert what the services wrote.</summary>
public sealed class PartialTracesTable(string connectionString)
{
    public sealed record Row(SpanKey Key, TracesData Trace, DateTime Timestamp, DateTime ExpiresAt, long? HeartbeatUnixNano);

    /// <summary>The span's row while it runs; null once it stopped (its row is a tombstone) or was collected.</summary>
    public async Task<Row?> FindAsync(SpanKey key)
    {
        var rows = await QueryAsync("WHERE trace_id = @t AND span_id = @s AND stopped_until IS NULL", ("t", key.TraceId), ("s", key.SpanId));
        return rows.SingleOrDefault();
    }

    /// <summary>Every running span's row (tombstones excluded).</summary>
    public Task<List<Row>> AllAsync() => QueryAsync("WHERE stopped_until IS NULL");

    /// <summary>The keys of every running span's row (tombstones excluded), without decoding the traces.</summary>
    public async Task<HashSet<SpanKey>> KeysAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT trace_id, span_id FROM partial_traces WHERE stopped_until IS NULL", connection);
        var keys = new HashSet<SpanKey>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(new SpanKey(reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }

    /// <summary>Rows of running spans in partial_traces (tombstones excluded), or all rows of another table.</summary>
    public Task<long> CountAsync(string table = "partial_traces") =>
        ScalarAsync<long>(table == "partial_traces" ? "SELECT count(*) FROM partial_traces WHERE stopped_until IS NULL" : $"SELECT count(*) FROM {table}");

    /// <summary>Expired spans not yet delivered, wherever they wait: in partial_traces, or claimed in a batch.</summary>
    public Task<long> CountUndeliveredAsync() => ScalarAsync<long>("""
        SELECT (SELECT count(*) FROM partial_traces WHERE expires_at < now())
             + (SELECT coalesce(sum(cardinality(ids)), 0) FROM partial_collection_batches)
        """);

    public Task<long> CountTombstonesAsync() => ScalarAsync<long>("SELECT count(*) FROM partial_traces WHERE stopped_until IS NOT NULL");

    public Task<bool> HasTombstoneAsync(SpanKey key) =>
        ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM partial_traces WHERE trace_id = @t AND span_id = @s AND stopped_until IS NOT NULL)",
            ("t", key.TraceId),
            ("s", key.SpanId));

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<Row>> QueryAsync(string where, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT trace_id, span_id, trace, \"timestamp\", expires_at, heartbeat_unix_nano FROM partial_traces {where}", connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<Row>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(
                new SpanKey(reader.GetString(0), reader.GetString(1)),
                TracesData.Parser.ParseFrom((byte[])reader[2]),
                reader.GetDateTime(3),
                reader.GetDateTime(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5)));
        }

        return rows;
    }
}
