using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Exporter;

namespace PartialCollector.Tests.Infrastructure;

/// <summary>The real Exporter, started in-process on free loopback ports against its own migrated database.</summary>
public sealed class ExporterHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private ExporterHost(WebApplication app, string connectionString, string scheme, int grpcPort, int httpPort)
    {
        this.app = app;
        ConnectionString = connectionString;
        GrpcEndpoint = new Uri($"{scheme}://127.0.0.1:{grpcPort}");
        HttpEndpoint = new Uri($"{scheme}://127.0.0.1:{httpPort}");
        Table = new PartialTracesTable(connectionString);
    }

    public string ConnectionString { get; }

    public Uri GrpcEndpoint { get; }

    public Uri HttpEndpoint { get; }

    public PartialTracesTable Table { get; }

    public IServiceProvider Services => app.Services;

    /// <param name="scheme">
    /// <c>https</c> puts both endpoints' URLs on https; the certificate then comes from the settings, through
    /// Kestrel's own keys (<c>Kestrel:Endpoints:OtlpGrpc:Certificate:Path</c>), as a deployment gives it.
    /// </param>
    public static async Task<ExporterHost> StartAsync(Dictionary<string, string?>? settings = null, string? connectionString = null, string scheme = "http")
    {
        connectionString ??= await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("exp");
        var app = Build(connectionString, settings, out var grpcPort, out var httpPort, scheme);
        await app.StartAsync();
        return new ExporterHost(app, connectionString, scheme, grpcPort, httpPort);
    }

    public static WebApplication Build(string connectionString, Dictionary<string, string?>? settings, out int grpcPort, out int httpPort, string scheme = "http")
    {
        var grpc = FreePorts.Next();
        var http = FreePorts.Next();
        grpcPort = grpc;
        httpPort = http;
        return ExporterApplication.Build([], builder =>
        {
            builder.Environment.EnvironmentName = "Development";

            // The test folder holds every referenced web project's appsettings.json (the last one copied wins):
            // read none of them, so the Exporter runs on its coded defaults plus what the test sets.
            foreach (var json in builder.Configuration.Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>().ToList())
            {
                builder.Configuration.Sources.Remove(json);
            }

            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [PartialsConnection.ConfigurationKey] = connectionString,
                ["Kestrel:Endpoints:OtlpGrpc:Url"] = $"{scheme}://127.0.0.1:{grpc}",
                ["Kestrel:Endpoints:OtlpHttp:Url"] = $"{scheme}://127.0.0.1:{http}",
                ["Logging:LogLevel:Default"] = "Warning",
            });
            if (settings is not null)
            {
                builder.Configuration.AddInMemoryCollection(settings);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
