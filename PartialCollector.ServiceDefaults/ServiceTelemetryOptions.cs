using Microsoft.AspNetCore.Http;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What a service adds to the shared self-telemetry (<see cref="ServiceDefaultsExtensions.AddServiceDefaults"/>):
/// its own meters and activity sources, and the request paths it does not trace.
/// </summary>
public sealed class ServiceTelemetryOptions
{
    /// <summary>Meters exported besides ASP.NET Core's, HttpClient's and the runtime's.</summary>
    public List<string> Meters { get; } = [];

    /// <summary>
    /// Activity sources traced besides ASP.NET Core's, HttpClient's and the one named after the application
    /// (<see cref="IHostEnvironment.ApplicationName"/>).
    /// </summary>
    public List<string> ActivitySources { get; } = [];

    /// <summary>
    /// Request paths, with everything below them, that make no span: what a service handles too often for a span
    /// per request to be worth its cost. The health endpoints never make one.
    /// </summary>
    public List<PathString> UntracedPaths { get; } = [];
}
