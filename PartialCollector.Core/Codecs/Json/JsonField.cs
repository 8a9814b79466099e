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
/// names match alike: underscores are dropped and ASCII letters lower-cased before the comparison.
/// </summary>
internal static class JsonFields
{
    // Longest known name with underscores is "observed_time_unix_nano" / "dropped_attributes_count" (24).
    private const int MaxNameLength = 48;

    public static JsonField Identify(ReadOnlySpan<byte> utf8Name)
    {
        if (utf8Name.Length > MaxNameLength)
        {
            return JsonField.Unknown;
        }

        Span<char> name = stackalloc char[MaxNameLength];
        var length = 0;
        foreach (var b in utf8Name)
        {
            if (b == (byte)'_')
            {
                continue;
            }

            if (b >= 0x80)
            {
                return JsonField.Unknown;
            }

            name[length++] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b | 0x20 : b);
        }

        return name[..length] switch
        {
            "resourcespans" => JsonField.ResourceSpans,
            "resourcelogs" => JsonField.ResourceLogs,
            "resource" => JsonField.Resource,
            "scopespans" => JsonField.ScopeSpans,
            "scopelogs" => JsonField.ScopeLogs,
            "scope" => JsonField.Scope,
            "schemaurl" => JsonField.SchemaUrl,
            "spans" => JsonField.Spans,
            "logrecords" => JsonField.LogRecords,
            "attributes" => JsonField.Attributes,
            "droppedattributescount" => JsonField.DroppedAttributesCount,
            "name" => JsonField.Name,
            "version" => JsonField.Version,
            "traceid" => JsonField.TraceId,
            "spanid" => JsonField.SpanId,
            "tracestate" => JsonField.TraceState,
            "parentspanid" => JsonField.ParentSpanId,
            "flags" => JsonField.Flags,
            "kind" => JsonField.Kind,
            "starttimeunixnano" => JsonField.StartTimeUnixNano,
            "endtimeunixnano" => JsonField.EndTimeUnixNano,
            "events" => JsonField.Events,
            "droppedeventscount" => JsonField.DroppedEventsCount,
            "links" => JsonField.Links,
            "droppedlinkscount" => JsonField.DroppedLinksCount,
            "status" => JsonField.Status,
            "code" => JsonField.Code,
            "message" => JsonField.Message,
            "timeunixnano" => JsonField.TimeUnixNano,
            "observedtimeunixnano" => JsonField.ObservedTimeUnixNano,
            "severitynumber" => JsonField.SeverityNumber,
            "severitytext" => JsonField.SeverityText,
            "body" => JsonField.Body,
            "eventname" => JsonField.EventName,
            "key" => JsonField.Key,
            "value" => JsonField.Value,
            "values" => JsonField.Values,
            "stringvalue" => JsonField.StringValue,
            "boolvalue" => JsonField.BoolValue,
            "intvalue" => JsonField.IntValue,
            "doublevalue" => JsonField.DoubleValue,
            "arrayvalue" => JsonField.ArrayValue,
            "kvlistvalue" => JsonField.KvlistValue,
            "bytesvalue" => JsonField.BytesValue,
            _ => JsonField.Unknown,
        };
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
