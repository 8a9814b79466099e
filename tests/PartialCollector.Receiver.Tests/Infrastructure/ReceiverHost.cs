using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests.Infrastructure;

/// <summary>
/// The real Receiver, host and timers included, started in-process on a free loopback port, with its own
/// appsettings.json (the test's output folder holds that of no other service) under what the test sets.
/// </summary>
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
        var app = ReceiverApplication.Build(["--contentRoot", AppContext.BaseDirectory], builder =>
        {
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
