using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver;
using PartialCollector.Receiver.Collection;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

public sealed class ByteBoundedSlicesTests
{
    private const int Bound = 64 * 1024;

    [Fact]
    public void EveryDecoratedRequestStaysUnderTheBoundAndRowsKeepTheirOrder()
    {
        // Sizes around the bound's fractions, so that slices end close to it; each span also gets an end time,
        // the partial.gc attribute and an error status when decorated.
        var rows = Enumerable.Range(0, 200).Select(i => Row(i * 997 % 9000, service: $"service-{i % 7}")).ToList();
        var decorator = new SpanDecorator(Options.Create(new PartialReceiverOptions()));

        var slices = ByteBoundedSlices.Cut(rows, Bound);

        Assert.Equal(rows, slices.SelectMany(s => s));
        Assert.True(slices.Count > 5, $"{slices.Count} slices");
        Assert.All(slices, s => Assert.InRange(decorator.Decorate(s).Request.Length, 1, Bound));
        Assert.All(slices, s => Assert.Equal(s.Count, ExportTraceServiceRequest.Parser.ParseFrom(decorator.Decorate(s).Request).ResourceSpans.Sum(r => r.ScopeSpans.Sum(x => x.Spans.Count))));
        Assert.All(slices.SkipLast(1), s => Assert.True(decorator.Decorate(s).Request.Length > Bound / 2, "slices are not cut needlessly short"));
    }

    [Fact]
    public void ARowLargerThanTheBoundIsASliceOfItsOwn()
    {
        var rows = new[] { Row(100), Row(Bound * 2), Row(100) };

        var slices = ByteBoundedSlices.Cut(rows, Bound);

        Assert.Equal([1, 1, 1], slices.Select(s => s.Count));
        Assert.Same(rows[1], slices[1][0]);
    }

    private static ClaimedSpan Row(int paddingBytes, string service = "test-service")
    {
        var key = Spans.NewKey();
        var span = paddingBytes > 0 ? Spans.Padded(Spans.NewSpan(key), paddingBytes) : Spans.NewSpan(key);
        span.Status = new Status { Message = "unset, with a message" };
        var now = DateTime.UtcNow;
        return new ClaimedSpan(key, Spans.Traces(span, service).ToByteArray(), now, null, now.AddSeconds(30), now, now);
    }
}
