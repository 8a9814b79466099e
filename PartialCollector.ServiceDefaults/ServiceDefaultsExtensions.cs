using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every service shares, whatever it does: self-telemetry over OTLP, health checks, service discovery and
/// resilient HTTP clients. Nothing here knows the application: each service names its own meters, activity
/// sources and untraced paths (<see cref="ServiceTelemetryOptions"/>), and adds its own database and settings.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    public const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, Action<ServiceTelemetryOptions>? telemetry = null)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry(telemetry);
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder, Action<ServiceTelemetryOptions>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        var service = new ServiceTelemetryOptions();
        configure?.Invoke(service);
        var untraced = service.UntracedPaths.Concat([HealthEndpointPath, AlivenessEndpointPath]).ToArray();

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                foreach (var meter in service.Meters)
                {
                    metrics.AddMeter(meter);
                }
            });

        // Spans are only made when something receives them: at tens of thousands of requests a second an
        // unexported span per request is pure cost.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.AddSource(builder.Environment.ApplicationName);
                foreach (var source in service.ActivitySources)
                {
                    tracing.AddSource(source);
                }

                tracing
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsUntraced(context.Request.Path, untraced))
                    .AddHttpClientInstrumentation();
            });
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    private static bool IsUntraced(PathString path, PathString[] untraced)
    {
        foreach (var prefix in untraced)
        {
            if (path.StartsWithSegments(prefix))
            {
                return true;
            }
        }

        return false;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary><c>/alive</c>: the process runs. <c>/health</c>: every check (a service's database included) is healthy.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        return app;
    }
}
