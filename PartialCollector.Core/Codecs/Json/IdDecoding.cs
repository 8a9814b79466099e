namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// Trace and span ids in the forms clients send: hex (any case) of exactly the right length, shorter hex
/// whose leading zeros were dropped (left-padded back), or base64 of exactly the right length.
/// </summary>
internal static class IdDecoding
{
    // Base64 of 16 bytes is 24 characters; leave room for stray whitespace handled by the decoder.
    private const int MaxBase64Length = 32;

    /// <summary>Fills all of <paramref name="id"/> (8 or 16 bytes) from <paramref name="text"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> text, Span<byte> id)
    {
        if (text.Length <= id.Length * 2 && TryDecodeHex(text, id))
        {
            return true;
        }

        if (text.Length > MaxBase64Length)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[Base64Decoding.MaxDecodedLength(MaxBase64Length)];
        if (!Base64Decoding.TryDecode(text, decoded, out var written) || written != id.Length)
        {
            return false;
        }

        decoded[..written].CopyTo(id);
        return true;
    }

    /// <summary>Hex right-aligned in <paramref name="id"/>: missing leading digits are zeros.</summary>
    private static bool TryDecodeHex(ReadOnlySpan<byte> hex, Span<byte> id)
    {
        var missing = (id.Length * 2) - hex.Length;
        var high = 0;
        for (var digit = 0; digit < id.Length * 2; digit++)
        {
            var nibble = digit < missing ? 0 : HexValue(hex[digit - missing]);
            if (nibble < 0)
            {
                return false;
            }

            if ((digit & 1) == 0)
            {
                high = nibble;
            }
            else
            {
                id[digit >> 1] = (byte)((high << 4) | nibble);
            }
        }

        return true;
    }

    private static int HexValue(byte c)
    {
        var digit = (uint)(c - '0');
        if (digit <= 9)
        {
            return (int)digit;
        }

        var letter = (uint)((c | 0x20) - 'a');
        return letter <= 5 ? (int)letter + 10 : -1;
    }
}
