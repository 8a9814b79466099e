namespace PartialCollector.Core.Codecs.Json;

internal enum OtlpEnum
{
    SpanKind,
    StatusCode,
    SeverityNumber,
}

/// <summary>
/// Enum values by name: the protobuf names (<c>SPAN_KIND_SERVER</c>, <c>STATUS_CODE_ERROR</c>,
/// <c>SEVERITY_NUMBER_INFO</c>), case-insensitively, with or without the type prefix
/// (so .NET's <c>Server</c> / <c>Error</c> also match).
/// </summary>
internal static class EnumNames
{
    private const int MaxNameLength = 40;

    /// <returns>The enum number, or -1 when the name is not known.</returns>
    public static int Lookup(OtlpEnum type, ReadOnlySpan<byte> utf8Name)
    {
        if (utf8Name.Length > MaxNameLength)
        {
            return -1;
        }

        Span<char> buffer = stackalloc char[MaxNameLength];
        for (var i = 0; i < utf8Name.Length; i++)
        {
            var b = utf8Name[i];
            if (b >= 0x80)
            {
                return -1;
            }

            buffer[i] = (char)(b is >= (byte)'a' and <= (byte)'z' ? b & ~0x20 : b);
        }

        ReadOnlySpan<char> name = buffer[..utf8Name.Length];
        return type switch
        {
            OtlpEnum.SpanKind => SpanKind(StripPrefix(name, "SPAN_KIND_")),
            OtlpEnum.StatusCode => StatusCode(StripPrefix(name, "STATUS_CODE_")),
            OtlpEnum.SeverityNumber => SeverityNumber(StripPrefix(name, "SEVERITY_NUMBER_")),
            _ => -1,
        };
    }

    public static string Describe(OtlpEnum type) => type switch
    {
        OtlpEnum.SpanKind => "span kind",
        OtlpEnum.StatusCode => "status code",
        _ => "severity number",
    };

    private static ReadOnlySpan<char> StripPrefix(ReadOnlySpan<char> name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;

    private static int SpanKind(ReadOnlySpan<char> name) => name switch
    {
        "UNSPECIFIED" => 0,
        "INTERNAL" => 1,
        "SERVER" => 2,
        "CLIENT" => 3,
        "PRODUCER" => 4,
        "CONSUMER" => 5,
        _ => -1,
    };

    private static int StatusCode(ReadOnlySpan<char> name) => name switch
    {
        "UNSET" => 0,
        "OK" => 1,
        "ERROR" => 2,
        _ => -1,
    };

    /// <summary>TRACE=1, TRACE2..4=2..4, DEBUG=5, ... FATAL4=24.</summary>
    private static int SeverityNumber(ReadOnlySpan<char> name)
    {
        if (name.SequenceEqual("UNSPECIFIED"))
        {
            return 0;
        }

        var step = 0;
        if (name.Length > 0 && name[^1] is >= '2' and <= '4')
        {
            step = name[^1] - '1';
            name = name[..^1];
        }

        var level = name switch
        {
            "TRACE" => 1,
            "DEBUG" => 5,
            "INFO" => 9,
            "WARN" => 13,
            "ERROR" => 17,
            "FATAL" => 21,
            _ => -1,
        };
        return level < 0 ? -1 : level + step;
    }
}
