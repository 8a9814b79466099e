using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Google.Protobuf;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>Scalar values, tolerant of the forms protobuf JSON and the known clients produce.</summary>
internal ref partial struct OtlpJsonParser
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The raw UTF-8 of the current string token, unescaped (allocates only when it had escapes).</summary>
    private readonly ReadOnlySpan<byte> StringBytes()
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        var unescaped = new byte[reader.ValueSpan.Length];
        return unescaped.AsSpan(0, reader.CopyString(unescaped));
    }

    /// <summary>The current token must be a string: its <see cref="StringBytes()"/>, else the error <paramref name="orElse"/>.</summary>
    private readonly ReadOnlySpan<byte> StringBytes(string orElse) =>
        Token == JsonTokenType.String ? StringBytes() : throw Error(orElse);

    private readonly string ReadString() =>
        Token != JsonTokenType.String ? throw Error("expected a string")
        : reader.ValueSpan.IsEmpty ? string.Empty
        : reader.GetString()!;

    private readonly bool ReadBool() => Token switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.String when StringBytes().SequenceEqual("true"u8) => true,
        JsonTokenType.String when StringBytes().SequenceEqual("false"u8) => false,
        JsonTokenType.String => throw Error("not a boolean"),
        _ => throw Error("expected true or false"),
    };

    /// <summary>
    /// An integer field (uint64 / fixed64, int64, uint32 / fixed32): a JSON number or a decimal string. Integral
    /// values in another notation (<c>1e3</c>, <c>"5.0"</c>) are accepted too, as protobuf's JSON parser does.
    /// </summary>
    private readonly T ReadInteger<T>()
        where T : IBinaryInteger<T>, IMinMaxValue<T>
    {
        var text = Token switch
        {
            JsonTokenType.Number => reader.ValueSpan,
            JsonTokenType.String => StringBytes(),
            _ => throw Error("expected a number or a numeric string"),
        };
        if (T.TryParse(text, NumberStyles.AllowLeadingSign, Invariant, out var value))
        {
            return value;
        }

        var isDecimal = Token == JsonTokenType.Number
            ? reader.TryGetDecimal(out var number)
            : decimal.TryParse(text, NumberStyles.Float, Invariant, out number);
        if (!isDecimal || number < decimal.CreateChecked(T.MinValue) || number > decimal.CreateChecked(T.MaxValue)
            || number != decimal.Truncate(number))
        {
            throw Error(NotAn<T>());
        }

        return T.CreateChecked(number);
    }

    /// <summary>"not an unsigned 64-bit integer", "not a 64-bit integer", ...</summary>
    private static string NotAn<T>()
        where T : IBinaryInteger<T>, IMinMaxValue<T> =>
        $"not {(T.IsNegative(T.MinValue) ? "a" : "an unsigned")} {T.Zero.GetByteCount() * 8}-bit integer";

    /// <summary>
    /// double: a JSON number, or a string holding a number or protobuf JSON's <c>NaN</c>, <c>Infinity</c>,
    /// <c>-Infinity</c> (the invariant culture's names for them, so double.TryParse reads them as such).
    /// </summary>
    private readonly double ReadDouble()
    {
        double value;
        var parsed = Token switch
        {
            JsonTokenType.Number => reader.TryGetDouble(out value),
            JsonTokenType.String => double.TryParse(StringBytes(), NumberStyles.Float, Invariant, out value),
            _ => throw Error("expected a number or a numeric string"),
        };
        return parsed ? value : throw Error("not a double");
    }

    /// <summary>An enum as a number, a numeric string, or a value name.</summary>
    private readonly TEnum ReadEnum<TEnum>()
        where TEnum : struct, Enum
    {
        int number;
        if (Token == JsonTokenType.Number)
        {
            if (!reader.TryGetInt32(out number))
            {
                throw Error($"not a {EnumNames<TEnum>.Description} number");
            }
        }
        else if (Token != JsonTokenType.String)
        {
            throw Error($"expected a {EnumNames<TEnum>.Description} number or name");
        }
        else
        {
            var text = StringBytes();
            if (text.Length == 0 || (text[0] != (byte)'-' && (uint)(text[0] - '0') > 9))
            {
                return EnumNames<TEnum>.TryLookup(text, out var named)
                    ? named
                    : throw Error($"unknown {EnumNames<TEnum>.Description} '{Excerpt(text)}'");
            }

            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, Invariant, out number))
            {
                throw Error($"not a {EnumNames<TEnum>.Description} number");
            }
        }

        // Protobuf enums are int-sized and open: a number with no name is kept, as protobuf does.
        return Unsafe.BitCast<int, TEnum>(number);
    }

    /// <summary>
    /// A trace id (16 bytes) or span id (8 bytes): hex, short hex left-padded with zeros, or base64 of
    /// exactly that length. An empty string is an absent id; so is an all-zero one when
    /// <paramref name="zeroIsAbsent"/> (parent span ids: "no parent").
    /// </summary>
    private readonly ByteString ReadId(int length, bool zeroIsAbsent = false)
    {
        var text = StringBytes(orElse: "expected a hex or base64 string");
        if (text.IsEmpty)
        {
            return ByteString.Empty;
        }

        Span<byte> id = stackalloc byte[16];
        id = id[..length];
        if (!IdDecoding.TryDecode(text, id))
        {
            throw Error($"not hex or base64 ({length} bytes expected)");
        }

        if (zeroIsAbsent && !id.ContainsAnyExcept((byte)0))
        {
            return ByteString.Empty;
        }

        return ByteString.CopyFrom(id);
    }

    /// <summary>A bytes field: base64, standard or URL-safe, padding optional.</summary>
    private readonly ByteString ReadBytes()
    {
        var text = StringBytes(orElse: "expected a base64 string");
        if (text.IsEmpty)
        {
            return ByteString.Empty;
        }

        var decoded = new byte[Base64Decoding.MaxDecodedLength(text.Length)];
        if (!Base64Decoding.TryDecode(text, decoded, out var written))
        {
            throw Error("not base64");
        }

        return UnsafeByteOperations.UnsafeWrap(decoded.AsMemory(0, written));
    }

    private static string Excerpt(ReadOnlySpan<byte> text) =>
        Encoding.UTF8.GetString(text.Length <= 64 ? text : text[..64]);
}
