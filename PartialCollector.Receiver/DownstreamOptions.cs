namespace PartialCollector.Receiver;

/// <summary>Section <c>PartialReceiver:Downstream</c>: where collected spans go, configured like an OTLP exporter.</summary>
public sealed class DownstreamOptions
{
    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>OTLP endpoint; defaults to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>.</summary>
    public string Protocol { get; set; } = Grpc;

    /// <summary><c>key=value,key2=value2</c> (values URL-encoded); defaults to <c>OTEL_EXPORTER_OTLP_HEADERS</c> when the endpoint does.</summary>
    public string? Headers { get; set; }

    /// <summary>
    /// When set (e.g. <c>X-Scope-OrgID</c>), each export request holds the spans of one tenant and carries this header
    /// with the tenant's name, on top of <see cref="Headers"/>; spans without a tenant go without it. Unset: requests mix tenants.
    /// </summary>
    public string? TenantHeader { get; set; }

    /// <summary>Deadline of one export request.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>none</c> or <c>gzip</c>.</summary>
    public string Compression { get; set; } = "none";

    public bool UsesGzip => string.Equals(Compression, "gzip", StringComparison.OrdinalIgnoreCase);

    public bool RoutesByTenant => !string.IsNullOrWhiteSpace(TenantHeader);

    public bool UsesHttp => string.Equals(Protocol, HttpProtobuf, StringComparison.OrdinalIgnoreCase);
}
