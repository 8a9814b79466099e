using Npgsql;

namespace PartialCollector.Core.Storage;

/// <summary>
/// Runs a database operation again, at once, when PostgreSQL aborted it for a deadlock or a serialization failure,
/// up to <see cref="MaxAttempts"/> attempts in all; the last attempt's error reaches the caller. Only for operations
/// that are safe to repeat: each attempt is its own transaction, rolled back whole when aborted.
/// </summary>
internal static class TransientRetry
{
    public const int MaxAttempts = 3;

    public static async Task<T> RunAsync<T>(Func<Task<T>> operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation();
            }
            catch (PostgresException e) when (IsTransient(e) && attempt < MaxAttempts)
            {
            }
        }
    }

    private static bool IsTransient(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure;
}
