using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs.Json;
using PartialCollector.LiveView.Data;
using PartialCollector.LiveView.Tenants;

namespace PartialCollector.LiveView.Api;

/// <summary><c>/api/spans</c>, <c>/api/spans/{traceId}/{spanId}</c>, <c>/api/services</c>: JSON, read-only.</summary>
public static class SpansApi
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    private const int MaxFilterLength = 1024;

    public static IEndpointRouteBuilder MapSpansApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(TenantAccess.Policy);
        api.MapGet("/spans", ListAsync);
        api.MapGet("/spans/{traceId}/{spanId}", DetailAsync);
        api.MapGet("/services", ServicesAsync);
        return endpoints;
    }

    /// <summary>Validates a listing's parameters; the error names the parameter and what it accepts.</summary>
    public static bool TryParse(
        string? state, string? service, string? name, string? limit, string? cursor, string? tenant,
        out SpanQuery query, out string? error)
    {
        query = null!;
        error = null;
        state = string.IsNullOrEmpty(state) ? LiveSpan.Running : state;
        if (state is not (LiveSpan.Running or LiveSpan.Crashed))
        {
            error = $"state must be 'running' or 'crashed' (got '{Truncate(state)}').";
            return false;
        }

        var size = DefaultLimit;
        if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxLimit))
        {
            error = $"limit must be a whole number from 1 to {MaxLimit} (got '{Truncate(limit)}').";
            return false;
        }

        if (service?.Length > MaxFilterLength || name?.Length > MaxFilterLength)
        {
            error = $"service and name are at most {MaxFilterLength} characters.";
            return false;
        }

        SpanCursor? after = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (!SpanCursor.TryDecode(cursor, out after))
            {
                error = "cursor is not one this API gave out: pass the 'next' of the previous page unchanged.";
                return false;
            }

            if (after!.State != state)
            {
                error = $"cursor belongs to state={after.State}, not state={state}.";
                return false;
            }
        }

        query = new SpanQuery(state, NullIfEmpty(service), NullIfEmpty(name), size, after, tenant);
        return true;
    }

    private static async Task<IResult> ListAsync(
        HttpContext context, SpanStore store, string? state, string? service, string? name, string? limit, string? cursor,
        CancellationToken cancellationToken)
    {
        if (!TryParse(state, service, name, limit, cursor, TenantAccess.TenantOf(context.User), out var query, out var error))
        {
            return Problems.BadRequest(error!);
        }

        var page = await store.ListAsync(query, cancellationToken);
        return TypedResults.Json(page, LiveViewJsonContext.Default.SpanPage);
    }

    private static async Task<IResult> DetailAsync(HttpContext context, SpanStore store, string traceId, string spanId, CancellationToken cancellationToken)
    {
        var trace = Hex.NormalizeId(traceId, 32);
        var span = Hex.NormalizeId(spanId, 16);
        if (trace is null || span is null)
        {
            return Problems.BadRequest("traceId must be 32 and spanId 16 hexadecimal digits.");
        }

        if (await store.FindAsync(trace, span, TenantAccess.TenantOf(context.User), cancellationToken) is not { } found)
        {
            return Problems.NotFound($"no running or crashed span {trace}/{span}.");
        }

        // Core's OTLP/JSON writer: lowercase hex ids, as OTLP/JSON requires (Google.Protobuf's JsonFormatter writes base64).
        JsonElement? otlp = null;
        try
        {
            using var document = JsonDocument.Parse(OtlpJsonWriter.WriteTracesData(TracesData.Parser.ParseFrom(found.Trace)));
            otlp = document.RootElement.Clone();
        }
        catch (InvalidProtocolBufferException)
        {
            // A row that does not decode (the Receiver dead-letters those) still shows its columns; "span" is null.
        }

        return TypedResults.Json(
            new SpanDetailJson(found.Span, otlp),
            LiveViewJsonContext.Default.SpanDetailJson);
    }

    private static async Task<IResult> ServicesAsync(HttpContext context, SpanStore store, CancellationToken cancellationToken)
    {
        var services = await store.ServicesAsync(TenantAccess.TenantOf(context.User), cancellationToken);
        return TypedResults.Json(
            new ServiceListJson(services),
            LiveViewJsonContext.Default.ServiceListJson);
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
