using Npgsql;

namespace PartialCollector.Bench;

/// <summary>How large partial_traces and its indexes have grown, and what vacuum has left of it (bloat).</summary>
public sealed record TableSize(long TableBytes, long IndexBytes, long LiveRows, long DeadRows, long Updates, long HotUpdates, long AutoVacuums)
{
    public static async Task<TableSize> ReadAsync(NpgsqlDataSource dataSource, string table = "partial_traces")
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT pg_table_size(relid), pg_indexes_size(relid), n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, autovacuum_count
            FROM pg_stat_user_tables WHERE relname = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new TableSize(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6));
    }
}
