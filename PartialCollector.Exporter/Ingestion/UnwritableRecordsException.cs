namespace PartialCollector.Exporter.Ingestion;

/// <summary>This request's rows cannot be stored, whatever the database's state: the client must not retry them.</summary>
public sealed class UnwritableRecordsException(string message, Exception inner) : Exception(message, inner);
