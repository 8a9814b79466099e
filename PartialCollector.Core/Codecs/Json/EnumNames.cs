using System.Text;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// The values of an OTLP enum (span kind, status code, severity number) by name, case-insensitively: the
/// protobuf name (<c>SPAN_KIND_SERVER</c>) or the name without the type prefix (<c>SERVER</c>, so .NET's
/// <c>Server</c> too). The names come from the generated C# enum: protobuf's C# generator drops exactly that
/// prefix (the enum's own name in UPPER_SNAKE_CASE) from each value, so prefix + member name is the protobuf name.
/// </summary>
internal static class EnumNames<TEnum>
    where TEnum : struct, Enum
{
    /// <summary>The type in words, for error messages: "span kind".</summary>
    public static readonly string Description = Words(typeof(TEnum).Name, ' ');

    /// <summary>Both spellings of every value, lowercase: "server" and "span_kind_server".</summary>
    private static readonly NameTable<TEnum> ByFoldedName = new(
        from member in Enum.GetNames<TEnum>()
        let name = member.ToLowerInvariant()
        let value = Enum.Parse<TEnum>(member)
        from spelling in new[] { name, Words(typeof(TEnum).Name, '_') + "_" + name }
        select (spelling, value));

    public static bool TryLookup(ReadOnlySpan<byte> utf8Name, out TEnum value)
    {
        Span<byte> folded = stackalloc byte[NameTable<TEnum>.MaxNameLength];
        var length = AsciiNames.Fold(utf8Name, folded, dropUnderscores: false);
        value = default;
        return length >= 0 && ByFoldedName.TryFind(folded[..length], out value);
    }

    /// <summary>"SpanKind" as lowercase words: "span kind" or "span_kind".</summary>
    private static string Words(string pascalCase, char separator)
    {
        var words = new StringBuilder(pascalCase.Length + 4);
        foreach (var c in pascalCase)
        {
            if (char.IsAsciiLetterUpper(c) && words.Length > 0)
            {
                words.Append(separator);
            }

            words.Append(char.ToLowerInvariant(c));
        }

        return words.ToString();
    }
}
