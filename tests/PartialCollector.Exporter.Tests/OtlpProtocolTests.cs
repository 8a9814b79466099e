using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Exporter.Tests;

/// <summary>The OTLP response rules at both endpoints: partial success, 400 / INVALID_ARGUMENT, 413, gzip.</summary>
public sealed class OtlpProtocolTests : IAsyncLifetime
{
    private ExporterHost exporter = null!;
    private GrpcChannel channel = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        exporter = await ExporterHost.StartAsync(new()
        {
            ["PartialExporter:MaxRequestBodySize"] = "65536",
            ["PartialExporter:MaxDecompressedBodySize"] = "131072",
        });
        channel = GrpcChannel.ForAddress(exporter.GrpcEndpoint);
        http = new HttpClient { BaseAddress = exporter.HttpEndpoint };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        channel.Dispose();
        await exporter.DisposeAsync();
    }

    [Fact]
    public async Task GrpcExportStoresGoodRecordsAndRejectsBadOnesOneByOne()
    {
        var good = Spans.NewKey();
        var request = PartialLogs.Request(
            PartialLogs.Heartbeat(PartialLogs.Traces(good)),
            PartialLogs.Heartbeat(PartialLogs.Traces(Spans.NewKey()), frequency: "soon"),
            new OpenTelemetry.Proto.Logs.V1.LogRecord { Body = new AnyValue { StringValue = "an ordinary log" } });

        var response = await new LogsService.LogsServiceClient(channel).ExportAsync(request);

        Assert.Equal(1, response.PartialSuccess.RejectedLogRecords);
        Assert.Contains("invalid_frequency", response.PartialSuccess.ErrorMessage);
        Assert.NotNull(await exporter.Table.FindAsync(good));
        Assert.Equal(1, await exporter.Table.CountAsync());
    }

    [Fact]
    public async Task GrpcMalformedRequestIsInvalidArgument()
    {
        var invoker = channel.CreateCallInvoker();
        var method = new Method<byte[], byte[]>(
            MethodType.Unary,
            "opentelemetry.proto.collector.logs.v1.LogsService",
            "Export",
            Marshallers.Create(b => b, b => b),
            Marshallers.Create(b => b, b => b));

        var error = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(method, null, default, [0x0a, 0xff, 0xff, 0x01]).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task HttpProtobufExportAnswersInProtobufWithPartialSuccess()
    {
        var good = Spans.NewKey();
        var request = PartialLogs.Request(
            PartialLogs.Heartbeat(PartialLogs.Traces(good)),
            PartialLogs.Heartbeat(PartialLogs.Traces(Spans.NewKey())).WithBody("not base64!"));

        using var response = await http.PostAsync("/v1/logs", Protobuf(request.ToByteArray()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var parsed = ExportLogsServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, parsed.PartialSuccess.RejectedLogRecords);
        Assert.Contains("invalid_body", parsed.PartialSuccess.ErrorMessage);
        Assert.NotNull(await exporter.Table.FindAsync(good));
    }

    [Fact]
    public async Task HttpGzipBodyIsAccepted()
    {
        var key = Spans.NewKey();
        var content = new ByteArrayContent(Gzip(PartialLogs.Request(PartialLogs.Heartbeat(PartialLogs.Traces(key))).ToByteArray()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await http.PostAsync("/v1/logs", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(await exporter.Table.FindAsync(key));
    }

    [Theory]
    [InlineData("application/x-protobuf")]
    [InlineData("application/json")]
    public async Task HttpMalformedBodyIsBadRequestInTheRequestsEncoding(string contentType)
    {
        var content = new ByteArrayContent([0x0a, 0xff, 0xff, 0x01]);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        using var response = await http.PostAsync("/v1/logs", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await exporter.Table.CountAsync());
    }

    [Fact]
    public async Task HttpBodyOverTheLimitIs413()
    {
        using var response = await http.PostAsync("/v1/logs", Protobuf(new byte[70_000]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task HttpGzipBombIs413()
    {
        // 1 MiB of zeros compresses to about 1 KiB: small on the wire, over the decompressed limit.
        var content = new ByteArrayContent(Gzip(new byte[1024 * 1024]));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await http.PostAsync("/v1/logs", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task HttpJsonExportAnswersInJson()
    {
        var key = Spans.NewKey();
        var json = $$$"""
            {"resourceLogs":[{"scopeLogs":[{"logRecords":[
              {"body":{"stringValue":"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"{{{key.TraceId}}}\",\"spanId\":\"{{{key.SpanId}}}\",\"name\":\"json\"}]}]}]}"},
               "attributes":[{"key":"partial.event","value":{"stringValue":"heartbeat"}},
                             {"key":"partial.frequency","value":{"stringValue":"1m30s"}},
                             {"key":"partial.body.type","value":{"stringValue":"json/v1"}}]},
              {"body":{"stringValue":"x"},"attributes":[{"key":"partial.event","value":{"stringValue":"heartbeat"}}]}
            ]}]}]}
            """;
        using var response = await http.PostAsync("/v1/logs", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"rejectedLogRecords\":\"1\"", body);
        Assert.Contains("missing_frequency", body);
        var row = await exporter.Table.FindAsync(key);
        Assert.Equal(TimeSpan.FromSeconds(270), row!.ExpiresAt - row.Timestamp);
    }

    private static ByteArrayContent Protobuf(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        return content;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }
}
