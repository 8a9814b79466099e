namespace PartialCollector.Core.Storage;

/// <param name="Upserted">Heartbeat rows inserted or refreshed.</param>
/// <param name="Deleted">Live spans that stops ended (their rows became tombstones).</param>
/// <param name="Suppressed">Heartbeats not applied: the span was stopped, or a newer heartbeat is stored.</param>
public readonly record struct WriteResult(int Upserted, int Deleted, int Suppressed);
