using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;
using PartialCollector.Core.Tenants;
using PartialCollector.Exporter.Ingestion;
using PartialCollector.Exporter.Otlp;
using PartialCollector.Exporter.Telemetry;
using PartialCollector.Exporter.Tenants;

namespace PartialCollector.Exporter;

/// <summary>Builds the Exporter; tests start it the same way <c>Program</c> does, on ports of their own.</summary>
public static partial class ExporterApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddServiceDefaults(telemetry =>
        {
            telemetry.Meters.AddRange(PartialCollectorTelemetry.MeterNames);
            telemetry.ActivitySources.AddRange(PartialCollectorTelemetry.ActivitySourceNames);

            // Like any collector, the Exporter makes no span per request it ingests (its metrics count them), or its
            // telemetry would outgrow the telemetry it handles.
            telemetry.UntracedPaths.AddRange([OtlpHttpLogsEndpoint.Path, LogsGrpcMethodProvider.ServicePath]);
        });
        builder.AddPartialsDataSource();

        builder.Services.AddValidatedOptions<PartialExporterOptions, PartialExporterOptionsValidator>(builder.Configuration, PartialExporterOptions.Section);

        var limits = builder.Configuration.GetSection(PartialExporterOptions.Section).Get<PartialExporterOptions>() ?? new PartialExporterOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = Math.Max(limits.MaxRequestBodySize, 1024);
            if (limits.Tenants.Values.Any(t => t.ClientCertificateThumbprints.Count > 0))
            {
                // mTLS: ask HTTPS clients for a certificate; its thumbprint, pinned per tenant, is the identity
                // (TenantAuthenticationHandler), so no chain to a CA is required.
                kestrel.ConfigureHttpsDefaults(https =>
                {
                    https.ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            }
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = (int)Math.Min(limits.MaxDecompressedBodySize, int.MaxValue);
            grpc.EnableDetailedErrors = builder.Environment.IsDevelopment();
        });

        builder.Services.AddSingleton<IServiceMethodProvider<LogsGrpcService>, LogsGrpcMethodProvider>();
        builder.Services.AddSingleton<ExporterMetrics>();
        builder.Services.AddSingleton<SpanWriteStore>();
        builder.Services.AddSingleton(sp => new PartialLogDecoder(sp.GetRequiredService<IOptions<PartialExporterOptions>>().Value.ToDecodeLimits()));
        builder.Services.AddSingleton<PendingBytesLimit>();
        builder.Services.AddSingleton<GroupCommitWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GroupCommitWriter>());
        builder.Services.AddSingleton<LogIngestionService>();
        builder.Services.AddSingleton(sp => new TenantDirectory(sp.GetRequiredService<IOptions<PartialExporterOptions>>().Value.Tenants));
        builder.Services.AddSingleton<TenantRateLimiter>();
        builder.Services.AddSingleton<TenantSpanQuota>();
        builder.Services.AddAuthentication(TenantAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TenantAuthenticationHandler>(TenantAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseGrpcMessageReservation();
        var grpc = app.MapGrpcService<LogsGrpcService>();
        var http = app.MapOtlpHttpLogs();
        if (limits.Tenants.Count > 0)
        {
            grpc.RequireAuthorization();
            http.RequireAuthorization();
        }
        else
        {
            LogOpenIngestion(app.Logger);
        }

        app.MapDefaultEndpoints();
        return app;
    }

    [LoggerMessage(LogLevel.Warning, "No tenant is configured (PartialExporter:Tenants): anyone who reaches the OTLP endpoints can write and stop any span. Configure tenants with API keys before exposing the Exporter beyond one trusted team.")]
    private static partial void LogOpenIngestion(ILogger logger);
}
