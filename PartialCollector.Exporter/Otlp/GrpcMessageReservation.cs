using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Options;
using PartialCollector.Exporter.Ingestion;
using PartialCollector.Exporter.Telemetry;

namespace PartialCollector.Exporter.Otlp;

/// <summary>
/// Reserves a gRPC export's share of <see cref="PendingBytesLimit"/> before the framework buffers its message:
/// the 5-byte gRPC frame header announces the message's length, so a flood is refused with UNAVAILABLE at once
/// instead of being read into memory first. The reservation travels to <see cref="LogsGrpcService"/> as a feature
/// and is released when the call has been answered.
/// </summary>
public static class GrpcMessageReservation
{
    private const string ExportPath = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

    // A compressed message is reserved as this many times its size (capped at the decompressed body limit).
    private const int CompressionAllowance = 8;

    public static IApplicationBuilder UseGrpcMessageReservation(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.Equals(ExportPath, StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var services = context.RequestServices;
        var settings = services.GetRequiredService<IOptions<PartialExporterOptions>>().Value;
        using var reservation = services.GetRequiredService<PendingBytesLimit>().Begin();
        if (await PeekMessageSizeAsync(context.Request.BodyReader, context.RequestAborted) is { } frame)
        {
            var size = frame.Compressed ? Math.Min(frame.Length * CompressionAllowance, settings.MaxDecompressedBodySize) : frame.Length;

            // Twice: the buffered message and the request parsed from it.
            if (!reservation.TryAdd(2 * size))
            {
                services.GetRequiredService<ExporterMetrics>().Refused("memory_limit");
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = "14";
                context.Response.Headers["grpc-message"] = Uri.EscapeDataString(
                    $"the exporter is at its memory limit ({PartialExporterOptions.Section}:MaxPendingBytes); retry later");
                return;
            }
        }

        context.Features.Set(reservation);
        await next(context);
    });

    private static async Task<(bool Compressed, long Length)?> PeekMessageSizeAsync(System.IO.Pipelines.PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= 5)
            {
                Span<byte> header = stackalloc byte[5];
                buffer.Slice(0, 5).CopyTo(header);

                // Nothing consumed: the framework reads the message from the start.
                reader.AdvanceTo(buffer.Start);
                return (header[0] != 0, BinaryPrimitives.ReadUInt32BigEndian(header[1..]));
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.Start);
                return null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
