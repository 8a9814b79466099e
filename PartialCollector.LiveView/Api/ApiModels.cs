using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using PartialCollector.LiveView.Data;

namespace PartialCollector.LiveView.Api;

/// <summary>One span as the API gives it: ids lowercase hex, times ISO 8601 UTC.</summary>
public record SpanJson(
    string TraceId,
    string SpanId,
    string? Service,
    string? Name,
    DateTime? StartTime,
    DateTime LastHeartbeat,
    DateTime? ExpiresAt,
    DateTime? CollectedAt,
    double? AgeSeconds,
    bool Overdue,
    string State)
{
    public static SpanJson From(LiveSpan s) => new(
        s.TraceId, s.SpanId, s.Service, s.Name, s.StartTime, s.LastHeartbeat, s.ExpiresAt, s.CollectedAt,
        s.AgeSeconds is { } age ? Math.Round(age, 3) : null, s.Overdue, s.State);
}

public sealed record SpanListJson(IReadOnlyList<SpanJson> Spans, string? Next);

/// <summary>A span's fields and the stored span itself as OTLP/JSON (a <c>TracesData</c>).</summary>
public sealed record SpanDetailJson : SpanJson
{
    public SpanDetailJson(SpanJson fields, JsonElement? span)
        : base(fields) => Span = span;

    public JsonElement? Span { get; }
}

public sealed record ServiceJson(string? Service, long Running, double? OldestRunningAgeSeconds, long CrashedLastHour);

public sealed record ServiceListJson(IReadOnlyList<ServiceJson> Services);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SpanListJson))]
[JsonSerializable(typeof(SpanDetailJson))]
[JsonSerializable(typeof(ServiceListJson))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
internal sealed partial class LiveViewJsonContext : JsonSerializerContext;
