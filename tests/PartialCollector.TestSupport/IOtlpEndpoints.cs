namespace PartialCollector.TestSupport;

/// <summary>An Exporter's two OTLP endpoints, in-process or a process of its own: what <see cref="LogsClient"/> sends to.</summary>
public interface IOtlpEndpoints
{
    /// <summary>OTLP/gRPC (<c>LogsService/Export</c>).</summary>
    Uri GrpcEndpoint { get; }

    /// <summary>OTLP/HTTP (<c>POST /v1/logs</c>), and the Exporter's <c>/health</c>.</summary>
    Uri HttpEndpoint { get; }
}
