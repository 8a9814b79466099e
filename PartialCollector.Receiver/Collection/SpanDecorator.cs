using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Storage;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Turns claimed rows into one export request: each span marked <c>partial.gc = true</c>, given an end
/// time and (optionally) an error status, and spans of the same resource and scope grouped together.
/// </summary>
public sealed class SpanDecorator(IOptions<PartialReceiverOptions> options)
{
    public const string ErrorMessage = "span ended without a stop event (collected by partial.gc)";

    public DecoratedBatch Decorate(IReadOnlyList<ClaimedSpan> claimed)
    {
        var settings = options.Value;
        var request = new ExportTraceServiceRequest();
        var resources = new Dictionary<(ByteString Resource, string SchemaUrl), int>();
        // Keyed by the resource's position: messages hash by content, and these grow while they are keys.
        var scopes = new Dictionary<(int Resource, ByteString Scope, string SchemaUrl), ScopeSpans>();
        var sendable = new List<ClaimedSpan>(claimed.Count);
        var undeliverable = new List<DeadLetter>();
        var spanCount = 0;

        foreach (var row in claimed)
        {
            if (Decode(row) is not { } traces)
            {
                undeliverable.Add(new DeadLetter(row, Why(row)));
                continue;
            }

            var end = EndTime(row, settings.EndTime);
            foreach (var resourceSpans in traces.ResourceSpans)
            {
                var resourceKey = (resourceSpans.Resource?.ToByteString() ?? ByteString.Empty, resourceSpans.SchemaUrl);
                if (!resources.TryGetValue(resourceKey, out var resourceIndex))
                {
                    resourceIndex = request.ResourceSpans.Count;
                    resources.Add(resourceKey, resourceIndex);
                    request.ResourceSpans.Add(new ResourceSpans { Resource = resourceSpans.Resource, SchemaUrl = resourceSpans.SchemaUrl });
                }

                var target = request.ResourceSpans[resourceIndex];

                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    var scopeKey = (resourceIndex, scopeSpans.Scope?.ToByteString() ?? ByteString.Empty, scopeSpans.SchemaUrl);
                    if (!scopes.TryGetValue(scopeKey, out var scopeTarget))
                    {
                        scopeTarget = new ScopeSpans { Scope = scopeSpans.Scope, SchemaUrl = scopeSpans.SchemaUrl };
                        scopes.Add(scopeKey, scopeTarget);
                        target.ScopeSpans.Add(scopeTarget);
                    }

                    foreach (var span in scopeSpans.Spans)
                    {
                        Mark(span, end, settings.MarkAsError);
                        scopeTarget.Spans.Add(span);
                        spanCount++;
                    }
                }
            }

            sendable.Add(row);
        }

        return new DecoratedBatch(request, spanCount, sendable, undeliverable);
    }

    private static void Mark(Span span, ulong end, bool markAsError)
    {
        for (var i = span.Attributes.Count - 1; i >= 0; i--)
        {
            if (span.Attributes[i].Key == PartialAttributes.Gc)
            {
                span.Attributes.RemoveAt(i);
            }
        }

        span.Attributes.Add(new KeyValue { Key = PartialAttributes.Gc, Value = new AnyValue { BoolValue = true } });
        span.EndTimeUnixNano = Math.Max(end, span.StartTimeUnixNano);
        if (markAsError && (span.Status is null || span.Status.Code == Status.Types.StatusCode.Unset))
        {
            span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = ErrorMessage };
        }
    }

    /// <summary>
    /// The last heartbeat by the client's own clock when the exporter recorded it (the same clock as the
    /// span's start time), else by the database's; or the database time of the claim.
    /// </summary>
    private static ulong EndTime(ClaimedSpan row, EndTimeSource source) => source switch
    {
        EndTimeSource.CollectionTime => UnixNano(row.ClaimedAt),
        _ => row.HeartbeatUnixNano is { } client and > 0 ? (ulong)client : UnixNano(row.Timestamp),
    };

    private static ulong UnixNano(DateTime utc) => (ulong)Math.Max(0, (utc - DateTime.UnixEpoch).Ticks) * 100;

    private static TracesData? Decode(ClaimedSpan row)
    {
        if (row.Trace.Length == 0)
        {
            return null;
        }

        try
        {
            var traces = TracesData.Parser.ParseFrom(row.Trace);
            return traces.ResourceSpans.Any(r => r.ScopeSpans.Any(s => s.Spans.Count > 0)) ? traces : null;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static string Why(ClaimedSpan row)
    {
        if (row.Trace.Length == 0)
        {
            return "stored trace is empty";
        }

        try
        {
            TracesData.Parser.ParseFrom(row.Trace);
            return "stored trace holds no span";
        }
        catch (InvalidProtocolBufferException e)
        {
            return $"stored trace is not a protobuf TracesData: {e.Message}";
        }
    }
}
