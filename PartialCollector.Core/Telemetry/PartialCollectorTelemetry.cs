using System.Diagnostics;

namespace PartialCollector.Core.Telemetry;

/// <summary>The names under which every PartialCollector service reports its own telemetry.</summary>
public static class PartialCollectorTelemetry
{
    public const string MeterName = "PartialCollector";
    public const string ActivitySourceName = "PartialCollector";

    /// <summary>Npgsql's meter and activity source: the database driver's telemetry.</summary>
    public const string NpgsqlName = "Npgsql";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    /// <summary>The meters each service exports with its own self-telemetry: the services' and the database driver's.</summary>
    public static IReadOnlyList<string> MeterNames { get; } = [MeterName, NpgsqlName];

    /// <summary>The activity sources each service traces, when it exports traces at all: the services' and the database driver's.</summary>
    public static IReadOnlyList<string> ActivitySourceNames { get; } = [ActivitySourceName, NpgsqlName];
}
