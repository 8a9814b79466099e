using Microsoft.Extensions.Configuration;
using PartialCollector.AppHost;
using PartialCollector.AppHost.Database;

var builder = DistributedApplication.CreateBuilder(args);

PartialsDatabase partials;
try
{
    partials = builder.AddPartialsDatabase();
}
catch (NoDatabaseException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

Console.WriteLine($"PartialCollector: database '{PartialsDatabaseChoice.ConnectionName}': {partials.Description}");

// Applies the schema once and exits; nothing else starts before it succeeded.
var migrator = builder.AddProject<Projects.PartialCollector_Migrator>("migrator")
    .WithReference(partials.Database);
if (partials.Server is { } server)
{
    migrator.WaitFor(server);
}

// OTLP logs in. Its Kestrel endpoints (appsettings.json) become the resource's endpoints OtlpGrpc and OtlpHttp;
// in run mode the AppHost's proxy listens on their ports (4317, 4318) and forwards to the process.
var exporter = builder.AddProject<Projects.PartialCollector_Exporter>("exporter")
    .WithoutDefaultHttpsEndpoint()
    .WithReference(partials.Database)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health", endpointName: "OtlpHttp");

// Expired spans out, marked partial.gc = true. Its downstream defaults to OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_EXPORTER_OTLP_HEADERS, which the AppHost sets to the dashboard's OTLP endpoint and API key, so the
// collected spans show on the dashboard's Traces page. Deployments set PartialReceiver__Downstream__Endpoint.
builder.AddProject<Projects.PartialCollector_Receiver>("receiver")
    .WithoutDefaultHttpsEndpoint()
    .WithReference(partials.Database)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health");

// The sample workload (run mode only; never published). Off with Demo:Enabled=false.
if (builder.ExecutionContext.IsRunMode && builder.Configuration.GetValue("Demo:Enabled", true))
{
    builder.AddProject<Projects.PartialCollector_Demo>("demo")
        .WithEnvironment("PartialDemo__Endpoint", exporter.GetEndpoint("OtlpGrpc"))
        .WaitFor(exporter);
}

builder.Build().Run();
return 0;
