using PartialCollector.Core.Storage;

namespace PartialCollector.TestSupport;

/// <summary>
/// The real Exporter as a process of its own (<see cref="ServiceProcess"/>: from its own build output, with its own
/// appsettings.json), on free loopback ports, so a test can send it signals and watch it exit, or run it beside a
/// service of another project.
/// </summary>
public sealed class ExporterProcess : ServiceProcess, IOtlpEndpoints
{
    public const string Assembly = "PartialCollector.Exporter";

    private ExporterProcess(System.Diagnostics.Process process, string connectionString, int grpcPort, int httpPort)
        : base(process, Assembly)
    {
        ConnectionString = connectionString;
        GrpcEndpoint = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpEndpoint = new Uri($"http://127.0.0.1:{httpPort}");
        Table = new PartialTracesTable(connectionString);
    }

    public string ConnectionString { get; }

    public Uri GrpcEndpoint { get; }

    public Uri HttpEndpoint { get; }

    public PartialTracesTable Table { get; }

    /// <summary>
    /// Starts the Exporter on <paramref name="connectionString"/> with <paramref name="settings"/> (environment variables,
    /// <c>PartialExporter__...</c>) and returns once its <c>/health</c> (PostgreSQL included) answers 200.
    /// </summary>
    public static async Task<ExporterProcess> StartAsync(string connectionString, Dictionary<string, string>? settings = null)
    {
        var grpcPort = FreePorts.Next();
        var httpPort = FreePorts.Next();
        var environment = new Dictionary<string, string>
        {
            [PartialsConnection.EnvironmentVariable] = connectionString,
            ["Kestrel__Endpoints__OtlpGrpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel__Endpoints__OtlpHttp__Url"] = $"http://127.0.0.1:{httpPort}",
        };
        foreach (var (key, value) in settings ?? [])
        {
            environment[key] = value;
        }

        var exporter = new ExporterProcess(Launch(Assembly, environment), connectionString, grpcPort, httpPort);
        try
        {
            await exporter.WaitUntilHealthyAsync(new Uri(exporter.HttpEndpoint, "/health"), TimeSpan.FromSeconds(60));
            return exporter;
        }
        catch
        {
            await exporter.DisposeAsync();
            throw;
        }
    }
}
