using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Durations;
using PartialCollector.Core.Model;

namespace PartialCollector.Core.Codecs;

/// <summary>
/// Decodes one partial-span log record into one event per span it carries: reads the event and frequency
/// attributes, decodes the body, flattens it to single-span <see cref="TracesData"/> and merges the log's
/// attributes and resource in. A record is accepted or rejected whole, and everything that could make its rows
/// unwritable (a frequency out of range, an id, a size) is found here, so it fails only itself.
/// </summary>
public sealed class PartialLogDecoder(DecodeLimits limits)
{
    /// <param name="byteBudget">Bytes of stored spans the record may still add to its request; a record that
    /// would need more is rejected before any of it is built.</param>
    public DecodeOutcome Decode(Resource? logResource, LogRecord record, List<PartialSpanEvent> output, long byteBudget = long.MaxValue)
    {
        var attributes = ReadProtocolAttributes(record);
        PartialEventKind kind;
        if (attributes.Event is { } eventName)
        {
            if (eventName == PartialAttributes.HeartbeatValue)
            {
                kind = PartialEventKind.Heartbeat;
            }
            else if (eventName == PartialAttributes.StopValue)
            {
                kind = PartialEventKind.Stop;
            }
            else
            {
                return DecodeOutcome.Ignored;
            }
        }
        else if (attributes.AliasState is { } state)
        {
            if (state == PartialAttributes.HeartbeatValue)
            {
                kind = PartialEventKind.Heartbeat;
            }
            else if (state == PartialAttributes.AliasEndedValue)
            {
                kind = PartialEventKind.Stop;
            }
            else
            {
                return DecodeOutcome.Ignored;
            }
        }
        else
        {
            return DecodeOutcome.Ignored;
        }

        var frequency = TimeSpan.Zero;
        if (kind == PartialEventKind.Heartbeat)
        {
            if (attributes.Frequency is null)
            {
                if (attributes.Event is not null)
                {
                    return DecodeOutcome.Reject(RejectReason.MissingFrequency, "heartbeat without partial.frequency");
                }

                frequency = limits.AliasDefaultFrequency;
            }
            else if (!GoDuration.TryParse(attributes.Frequency, out frequency))
            {
                return DecodeOutcome.Reject(RejectReason.InvalidFrequency, $"partial.frequency '{Shorten(attributes.Frequency)}' is not a Go duration such as 5s or 5000ms");
            }
            else if (frequency < limits.MinFrequency || frequency > limits.MaxFrequency)
            {
                return DecodeOutcome.Reject(
                    RejectReason.InvalidFrequency,
                    $"partial.frequency '{Shorten(attributes.Frequency)}' is outside the accepted range {GoDuration.Format(limits.MinFrequency)} to {GoDuration.Format(limits.MaxFrequency)}");
            }
        }

        var observed = (long)Math.Min(record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano, long.MaxValue);
        var traces = TraceBodyDecoder.Decode(record.Body, attributes.BodyType, out var reason, out var detail);
        if (traces is null)
        {
            // A stop only needs the span's identity: take it from the record when the body is unusable.
            return kind == PartialEventKind.Stop && TryStopFromRecordIds(record, observed, output)
                ? DecodeOutcome.Accepted
                : DecodeOutcome.Reject(reason, detail ?? reason.ToTag());
        }

        if (Bounds(traces, kind, record, logResource, byteBudget) is { } tooLarge)
        {
            return tooLarge;
        }

        var start = output.Count;
        var outcome = Flatten(traces, kind, frequency, observed, record, logResource, output);
        if (outcome.Status == DecodeStatus.Rejected)
        {
            output.RemoveRange(start, output.Count - start);
        }
        else if (output.Count == start)
        {
            return kind == PartialEventKind.Stop && TryStopFromRecordIds(record, observed, output)
                ? DecodeOutcome.Accepted
                : DecodeOutcome.Reject(RejectReason.NoSpans, "body holds no span");
        }

        return outcome;
    }

    /// <summary>
    /// Span count and an upper bound of the bytes the record expands into (every span gets the log's attributes
    /// and the merged resource), both found before anything is merged or serialised: a small request whose
    /// record carries large attributes and many spans costs a few size calculations, not its expansion.
    /// </summary>
    private DecodeOutcome? Bounds(TracesData traces, PartialEventKind kind, LogRecord record, Resource? logResource, long byteBudget)
    {
        var spans = 0;
        long bytes = 0;
        var perSpanExtra = kind == PartialEventKind.Stop ? 0 : AttributesSize(record.Attributes) + (logResource?.CalculateSize() ?? 0);
        foreach (var resourceSpans in traces.ResourceSpans)
        {
            var resourceSize = resourceSpans.Resource?.CalculateSize() ?? 0;
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                spans += scopeSpans.Spans.Count;
                if (spans > limits.MaxSpansPerRecord)
                {
                    return DecodeOutcome.Reject(RejectReason.TooManySpans, $"record carries more than {limits.MaxSpansPerRecord} spans");
                }

                if (kind == PartialEventKind.Stop)
                {
                    continue;
                }

                var scopeSize = scopeSpans.Scope?.CalculateSize() ?? 0;
                foreach (var span in scopeSpans.Spans)
                {
                    bytes += span.CalculateSize() + resourceSize + scopeSize + perSpanExtra + 32;
                }
            }
        }

        return bytes > byteBudget
            ? DecodeOutcome.Reject(RejectReason.RequestTooLarge, $"record would expand into about {bytes} bytes of stored spans, more than the {Math.Max(byteBudget, 0)} left of its request's limit")
            : null;
    }

    private static long AttributesSize(Google.Protobuf.Collections.RepeatedField<KeyValue> attributes)
    {
        long size = 0;
        foreach (var attribute in attributes)
        {
            size += attribute.CalculateSize() + 4;
        }

        return size;
    }

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private DecodeOutcome Flatten(
        TracesData traces,
        PartialEventKind kind,
        TimeSpan frequency,
        long observed,
        LogRecord record,
        Resource? logResource,
        List<PartialSpanEvent> output)
    {
        foreach (var resourceSpans in traces.ResourceSpans)
        {
            Resource? mergedResource = null;
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    if (!SpanIds.TryFormatTraceId(span.TraceId, out var traceId) || !SpanIds.TryFormatSpanId(span.SpanId, out var spanId))
                    {
                        return DecodeOutcome.Reject(
                            RejectReason.InvalidSpanId,
                            $"span '{span.Name}' has an invalid trace id ({span.TraceId.Length} bytes) or span id ({span.SpanId.Length} bytes)");
                    }

                    var key = new SpanKey(traceId, spanId);
                    if (kind == PartialEventKind.Stop)
                    {
                        output.Add(new PartialSpanEvent(kind, key, null, TimeSpan.Zero, observed));
                        continue;
                    }

                    mergedResource ??= MergeResource(resourceSpans.Resource, logResource);
                    NormalizeParent(span);
                    AttributeMerger.MergeMissing(span.Attributes, record.Attributes, skipProtocolAttributes: true);
                    var single = new TracesData
                    {
                        ResourceSpans =
                        {
                            new ResourceSpans
                            {
                                Resource = mergedResource,
                                SchemaUrl = resourceSpans.SchemaUrl,
                                ScopeSpans = { new ScopeSpans { Scope = scopeSpans.Scope, SchemaUrl = scopeSpans.SchemaUrl, Spans = { span } } },
                            },
                        },
                    };
                    var size = single.CalculateSize();
                    if (size > limits.MaxStoredSpanSize)
                    {
                        return DecodeOutcome.Reject(
                            RejectReason.SpanTooLarge,
                            $"span '{Shorten(span.Name)}' would be stored as {size} bytes, more than the limit of {limits.MaxStoredSpanSize}");
                    }

                    var summary = new SpanSummary(ServiceName(mergedResource), span.Name, StartTime(span.StartTimeUnixNano));
                    output.Add(new PartialSpanEvent(kind, key, single.ToByteArray(), frequency, observed, Summary: summary));
                }
            }
        }

        return DecodeOutcome.Accepted;
    }

    private static string? ServiceName(Resource resource)
    {
        foreach (var attribute in resource.Attributes)
        {
            if (attribute.Key == "service.name" && attribute.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
            {
                return attribute.Value.StringValue;
            }
        }

        return null;
    }

    // PostgreSQL keeps microseconds; a start outside its range or before 1970 is shown as unknown.
    private static DateTime? StartTime(ulong unixNano) =>
        unixNano is 0 or > 9_000_000_000_000_000_000 ? null : DateTime.UnixEpoch.AddTicks((long)(unixNano / 100));

    private static Resource MergeResource(Resource? traceResource, Resource? logResource)
    {
        var merged = new Resource { DroppedAttributesCount = traceResource?.DroppedAttributesCount ?? 0 };
        if (traceResource is not null)
        {
            merged.Attributes.Add(traceResource.Attributes);
        }

        if (logResource is not null)
        {
            AttributeMerger.MergeMissing(merged.Attributes, logResource.Attributes, skipProtocolAttributes: false);
        }

        return merged;
    }

    private static void NormalizeParent(Span span)
    {
        // Root spans from some clients carry 8 zero bytes: that means "no parent".
        if (!span.ParentSpanId.IsEmpty && !SpanIds.IsValid(span.ParentSpanId, 8))
        {
            span.ParentSpanId = ByteString.Empty;
        }
    }

    private static bool TryStopFromRecordIds(LogRecord record, long observed, List<PartialSpanEvent> output)
    {
        if (SpanIds.TryFormatTraceId(record.TraceId, out var traceId) && SpanIds.TryFormatSpanId(record.SpanId, out var spanId))
        {
            output.Add(new PartialSpanEvent(PartialEventKind.Stop, new SpanKey(traceId, spanId), null, TimeSpan.Zero, observed));
            return true;
        }

        return false;
    }

    private static ProtocolAttributes ReadProtocolAttributes(LogRecord record)
    {
        var result = default(ProtocolAttributes);
        foreach (var attribute in record.Attributes)
        {
            switch (attribute.Key)
            {
                case PartialAttributes.Event:
                    result.Event = AsString(attribute.Value);
                    break;
                case PartialAttributes.Frequency:
                    result.Frequency = AsFrequencyText(attribute.Value);
                    break;
                case PartialAttributes.BodyType:
                    result.BodyType = AsString(attribute.Value);
                    break;
                case PartialAttributes.AliasState:
                    result.AliasState = AsString(attribute.Value);
                    break;
                case PartialAttributes.AliasBodyType:
                    result.BodyType ??= AsString(attribute.Value);
                    break;
            }
        }

        return result;
    }

    private static string? AsString(AnyValue? value) =>
        value?.ValueCase == AnyValue.ValueOneofCase.StringValue ? value.StringValue.Trim() : null;

    // Every known client sends "{N}ms"; an integer is read as milliseconds rather than rejected.
    private static string? AsFrequencyText(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue.Trim(),
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture) + "ms",
        _ => null,
    };

    private struct ProtocolAttributes
    {
        public string? Event;
        public string? Frequency;
        public string? BodyType;
        public string? AliasState;
    }
}
