using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Model;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Core.Tests.Unit;

/// <summary>Each client's body flavour from the wire contract, and the merge and rejection rules.</summary>
public sealed class PartialLogDecoderTests
{
    private readonly PartialLogDecoder decoder = new(new DecodeLimits { AliasDefaultFrequency = TimeSpan.FromSeconds(7) });
    private readonly List<PartialSpanEvent> output = [];

    [Fact]
    public void OlderPythonClientBase64ProtobufWithResourceInTheBody()
    {
        var key = Spans.NewKey();
        var outcome = Decode(Heartbeat(Traces(key), "5000ms", 99));

        Assert.Equal(DecodeStatus.Accepted, outcome.Status);
        var e = Assert.Single(output);
        Assert.Equal((PartialEventKind.Heartbeat, key, TimeSpan.FromSeconds(5), 99L), (e.Kind, e.Key, e.Frequency, e.ObservedUnixNano));
        var stored = TracesData.Parser.ParseFrom(e.Trace);
        Assert.Equal("test-service", ServiceName(stored));
    }

    [Fact]
    public void NewerPythonClientCamelCaseJsonWithEnumNamesAndBase64LinkIds()
    {
        var key = Spans.NewKey();
        var linkSpanId = Convert.ToBase64String(Convert.FromHexString("0102030405060708"));
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"py"}}]},
              "scopeSpans":[{"scope":{"name":"py.scope"},"spans":[{"traceId":"{{{key.TraceId}}}","spanId":"{{{key.SpanId.TrimStart('0')}}}",
                "name":"py-op","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000000",
                "links":[{"traceId":"{{{key.TraceId}}}","spanId":"{{{linkSpanId}}}"}],
                "attributes":[{"key":"n","value":{"intValue":"7"}}]}]}]}]}
            """;
        var outcome = Decode(JsonHeartbeat(json));

        Assert.Equal(DecodeStatus.Accepted, outcome.Status);
        var span = SingleSpan();
        Assert.Equal(key, Assert.Single(output).Key);
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal(1_700_000_000_000_000_000UL, span.StartTimeUnixNano);
        Assert.Equal("0102030405060708", Convert.ToHexStringLower(span.Links[0].SpanId.Span));
    }

    [Fact]
    public void DotNetClientSnakeCaseJsonWithoutResourceTakesTheLogsResource()
    {
        var key = Spans.NewKey();
        var json = $$$"""
            {"resource_spans":[{"scope_spans":[{"scope":{"name":"dotnet"},"spans":[{"trace_id":"{{{key.TraceId}}}","span_id":"{{{key.SpanId}}}",
              "parent_span_id":"0000000000000000","trace_state":"Unset","name":"net-op","kind":2,"start_time_unix_nano":1700000000000000000,
              "attributes":[{"key":"a","value":{"string_value":"1"}}]}]}]}]}
            """;
        var outcome = Decode(JsonHeartbeat(json), new Resource { Attributes = { Attribute("service.name", "from-log") } });

        Assert.Equal(DecodeStatus.Accepted, outcome.Status);
        var span = SingleSpan();
        Assert.True(span.ParentSpanId.IsEmpty);
        Assert.Equal("Unset", span.TraceState);
        Assert.Equal("from-log", ServiceName(TracesData.Parser.ParseFrom(output[0].Trace)));
    }

    [Fact]
    public void RawProtobufInABytesBodyIsAccepted()
    {
        var key = Spans.NewKey();
        var record = Heartbeat(Traces(key));
        record.Body = new AnyValue { BytesValue = Traces(key).ToByteString() };

        Assert.Equal(DecodeStatus.Accepted, Decode(record).Status);
        Assert.Equal(key, Assert.Single(output).Key);
    }

    [Fact]
    public void LogAttributesMergeIntoTheSpanButTheSpansOwnValuesWin()
    {
        var key = Spans.NewKey();
        var span = Spans.NewSpan(key);
        span.Attributes.Add(Attribute("shared", "span"));
        var record = Heartbeat(Spans.Traces(span));
        record.Attributes.Add(Attribute("shared", "log"));
        record.Attributes.Add(Attribute("log.only", "yes"));

        Decode(record, new Resource { Attributes = { Attribute("service.name", "log-svc"), Attribute("host.name", "h1") } });

        var stored = TracesData.Parser.ParseFrom(output[0].Trace);
        var attributes = stored.ResourceSpans[0].ScopeSpans[0].Spans[0].Attributes.ToDictionary(a => a.Key, a => a.Value.StringValue);
        Assert.Equal("span", attributes["shared"]);
        Assert.Equal("yes", attributes["log.only"]);
        Assert.DoesNotContain(attributes.Keys, k => k.StartsWith("partial.", StringComparison.Ordinal));
        Assert.Equal("test-service", ServiceName(stored));
        Assert.Contains(stored.ResourceSpans[0].Resource.Attributes, a => a.Key == "host.name");
    }

    [Fact]
    public void SeveralSpansAreFlattenedIntoOneSingleSpanTraceEachAndTheSourceStaysWhole()
    {
        var (a, b) = (Spans.NewKey(), Spans.NewKey());
        var traces = Spans.Traces(Spans.NewSpan(a, "a"));
        traces.ResourceSpans[0].ScopeSpans[0].Spans.Add(Spans.NewSpan(b, "b"));
        var record = Heartbeat(traces);
        record.Attributes.Add(Attribute("log.only", "yes"));

        Decode(record);

        Assert.Equal([a, b], output.Select(e => e.Key));
        foreach (var e in output)
        {
            var stored = TracesData.Parser.ParseFrom(e.Trace);
            var span = Assert.Single(stored.ResourceSpans.Single().ScopeSpans.Single().Spans);
            Assert.Contains(span.Attributes, x => x.Key == "log.only");
        }

        Assert.Equal(3, record.Attributes.Count);
    }

    [Fact]
    public void StopNeedsNoFrequencyAndFallsBackToTheRecordsIdsWhenTheBodyIsEmpty()
    {
        var key = Spans.NewKey();
        var record = new LogRecord
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString(key.TraceId)),
            SpanId = ByteString.CopyFrom(Convert.FromHexString(key.SpanId)),
            Attributes = { Attribute("partial.event", "stop") },
        };

        Assert.Equal(DecodeStatus.Accepted, Decode(record).Status);
        Assert.Equal((PartialEventKind.Stop, key), (output[0].Kind, output[0].Key));
    }

    [Fact]
    public void SpanStateAliasUsesTheDefaultFrequency()
    {
        var key = Spans.NewKey();
        var heartbeat = new LogRecord
        {
            Body = new AnyValue { StringValue = Convert.ToBase64String(Traces(key).ToByteArray()) },
            Attributes = { Attribute("span.state", "heartbeat"), Attribute("log.body.type", "proto") },
        };
        var ended = heartbeat.Clone();
        ended.Attributes[0] = Attribute("span.state", "ended");

        Decode(heartbeat);
        Decode(ended);

        Assert.Equal((PartialEventKind.Heartbeat, TimeSpan.FromSeconds(7)), (output[0].Kind, output[0].Frequency));
        Assert.Equal(PartialEventKind.Stop, output[1].Kind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("nothing")]
    public void RecordsWithoutARecognisedEventAreIgnored(string? eventName)
    {
        var record = new LogRecord { Body = new AnyValue { StringValue = "hello" } };
        if (eventName is not null)
        {
            record.Attributes.Add(Attribute("partial.event", eventName));
        }

        Assert.Equal(DecodeStatus.Ignored, Decode(record).Status);
        Assert.Empty(output);
    }

    [Theory]
    [InlineData(null, "x", RejectReason.MissingFrequency)]
    [InlineData("soon", "x", RejectReason.InvalidFrequency)]
    [InlineData("0s", "x", RejectReason.InvalidFrequency)]
    [InlineData("5s", "not base64!", RejectReason.InvalidBody)]
    [InlineData("5s", "AAAA", RejectReason.InvalidBody)]
    [InlineData("5s", "", RejectReason.NoSpans)]
    public void BadHeartbeatsAreRejectedWithAReason(string? frequency, string body, RejectReason reason)
    {
        var record = new LogRecord { Body = new AnyValue { StringValue = body }, Attributes = { Attribute("partial.event", "heartbeat") } };
        if (frequency is not null)
        {
            record.Attributes.Add(Attribute("partial.frequency", frequency));
        }

        var outcome = Decode(record);

        Assert.Equal((DecodeStatus.Rejected, reason), (outcome.Status, outcome.Reason));
        Assert.False(string.IsNullOrEmpty(outcome.Detail));
        Assert.Empty(output);
    }

    [Fact]
    public void UnknownBodyTypeAndInvalidIdsAreRejected()
    {
        var typed = Heartbeat(Traces(Spans.NewKey()));
        typed.Attributes.Add(Attribute("partial.body.type", "xml"));
        var zeroIds = Heartbeat(Spans.Traces(new Span { TraceId = ByteString.CopyFrom(new byte[16]), SpanId = ByteString.CopyFrom(new byte[8]) }));

        Assert.Equal(RejectReason.UnknownBodyType, Decode(typed).Reason);
        Assert.Equal(RejectReason.InvalidSpanId, Decode(zeroIds).Reason);
        Assert.Empty(output);
    }

    private DecodeOutcome Decode(LogRecord record, Resource? resource = null) => decoder.Decode(resource, record, output);

    private Span SingleSpan() => TracesData.Parser.ParseFrom(Assert.Single(output).Trace).ResourceSpans[0].ScopeSpans[0].Spans[0];

    private static LogRecord JsonHeartbeat(string json) => new()
    {
        Body = new AnyValue { StringValue = json },
        Attributes = { Attribute("partial.event", "heartbeat"), Attribute("partial.frequency", "5000ms"), Attribute("partial.body.type", "json/v1") },
    };

    private static string ServiceName(TracesData traces) =>
        traces.ResourceSpans[0].Resource.Attributes.First(a => a.Key == "service.name").Value.StringValue;
}
