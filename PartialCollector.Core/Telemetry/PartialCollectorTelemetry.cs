using System.Diagnostics;

namespace PartialCollector.Core.Telemetry;

/// <summary>The names under which every PartialCollector service reports its own telemetry.</summary>
public static class PartialCollectorTelemetry
{
    public const string MeterName = "PartialCollector";
    public const string ActivitySourceName = "PartialCollector";

    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);
}
