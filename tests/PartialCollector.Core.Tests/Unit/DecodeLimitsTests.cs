using Google.Protobuf;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Durations;
using PartialCollector.Core.Model;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Core.Tests.Unit;

/// <summary>Every value a client controls is bounded while decoding, so a bad record fails only itself.</summary>
public sealed class DecodeLimitsTests
{
    private readonly PartialLogDecoder decoder = new(new DecodeLimits { MaxSpansPerRecord = 10, MaxStoredSpanSize = 4096 });
    private readonly List<PartialSpanEvent> output = [];

    [Theory]
    [InlineData("9999999999999999999999999999h")]
    [InlineData("99999999999999999999999999999999999999999h")]
    [InlineData("99999999h")]
    [InlineData("-5s")]
    [InlineData("1ns")]
    [InlineData("99ms")]
    [InlineData("24h0m0.001s")]
    [InlineData("0")]
    public void FrequencyOutsideTheBoundsIsRejectedWithTheBounds(string frequency)
    {
        var outcome = decoder.Decode(null, Heartbeat(Traces(Spans.NewKey()), frequency), output);

        Assert.Equal((DecodeStatus.Rejected, RejectReason.InvalidFrequency), (outcome.Status, outcome.Reason));
        Assert.Empty(output);
        if (GoDuration.TryParse(frequency, out _))
        {
            Assert.Contains("100ms to 24h0m0s", outcome.Detail);
        }
    }

    [Theory]
    [InlineData("100ms")]
    [InlineData("24h")]
    [InlineData("5000ms")]
    public void FrequencyAtTheBoundsIsAccepted(string frequency) =>
        Assert.Equal(DecodeStatus.Accepted, decoder.Decode(null, Heartbeat(Traces(Spans.NewKey()), frequency), output).Status);

    [Theory]
    [InlineData("9999999999999999999999999999h")]
    [InlineData("79228162514264337593543950335ns")]
    [InlineData("256204779h")]
    public void DurationsTooLargeForATimeSpanAreNotParsedAndNeverThrow(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Fact]
    public void MoreSpansThanAllowedRejectTheRecord()
    {
        var outcome = decoder.Decode(null, Heartbeat(ManySpans(11)), output);

        Assert.Equal(RejectReason.TooManySpans, outcome.Reason);
        Assert.Empty(output);
        Assert.Equal(DecodeStatus.Accepted, decoder.Decode(null, Heartbeat(ManySpans(10)), output).Status);
        Assert.Equal(10, output.Count);
    }

    [Fact]
    public void ASpanLargerThanTheLimitAfterMergingRejectsTheRecord()
    {
        // The span itself is small: the log's attributes merged into it make it too large.
        var record = Heartbeat(Traces(Spans.NewKey()));
        record.Attributes.Add(Attribute("big", new string('x', 5000)));

        var outcome = decoder.Decode(null, record, output);

        Assert.Equal(RejectReason.SpanTooLarge, outcome.Reason);
        Assert.Contains("4096", outcome.Detail);
        Assert.Empty(output);
    }

    [Fact]
    public void ARecordThatWouldExpandPastTheRequestsBudgetIsRejectedBeforeAnythingIsBuilt()
    {
        // 10 spans, each to be stored with 3 KB of log attributes: about 30 KB in all, over a 20 KB budget.
        var record = Heartbeat(ManySpans(10));
        record.Attributes.Add(Attribute("payload", new string('y', 3000)));

        var outcome = decoder.Decode(null, record, output, byteBudget: 20_000);

        Assert.Equal(RejectReason.RequestTooLarge, outcome.Reason);
        Assert.Empty(output);
        Assert.Equal(DecodeStatus.Accepted, decoder.Decode(null, record, output, byteBudget: 40_000).Status);
    }

    [Fact]
    public void StopsCarryNoSpanBytesSoTheBudgetDoesNotApplyButTheSpanCountDoes()
    {
        Assert.Equal(DecodeStatus.Accepted, decoder.Decode(null, Stop(ManySpans(10)), output, byteBudget: 0).Status);
        Assert.Equal(RejectReason.TooManySpans, decoder.Decode(null, Stop(ManySpans(11)), output).Reason);
    }

    [Fact]
    public void MergingManyAttributesKeepsTheTargetsValuesAndAddsEachMissingKeyOnce()
    {
        var target = new Google.Protobuf.Collections.RepeatedField<KeyValue>();
        var source = new Google.Protobuf.Collections.RepeatedField<KeyValue>();
        for (var i = 0; i < 2000; i++)
        {
            target.Add(Attribute($"k{i}", "span"));
            source.Add(Attribute($"k{i * 2}", "log"));
        }

        AttributeMerger.MergeMissing(target, source, skipProtocolAttributes: true);

        Assert.Equal(3000, target.Count);
        Assert.Equal(3000, target.Select(a => a.Key).Distinct().Count());
        Assert.All(target.Take(2000), a => Assert.Equal("span", a.Value.StringValue));
        Assert.All(target.Skip(2000), a => Assert.Equal("log", a.Value.StringValue));
    }

    private static TracesData ManySpans(int count)
    {
        var traces = Traces(Spans.NewKey());
        var spans = traces.ResourceSpans[0].ScopeSpans[0].Spans;
        for (var i = 1; i < count; i++)
        {
            spans.Add(Spans.NewSpan(Spans.NewKey(), $"s{i}"));
        }

        return traces;
    }
}
