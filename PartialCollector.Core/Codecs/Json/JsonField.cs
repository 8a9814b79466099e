namespace PartialCollector.Core.Codecs.Json;

/// <summary>Every OTLP field name the reader knows, across all the messages it decodes.</summary>
internal enum JsonField : byte
{
    /// <summary>No field read yet in the current object.</summary>
    None,
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
/// Maps a JSON property name to a <see cref="JsonField"/> without allocating. lowerCamelCase and snake_case
/// names match alike: the comparison ignores underscores and ASCII case.
/// </summary>
internal static class JsonFields
{
    // Longest known name with underscores is "dropped_attributes_count" (24); leave room for odd spellings.
    private const int MaxNameLength = 48;

    public static JsonField Identify(ReadOnlySpan<byte> utf8Name)
    {
        var field = IdentifyCamelCase(utf8Name);
        return field != JsonField.Unknown ? field : IdentifyAnySpelling(utf8Name);
    }

    /// <summary>The fast path: the exact lowerCamelCase spelling of strict OTLP/JSON and protobuf's JSON.</summary>
    private static JsonField IdentifyCamelCase(ReadOnlySpan<byte> n) => n.Length switch
    {
        3 => n.SequenceEqual("key"u8) ? JsonField.Key : JsonField.Unknown,
        4 => n[0] switch
        {
            (byte)'b' => n.SequenceEqual("body"u8) ? JsonField.Body : JsonField.Unknown,
            (byte)'c' => n.SequenceEqual("code"u8) ? JsonField.Code : JsonField.Unknown,
            (byte)'k' => n.SequenceEqual("kind"u8) ? JsonField.Kind : JsonField.Unknown,
            (byte)'n' => n.SequenceEqual("name"u8) ? JsonField.Name : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        5 => n[0] switch
        {
            (byte)'f' => n.SequenceEqual("flags"u8) ? JsonField.Flags : JsonField.Unknown,
            (byte)'l' => n.SequenceEqual("links"u8) ? JsonField.Links : JsonField.Unknown,
            (byte)'s' => n.SequenceEqual("scope"u8) ? JsonField.Scope : n.SequenceEqual("spans"u8) ? JsonField.Spans : JsonField.Unknown,
            (byte)'v' => n.SequenceEqual("value"u8) ? JsonField.Value : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        6 => n[0] switch
        {
            (byte)'e' => n.SequenceEqual("events"u8) ? JsonField.Events : JsonField.Unknown,
            (byte)'s' => n.SequenceEqual("spanId"u8) ? JsonField.SpanId : n.SequenceEqual("status"u8) ? JsonField.Status : JsonField.Unknown,
            (byte)'v' => n.SequenceEqual("values"u8) ? JsonField.Values : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        7 => n[0] switch
        {
            (byte)'m' => n.SequenceEqual("message"u8) ? JsonField.Message : JsonField.Unknown,
            (byte)'t' => n.SequenceEqual("traceId"u8) ? JsonField.TraceId : JsonField.Unknown,
            (byte)'v' => n.SequenceEqual("version"u8) ? JsonField.Version : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        8 => n[0] switch
        {
            (byte)'i' => n.SequenceEqual("intValue"u8) ? JsonField.IntValue : JsonField.Unknown,
            (byte)'r' => n.SequenceEqual("resource"u8) ? JsonField.Resource : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        9 => n[0] switch
        {
            (byte)'b' => n.SequenceEqual("boolValue"u8) ? JsonField.BoolValue : JsonField.Unknown,
            (byte)'e' => n.SequenceEqual("eventName"u8) ? JsonField.EventName : JsonField.Unknown,
            (byte)'s' => n.SequenceEqual("scopeLogs"u8) ? JsonField.ScopeLogs : n.SequenceEqual("schemaUrl"u8) ? JsonField.SchemaUrl : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        10 => n[0] switch
        {
            (byte)'a' => n.SequenceEqual("attributes"u8) ? JsonField.Attributes : n.SequenceEqual("arrayValue"u8) ? JsonField.ArrayValue : JsonField.Unknown,
            (byte)'b' => n.SequenceEqual("bytesValue"u8) ? JsonField.BytesValue : JsonField.Unknown,
            (byte)'l' => n.SequenceEqual("logRecords"u8) ? JsonField.LogRecords : JsonField.Unknown,
            (byte)'s' => n.SequenceEqual("scopeSpans"u8) ? JsonField.ScopeSpans : JsonField.Unknown,
            (byte)'t' => n.SequenceEqual("traceState"u8) ? JsonField.TraceState : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        11 => n[0] switch
        {
            (byte)'d' => n.SequenceEqual("doubleValue"u8) ? JsonField.DoubleValue : JsonField.Unknown,
            (byte)'k' => n.SequenceEqual("kvlistValue"u8) ? JsonField.KvlistValue : JsonField.Unknown,
            (byte)'s' => n.SequenceEqual("stringValue"u8) ? JsonField.StringValue : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        12 => n[0] switch
        {
            (byte)'p' => n.SequenceEqual("parentSpanId"u8) ? JsonField.ParentSpanId : JsonField.Unknown,
            (byte)'r' => n.SequenceEqual("resourceLogs"u8) ? JsonField.ResourceLogs : JsonField.Unknown,
            (byte)'s' => n.SequenceEqual("severityText"u8) ? JsonField.SeverityText : JsonField.Unknown,
            (byte)'t' => n.SequenceEqual("timeUnixNano"u8) ? JsonField.TimeUnixNano : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        13 => n.SequenceEqual("resourceSpans"u8) ? JsonField.ResourceSpans : JsonField.Unknown,
        14 => n.SequenceEqual("severityNumber"u8) ? JsonField.SeverityNumber : JsonField.Unknown,
        15 => n.SequenceEqual("endTimeUnixNano"u8) ? JsonField.EndTimeUnixNano : JsonField.Unknown,
        17 => n[0] switch
        {
            (byte)'d' => n.SequenceEqual("droppedLinksCount"u8) ? JsonField.DroppedLinksCount : JsonField.Unknown,
            (byte)'s' => n.SequenceEqual("startTimeUnixNano"u8) ? JsonField.StartTimeUnixNano : JsonField.Unknown,
            _ => JsonField.Unknown,
        },
        18 => n.SequenceEqual("droppedEventsCount"u8) ? JsonField.DroppedEventsCount : JsonField.Unknown,
        20 => n.SequenceEqual("observedTimeUnixNano"u8) ? JsonField.ObservedTimeUnixNano : JsonField.Unknown,
        22 => n.SequenceEqual("droppedAttributesCount"u8) ? JsonField.DroppedAttributesCount : JsonField.Unknown,
        _ => JsonField.Unknown,
    };

    /// <summary>snake_case or any other casing: compared ignoring underscores and ASCII case.</summary>
    private static JsonField IdentifyAnySpelling(ReadOnlySpan<byte> n)
    {
        if (n.Length > MaxNameLength)
        {
            return JsonField.Unknown;
        }

        switch (n.Length - n.Count((byte)'_'))
        {
            case 3:
                return Matches(n, "key"u8) ? JsonField.Key
                    : JsonField.Unknown;
            case 4:
                return Matches(n, "name"u8) ? JsonField.Name
                    : Matches(n, "kind"u8) ? JsonField.Kind
                    : Matches(n, "code"u8) ? JsonField.Code
                    : Matches(n, "body"u8) ? JsonField.Body
                    : JsonField.Unknown;
            case 5:
                return Matches(n, "scope"u8) ? JsonField.Scope
                    : Matches(n, "spans"u8) ? JsonField.Spans
                    : Matches(n, "flags"u8) ? JsonField.Flags
                    : Matches(n, "links"u8) ? JsonField.Links
                    : Matches(n, "value"u8) ? JsonField.Value
                    : JsonField.Unknown;
            case 6:
                return Matches(n, "spanid"u8) ? JsonField.SpanId
                    : Matches(n, "events"u8) ? JsonField.Events
                    : Matches(n, "status"u8) ? JsonField.Status
                    : Matches(n, "values"u8) ? JsonField.Values
                    : JsonField.Unknown;
            case 7:
                return Matches(n, "version"u8) ? JsonField.Version
                    : Matches(n, "traceid"u8) ? JsonField.TraceId
                    : Matches(n, "message"u8) ? JsonField.Message
                    : JsonField.Unknown;
            case 8:
                return Matches(n, "resource"u8) ? JsonField.Resource
                    : Matches(n, "intvalue"u8) ? JsonField.IntValue
                    : JsonField.Unknown;
            case 9:
                return Matches(n, "scopelogs"u8) ? JsonField.ScopeLogs
                    : Matches(n, "schemaurl"u8) ? JsonField.SchemaUrl
                    : Matches(n, "eventname"u8) ? JsonField.EventName
                    : Matches(n, "boolvalue"u8) ? JsonField.BoolValue
                    : JsonField.Unknown;
            case 10:
                return Matches(n, "scopespans"u8) ? JsonField.ScopeSpans
                    : Matches(n, "logrecords"u8) ? JsonField.LogRecords
                    : Matches(n, "attributes"u8) ? JsonField.Attributes
                    : Matches(n, "tracestate"u8) ? JsonField.TraceState
                    : Matches(n, "arrayvalue"u8) ? JsonField.ArrayValue
                    : Matches(n, "bytesvalue"u8) ? JsonField.BytesValue
                    : JsonField.Unknown;
            case 11:
                return Matches(n, "stringvalue"u8) ? JsonField.StringValue
                    : Matches(n, "doublevalue"u8) ? JsonField.DoubleValue
                    : Matches(n, "kvlistvalue"u8) ? JsonField.KvlistValue
                    : JsonField.Unknown;
            case 12:
                return Matches(n, "resourcelogs"u8) ? JsonField.ResourceLogs
                    : Matches(n, "parentspanid"u8) ? JsonField.ParentSpanId
                    : Matches(n, "timeunixnano"u8) ? JsonField.TimeUnixNano
                    : Matches(n, "severitytext"u8) ? JsonField.SeverityText
                    : JsonField.Unknown;
            case 13:
                return Matches(n, "resourcespans"u8) ? JsonField.ResourceSpans
                    : JsonField.Unknown;
            case 14:
                return Matches(n, "severitynumber"u8) ? JsonField.SeverityNumber
                    : JsonField.Unknown;
            case 15:
                return Matches(n, "endtimeunixnano"u8) ? JsonField.EndTimeUnixNano
                    : JsonField.Unknown;
            case 17:
                return Matches(n, "starttimeunixnano"u8) ? JsonField.StartTimeUnixNano
                    : Matches(n, "droppedlinkscount"u8) ? JsonField.DroppedLinksCount
                    : JsonField.Unknown;
            case 18:
                return Matches(n, "droppedeventscount"u8) ? JsonField.DroppedEventsCount
                    : JsonField.Unknown;
            case 20:
                return Matches(n, "observedtimeunixnano"u8) ? JsonField.ObservedTimeUnixNano
                    : JsonField.Unknown;
            case 22:
                return Matches(n, "droppedattributescount"u8) ? JsonField.DroppedAttributesCount
                    : JsonField.Unknown;
            default:
                return JsonField.Unknown;
        }
    }

    /// <summary>
    /// Whether <paramref name="utf8Name"/> equals <paramref name="lowerName"/> (lowercase letters only)
    /// ignoring underscores and ASCII case. Only A-Z / a-z can land on a-z when OR-ed with 0x20.
    /// </summary>
    private static bool Matches(ReadOnlySpan<byte> utf8Name, ReadOnlySpan<byte> lowerName)
    {
        var j = 0;
        foreach (var b in utf8Name)
        {
            if (b == (byte)'_')
            {
                continue;
            }

            if (j == lowerName.Length || (b | 0x20) != lowerName[j])
            {
                return false;
            }

            j++;
        }

        return j == lowerName.Length;
    }

    /// <summary>The canonical (OTLP/JSON, lowerCamelCase) name, for error paths.</summary>
    public static string DisplayName(JsonField field) => field switch
    {
        JsonField.None => "",
        JsonField.Unknown => "(unknown field)",
        JsonField.ResourceSpans => "resourceSpans",
        JsonField.ResourceLogs => "resourceLogs",
        JsonField.Resource => "resource",
        JsonField.ScopeSpans => "scopeSpans",
        JsonField.ScopeLogs => "scopeLogs",
        JsonField.Scope => "scope",
        JsonField.SchemaUrl => "schemaUrl",
        JsonField.Spans => "spans",
        JsonField.LogRecords => "logRecords",
        JsonField.Attributes => "attributes",
        JsonField.DroppedAttributesCount => "droppedAttributesCount",
        JsonField.Name => "name",
        JsonField.Version => "version",
        JsonField.TraceId => "traceId",
        JsonField.SpanId => "spanId",
        JsonField.TraceState => "traceState",
        JsonField.ParentSpanId => "parentSpanId",
        JsonField.Flags => "flags",
        JsonField.Kind => "kind",
        JsonField.StartTimeUnixNano => "startTimeUnixNano",
        JsonField.EndTimeUnixNano => "endTimeUnixNano",
        JsonField.Events => "events",
        JsonField.DroppedEventsCount => "droppedEventsCount",
        JsonField.Links => "links",
        JsonField.DroppedLinksCount => "droppedLinksCount",
        JsonField.Status => "status",
        JsonField.Code => "code",
        JsonField.Message => "message",
        JsonField.TimeUnixNano => "timeUnixNano",
        JsonField.ObservedTimeUnixNano => "observedTimeUnixNano",
        JsonField.SeverityNumber => "severityNumber",
        JsonField.SeverityText => "severityText",
        JsonField.Body => "body",
        JsonField.EventName => "eventName",
        JsonField.Key => "key",
        JsonField.Value => "value",
        JsonField.Values => "values",
        JsonField.StringValue => "stringValue",
        JsonField.BoolValue => "boolValue",
        JsonField.IntValue => "intValue",
        JsonField.DoubleValue => "doubleValue",
        JsonField.ArrayValue => "arrayValue",
        JsonField.KvlistValue => "kvlistValue",
        JsonField.BytesValue => "bytesValue",
        _ => field.ToString(),
    };
}
