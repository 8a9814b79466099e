using System.Runtime.CompilerServices;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// Every OTLP field name the reader knows, across all the messages it decodes. The member names are the only
/// copy of the names: <see cref="JsonFields"/> derives the OTLP/JSON spelling and the lookup key from them.
/// </summary>
internal enum JsonField : byte
{
    /// <summary>No field read yet in the current object.</summary>
    None,

    /// <summary>A field the reader does not decode: its value is skipped.</summary>
    Unknown,
    ResourceSpans,
    ResourceLogs,
    Resource,
    ScopeSpans,
    ScopeLogs,
    Scope,
    SchemaUrl,
    Spans,
    LogRecords,
    Attributes,
    DroppedAttributesCount,
    Name,
    Version,
    TraceId,
    SpanId,
    TraceState,
    ParentSpanId,
    Flags,
    Kind,
    StartTimeUnixNano,
    EndTimeUnixNano,
    Events,
    DroppedEventsCount,
    Links,
    DroppedLinksCount,
    Status,
    Code,
    Message,
    TimeUnixNano,
    ObservedTimeUnixNano,
    SeverityNumber,
    SeverityText,
    Body,
    EventName,
    Key,
    Value,
    Values,
    StringValue,
    BoolValue,
    IntValue,
    DoubleValue,
    ArrayValue,
    KvlistValue,
    BytesValue,
}

/// <summary>
/// Maps a JSON property name to a <see cref="JsonField"/> without allocating. Names are compared lowercased and
/// without underscores, so lowerCamelCase (OTLP/JSON), snake_case (the proto field names, as some clients
/// send them) and any other casing match alike.
/// </summary>
internal static class JsonFields
{
    /// <summary>The OTLP/JSON (lowerCamelCase) names, indexed by <see cref="JsonField"/>.</summary>
    private static readonly string[] DisplayNames = Enum.GetNames<JsonField>()
        .Select(name => name switch
        {
            nameof(JsonField.None) => "",
            nameof(JsonField.Unknown) => "(unknown field)",
            _ => char.ToLowerInvariant(name[0]) + name[1..],
        })
        .ToArray();

    /// <summary>
    /// Each field under its folded name and, so that strict OTLP/JSON needs no folding, its OTLP/JSON name.
    /// </summary>
    private static readonly NameTable<JsonField> ByName = new(
        Enum.GetValues<JsonField>()
            .Where(field => field is not (JsonField.None or JsonField.Unknown))
            .SelectMany(field => new[] { (DisplayName(field), field), (field.ToString().ToLowerInvariant(), field) }));

    public static JsonField Identify(ReadOnlySpan<byte> utf8Name) =>
        ByName.TryFind(utf8Name, out var field) ? field : IdentifyFolded(utf8Name);

    /// <summary>
    /// Any other spelling. A method of its own so that its stack buffer (zeroing, overrun check) stays off the
    /// strict OTLP/JSON path, which then costs what the hand-written switch this table replaced did.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static JsonField IdentifyFolded(ReadOnlySpan<byte> utf8Name)
    {
        Span<byte> folded = stackalloc byte[NameTable<JsonField>.MaxNameLength];
        var length = AsciiNames.Fold(utf8Name, folded, dropUnderscores: true);
        return length >= 0 && ByName.TryFind(folded[..length], out var field) ? field : JsonField.Unknown;
    }

    /// <summary>The canonical (OTLP/JSON, lowerCamelCase) name, for error paths.</summary>
    public static string DisplayName(JsonField field) => DisplayNames[(int)field];
}
