using System.Net.Sockets;
using Npgsql;

namespace PartialCollector.Exporter.Ingestion;

/// <summary>
/// Tells a database that cannot take writes now (clients should retry: 503 / UNAVAILABLE) from rows that can
/// never be written (the requests holding them are refused: 400 / INVALID_ARGUMENT).
/// </summary>
public static class WriteFailure
{
    public static bool IsUnavailable(Exception e) => e switch
    {
        // Bad data: a data exception (22), an integrity violation (23) or a program limit such as a row too
        // large (54) is about these rows, and would fail the same way on every retry.
        PostgresException p => !IsAboutTheRows(p.SqlState),

        // Connection failures, timeouts, failover, the server shutting down, cancelled commands.
        NpgsqlException or TimeoutException or OperationCanceledException or SocketException => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };

    private static bool IsAboutTheRows(string sqlState) => sqlState.StartsWith("22", StringComparison.Ordinal)
        || sqlState.StartsWith("23", StringComparison.Ordinal)
        || sqlState.StartsWith("54", StringComparison.Ordinal);
}
