using Microsoft.Extensions.Options;
using PartialCollector.Receiver.Delivery;

namespace PartialCollector.Receiver;

/// <summary>Refuses start-up on bad configuration, naming the key.</summary>
public sealed class PartialReceiverOptionsValidator : IValidateOptions<PartialReceiverOptions>
{
    private const int MinBatchBytes = 64 * 1024;
    private const int MaxBatchBytes = 64 * 1024 * 1024;

    // The transports own these: a tenant header must not rewrite how the request is framed, encoded or routed.
    private static readonly HashSet<string> TransportHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "te", "upgrade", "user-agent",
    };

    public ValidateOptionsResult Validate(string? name, PartialReceiverOptions options)
    {
        var failures = new List<string>();
        const string s = PartialReceiverOptions.Section;
        const string d = s + ":Downstream";
        var downstream = options.Downstream;

        if (options.GcInterval <= TimeSpan.Zero)
        {
            failures.Add($"{s}:GcInterval must be positive (got {options.GcInterval}).");
        }

        if (options.Jitter is { } jitter && (jitter < TimeSpan.Zero || jitter > options.GcInterval))
        {
            failures.Add($"{s}:Jitter must be between 0 and {s}:GcInterval (got {jitter}).");
        }

        if (options.BatchSize is < 1 or > 50_000)
        {
            failures.Add($"{s}:BatchSize must be between 1 and 50000 (got {options.BatchSize}).");
        }

        if (options.MaxBatchBytes is < MinBatchBytes or > MaxBatchBytes)
        {
            failures.Add($"{s}:MaxBatchBytes must be between {MinBatchBytes} and {MaxBatchBytes} (got {options.MaxBatchBytes}).");
        }

        if (options.CollectedRetention <= TimeSpan.Zero)
        {
            failures.Add($"{s}:CollectedRetention must be positive (got {options.CollectedRetention}).");
        }

        if (options.CollectedMaxRows is < 1 or > 100_000_000)
        {
            failures.Add($"{s}:CollectedMaxRows must be between 1 and 100000000 (got {options.CollectedMaxRows}).");
        }

        if (options.MaxServiceSeries is < 1 or > 10_000)
        {
            failures.Add($"{s}:MaxServiceSeries must be between 1 and 10000 (got {options.MaxServiceSeries}).");
        }

        if (options.DeadLetterRetention <= TimeSpan.Zero)
        {
            failures.Add($"{s}:DeadLetterRetention must be positive (got {options.DeadLetterRetention}).");
        }

        if (options.Concurrency is < 1 or > 64)
        {
            failures.Add($"{s}:Concurrency must be between 1 and 64 (got {options.Concurrency}).");
        }

        if (options.Claimers is < 1 or > 16)
        {
            failures.Add($"{s}:Claimers must be between 1 and 16 (got {options.Claimers}).");
        }

        if (!Enum.IsDefined(options.EndTime))
        {
            failures.Add($"{s}:EndTime must be LastHeartbeat or CollectionTime (got {options.EndTime}).");
        }

        if (options.MaxBackoff <= TimeSpan.Zero)
        {
            failures.Add($"{s}:MaxBackoff must be positive (got {options.MaxBackoff}).");
        }

        if (downstream.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{d}:Timeout must be positive (got {downstream.Timeout}).");
        }

        // A lease shorter than a send would let another receiver claim, and send again, spans still in flight.
        if (options.Lease <= downstream.Timeout)
        {
            failures.Add($"{s}:Lease must be longer than {d}:Timeout (got {options.Lease} and {downstream.Timeout}).");
        }

        if (string.IsNullOrWhiteSpace(downstream.Endpoint))
        {
            failures.Add($"{d}:Endpoint is required (or set OTEL_EXPORTER_OTLP_ENDPOINT): where collected spans are sent.");
        }
        else if (!Uri.TryCreate(downstream.Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            failures.Add($"{d}:Endpoint must be an absolute http:// or https:// URL (got '{downstream.Endpoint}').");
        }

        if (!string.Equals(downstream.Protocol, DownstreamOptions.Grpc, StringComparison.OrdinalIgnoreCase) && !downstream.UsesHttp)
        {
            failures.Add($"{d}:Protocol must be grpc or http/protobuf (got '{downstream.Protocol}').");
        }

        if (!downstream.UsesGzip && !string.Equals(downstream.Compression, "none", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{d}:Compression must be none or gzip (got '{downstream.Compression}').");
        }

        try
        {
            OtlpHeaders.Parse(downstream.Headers);
        }
        catch (FormatException e)
        {
            failures.Add($"{d}:Headers must be key=value pairs separated by commas: {e.Message}.");
        }

        if (downstream.RoutesByTenant && TenantHeaderProblem(downstream.TenantHeader!) is { } problem)
        {
            failures.Add($"{d}:TenantHeader {problem} (got '{downstream.TenantHeader}').");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }

    private static string? TenantHeaderProblem(string name) => name switch
    {
        _ when name.StartsWith(':') => "must be a header name, not a pseudo-header",
        _ when !HeaderText.IsToken(name) => "must be a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~, nothing else)",
        _ when name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) => "must not start with grpc-, which gRPC reserves",
        _ when name.EndsWith("-bin", StringComparison.OrdinalIgnoreCase) => "must not end in -bin, which gRPC keeps for binary values",
        _ when TransportHeaders.Contains(name) => "must not be a header the transport sets",
        _ => null,
    };
}
