using System.ComponentModel.DataAnnotations;

namespace PartialCollector.Demo;

/// <summary>Configuration section <c>PartialDemo</c>. Durations accept Go syntax (<c>2s</c>) or hh:mm:ss.</summary>
public sealed class DemoOptions
{
    public const string Section = "PartialDemo";

    /// <summary>The Exporter's OTLP endpoint (the AppHost sets it to the Exporter's <c>OtlpGrpc</c> endpoint).</summary>
    [Required]
    public Uri? Endpoint { get; set; }

    /// <summary><c>grpc</c> (to :4317) or <c>http/protobuf</c> (to :4318; <c>/v1/logs</c> is appended).</summary>
    [RegularExpression("^(grpc|http/protobuf)$")]
    public string Protocol { get; set; } = "grpc";

    /// <summary>
    /// Headers of the partial-span logs, in <c>OTEL_EXPORTER_OTLP_HEADERS</c>'s syntax (<c>key=value,…</c>, values
    /// percent-encoded): the tenant's key, <c>Authorization=Bearer%20{key}</c>. A setting of its own, because this
    /// process's <c>OTEL_EXPORTER_OTLP_HEADERS</c> carries the dashboard's key for the demo's self-telemetry.
    /// </summary>
    public string Headers { get; set; } = "";

    /// <summary>Operations running at once.</summary>
    [Range(1, 100)]
    public int Concurrency { get; set; } = 3;

    /// <summary>Heartbeat interval, sent as <c>partial.frequency</c> in milliseconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MinDuration { get; set; } = TimeSpan.FromSeconds(8);

    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>One operation in this many "crashes": stops heartbeating and never sends its stop. 0 = never.</summary>
    [Range(0, 1000)]
    public int CrashOneIn { get; set; } = 3;
}
