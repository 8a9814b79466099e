using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;
using PartialCollector.Core.Tenants;
using PartialCollector.LiveView.Api;
using PartialCollector.LiveView.Components;
using PartialCollector.LiveView.Data;
using PartialCollector.LiveView.Page;
using PartialCollector.LiveView.Telemetry;
using PartialCollector.LiveView.Tenants;

namespace PartialCollector.LiveView;

/// <summary>Builds the live view; tests start it the same way <c>Program</c> does, on ports of their own.</summary>
public static partial class LiveViewApplication
{
    private static readonly Dictionary<string, string?> DefaultEndpoints = new()
    {
        ["Kestrel:Endpoints:Http:Url"] = "http://0.0.0.0:8082",
    };

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,

            // Tests host it in their own process: the components and the embedded stylesheet are this assembly's.
            ApplicationName = typeof(LiveViewApplication).Assembly.GetName().Name,
        });

        // Lowest precedence: appsettings, environment (Kestrel__Endpoints__Http__Url) and args override it.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultEndpoints });
        configure?.Invoke(builder);
        builder.AddServiceDefaults(telemetry =>
        {
            telemetry.Meters.AddRange(PartialCollectorTelemetry.MeterNames);
            telemetry.ActivitySources.AddRange(PartialCollectorTelemetry.ActivitySourceNames);
        });
        builder.AddPartialsDataSource();

        builder.Services.AddValidatedOptions<LiveViewOptions, LiveViewOptionsValidator>(builder.Configuration, LiveViewOptions.Section);
        builder.Services.AddValidatedOptions<LiveViewTenantsOptions, LiveViewTenantsOptionsValidator>(builder.Configuration, LiveViewTenantsOptions.Section);
        builder.Services.AddSingleton(sp => new TenantDirectory(sp.GetRequiredService<IOptions<LiveViewTenantsOptions>>().Value.Tenants));

        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, LiveViewJsonContext.Default));
        builder.Services.AddSingleton<SpanStore>();
        builder.Services.AddSingleton<RunningSpansGauge>();
        builder.Services.AddTenantAccess();
        builder.Services.AddRazorComponents();
        builder.Services.AddSingleton<LivePanelLoader>();

        var app = builder.Build();
        app.UseStatusCodePages();
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new EmbeddedFileProvider(typeof(LiveViewApplication).Assembly, "PartialCollector.LiveView.wwwroot"),

            // Revalidated on every load (ETag), so a new version's stylesheet is never mixed with an old page.
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapSpansApi();
        app.MapPageEndpoints();
        app.MapRazorComponents<App>();
        app.MapDefaultEndpoints();

        // The gauge registers itself with the meter when it is made.
        app.Services.GetRequiredService<RunningSpansGauge>();
        if (app.Services.GetRequiredService<TenantDirectory>().IsOpen)
        {
            LogOpenView(app.Logger);
        }

        return app;
    }

    [LoggerMessage(LogLevel.Warning, "No tenant is configured (PartialExporter:Tenants): anyone who reaches the live view sees every running and crashed span, with its attributes. Configure tenants with API keys before exposing it beyond one trusted team.")]
    private static partial void LogOpenView(ILogger logger);
}
