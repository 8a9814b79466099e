namespace PartialCollector.LiveView;

/// <summary>The live view's settings, section <c>LiveView</c>.</summary>
public sealed class LiveViewOptions
{
    public const string Section = "LiveView";

    /// <summary>
    /// Where a span's trace is shown, e.g. <c>http://jaeger:16686/trace/{traceId}</c>; <c>{traceId}</c> and
    /// <c>{spanId}</c> are replaced by the lowercase hex ids. Unset: the page shows ids without links.
    /// </summary>
    public string? TraceUrlTemplate { get; set; }

    /// <summary>How often the page updates itself, and the most often the <c>partial.spans.running</c> gauge queries.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Services with a series of their own in <c>partial.spans.running</c>; the rest are summed as <c>other</c>.</summary>
    public int MaxServiceSeries { get; set; } = 50;

    /// <summary>The trace link of one span, or null when no template is configured.</summary>
    public string? TraceUrl(string traceId, string spanId) =>
        string.IsNullOrWhiteSpace(TraceUrlTemplate)
            ? null
            : TraceUrlTemplate
                .Replace("{traceId}", traceId, StringComparison.Ordinal)
                .Replace("{spanId}", spanId, StringComparison.Ordinal);
}

/// <summary>The tenants the Exporter authenticates (<c>PartialExporter:Tenants</c>): the live view reads the same section.</summary>
public sealed class LiveViewTenantsOptions
{
    public const string Section = "PartialExporter";

    public Dictionary<string, PartialCollector.Core.Tenants.TenantOptions> Tenants { get; set; } = new(StringComparer.Ordinal);
}
