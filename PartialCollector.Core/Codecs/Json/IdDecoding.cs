using System.Buffers;

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
        Span<byte> padded = stackalloc byte[32]; // the digits of a trace id, the longer of the two
        padded = padded[..(id.Length * 2)];
        padded[..^hex.Length].Fill((byte)'0');
        hex.CopyTo(padded[^hex.Length..]);
        return Convert.FromHexString(padded, id, out _, out _) == OperationStatus.Done;
    }
}
