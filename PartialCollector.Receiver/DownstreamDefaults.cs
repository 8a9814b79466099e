using Microsoft.Extensions.Options;

namespace PartialCollector.Receiver;

/// <summary>
/// Falls back to the standard OTLP exporter variables the Aspire app host hands every project. The headers
/// (which carry the dashboard's API key) are only borrowed together with the endpoint they belong to, so a
/// secret meant for one backend is never sent to another.
/// </summary>
public sealed class DownstreamDefaults(IConfiguration configuration) : IPostConfigureOptions<PartialReceiverOptions>
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string HeadersVariable = "OTEL_EXPORTER_OTLP_HEADERS";
    public const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";

    public void PostConfigure(string? name, PartialReceiverOptions options)
    {
        var downstream = options.Downstream;
        if (!string.IsNullOrWhiteSpace(downstream.Endpoint) || string.IsNullOrWhiteSpace(configuration[EndpointVariable]))
        {
            return;
        }

        downstream.Endpoint = configuration[EndpointVariable];
        downstream.Headers ??= configuration[HeadersVariable];
        var section = $"{PartialReceiverOptions.Section}:Downstream:{nameof(DownstreamOptions.Protocol)}";
        if (configuration[section] is null && configuration[ProtocolVariable] is { Length: > 0 } protocol)
        {
            downstream.Protocol = protocol;
        }
    }
}
