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

if (builder.ExecutionContext.IsRunMode)
{
    // Development: crashes show within seconds of their expiry rather than up to the default 30 s bucket later.
    migrator.WithEnvironment("Migrator__ExpiryBucket", "5s");
}

// OTLP logs in. Its Kestrel endpoints (appsettings.json) become the resource's endpoints OtlpGrpc and OtlpHttp;
// in run mode the AppHost's proxy listens on their ports (4317, 4318) and forwards to the process.
var exporter = builder.AddProject<Projects.PartialCollector_Exporter>("exporter")
    .WithoutDefaultHttpsEndpoint()
    .WithReference(partials.Database)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health", endpointName: "OtlpHttp");

// The development run authenticates end to end: a secret parameter holds the demo tenant's key (generated once and
// kept in the AppHost's user secrets as Parameters:demo-tenant-key; set it there to choose it), the Exporter has it
// as tenant "demo", and the demo workload sends it. Run mode only: a deployment's tenants are its operator's
// (docs/deploy.md), so the manifest names no demo tenant and no key nobody holds.
IResourceBuilder<ParameterResource>? demoTenantKey = null;
if (builder.ExecutionContext.IsRunMode)
{
    // Letters and digits only: the key goes into a header value and OTEL_EXPORTER_OTLP_HEADERS as it is.
    demoTenantKey = builder.AddParameter("demo-tenant-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
    exporter.WithEnvironment("PartialExporter__Tenants__demo__ApiKeys__0", demoTenantKey);
}

// Expired spans out, marked partial.gc = true. Its downstream defaults to OTEL_EXPORTER_OTLP_ENDPOINT and
// OTEL_EXPORTER_OTLP_HEADERS, which the AppHost sets to the dashboard's OTLP endpoint and API key, so the
// collected spans show on the dashboard's Traces page. Deployments set PartialReceiver__Downstream__Endpoint.
builder.AddProject<Projects.PartialCollector_Receiver>("receiver")
    .WithoutDefaultHttpsEndpoint()
    .WithReference(partials.Database)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health");

// What runs now and what crashed: a page, a JSON API and the partial.spans.running gauge, read-only on the database.
// Each row links to the span's trace on the dashboard's Traces page (the dashboard's own URL, ASPNETCORE_URLS).
var liveView = builder.AddProject<Projects.PartialCollector_LiveView>("liveview")
    .WithoutDefaultHttpsEndpoint()
    .WithReference(partials.Database)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health")
    .WithUrlForEndpoint("http", url => url.DisplayText = "Running spans");
if (builder.ExecutionContext.IsRunMode)
{
    liveView.WithEnvironment(context =>
    {
        context.EnvironmentVariables["LiveView__TraceUrlTemplate"] = DashboardUrl().TrimEnd('/') + "/traces/detail/{traceId}";
    });
}

// The dashboard's browser URL: its resource's endpoint once allocated, else the AppHost's ASPNETCORE_URLS (the http
// launch profile's http://localhost:15080).
string DashboardUrl()
{
    if (builder.Resources.OfType<IResourceWithEndpoints>().FirstOrDefault(r => r.Name == "aspire-dashboard") is { } dashboard)
    {
        foreach (var name in new[] { "https", "http" })
        {
            if (dashboard.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == name) && dashboard.GetEndpoint(name) is { IsAllocated: true } endpoint)
            {
                return endpoint.Url;
            }
        }
    }

    return builder.Configuration["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
        ?? "http://localhost:15080";
}

// The sample workload (run mode only; never published). Off with Demo:Enabled=false.
if (demoTenantKey is not null && builder.Configuration.GetValue("Demo:Enabled", true))
{
    builder.AddProject<Projects.PartialCollector_Demo>("demo")
        .WithEnvironment("PartialDemo__Endpoint", exporter.GetEndpoint("OtlpGrpc"))
        // OTEL_EXPORTER_OTLP_HEADERS's syntax, but a setting of the demo's own: that variable carries the
        // dashboard's key for the demo's self-telemetry.
        .WithEnvironment("PartialDemo__Headers", ReferenceExpression.Create($"Authorization=Bearer%20{demoTenantKey.Resource}"))
        .WaitFor(exporter);
}

builder.Build().Run();
return 0;
