using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver;
using PartialCollector.Receiver.Collection;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

public sealed class SpanDecoratorTests
{
    private static readonly DateTime LastHeartbeat = new(2024, 1, 1, 0, 0, 10, DateTimeKind.Utc);
    private static readonly DateTime Collected = new(2024, 1, 1, 0, 5, 0, DateTimeKind.Utc);

    [Fact]
    public void MarksTheSpanReplacingAnExistingGcAttributeAndEndsItAtTheLastHeartbeat()
    {
        var span = Spans.NewSpan(Spans.NewKey());
        span.StartTimeUnixNano = UnixNano(LastHeartbeat.AddSeconds(-10));
        span.Attributes.Add(new KeyValue { Key = PartialAttributes.Gc, Value = new AnyValue { StringValue = "false" } });

        var batch = Decorate(new PartialReceiverOptions(), Row(span));

        var sent = Request(batch).ResourceSpans.Single().ScopeSpans.Single().Spans.Single();
        var gc = Assert.Single(sent.Attributes, a => a.Key == PartialAttributes.Gc);
        Assert.True(gc.Value.BoolValue);
        Assert.Equal(UnixNano(LastHeartbeat), sent.EndTimeUnixNano);
        Assert.Equal(Status.Types.StatusCode.Error, sent.Status.Code);
        Assert.Equal(SpanDecorator.ErrorMessage, sent.Status.Message);
    }

    [Fact]
    public void PrefersTheClientsHeartbeatTimeAndNeverEndsBeforeTheStart()
    {
        var span = Spans.NewSpan(Spans.NewKey());
        span.StartTimeUnixNano = UnixNano(LastHeartbeat.AddHours(1));

        var clientTime = Decorate(new PartialReceiverOptions(), Row(Spans.NewSpan(Spans.NewKey()), heartbeatUnixNano: 1_700_000_123_000_000_000));
        var skewed = Decorate(new PartialReceiverOptions(), Row(span));

        Assert.Equal(1_700_000_123_000_000_000UL, Request(clientTime).ResourceSpans[0].ScopeSpans[0].Spans[0].EndTimeUnixNano);
        Assert.Equal(span.StartTimeUnixNano, Request(skewed).ResourceSpans[0].ScopeSpans[0].Spans[0].EndTimeUnixNano);
    }

    [Fact]
    public void CollectionTimeAndStatusLeftAloneWhenConfigured()
    {
        var span = Spans.NewSpan(Spans.NewKey());
        var ok = Spans.NewSpan(Spans.NewKey());
        ok.Status = new Status { Code = Status.Types.StatusCode.Ok };
        var options = new PartialReceiverOptions { EndTime = EndTimeSource.CollectionTime, MarkAsError = false };

        var batch = Decorate(options, Row(span, heartbeatUnixNano: 5), Row(ok));

        var spans = Request(batch).ResourceSpans.Single().ScopeSpans.Single().Spans;
        Assert.All(spans, s => Assert.Equal(UnixNano(Collected), s.EndTimeUnixNano));
        Assert.Null(spans[0].Status);
        Assert.Equal(Status.Types.StatusCode.Ok, spans[1].Status.Code);

        var marked = Decorate(new PartialReceiverOptions(), Row(ok));
        Assert.Equal(Status.Types.StatusCode.Ok, Request(marked).ResourceSpans[0].ScopeSpans[0].Spans[0].Status.Code);
    }

    [Fact]
    public void GroupsSpansByResourceAndScope()
    {
        var a1 = Row(Spans.NewSpan(Spans.NewKey()), service: "a");
        var a2 = Row(Spans.NewSpan(Spans.NewKey()), service: "a");
        var b = Row(Spans.NewSpan(Spans.NewKey()), service: "b");

        var batch = Decorate(new PartialReceiverOptions(), a1, b, a2);

        Assert.Equal(3, batch.SpanCount);
        Assert.Equal(2, Request(batch).ResourceSpans.Count);
        Assert.Equal(2, Request(batch).ResourceSpans[0].ScopeSpans.Single().Spans.Count);
        Assert.Single(Request(batch).ResourceSpans[1].ScopeSpans.Single().Spans);
    }

    private static ExportTraceServiceRequest Request(DecoratedBatch batch) => ExportTraceServiceRequest.Parser.ParseFrom(batch.Request);

    private static DecoratedBatch Decorate(PartialReceiverOptions options, params ClaimedSpan[] rows) =>
        new SpanDecorator(Options.Create(options)).Decorate(rows);

    private static ClaimedSpan Row(Span span, long? heartbeatUnixNano = null, string service = "test-service") => new(
        new(Convert.ToHexStringLower(span.TraceId.Span), Convert.ToHexStringLower(span.SpanId.Span)),
        Spans.Traces(span, service).ToByteArray(),
        LastHeartbeat,
        heartbeatUnixNano,
        Collected.AddSeconds(30),
        LastHeartbeat.AddSeconds(3),
        Collected);

    private static ulong UnixNano(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100;
}
