using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver;

namespace PartialCollector.Tests.Infrastructure;

/// <summary>The real Receiver, host and timers included, started in-process on a free loopback port.</summary>
public sealed class ReceiverHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private ReceiverHost(WebApplication app, int port)
    {
        this.app = app;
        HttpEndpoint = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Its health endpoints (<c>/health</c>, <c>/alive</c>).</summary>
    public Uri HttpEndpoint { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<ReceiverHost> StartAsync(string connectionString, string downstreamEndpoint, Dictionary<string, string?>? settings = null)
    {
        var port = FreePorts.Next();
        var app = ReceiverApplication.Build([], builder =>
        {
            // The test folder holds every referenced web project's appsettings.json: read none of them.
            foreach (var json in builder.Configuration.Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>().ToList())
            {
                builder.Configuration.Sources.Remove(json);
            }

            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [PartialsConnection.ConfigurationKey] = connectionString,
                ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{port}",
                ["PartialReceiver:Downstream:Endpoint"] = downstreamEndpoint,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
        });
        await app.StartAsync();
        return new ReceiverHost(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
