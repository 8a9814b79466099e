using PartialCollector.Core.Storage;

namespace PartialCollector.TestSupport;

/// <summary>
/// The real Receiver as a process of its own (<see cref="ServiceProcess"/>: from its own build output, with its own
/// appsettings.json), on a free loopback port, collecting from <c>ConnectionStrings__partials</c> into a downstream
/// of the test's (a <see cref="TestTraceSink"/>).
/// </summary>
public sealed class ReceiverProcess : ServiceProcess
{
    public const string Assembly = "PartialCollector.Receiver";

    private ReceiverProcess(System.Diagnostics.Process process, int port)
        : base(process, Assembly)
    {
        HttpEndpoint = new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Its health endpoints (<c>/health</c>, <c>/alive</c>).</summary>
    public Uri HttpEndpoint { get; }

    /// <summary>
    /// Starts the Receiver with <paramref name="settings"/> (environment variables, <c>PartialReceiver__...</c>) and
    /// returns once its <c>/health</c> (PostgreSQL included) answers 200.
    /// </summary>
    public static async Task<ReceiverProcess> StartAsync(string connectionString, string downstreamEndpoint, Dictionary<string, string>? settings = null)
    {
        var port = FreePorts.Next();
        var environment = new Dictionary<string, string>
        {
            [PartialsConnection.EnvironmentVariable] = connectionString,
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{port}",
            ["PartialReceiver__Downstream__Endpoint"] = downstreamEndpoint,
        };
        foreach (var (key, value) in settings ?? [])
        {
            environment[key] = value;
        }

        var receiver = new ReceiverProcess(Launch(Assembly, environment), port);
        try
        {
            await receiver.WaitUntilHealthyAsync(new Uri(receiver.HttpEndpoint, "/health"), TimeSpan.FromSeconds(60));
            return receiver;
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }
}
