using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.LiveView;
using PartialCollector.TestSupport;

namespace PartialCollector.LiveView.Tests.Infrastructure;

/// <summary>The real live view, started in-process on a free loopback port against a database of the test's.</summary>
public sealed class LiveViewHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private LiveViewHost(WebApplication app, string connectionString, int port)
    {
        this.app = app;
        ConnectionString = connectionString;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Seed = new Seed(connectionString);
    }

    public string ConnectionString { get; }

    public Uri BaseAddress { get; }

    public Seed Seed { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<LiveViewHost> StartAsync(Dictionary<string, string?>? settings = null, string? connectionString = null)
    {
        connectionString ??= await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("live");
        var port = FreePorts.Next();
        var app = Build(connectionString, port, settings);
        await app.StartAsync();
        return new LiveViewHost(app, connectionString, port);
    }

    public static WebApplication Build(string connectionString, int port, Dictionary<string, string?>? settings) =>
        LiveViewApplication.Build(["--contentRoot", AppContext.BaseDirectory], builder =>
        {
            // Its own appsettings.json (the only one in the output folder) under what the test sets.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [PartialsConnection.ConfigurationKey] = connectionString,
                ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{port}",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
        });

    public HttpClient Client(string? bearerKey = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (bearerKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerKey);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
