using Microsoft.Extensions.Options;
using PartialCollector.Core.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;
using PartialCollector.Receiver.Collection;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Health;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver;

/// <summary>Builds the Receiver; tests start it the same way <c>Program</c> does.</summary>
public static class ReceiverApplication
{
    public const string DownstreamHttpClient = "partial-receiver-downstream";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.AddServiceDefaults(telemetry =>
        {
            telemetry.Meters.AddRange(PartialCollectorTelemetry.MeterNames);
            telemetry.ActivitySources.AddRange(PartialCollectorTelemetry.ActivitySourceNames);
        });
        builder.AddPartialsDataSource();

        AddReceiver(builder.Services, builder.Configuration);
        builder.Services.AddHostedService<CollectionWorker>();
        builder.Services.AddHealthChecks().AddCheck<DownstreamHealthCheck>(DownstreamHealthCheck.Name);

        var app = builder.Build();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>Everything a <see cref="CollectionCycle"/> needs, given an <c>NpgsqlDataSource</c>; tests use it without the host.</summary>
    public static IServiceCollection AddReceiver(IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<PartialReceiverOptions, PartialReceiverOptionsValidator>(configuration, PartialReceiverOptions.Section);
        services.AddSingleton<IPostConfigureOptions<PartialReceiverOptions>, DownstreamDefaults>();

        services.AddSingleton<ReceiverMetrics>();
        services.AddSingleton<DownstreamHealth>();
        services.AddSingleton<CollectionStore>();
        services.AddSingleton<SpanDecorator>();
        services.AddSingleton<BatchSender>();
        services.AddSingleton<CycleDrain>();
        services.AddSingleton<RetentionPurge>();
        services.AddSingleton<CollectionCycle>();

        // The cycle owns retries: it hands the rows back and backs off. A resilience pipeline retrying inside
        // the export deadline would only multiply load on a struggling backend and blur the outcome.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is the supported way to undo ConfigureHttpClientDefaults for one client.
        services.AddHttpClient(DownstreamHttpClient).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.AddSingleton<HttpTraceExporter>();
        services.AddSingleton<GrpcTraceExporter>();
        services.AddSingleton<ITraceExporter>(sp => sp.GetRequiredService<IOptions<PartialReceiverOptions>>().Value.Downstream.UsesHttp
            ? sp.GetRequiredService<HttpTraceExporter>()
            : sp.GetRequiredService<GrpcTraceExporter>());
        return services;
    }
}
