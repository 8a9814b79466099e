namespace PartialCollector.Exporter.Ingestion;

/// <summary>The database could not take the write; nothing was acknowledged, so the client should retry.</summary>
public sealed class StoreUnavailableException(string message, Exception inner) : Exception(message, inner);
