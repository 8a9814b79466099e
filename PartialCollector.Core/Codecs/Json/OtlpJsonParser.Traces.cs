using OpenTelemetry.Proto.Trace.V1;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>The trace messages: TracesData down to Span, its events, links and status.</summary>
internal ref partial struct OtlpJsonParser
{
    private const int TraceIdLength = 16;
    private const int SpanIdLength = 8;

    public TracesData ReadTracesData()
    {
        BeginDocument();
        var data = new TracesData();
        ReadArrayOnlyObject(JsonField.ResourceSpans, data.ResourceSpans, static (ref p) => p.ReadResourceSpans());
        EndDocument();
        return data;
    }

    private ResourceSpans ReadResourceSpans()
    {
        BeginObject();
        var resourceSpans = new ResourceSpans();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Resource: resourceSpans.Resource = ReadResource(); break;
                case JsonField.ScopeSpans: ReadArray(resourceSpans.ScopeSpans, static (ref p) => p.ReadScopeSpans()); break;
                case JsonField.SchemaUrl: resourceSpans.SchemaUrl = ReadString(); break;
                default: SkipValue(); break;
            }
        }

        return resourceSpans;
    }

    private ScopeSpans ReadScopeSpans()
    {
        BeginObject();
        var scopeSpans = new ScopeSpans();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Scope: scopeSpans.Scope = ReadScope(); break;
                case JsonField.Spans: ReadArray(scopeSpans.Spans, static (ref p) => p.ReadSpan()); break;
                case JsonField.SchemaUrl: scopeSpans.SchemaUrl = ReadString(); break;
                default: SkipValue(); break;
            }
        }

        return scopeSpans;
    }

    private Span ReadSpan()
    {
        BeginObject();
        var span = new Span();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.TraceId: span.TraceId = ReadId(TraceIdLength); break;
                case JsonField.SpanId: span.SpanId = ReadId(SpanIdLength); break;
                case JsonField.TraceState: span.TraceState = ReadString(); break;
                case JsonField.ParentSpanId: span.ParentSpanId = ReadId(SpanIdLength, zeroIsAbsent: true); break;
                case JsonField.Flags: span.Flags = ReadInteger<uint>(); break;
                case JsonField.Name: span.Name = ReadString(); break;
                case JsonField.Kind: span.Kind = ReadEnum<Span.Types.SpanKind>(); break;
                case JsonField.StartTimeUnixNano: span.StartTimeUnixNano = ReadInteger<ulong>(); break;
                case JsonField.EndTimeUnixNano: span.EndTimeUnixNano = ReadInteger<ulong>(); break;
                case JsonField.Attributes: ReadKeyValues(span.Attributes); break;
                case JsonField.DroppedAttributesCount: span.DroppedAttributesCount = ReadInteger<uint>(); break;
                case JsonField.Events: ReadArray(span.Events, static (ref p) => p.ReadEvent()); break;
                case JsonField.DroppedEventsCount: span.DroppedEventsCount = ReadInteger<uint>(); break;
                case JsonField.Links: ReadArray(span.Links, static (ref p) => p.ReadLink()); break;
                case JsonField.DroppedLinksCount: span.DroppedLinksCount = ReadInteger<uint>(); break;
                case JsonField.Status: span.Status = ReadStatus(); break;
                default: SkipValue(); break;
            }
        }

        return span;
    }

    private Span.Types.Event ReadEvent()
    {
        BeginObject();
        var spanEvent = new Span.Types.Event();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.TimeUnixNano: spanEvent.TimeUnixNano = ReadInteger<ulong>(); break;
                case JsonField.Name: spanEvent.Name = ReadString(); break;
                case JsonField.Attributes: ReadKeyValues(spanEvent.Attributes); break;
                case JsonField.DroppedAttributesCount: spanEvent.DroppedAttributesCount = ReadInteger<uint>(); break;
                default: SkipValue(); break;
            }
        }

        return spanEvent;
    }

    private Span.Types.Link ReadLink()
    {
        BeginObject();
        var link = new Span.Types.Link();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.TraceId: link.TraceId = ReadId(TraceIdLength); break;
                case JsonField.SpanId: link.SpanId = ReadId(SpanIdLength); break;
                case JsonField.TraceState: link.TraceState = ReadString(); break;
                case JsonField.Attributes: ReadKeyValues(link.Attributes); break;
                case JsonField.DroppedAttributesCount: link.DroppedAttributesCount = ReadInteger<uint>(); break;
                case JsonField.Flags: link.Flags = ReadInteger<uint>(); break;
                default: SkipValue(); break;
            }
        }

        return link;
    }

    private Status ReadStatus()
    {
        BeginObject();
        var status = new Status();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Code: status.Code = ReadEnum<Status.Types.StatusCode>(); break;
                case JsonField.Message: status.Message = ReadString(); break;
                default: SkipValue(); break;
            }
        }

        return status;
    }
}
