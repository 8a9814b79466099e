using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// Strict OTLP/JSON output: lowerCamelCase names, lowercase hex trace/span ids, enums as integers, 64-bit
/// integers as strings, default scalar values omitted, present messages always written (even empty).
/// In Core because two services write it: the Exporter's OTLP/HTTP responses and the live view's span detail.
/// </summary>
/// <remarks>
/// Each message has a <c>Write…Fields</c> method that writes its fields into an object already opened;
/// <see cref="WriteMessage"/> and <see cref="WriteMessages"/> open and close it, so each shape is written once.
/// </remarks>
public static partial class OtlpJsonWriter
{
    // Relaxed escaping: the output is an API payload, never embedded in HTML, so '+', '<' etc. stay as-is.
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// <c>{}</c> for full success (no partial success, or an empty one); otherwise
    /// <c>{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"..."}}</c>.
    /// </summary>
    public static byte[] WriteExportLogsResponse(ExportLogsServiceResponse r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var partial = r.PartialSuccess;
        if (partial is null || (partial.RejectedLogRecords == 0 && partial.ErrorMessage.Length == 0))
        {
            return "{}"u8.ToArray();
        }

        return WriteDocument(partial, 128, static (w, partial) =>
            WriteMessage(w, "partialSuccess"u8, partial, static (w, partial) =>
            {
                WriteInt64IfSet(w, "rejectedLogRecords"u8, partial.RejectedLogRecords);
                WriteStringIfSet(w, "errorMessage"u8, partial.ErrorMessage);
            }));
    }

    public static byte[] WriteTracesData(TracesData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return WriteDocument(d, 1024, static (w, d) => WriteMessages(w, "resourceSpans"u8, d.ResourceSpans, WriteResourceSpansFields));
    }

    /// <summary>The top-level object, into a new array.</summary>
    private static byte[] WriteDocument<T>(T message, int initialCapacity, Action<Utf8JsonWriter, T> writeFields)
    {
        var buffer = new ArrayBufferWriter<byte>(initialCapacity);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            writeFields(w, message);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A message field: written when present, even when empty (<c>{}</c>).</summary>
    private static void WriteMessage<T>(Utf8JsonWriter w, ReadOnlySpan<byte> name, T? message, Action<Utf8JsonWriter, T> writeFields)
        where T : class
    {
        if (message is null)
        {
            return;
        }

        w.WriteStartObject(name);
        writeFields(w, message);
        w.WriteEndObject();
    }

    /// <summary>A repeated message field: omitted when empty, like every default value.</summary>
    private static void WriteMessages<T>(Utf8JsonWriter w, ReadOnlySpan<byte> name, RepeatedField<T> messages, Action<Utf8JsonWriter, T> writeFields)
    {
        if (messages.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var message in messages)
        {
            w.WriteStartObject();
            writeFields(w, message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteResourceSpansFields(Utf8JsonWriter w, ResourceSpans resourceSpans)
    {
        WriteMessage(w, "resource"u8, resourceSpans.Resource, WriteResourceFields);
        WriteMessages(w, "scopeSpans"u8, resourceSpans.ScopeSpans, WriteScopeSpansFields);
        WriteStringIfSet(w, "schemaUrl"u8, resourceSpans.SchemaUrl);
    }

    private static void WriteScopeSpansFields(Utf8JsonWriter w, ScopeSpans scopeSpans)
    {
        WriteMessage(w, "scope"u8, scopeSpans.Scope, WriteScopeFields);
        WriteMessages(w, "spans"u8, scopeSpans.Spans, WriteSpanFields);
        WriteStringIfSet(w, "schemaUrl"u8, scopeSpans.SchemaUrl);
    }

    private static void WriteSpanFields(Utf8JsonWriter w, Span span)
    {
        WriteIdIfSet(w, "traceId"u8, span.TraceId);
        WriteIdIfSet(w, "spanId"u8, span.SpanId);
        WriteStringIfSet(w, "traceState"u8, span.TraceState);
        WriteIdIfSet(w, "parentSpanId"u8, span.ParentSpanId);
        WriteUInt32IfSet(w, "flags"u8, span.Flags);
        WriteStringIfSet(w, "name"u8, span.Name);
        WriteUInt32IfSet(w, "kind"u8, (uint)span.Kind);
        WriteInt64IfSet(w, "startTimeUnixNano"u8, span.StartTimeUnixNano);
        WriteInt64IfSet(w, "endTimeUnixNano"u8, span.EndTimeUnixNano);
        WriteAttributes(w, span.Attributes, span.DroppedAttributesCount);
        WriteMessages(w, "events"u8, span.Events, WriteEventFields);
        WriteUInt32IfSet(w, "droppedEventsCount"u8, span.DroppedEventsCount);
        WriteMessages(w, "links"u8, span.Links, WriteLinkFields);
        WriteUInt32IfSet(w, "droppedLinksCount"u8, span.DroppedLinksCount);
        WriteMessage(w, "status"u8, span.Status, static (w, status) =>
        {
            WriteStringIfSet(w, "message"u8, status.Message);
            WriteUInt32IfSet(w, "code"u8, (uint)status.Code);
        });
    }

    private static void WriteEventFields(Utf8JsonWriter w, Span.Types.Event spanEvent)
    {
        WriteInt64IfSet(w, "timeUnixNano"u8, spanEvent.TimeUnixNano);
        WriteStringIfSet(w, "name"u8, spanEvent.Name);
        WriteAttributes(w, spanEvent.Attributes, spanEvent.DroppedAttributesCount);
    }

    private static void WriteLinkFields(Utf8JsonWriter w, Span.Types.Link link)
    {
        WriteIdIfSet(w, "traceId"u8, link.TraceId);
        WriteIdIfSet(w, "spanId"u8, link.SpanId);
        WriteStringIfSet(w, "traceState"u8, link.TraceState);
        WriteAttributes(w, link.Attributes, link.DroppedAttributesCount);
        WriteUInt32IfSet(w, "flags"u8, link.Flags);
    }

    private static void WriteResourceFields(Utf8JsonWriter w, Resource resource) =>
        WriteAttributes(w, resource.Attributes, resource.DroppedAttributesCount);

    private static void WriteScopeFields(Utf8JsonWriter w, InstrumentationScope scope)
    {
        WriteStringIfSet(w, "name"u8, scope.Name);
        WriteStringIfSet(w, "version"u8, scope.Version);
        WriteAttributes(w, scope.Attributes, scope.DroppedAttributesCount);
    }

    /// <summary>The pair every attribute-carrying message has, always next to each other.</summary>
    private static void WriteAttributes(Utf8JsonWriter w, RepeatedField<KeyValue> attributes, uint droppedAttributesCount)
    {
        WriteMessages(w, "attributes"u8, attributes, WriteKeyValueFields);
        WriteUInt32IfSet(w, "droppedAttributesCount"u8, droppedAttributesCount);
    }

    private static void WriteKeyValueFields(Utf8JsonWriter w, KeyValue keyValue)
    {
        WriteStringIfSet(w, "key"u8, keyValue.Key);
        WriteMessage(w, "value"u8, keyValue.Value, WriteAnyValueFields);
    }

    /// <summary>A oneof member is written whenever it is the set case, even with a default value.</summary>
    private static void WriteAnyValueFields(Utf8JsonWriter w, AnyValue value)
    {
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue: w.WriteString("stringValue"u8, value.StringValue); break;
            case AnyValue.ValueOneofCase.BoolValue: w.WriteBoolean("boolValue"u8, value.BoolValue); break;
            case AnyValue.ValueOneofCase.IntValue: WriteInt64(w, "intValue"u8, value.IntValue); break;
            case AnyValue.ValueOneofCase.DoubleValue: WriteDouble(w, "doubleValue"u8, value.DoubleValue); break;
            case AnyValue.ValueOneofCase.ArrayValue:
                WriteMessage(w, "arrayValue"u8, value.ArrayValue, static (w, array) =>
                    WriteMessages(w, "values"u8, array.Values, WriteAnyValueFields));
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                WriteMessage(w, "kvlistValue"u8, value.KvlistValue, static (w, list) =>
                    WriteMessages(w, "values"u8, list.Values, WriteKeyValueFields));
                break;
            case AnyValue.ValueOneofCase.BytesValue: w.WriteBase64String("bytesValue"u8, value.BytesValue.Span); break;
        }
    }
}
