using OpenTelemetry.Proto.Collector.Trace.V1;

namespace PartialCollector.Receiver.Delivery;

/// <summary>Sends one OTLP trace export request downstream. Never throws for downstream failures: it classifies them.</summary>
public interface ITraceExporter
{
    Task<ExportOutcome> ExportAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken);
}
