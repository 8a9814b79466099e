using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using PartialCollector.LiveView.Data;

namespace PartialCollector.LiveView.Api;

/// <summary>A span's fields and the stored span itself as OTLP/JSON (a <c>TracesData</c>).</summary>
public sealed record SpanDetailJson : LiveSpan
{
    public SpanDetailJson(LiveSpan fields, JsonElement? span)
        : base(fields) => Span = span;

    public JsonElement? Span { get; }
}

public sealed record ServiceListJson(IReadOnlyList<ServiceSummary> Services);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SpanPage))]
[JsonSerializable(typeof(SpanDetailJson))]
[JsonSerializable(typeof(ServiceListJson))]
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
internal sealed partial class LiveViewJsonContext : JsonSerializerContext;
