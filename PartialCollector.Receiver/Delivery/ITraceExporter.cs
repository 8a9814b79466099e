namespace PartialCollector.Receiver.Delivery;

/// <summary>Sends one OTLP trace export request downstream. Never throws for downstream failures: it classifies them.</summary>
public interface ITraceExporter
{
    Task<ExportOutcome> ExportAsync(ExportRequest request, CancellationToken cancellationToken);
}
