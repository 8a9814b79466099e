namespace PartialCollector.Receiver.Health;

/// <summary>The outcome of recent exports, shared by the cycle (which writes) and the health check (which reads).</summary>
public sealed class DownstreamHealth
{
    private readonly Lock gate = new();
    private int consecutiveFailures;
    private string? lastError;
    private DateTimeOffset? lastSuccess;

    public (int ConsecutiveFailures, string? LastError, DateTimeOffset? LastSuccess) Snapshot()
    {
        lock (gate)
        {
            return (consecutiveFailures, lastError, lastSuccess);
        }
    }

    public void Succeeded(DateTimeOffset at)
    {
        lock (gate)
        {
            consecutiveFailures = 0;
            lastSuccess = at;
        }
    }

    public void Failed(string error)
    {
        lock (gate)
        {
            consecutiveFailures++;
            lastError = error;
        }
    }
}
