using System.Buffers;
using System.Buffers.Text;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// Base64 as clients really send it: the standard alphabet with padding first (the fast path), then the
/// URL-safe alphabet and/or missing padding.
/// </summary>
internal static class Base64Decoding
{
    private const int StackLimit = 256;

    /// <summary>The destination size that is always enough for <paramref name="textLength"/> characters.</summary>
    public static int MaxDecodedLength(int textLength) => (textLength + 3) / 4 * 3;

    public static bool TryDecode(ReadOnlySpan<byte> utf8, Span<byte> destination, out int written)
    {
        if (Base64.DecodeFromUtf8(utf8, destination, out var consumed, out written) == OperationStatus.Done
            && consumed == utf8.Length)
        {
            return true;
        }

        if (utf8.Length % 4 == 1)
        {
            written = 0;
            return false;
        }

        var paddedLength = (utf8.Length + 3) / 4 * 4;
        byte[]? rented = null;
        Span<byte> normalized = paddedLength <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(paddedLength));
        try
        {
            for (var i = 0; i < utf8.Length; i++)
            {
                var b = utf8[i];
                normalized[i] = b switch
                {
                    (byte)'-' => (byte)'+',
                    (byte)'_' => (byte)'/',
                    _ => b,
                };
            }

            normalized[utf8.Length..paddedLength].Fill((byte)'=');
            var status = Base64.DecodeFromUtf8(normalized[..paddedLength], destination, out consumed, out written);
            return status == OperationStatus.Done && consumed == paddedLength;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
