using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Core.Codecs.Json;
using PartialCollector.Exporter.Ingestion;
using PartialCollector.Exporter.Telemetry;

namespace PartialCollector.Exporter.Otlp;

/// <summary>
/// OTLP/HTTP <c>POST /v1/logs</c> (protobuf or JSON, optionally gzip): a thin layer over
/// <see cref="LogIngestionService"/>. Errors follow the OTLP/HTTP rules: 400 not retried, 503 retried.
/// </summary>
public static class OtlpHttpLogsEndpoint
{
    public const string Path = "/v1/logs";
    private const string ProtobufType = "application/x-protobuf";
    private const string JsonType = "application/json";

    public static IEndpointRouteBuilder MapOtlpHttpLogs(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, HandleAsync).DisableAntiforgery();
        return endpoints;
    }

    private static async Task HandleAsync(
        HttpContext context, LogIngestionService ingestion, PendingBytesLimit pending, ExporterMetrics metrics, IOptions<PartialExporterOptions> options)
    {
        var settings = options.Value;
        if (pending.IsExceeded)
        {
            metrics.Refused("memory_limit");
            // Refused before the body is read: under back-pressure a request costs nothing but this answer.
            context.Response.Headers.RetryAfter = RetryAfter(settings);
            await WriteStatusAsync(context, StatusCodes.Status503ServiceUnavailable, $"the exporter is at its memory limit ({PartialExporterOptions.Section}:MaxPendingBytes); retry later", IsJson(context.Request.ContentType));
            return;
        }

        var json = IsJson(context.Request.ContentType);
        if (!json && !IsProtobuf(context.Request.ContentType))
        {
            await WriteStatusAsync(context, StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be {ProtobufType} or {JsonType}", json: false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = settings.MaxRequestBodySize;
        }

        if (context.Request.ContentLength > settings.MaxRequestBodySize)
        {
            await WriteStatusAsync(context, StatusCodes.Status413PayloadTooLarge, $"body is larger than {settings.MaxRequestBodySize} bytes", json);
            return;
        }

        var encoding = context.Request.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await WriteStatusAsync(context, StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{encoding}' is not supported (gzip or none)", json);
            return;
        }

        using var body = new PooledBuffer();
        try
        {
            var source = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(context.Request.Body, CompressionMode.Decompress, leaveOpen: true)
                : context.Request.Body;
            await using (source.ConfigureAwait(false))
            {
                var cap = encoding.Length > 0 ? settings.MaxDecompressedBodySize : settings.MaxRequestBodySize;
                if (!await body.ReadAllAsync(source, cap, context.RequestAborted))
                {
                    await WriteStatusAsync(context, StatusCodes.Status413PayloadTooLarge, $"body is larger than {cap} bytes", json);
                    return;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteStatusAsync(context, StatusCodes.Status413PayloadTooLarge, $"body is larger than {settings.MaxRequestBodySize} bytes", json);
            return;
        }
        catch (InvalidDataException e)
        {
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, $"body is not valid gzip: {e.Message}", json);
            return;
        }

        ExportLogsServiceRequest request;
        try
        {
            request = json
                ? OtlpJsonReader.ReadExportLogsRequest(body.Span)
                : ExportLogsServiceRequest.Parser.ParseFrom(body.Span);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException)
        {
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, $"request is not a valid ExportLogsServiceRequest: {e.Message}", json);
            return;
        }

        ExportLogsServiceResponse response;
        try
        {
            response = await ingestion.IngestAsync(request, body.Span.Length, context.RequestAborted);
        }
        catch (StoreUnavailableException e)
        {
            context.Response.Headers.RetryAfter = RetryAfter(settings);
            await WriteStatusAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message, json);
            return;
        }
        catch (UnwritableRecordsException e)
        {
            await WriteStatusAsync(context, StatusCodes.Status400BadRequest, e.Message, json);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = json ? JsonType : ProtobufType;
        await context.Response.Body.WriteAsync(json ? OtlpJsonWriter.WriteExportLogsResponse(response) : response.ToByteArray(), context.RequestAborted);
    }

    private static string RetryAfter(PartialExporterOptions settings) =>
        ((int)Math.Ceiling(settings.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static bool IsProtobuf(string? contentType) =>
        contentType is not null && contentType.StartsWith(ProtobufType, StringComparison.OrdinalIgnoreCase);

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.StartsWith(JsonType, StringComparison.OrdinalIgnoreCase);

    /// <summary>OTLP/HTTP error bodies are a <c>google.rpc.Status</c> in the request's encoding.</summary>
    private static async Task WriteStatusAsync(HttpContext context, int statusCode, string message, bool json)
    {
        context.Response.StatusCode = statusCode;
        var grpcCode = statusCode switch
        {
            StatusCodes.Status400BadRequest => 3, // INVALID_ARGUMENT
            StatusCodes.Status413PayloadTooLarge => 8, // RESOURCE_EXHAUSTED
            StatusCodes.Status503ServiceUnavailable => 14, // UNAVAILABLE
            _ => 3,
        };
        var status = new PartialCollector.Core.Otlp.Rpc.Status { Code = grpcCode, Message = message };
        if (json)
        {
            context.Response.ContentType = JsonType;
            await context.Response.WriteAsync(JsonFormatter.Default.Format(status));
        }
        else
        {
            context.Response.ContentType = ProtobufType;
            await context.Response.Body.WriteAsync(status.ToByteArray());
        }
    }

    /// <summary>A growable buffer from the shared pool, so large bodies don't each allocate their full size twice.</summary>
    private sealed class PooledBuffer : IDisposable
    {
        private byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        private int length;

        public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

        /// <returns>false when the stream holds more than <paramref name="cap"/> bytes.</returns>
        public async Task<bool> ReadAllAsync(Stream stream, long cap, CancellationToken cancellationToken)
        {
            while (true)
            {
                if (length == buffer.Length && length < cap)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(cap, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var room = (int)Math.Min(buffer.Length - length, cap - length);
                if (room == 0)
                {
                    // Full at the cap: one more byte means too large.
                    return await stream.ReadAsync(new byte[1], cancellationToken) == 0;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length, room), cancellationToken);
                if (read == 0)
                {
                    return true;
                }

                length += read;
            }
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
