using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace PartialCollector.Receiver.Delivery;

/// <summary>OTLP/HTTP with protobuf bodies: <c>POST {endpoint}/v1/traces</c>.</summary>
public sealed class HttpTraceExporter : ITraceExporter
{
    public const string TracesPath = "/v1/traces";
    private const string Protobuf = "application/x-protobuf";
    private readonly IHttpClientFactory clients;
    private readonly Uri target;
    private readonly bool gzip;
    private readonly TimeSpan timeout;
    private readonly IReadOnlyList<KeyValuePair<string, string>> headers;

    // A client per export (cheap: the factory pools handlers), so handler rotation and DNS changes apply.
    public HttpTraceExporter(IHttpClientFactory clients, IOptions<PartialReceiverOptions> options)
    {
        var downstream = options.Value.Downstream;
        this.clients = clients;
        target = TargetOf(downstream.Endpoint!);
        gzip = downstream.UsesGzip;
        timeout = downstream.Timeout;
        headers = OtlpHeaders.Parse(downstream.Headers);
    }

    /// <summary>The OTel SDK's rule for the generic endpoint: append the signal path unless it is already there.</summary>
    public static Uri TargetOf(string endpoint)
    {
        var trimmed = endpoint.TrimEnd('/');
        return new Uri(trimmed.EndsWith(TracesPath, StringComparison.OrdinalIgnoreCase) ? trimmed : trimmed + TracesPath);
    }

    public async Task<ExportOutcome> ExportAsync(ExportRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var client = clients.CreateClient(ReceiverApplication.DownstreamHttpClient);
            client.Timeout = timeout;
            using var message = new HttpRequestMessage(HttpMethod.Post, target) { Content = Body(request.Traces) };
            foreach (var (key, value) in RequestHeaders.Merge(headers, request.Headers))
            {
                message.Headers.TryAddWithoutValidation(key, value);
            }

            using var response = await client.SendAsync(message, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var parsed = TryParse(body);
                return parsed?.PartialSuccess is { RejectedSpans: > 0 } partial
                    ? new ExportOutcome.Delivered(partial.RejectedSpans, partial.ErrorMessage)
                    : new ExportOutcome.Delivered();
            }

            return Classify(response.StatusCode, Describe(response, body));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ExportOutcome.Retryable($"no answer within {timeout}");
        }
        catch (HttpRequestException e)
        {
            return new ExportOutcome.Retryable($"HTTP request failed: {e.Message}");
        }
    }

    /// <summary>
    /// OTLP/HTTP's retryable statuses, plus those that describe the deployment rather than the data (see gRPC);
    /// 413 says the body is too large, so smaller requests may pass.
    /// </summary>
    public static ExportOutcome Classify(HttpStatusCode status, string detail) => (int)status switch
    {
        413 => new ExportOutcome.TooLarge($"HTTP 413: {detail}"),
        429 or 502 or 503 or 504 or 408 or 401 or 403 or 404 => new ExportOutcome.Retryable($"HTTP {(int)status}: {detail}"),
        _ => new ExportOutcome.Rejected($"HTTP {(int)status}: {detail}"),
    };

    private HttpContent Body(byte[] bytes)
    {
        if (gzip)
        {
            using var compressed = new MemoryStream();
            using (var stream = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                stream.Write(bytes);
            }

            bytes = compressed.ToArray();
        }

        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(Protobuf);
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        return content;
    }

    private static ExportTraceServiceResponse? TryParse(byte[] body)
    {
        try
        {
            return body.Length == 0 ? null : ExportTraceServiceResponse.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException)
        {
            // A success without a protobuf body (some proxies answer JSON or nothing) is still a success.
            return null;
        }
    }

    // OTLP/HTTP errors carry a google.rpc.Status; fall back to the reason phrase.
    private static string Describe(HttpResponseMessage response, byte[] body)
    {
        if (response.Content.Headers.ContentType?.MediaType == Protobuf && body.Length > 0)
        {
            try
            {
                var status = PartialCollector.Core.Otlp.Rpc.Status.Parser.ParseFrom(body);
                if (status.Message.Length > 0)
                {
                    return status.Message;
                }
            }
            catch (InvalidProtocolBufferException)
            {
            }
        }

        return response.ReasonPhrase ?? response.StatusCode.ToString();
    }
}
