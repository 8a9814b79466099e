using System.Text.Json;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// Tolerant OTLP/JSON decoding straight into the generated protobuf messages. Accepts strict OTLP/JSON and
/// what the known partial-span clients send: lowerCamelCase or snake_case names; enums as numbers,
/// numeric strings or names; 64-bit integers as numbers or strings; ids as hex (left-padded when short) or
/// base64; all-zero parent span ids as "no parent"; null as absent; unknown fields skipped.
/// Anything undecodable throws <see cref="OtlpJsonException"/> naming the JSON path.
/// </summary>
public static class OtlpJsonReader
{
    /// <exception cref="OtlpJsonException">The input is not a decodable <c>TracesData</c>.</exception>
    public static TracesData ReadTracesData(ReadOnlySpan<byte> utf8) =>
        Read(utf8, static (ref p) => p.ReadTracesData());

    /// <exception cref="OtlpJsonException">The input is not a decodable <c>ExportLogsServiceRequest</c>.</exception>
    public static ExportLogsServiceRequest ReadExportLogsRequest(ReadOnlySpan<byte> utf8) =>
        Read(utf8, static (ref p) => p.ReadExportLogsRequest());

    private static T Read<T>(ReadOnlySpan<byte> utf8, OtlpJsonParser.ReadItem<T> readDocument)
    {
        var parser = new OtlpJsonParser(utf8);
        try
        {
            return readDocument(ref parser);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw parser.Wrap(e);
        }
    }

    // JsonException: syntax and depth errors from Utf8JsonReader. InvalidOperationException: a value
    // accessor refusing the data (e.g. a string that is not valid UTF-8). The rest are defensive.
    private static bool IsDecodeFailure(Exception e) =>
        e is JsonException or InvalidOperationException or ArgumentException or OverflowException
        || (e is FormatException && e is not OtlpJsonException);
}
