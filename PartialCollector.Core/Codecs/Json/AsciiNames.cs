namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// The one normalisation behind the name lookups (field names, enum value names): ASCII lowercase, optionally
/// without underscores, written into the caller's stack buffer so that a lookup allocates nothing.
/// </summary>
internal static class AsciiNames
{
    /// <returns>
    /// The folded length, or -1 when the name is longer than <paramref name="buffer"/> or not ASCII: no known
    /// name is either, so the caller can answer "unknown" straight away.
    /// </returns>
    public static int Fold(ReadOnlySpan<byte> utf8Name, Span<byte> buffer, bool dropUnderscores)
    {
        if (utf8Name.Length > buffer.Length)
        {
            return -1;
        }

        var length = 0;
        foreach (var b in utf8Name)
        {
            if (b >= 0x80)
            {
                return -1;
            }

            if (b == (byte)'_' && dropUnderscores)
            {
                continue;
            }

            buffer[length++] = (byte)(b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b);
        }

        return length;
    }
}
