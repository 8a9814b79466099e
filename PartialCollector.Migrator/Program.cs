using PartialCollector.Core.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;
using PartialCollector.Migrator;

// Runs once: apply the schema, exit 0; exit 1 with the reason on failure (the app host shows it).
var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults(telemetry =>
{
    telemetry.Meters.AddRange(PartialCollectorTelemetry.MeterNames);
    telemetry.ActivitySources.AddRange(PartialCollectorTelemetry.ActivitySourceNames);
});
builder.Services.AddValidatedOptions<MigratorOptions, MigratorOptionsValidator>(builder.Configuration, MigratorOptions.Section);
builder.Services.AddSingleton<SchemaMigrator>();

using var host = builder.Build();
var logger = host.Services.GetRequiredService<ILogger<SchemaMigrator>>();
try
{
    // Validates the options first: a bad value stops here, its key named in the reason.
    await host.StartAsync();
    var connectionString = builder.Configuration.GetConnectionString(PartialsConnection.Name)
        ?? throw new InvalidOperationException($"{PartialsConnection.ConfigurationKey} is not set.");
    await host.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(connectionString, CancellationToken.None);
    return 0;
}
catch (Exception e)
{
    SchemaMigrator.LogFailed(logger, e, e.Message);
    return 1;
}
finally
{
    await host.StopAsync();
}
