using Npgsql;

namespace PartialCollector.TestSupport;

/// <summary>
/// Holds partial_traces locked (SHARE ROW EXCLUSIVE: reads go on, writes wait) until disposed, so a test can make
/// the database stop taking writes without stopping it.
/// </summary>
public sealed class TableLock : IAsyncDisposable
{
    private readonly NpgsqlConnection connection;
    private bool released;

    private TableLock(NpgsqlConnection connection) => this.connection = connection;

    public static async Task<TableLock> TakeAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("BEGIN; LOCK TABLE partial_traces IN SHARE ROW EXCLUSIVE MODE", connection);
        await command.ExecuteNonQueryAsync();
        return new TableLock(connection);
    }

    public async ValueTask DisposeAsync()
    {
        if (released)
        {
            return;
        }

        released = true;
        await using (var rollback = new NpgsqlCommand("ROLLBACK", connection))
        {
            await rollback.ExecuteNonQueryAsync();
        }

        await connection.DisposeAsync();
    }
}
