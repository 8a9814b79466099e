using Grpc.Core;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Exporter.Ingestion;

namespace PartialCollector.Exporter.Otlp;

/// <summary>
/// OTLP/gRPC <c>LogsService/Export</c>: a thin layer over <see cref="LogIngestionService"/>, bound by
/// <see cref="LogsGrpcMethodProvider"/>.
/// </summary>
public sealed class LogsGrpcService(LogIngestionService ingestion)
{
    public async Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        try
        {
            return await ingestion.IngestAsync(request, request.CalculateSize(), context.CancellationToken);
        }
        catch (StoreUnavailableException e)
        {
            // UNAVAILABLE is retryable for OTLP clients; nothing of this request was acknowledged.
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (UnwritableRecordsException e)
        {
            // Not retryable: these records would fail the same way again.
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
    }
}
