using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using PartialCollector.Exporter.Ingestion;

namespace PartialCollector.Exporter.Otlp;

/// <summary>
/// Reads an OTLP/HTTP request body, enforcing each limit once: content type, content encoding, the body size as
/// sent and after gzip, and the memory limit, reserved as the body arrives (twice its size: the buffer and the
/// message parsed from it), so a flood is refused before it is buffered.
/// </summary>
public sealed class OtlpHttpBody : IDisposable
{
    private OtlpHttpBody(PooledBuffer? body, (int Status, string Message)? error)
    {
        Body = body;
        Error = error;
    }

    /// <summary>The body, when it could be read within the limits.</summary>
    public PooledBuffer? Body { get; }

    /// <summary>Why not: the HTTP status and the message for the client.</summary>
    public (int Status, string Message)? Error { get; }

    public static async Task<OtlpHttpBody> ReadAsync(HttpContext context, PartialExporterOptions settings, PendingBytesLimit.Reservation reservation)
    {
        var contentType = context.Request.ContentType;
        if (!OtlpHttpStatus.IsJson(contentType) && contentType?.StartsWith(OtlpHttpStatus.ProtobufType, StringComparison.OrdinalIgnoreCase) != true)
        {
            return Fail(StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be {OtlpHttpStatus.ProtobufType} or {OtlpHttpStatus.JsonType}");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = settings.MaxRequestBodySize;
        }

        if (context.Request.ContentLength > settings.MaxRequestBodySize)
        {
            return Fail(StatusCodes.Status413PayloadTooLarge, $"body is larger than {settings.MaxRequestBodySize} bytes");
        }

        var encoding = context.Request.Headers.ContentEncoding.ToString();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (encoding.Length > 0 && !gzip && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return Fail(StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{encoding}' is not supported (gzip or none)");
        }

        var body = new PooledBuffer();
        try
        {
            var source = gzip ? new GZipStream(context.Request.Body, CompressionMode.Decompress, leaveOpen: true) : context.Request.Body;
            await using (source.ConfigureAwait(false))
            {
                var cap = gzip ? settings.MaxDecompressedBodySize : settings.MaxRequestBodySize;
                var outcome = await body.ReadAllAsync(source, cap, read => reservation.TryAdd(2L * read), context.RequestAborted);
                if (outcome != ReadOutcome.Complete)
                {
                    body.Dispose();
                    return outcome == ReadOutcome.TooLarge
                        ? Fail(StatusCodes.Status413PayloadTooLarge, $"body is larger than {cap} bytes")
                        : Fail(StatusCodes.Status503ServiceUnavailable, $"the exporter is at its memory limit ({PartialExporterOptions.Section}:MaxPendingBytes); retry later");
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body.Dispose();
            return Fail(StatusCodes.Status413PayloadTooLarge, $"body is larger than {settings.MaxRequestBodySize} bytes");
        }
        catch (InvalidDataException e)
        {
            body.Dispose();
            return Fail(StatusCodes.Status400BadRequest, $"body is not valid gzip: {e.Message}");
        }

        return new OtlpHttpBody(body, null);
    }

    public void Dispose() => Body?.Dispose();

    private static OtlpHttpBody Fail(int status, string message) => new(null, (status, message));

    public enum ReadOutcome
    {
        Complete,
        TooLarge,
        OverMemoryLimit,
    }

    /// <summary>A growable buffer from the shared pool, so large bodies don't each allocate their full size twice.</summary>
    public sealed class PooledBuffer : IDisposable
    {
        private byte[]? buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        private int length;

        public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

        /// <param name="reserve">Asked for each chunk read; false stops reading (the memory limit is reached).</param>
        public async Task<ReadOutcome> ReadAllAsync(Stream stream, long cap, Func<int, bool> reserve, CancellationToken cancellationToken)
        {
            while (true)
            {
                if (length == buffer!.Length && length < cap)
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
                    return await stream.ReadAsync(new byte[1], cancellationToken) == 0 ? ReadOutcome.Complete : ReadOutcome.TooLarge;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length, room), cancellationToken);
                if (read == 0)
                {
                    return ReadOutcome.Complete;
                }

                if (!reserve(read))
                {
                    return ReadOutcome.OverMemoryLimit;
                }

                length += read;
            }
        }

        public void Dispose()
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }
        }
    }
}
