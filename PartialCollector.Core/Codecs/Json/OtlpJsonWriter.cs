using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// Strict OTLP/JSON output: lowerCamelCase names, lowercase hex trace/span ids, enums as integers, 64-bit
/// integers as strings, default scalar values omitted, present messages always written (even empty).
/// </summary>
public static class OtlpJsonWriter
{
    // Relaxed escaping: the output is an API payload, never embedded in HTML, so '+', '<' etc. stay as-is.
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

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
            return (byte[])EmptyObject.Clone();
        }

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteStartObject("partialSuccess"u8);
            if (partial.RejectedLogRecords != 0)
            {
                WriteInt64String(w, "rejectedLogRecords"u8, partial.RejectedLogRecords);
            }

            if (partial.ErrorMessage.Length > 0)
            {
                w.WriteString("errorMessage"u8, partial.ErrorMessage);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] WriteTracesData(TracesData d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            if (d.ResourceSpans.Count > 0)
            {
                w.WriteStartArray("resourceSpans"u8);
                foreach (var resourceSpans in d.ResourceSpans)
                {
                    WriteResourceSpans(w, resourceSpans);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteResourceSpans(Utf8JsonWriter w, ResourceSpans resourceSpans)
    {
        w.WriteStartObject();
        if (resourceSpans.Resource is { } resource)
        {
            w.WritePropertyName("resource"u8);
            WriteResource(w, resource);
        }

        if (resourceSpans.ScopeSpans.Count > 0)
        {
            w.WriteStartArray("scopeSpans"u8);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                WriteScopeSpans(w, scopeSpans);
            }

            w.WriteEndArray();
        }

        WriteStringIfSet(w, "schemaUrl"u8, resourceSpans.SchemaUrl);
        w.WriteEndObject();
    }

    private static void WriteScopeSpans(Utf8JsonWriter w, ScopeSpans scopeSpans)
    {
        w.WriteStartObject();
        if (scopeSpans.Scope is { } scope)
        {
            w.WritePropertyName("scope"u8);
            WriteScope(w, scope);
        }

        if (scopeSpans.Spans.Count > 0)
        {
            w.WriteStartArray("spans"u8);
            foreach (var span in scopeSpans.Spans)
            {
                WriteSpan(w, span);
            }

            w.WriteEndArray();
        }

        WriteStringIfSet(w, "schemaUrl"u8, scopeSpans.SchemaUrl);
        w.WriteEndObject();
    }

    private static void WriteSpan(Utf8JsonWriter w, Span span)
    {
        w.WriteStartObject();
        WriteHexIfSet(w, "traceId"u8, span.TraceId);
        WriteHexIfSet(w, "spanId"u8, span.SpanId);
        WriteStringIfSet(w, "traceState"u8, span.TraceState);
        WriteHexIfSet(w, "parentSpanId"u8, span.ParentSpanId);
        WriteUInt32IfSet(w, "flags"u8, span.Flags);
        WriteStringIfSet(w, "name"u8, span.Name);
        WriteUInt32IfSet(w, "kind"u8, (uint)span.Kind);
        WriteUInt64IfSet(w, "startTimeUnixNano"u8, span.StartTimeUnixNano);
        WriteUInt64IfSet(w, "endTimeUnixNano"u8, span.EndTimeUnixNano);
        WriteAttributes(w, span.Attributes);
        WriteUInt32IfSet(w, "droppedAttributesCount"u8, span.DroppedAttributesCount);
        if (span.Events.Count > 0)
        {
            w.WriteStartArray("events"u8);
            foreach (var spanEvent in span.Events)
            {
                w.WriteStartObject();
                WriteUInt64IfSet(w, "timeUnixNano"u8, spanEvent.TimeUnixNano);
                WriteStringIfSet(w, "name"u8, spanEvent.Name);
                WriteAttributes(w, spanEvent.Attributes);
                WriteUInt32IfSet(w, "droppedAttributesCount"u8, spanEvent.DroppedAttributesCount);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        WriteUInt32IfSet(w, "droppedEventsCount"u8, span.DroppedEventsCount);
        if (span.Links.Count > 0)
        {
            w.WriteStartArray("links"u8);
            foreach (var link in span.Links)
            {
                w.WriteStartObject();
                WriteHexIfSet(w, "traceId"u8, link.TraceId);
                WriteHexIfSet(w, "spanId"u8, link.SpanId);
                WriteStringIfSet(w, "traceState"u8, link.TraceState);
                WriteAttributes(w, link.Attributes);
                WriteUInt32IfSet(w, "droppedAttributesCount"u8, link.DroppedAttributesCount);
                WriteUInt32IfSet(w, "flags"u8, link.Flags);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        WriteUInt32IfSet(w, "droppedLinksCount"u8, span.DroppedLinksCount);
        if (span.Status is { } status)
        {
            w.WriteStartObject("status"u8);
            WriteStringIfSet(w, "message"u8, status.Message);
            WriteUInt32IfSet(w, "code"u8, (uint)status.Code);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteResource(Utf8JsonWriter w, Resource resource)
    {
        w.WriteStartObject();
        WriteAttributes(w, resource.Attributes);
        WriteUInt32IfSet(w, "droppedAttributesCount"u8, resource.DroppedAttributesCount);
        w.WriteEndObject();
    }

    private static void WriteScope(Utf8JsonWriter w, InstrumentationScope scope)
    {
        w.WriteStartObject();
        WriteStringIfSet(w, "name"u8, scope.Name);
        WriteStringIfSet(w, "version"u8, scope.Version);
        WriteAttributes(w, scope.Attributes);
        WriteUInt32IfSet(w, "droppedAttributesCount"u8, scope.DroppedAttributesCount);
        w.WriteEndObject();
    }

    private static void WriteAttributes(Utf8JsonWriter w, RepeatedField<KeyValue> attributes)
    {
        if (attributes.Count == 0)
        {
            return;
        }

        w.WriteStartArray("attributes"u8);
        WriteKeyValues(w, attributes);
        w.WriteEndArray();
    }

    private static void WriteKeyValues(Utf8JsonWriter w, RepeatedField<KeyValue> keyValues)
    {
        foreach (var keyValue in keyValues)
        {
            w.WriteStartObject();
            WriteStringIfSet(w, "key"u8, keyValue.Key);
            if (keyValue.Value is { } value)
            {
                w.WritePropertyName("value"u8);
                WriteAnyValue(w, value);
            }

            w.WriteEndObject();
        }
    }

    /// <summary>A oneof member is written whenever it is the set case, even with a default value.</summary>
    private static void WriteAnyValue(Utf8JsonWriter w, AnyValue value)
    {
        w.WriteStartObject();
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                w.WriteString("stringValue"u8, value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                w.WriteBoolean("boolValue"u8, value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                WriteInt64String(w, "intValue"u8, value.IntValue);
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                WriteDouble(w, "doubleValue"u8, value.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                w.WriteStartObject("arrayValue"u8);
                if (value.ArrayValue.Values.Count > 0)
                {
                    w.WriteStartArray("values"u8);
                    foreach (var element in value.ArrayValue.Values)
                    {
                        WriteAnyValue(w, element);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                w.WriteStartObject("kvlistValue"u8);
                if (value.KvlistValue.Values.Count > 0)
                {
                    w.WriteStartArray("values"u8);
                    WriteKeyValues(w, value.KvlistValue.Values);
                    w.WriteEndArray();
                }

                w.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                w.WriteBase64String("bytesValue"u8, value.BytesValue.Span);
                break;
        }

        w.WriteEndObject();
    }

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

    private static void WriteStringIfSet(Utf8JsonWriter w, ReadOnlySpan<byte> name, string value)
    {
        if (value.Length > 0)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteUInt32IfSet(Utf8JsonWriter w, ReadOnlySpan<byte> name, uint value)
    {
        if (value != 0)
        {
            w.WriteNumber(name, value);
        }
    }

    private static void WriteUInt64IfSet(Utf8JsonWriter w, ReadOnlySpan<byte> name, ulong value)
    {
        if (value == 0)
        {
            return;
        }

        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
        w.WriteString(name, digits[..length]);
    }

    private static void WriteInt64String(Utf8JsonWriter w, ReadOnlySpan<byte> name, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
        w.WriteString(name, digits[..length]);
    }

    private static void WriteHexIfSet(Utf8JsonWriter w, ReadOnlySpan<byte> name, ByteString id)
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
