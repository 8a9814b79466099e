using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace PartialCollector.TestSupport;

/// <summary>
/// Sends OTLP log export requests to an Exporter over gRPC or HTTP and returns the answer as data (status
/// and partial success) rather than throwing, so load tests can record every answer.
/// </summary>
public sealed class LogsClient : IDisposable
{
    private readonly GrpcChannel channel;
    private readonly LogsService.LogsServiceClient grpc;
    private readonly HttpClient http;
    private readonly Metadata headers = [];

    /// <param name="apiKey">Sent as <c>Authorization: Bearer {key}</c> when given.</param>
    /// <param name="handler">
    /// Makes the handler of each transport (TLS trust, client certificates); the default handlers otherwise.
    /// </param>
    public LogsClient(IOtlpEndpoints exporter, string? apiKey = null, Func<HttpMessageHandler>? handler = null)
        : this(exporter.GrpcEndpoint, exporter.HttpEndpoint, apiKey, handler)
    {
    }

    public LogsClient(Uri grpcEndpoint, Uri httpEndpoint, string? apiKey = null, Func<HttpMessageHandler>? handler = null)
    {
        channel = GrpcChannel.ForAddress(grpcEndpoint, new GrpcChannelOptions { MaxSendMessageSize = null, HttpHandler = handler?.Invoke() });
        grpc = new LogsService.LogsServiceClient(channel);
        http = new HttpClient(handler?.Invoke() ?? new HttpClientHandler()) { BaseAddress = httpEndpoint, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            headers.Add("authorization", $"Bearer {apiKey}");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    /// <param name="Status">The HTTP status, or the gRPC status mapped to the HTTP one OTLP pairs it with.</param>
    /// <param name="RetryAfter">HTTP's Retry-After, or the delay of a gRPC status's RetryInfo.</param>
    public sealed record Answer(int Status, string Transport, ExportLogsServiceResponse? Response, string? Detail, TimeSpan? RetryAfter, StatusCode? GrpcStatus = null)
    {
        public bool Acknowledged => Status == 200;

        public long Rejected => Response?.PartialSuccess?.RejectedLogRecords ?? 0;

        public override string ToString() => $"{Transport} {Status} {Detail ?? Response?.PartialSuccess?.ErrorMessage}";
    }

    public Task<Answer> SendAsync(ExportLogsServiceRequest request, bool useHttp) =>
        useHttp ? PostAsync(request.ToByteArray()) : ExportAsync(request);

    public async Task<Answer> ExportAsync(ExportLogsServiceRequest request)
    {
        try
        {
            return new Answer(200, "grpc", await grpc.ExportAsync(request, headers), null, null, StatusCode.OK);
        }
        catch (RpcException e)
        {
            var status = e.StatusCode switch
            {
                StatusCode.InvalidArgument => 400,
                StatusCode.Unauthenticated => 401,
                StatusCode.ResourceExhausted when RetryDelay(e) is not null => 429,
                StatusCode.ResourceExhausted => 413,
                StatusCode.Unavailable => 503,
                StatusCode.Unknown or StatusCode.Internal => 500,
                _ => 600 + (int)e.StatusCode,
            };
            return new Answer(status, "grpc", null, $"{e.StatusCode}: {e.Status.Detail}", RetryDelay(e), e.StatusCode);
        }
    }

    private static TimeSpan? RetryDelay(RpcException e) =>
        e.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>()?.RetryDelay?.ToTimeSpan();

    public async Task<Answer> PostAsync(byte[] body, bool gzip = false)
    {
        var content = new ByteArrayContent(gzip ? Gzip(body) : body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        using var response = await http.PostAsync("/v1/logs", content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return new Answer(200, "http", ExportLogsServiceResponse.Parser.ParseFrom(bytes), null, null);
        }

        string detail;
        try
        {
            detail = PartialCollector.Core.Otlp.Rpc.Status.Parser.ParseFrom(bytes).Message;
        }
        catch (InvalidProtocolBufferException)
        {
            detail = $"(body of {bytes.Length} bytes)";
        }

        return new Answer((int)response.StatusCode, "http", null, detail, response.Headers.RetryAfter?.Delta);
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    public void Dispose()
    {
        http.Dispose();
        channel.Dispose();
    }
}
