using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Exporter.Ingestion;
using PartialCollector.Exporter.Tenants;

namespace PartialCollector.Exporter.Otlp;

/// <summary>
/// OTLP/gRPC <c>LogsService/Export</c>: a thin layer over <see cref="LogIngestionService"/>, bound by
/// <see cref="LogsGrpcMethodProvider"/>.
/// </summary>
public sealed class LogsGrpcService(LogIngestionService ingestion, PendingBytesLimit pending)
{
    public async Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();

        // Reserved by GrpcMessageReservation before the message was read; released by it after the answer.
        var reserved = http.Features.Get<PendingBytesLimit.Reservation>();
        using var own = reserved is null ? pending.Begin() : null;
        try
        {
            return await ingestion.IngestAsync(request, reserved ?? own!, TenantAuthenticationHandler.TenantOf(http.User), context.CancellationToken);
        }
        catch (StoreUnavailableException e)
        {
            // UNAVAILABLE is retryable for OTLP clients; nothing of this request was acknowledged.
            throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, e.Message));
        }
        catch (TenantThrottledException e)
        {
            // RESOURCE_EXHAUSTED is retried by OTLP clients only when it carries RetryInfo.
            throw new Google.Rpc.Status
            {
                Code = (int)Google.Rpc.Code.ResourceExhausted,
                Message = e.Message,
                Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(e.RetryAfter) }) },
            }.ToRpcException();
        }
        catch (UnwritableRecordsException e)
        {
            // Not retryable: these records would fail the same way again.
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, e.Message));
        }
    }
}
