namespace PartialCollector.Core.Storage;

/// <param name="Deleted">Delivered spans whose batch was closed.</param>
/// <param name="DeadLettered">Rows moved to the dead letters, plus delivered rows copied there.</param>
/// <param name="Released">Rows handed back for a later cycle.</param>
/// <param name="LeaseLost">Claimed spans whose batch another receiver took over after the lease ran out: they are its own now.</param>
public readonly record struct SettleResult(int Deleted, int DeadLettered, int Released, int LeaseLost);
