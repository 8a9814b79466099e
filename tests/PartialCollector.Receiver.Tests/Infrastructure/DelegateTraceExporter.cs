using OpenTelemetry.Proto.Collector.Trace.V1;
using PartialCollector.Receiver.Delivery;

namespace PartialCollector.Receiver.Tests.Infrastructure;

/// <summary>A downstream scripted by the test, for outcomes and interleavings a real backend cannot be asked for.</summary>
public sealed class DelegateTraceExporter(Func<ExportTraceServiceRequest, Task<ExportOutcome>> export) : ITraceExporter
{
    public List<ExportTraceServiceRequest> Requests { get; } = [];

    public async Task<ExportOutcome> ExportAsync(ExportRequest request, CancellationToken cancellationToken)
    {
        var traces = ExportTraceServiceRequest.Parser.ParseFrom(request.Traces);
        lock (Requests)
        {
            Requests.Add(traces.Clone());
        }

        return await export(traces);
    }
}
