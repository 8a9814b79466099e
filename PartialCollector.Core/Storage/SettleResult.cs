namespace PartialCollector.Core.Storage;

/// <param name="Deleted">Delivered rows removed.</param>
/// <param name="DeadLettered">Rows moved to the dead letters, plus delivered rows copied there.</param>
/// <param name="Released">Rows handed back for a later cycle.</param>
/// <param name="KeptAlive">Claimed rows left alone because a heartbeat refreshed them during the claim.</param>
public readonly record struct SettleResult(int Deleted, int DeadLettered, int Released, int KeptAlive);
