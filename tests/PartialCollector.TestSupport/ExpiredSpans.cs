using Npgsql;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;

namespace PartialCollector.TestSupport;

/// <summary>Seeds spans the way the Exporter stores them (through <see cref="SpanWriteStore"/>) and then makes them due.</summary>
public static class ExpiredSpans
{
    /// <param name="paddingBytes">Size of an attribute added to each span, for large spans.</param>
    /// <param name="tenant">The tenant that writes them, as the Exporter records an authenticated tenant; null for none.</param>
    /// <param name="expiresFromNow">When they expire, from the database's now(); null for a minute ago (due at once).</param>
    public static async Task<List<SpanKey>> SeedAsync(
        string connectionString, int count, string name = "crashed", long observed = 0, int paddingBytes = 0, string? tenant = null, TimeSpan? expiresFromNow = null)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new SpanWriteStore(dataSource);
        var keys = new List<SpanKey>(count);
        for (var offset = 0; offset < count; offset += 1000)
        {
            var batch = new WriteBatch();
            for (var i = offset; i < Math.Min(count, offset + 1000); i++)
            {
                var key = Spans.NewKey();
                keys.Add(key);
                var heartbeat = paddingBytes > 0
                    ? Spans.PaddedHeartbeat(key, TimeSpan.FromSeconds(1), paddingBytes, name)
                    : Spans.Heartbeat(key, TimeSpan.FromSeconds(1), observed, name);
                if (!batch.TryAddRange([heartbeat], tenant))
                {
                    throw new InvalidOperationException($"the write batch refused seed span {key}");
                }
            }

            await store.WriteAsync(batch, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
        }

        await ExpireAsync(connectionString, keys, expiresFromNow ?? TimeSpan.FromMinutes(-1));
        return keys;
    }

    /// <summary>Moves the rows' expiry into the past, as if their heartbeats had stopped a minute ago.</summary>
    public static Task ExpireAsync(string connectionString, IEnumerable<SpanKey> keys) => ExpireAsync(connectionString, keys, TimeSpan.FromMinutes(-1));

    /// <summary>Sets the rows' expiry to the database's <c>now()</c> plus <paramref name="fromNow"/> (negative: in the past).</summary>
    public static async Task ExpireAsync(string connectionString, IEnumerable<SpanKey> keys, TimeSpan fromNow)
    {
        var list = keys.ToList();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            UPDATE partial_traces p SET expires_at = now() + @fromNow
            FROM unnest(@t::text[], @s::text[]) AS u(trace_id, span_id)
            WHERE p.trace_id = u.trace_id AND p.span_id = u.span_id
            """,
            connection);
        command.Parameters.AddWithValue("t", list.Select(k => k.TraceId).ToArray());
        command.Parameters.AddWithValue("s", list.Select(k => k.SpanId).ToArray());
        command.Parameters.AddWithValue("fromNow", fromNow);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<long> DeadLetterCountAsync(string connectionString, string? reasonContains = null)
    {
        var table = new PartialTracesTable(connectionString);
        return reasonContains is null
            ? await table.CountAsync("partial_dead_letters")
            : await table.ScalarAsync<long>("SELECT count(*) FROM partial_dead_letters WHERE reason LIKE @r", ("r", $"%{reasonContains}%"));
    }

    /// <summary>Each dead letter's span id and tenant (null for none).</summary>
    public static async Task<Dictionary<string, string?>> DeadLetterTenantsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT span_id, tenant FROM partial_dead_letters", connection);
        var tenants = new Dictionary<string, string?>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tenants.Add(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
        }

        return tenants;
    }

    public static async Task<List<string>> DeadLetterReasonsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT reason FROM partial_dead_letters ORDER BY id", connection);
        var reasons = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            reasons.Add(reader.GetString(0));
        }

        return reasons;
    }
}
