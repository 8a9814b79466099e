using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace PartialCollector.Exporter.Otlp;

/// <summary>
/// Binds <c>LogsService/Export</c> with a request marshaller that answers an undecodable message with
/// INVALID_ARGUMENT (not retried by clients) rather than the framework's INTERNAL.
/// </summary>
public sealed class LogsGrpcMethodProvider : IServiceMethodProvider<LogsGrpcService>
{
    /// <summary>The request path of the service's methods: <c>/opentelemetry.proto.collector.logs.v1.LogsService</c>.</summary>
    public static readonly string ServicePath = "/" + LogsService.Descriptor.FullName;

    private static readonly Method<ExportLogsServiceRequest, ExportLogsServiceResponse> Export = new(
        MethodType.Unary,
        LogsService.Descriptor.FullName,
        "Export",
        Marshallers.Create<ExportLogsServiceRequest>(
            (request, context) => context.Complete(request.ToByteArray()),
            Deserialize),
        Marshallers.Create<ExportLogsServiceResponse>(
            (response, context) => context.Complete(response.ToByteArray()),
            context => ExportLogsServiceResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<LogsGrpcService> context) =>
        context.AddUnaryMethod(Export, [], (service, request, callContext) => service.Export(request, callContext));

    private static ExportLogsServiceRequest Deserialize(DeserializationContext context)
    {
        try
        {
            return ExportLogsServiceRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"request is not a valid ExportLogsServiceRequest: {e.Message}"));
        }
    }
}
