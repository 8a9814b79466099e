using System.Globalization;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Core.Codecs.Json;
using PartialCollector.Exporter.Ingestion;
using PartialCollector.Exporter.Telemetry;
using PartialCollector.Exporter.Tenants;

namespace PartialCollector.Exporter.Otlp;

/// <summary>
/// OTLP/HTTP <c>POST /v1/logs</c> (protobuf or JSON, optionally gzip): a thin layer over
/// <see cref="LogIngestionService"/>. Errors follow the OTLP/HTTP rules: 400 not retried, 503 retried.
/// </summary>
public static class OtlpHttpLogsEndpoint
{
    public const string Path = "/v1/logs";
    private const string ProtobufType = OtlpHttpStatus.ProtobufType;
    private const string JsonType = OtlpHttpStatus.JsonType;

    public static IEndpointConventionBuilder MapOtlpHttpLogs(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Path, HandleAsync).DisableAntiforgery();

    private static async Task HandleAsync(
        HttpContext context, LogIngestionService ingestion, PendingBytesLimit pending, ExporterMetrics metrics, IOptions<PartialExporterOptions> options)
    {
        var settings = options.Value;
        var json = IsJson(context.Request.ContentType);
        using var reservation = pending.Begin();
        using var read = await OtlpHttpBody.ReadAsync(context, settings, reservation);
        if (read.Error is { } error)
        {
            if (error.Status == StatusCodes.Status503ServiceUnavailable)
            {
                metrics.Refused("memory_limit");
                context.Response.Headers.RetryAfter = RetryAfter(settings);
            }

            await OtlpHttpStatus.WriteAsync(context, error.Status, error.Message, json);
            return;
        }

        var body = read.Body!;

        ExportLogsServiceRequest request;
        try
        {
            request = json
                ? OtlpJsonReader.ReadExportLogsRequest(body.Span)
                : ExportLogsServiceRequest.Parser.ParseFrom(body.Span);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException)
        {
            await OtlpHttpStatus.WriteAsync(context, StatusCodes.Status400BadRequest, $"request is not a valid ExportLogsServiceRequest: {e.Message}", json);
            return;
        }

        ExportLogsServiceResponse response;
        try
        {
            response = await ingestion.IngestAsync(request, reservation, TenantAuthenticationHandler.TenantOf(context.User), context.RequestAborted);
        }
        catch (StoreUnavailableException e)
        {
            context.Response.Headers.RetryAfter = RetryAfter(settings);
            await OtlpHttpStatus.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message, json);
            return;
        }
        catch (TenantThrottledException e)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(e.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await OtlpHttpStatus.WriteAsync(context, StatusCodes.Status429TooManyRequests, e.Message, json);
            return;
        }
        catch (UnwritableRecordsException e)
        {
            await OtlpHttpStatus.WriteAsync(context, StatusCodes.Status400BadRequest, e.Message, json);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = json ? JsonType : ProtobufType;
        await context.Response.Body.WriteAsync(json ? OtlpJsonWriter.WriteExportLogsResponse(response) : response.ToByteArray(), context.RequestAborted);
    }

    private static string RetryAfter(PartialExporterOptions settings) =>
        ((int)Math.Ceiling(settings.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static bool IsJson(string? contentType) => OtlpHttpStatus.IsJson(contentType);
}
