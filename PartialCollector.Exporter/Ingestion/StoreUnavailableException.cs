namespace PartialCollector.Exporter.Ingestion;

/// <summary>The database (or the exporter's memory limit) could not take the write; nothing was acknowledged, so the client should retry.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
