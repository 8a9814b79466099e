using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Storage;
using PartialCollector.Exporter.Ingestion;
using PartialCollector.Exporter.Otlp;
using PartialCollector.Exporter.Telemetry;

namespace PartialCollector.Exporter;

/// <summary>Builds the Exporter; tests start it the same way <c>Program</c> does, on ports of their own.</summary>
public static class ExporterApplication
{
    public const string ConnectionName = "partials";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddServiceDefaults();
        builder.AddNpgsqlDataSource(
            ConnectionName,
            settings => settings.ConnectionString = settings.ConnectionString is { } cs ? PostgresConnectionString.Normalize(cs) : null);

        builder.Services.AddSingleton<IValidateOptions<PartialExporterOptions>, PartialExporterOptionsValidator>();
        builder.Services.AddOptions<PartialExporterOptions>()
            .Bind(builder.Configuration.GetSection(PartialExporterOptions.Section))
            .ValidateOnStart();

        var limits = builder.Configuration.GetSection(PartialExporterOptions.Section).Get<PartialExporterOptions>() ?? new PartialExporterOptions();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = Math.Max(limits.MaxRequestBodySize, 1024));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = (int)Math.Min(limits.MaxDecompressedBodySize, int.MaxValue);
            grpc.EnableDetailedErrors = builder.Environment.IsDevelopment();
        });

        builder.Services.AddSingleton<ExporterMetrics>();
        builder.Services.AddSingleton<SpanWriteStore>();
        builder.Services.AddSingleton(sp => new PartialLogDecoder(sp.GetRequiredService<IOptions<PartialExporterOptions>>().Value.DefaultFrequency));
        builder.Services.AddSingleton<GroupCommitWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GroupCommitWriter>());
        builder.Services.AddSingleton<LogIngestionService>();

        var app = builder.Build();
        app.MapGrpcService<LogsGrpcService>();
        app.MapOtlpHttpLogs();
        app.MapDefaultEndpoints();
        return app;
    }
}
