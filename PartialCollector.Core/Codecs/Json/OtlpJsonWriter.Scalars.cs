using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Google.Protobuf;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>Scalar values in their OTLP/JSON form; the <c>IfSet</c> ones omit the default value.</summary>
public static partial class OtlpJsonWriter
{
    private static void WriteStringIfSet(Utf8JsonWriter w, ReadOnlySpan<byte> name, string value)
    {
        if (value.Length > 0)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>uint32 and enums: a JSON number.</summary>
    private static void WriteUInt32IfSet(Utf8JsonWriter w, ReadOnlySpan<byte> name, uint value)
    {
        if (value != 0)
        {
            w.WriteNumber(name, value);
        }
    }

    private static void WriteInt64IfSet<T>(Utf8JsonWriter w, ReadOnlySpan<byte> name, T value)
        where T : IBinaryInteger<T>
    {
        if (!T.IsZero(value))
        {
            WriteInt64(w, name, value);
        }
    }

    /// <summary>int64 / uint64 / fixed64: a decimal string, as JSON numbers lose precision beyond 2^53.</summary>
    private static void WriteInt64<T>(Utf8JsonWriter w, ReadOnlySpan<byte> name, T value)
        where T : IBinaryInteger<T>
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
        w.WriteString(name, digits[..length]);
    }

    /// <summary>A JSON number, or the strings protobuf JSON uses for the values JSON has no number for.</summary>
    private static void WriteDouble(Utf8JsonWriter w, ReadOnlySpan<byte> name, double value)
    {
        if (double.IsNaN(value))
        {
            w.WriteString(name, "NaN"u8);
        }
        else if (double.IsPositiveInfinity(value))
        {
            w.WriteString(name, "Infinity"u8);
        }
        else if (double.IsNegativeInfinity(value))
        {
            w.WriteString(name, "-Infinity"u8);
        }
        else
        {
            w.WriteNumber(name, value);
        }
    }

    /// <summary>Trace and span ids: lowercase hex (not protobuf JSON's base64).</summary>
    private static void WriteIdIfSet(Utf8JsonWriter w, ReadOnlySpan<byte> name, ByteString id)
    {
        if (id.Length == 0)
        {
            return;
        }

        if (id.Length <= 32)
        {
            Span<char> hex = stackalloc char[64];
            Convert.TryToHexStringLower(id.Span, hex, out var length);
            w.WriteString(name, hex[..length]);
        }
        else
        {
            w.WriteString(name, Convert.ToHexStringLower(id.Span));
        }
    }
}
