using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Exporter.Tests;

/// <summary>A database that cannot be reached gets the retryable answers: 503 with Retry-After, UNAVAILABLE.</summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private ExporterHost exporter = null!;

    public async Task InitializeAsync() =>
        exporter = await ExporterHost.StartAsync(
            new() { ["PartialExporter:RetryAfter"] = "7s" },
            connectionString: $"Host=127.0.0.1;Port={FreePorts.Next()};Username=u;Password=p;Database=gone;Timeout=2");

    public async Task DisposeAsync() => await exporter.DisposeAsync();

    [Fact]
    public async Task HttpAnswers503WithRetryAfter()
    {
        using var http = new HttpClient { BaseAddress = exporter.HttpEndpoint };
        var content = new ByteArrayContent(PartialLogs.Request(PartialLogs.Heartbeat(PartialLogs.Traces(Spans.NewKey()))).ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await http.PostAsync("/v1/logs", content);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task GrpcAnswersUnavailable()
    {
        using var channel = GrpcChannel.ForAddress(exporter.GrpcEndpoint);
        var client = new LogsService.LogsServiceClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ExportAsync(PartialLogs.Request(PartialLogs.Heartbeat(PartialLogs.Traces(Spans.NewKey())))).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task RequestsWithNothingToStoreStillSucceed()
    {
        using var channel = GrpcChannel.ForAddress(exporter.GrpcEndpoint);
        var response = await new LogsService.LogsServiceClient(channel).ExportAsync(
            PartialLogs.Request(new OpenTelemetry.Proto.Logs.V1.LogRecord()));

        Assert.Null(response.PartialSuccess);
    }
}
