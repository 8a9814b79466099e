using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>The service as deployed: host, options, worker and health endpoints wired together.</summary>
public sealed class ReceiverHostTests
{
    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task RunningReceiverDeliversOnItsOwnTimerAndReportsHealthy(string protocol)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_host");
        var key = (await ExpiredSpans.SeedAsync(connectionString, 1)).Single();
        await using var sink = await TestTraceSink.StartAsync(http: protocol != "grpc");
        var port = AspireDashboard.FreePort();
        await using var app = ReceiverApplication.Build(["--contentRoot", AppContext.BaseDirectory], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [PartialsConnection.ConfigurationKey] = connectionString,
                ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{port}",
                ["PartialReceiver:GcInterval"] = "100ms",
                ["PartialReceiver:Downstream:Endpoint"] = sink.Endpoint,
                ["PartialReceiver:Downstream:Protocol"] = protocol,
                ["Logging:LogLevel:Default"] = "Warning",
            });
        });
        await app.StartAsync();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sink.Received.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal([key], sink.Received.Keys);
        using var http = new HttpClient();
        using var health = await http.GetAsync($"http://127.0.0.1:{port}/health");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        using var alive = await http.GetAsync($"http://127.0.0.1:{port}/alive");
        Assert.Equal(System.Net.HttpStatusCode.OK, alive.StatusCode);
        await app.StopAsync();
    }
}
