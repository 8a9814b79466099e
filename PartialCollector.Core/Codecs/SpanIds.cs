using Google.Protobuf;

namespace PartialCollector.Core.Codecs;

/// <summary>Span and trace ids as the table keys them: lowercase hex of the 16 / 8 bytes, never all zeros.</summary>
public static class SpanIds
{
    public static bool TryFormatTraceId(ByteString id, out string hex) => TryFormat(id, 16, out hex);

    public static bool TryFormatSpanId(ByteString id, out string hex) => TryFormat(id, 8, out hex);

    public static bool IsValid(ByteString id, int length) => id.Length == length && !IsAllZero(id.Span);

    private static bool TryFormat(ByteString id, int length, out string hex)
    {
        if (!IsValid(id, length))
        {
            hex = "";
            return false;
        }

        hex = Convert.ToHexStringLower(id.Span);
        return true;
    }

    private static bool IsAllZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
