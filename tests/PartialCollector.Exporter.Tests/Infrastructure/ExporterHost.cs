using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Exporter;
using PartialCollector.TestSupport;

namespace PartialCollector.Exporter.Tests.Infrastructure;

/// <summary>
/// The real Exporter, started in-process on free loopback ports against its own migrated database, with its own
/// appsettings.json (the test's output folder holds that of no other service) under what the test sets.
/// </summary>
public sealed class ExporterHost : IAsyncDisposable, IOtlpEndpoints
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
        return ExporterApplication.Build(["--contentRoot", AppContext.BaseDirectory], builder =>
        {
            builder.Environment.EnvironmentName = "Development";
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
