using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver;
using PartialCollector.Receiver.Collection;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>
/// The spliced request against what decoding the rows into messages and decorating those produced (the algorithm the
/// splicing replaced, kept here as the oracle), and the reasons for rows that cannot be sent.
/// </summary>
public sealed class SpanSplicerTests
{
    private static readonly DateTime LastHeartbeat = new(2024, 1, 1, 0, 0, 10, DateTimeKind.Utc);
    private static readonly DateTime Collected = new(2024, 1, 1, 0, 5, 0, DateTimeKind.Utc);

    public static TheoryData<bool, EndTimeSource> Settings => new()
    {
        { true, EndTimeSource.LastHeartbeat },
        { false, EndTimeSource.LastHeartbeat },
        { true, EndTimeSource.CollectionTime },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void VariedSpansSpliceToWhatDecodingAndDecoratingThemProduced(bool markAsError, EndTimeSource endTime)
    {
        var options = new PartialReceiverOptions { MarkAsError = markAsError, EndTime = endTime };
        var rows = VariedRows();

        var spliced = new SpanDecorator(Options.Create(options)).Decorate(rows);

        var expected = ObjectDecoration(rows, options);
        Assert.Equal(expected.Request, ExportTraceServiceRequest.Parser.ParseFrom(spliced.Request));
        Assert.Equal(expected.SpanCount, spliced.SpanCount);
        Assert.Equal(expected.Sendable, spliced.Sendable);
        Assert.Equal(expected.Undeliverable, spliced.Undeliverable.Select(d => d.Span));
        Assert.True(expected.Request.ResourceSpans.Count >= 3, "the rows share resources, and not all of them");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomRowsSpliceToWhatDecodingAndDecoratingThemProduced(int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, 150).Select(_ => RandomRow(random)).ToList();
        foreach (var (markAsError, endTime) in new[] { (true, EndTimeSource.LastHeartbeat), (false, EndTimeSource.CollectionTime) })
        {
            var options = new PartialReceiverOptions { MarkAsError = markAsError, EndTime = endTime };

            var spliced = new SpanDecorator(Options.Create(options)).Decorate(rows);

            var expected = ObjectDecoration(rows, options);
            Assert.Equal(expected.Request, ExportTraceServiceRequest.Parser.ParseFrom(spliced.Request));
            Assert.Equal(expected.SpanCount, spliced.SpanCount);
            Assert.Equal(rows, spliced.Sendable);
        }
    }

    [Fact]
    public void TheRequestsLengthPrefixesHoldForLargeSpans()
    {
        // Spans, scopes and resources past 127 and 16,383 bytes take longer length prefixes than stored.
        var rows = new[] { 100, 20_000, 200_000 }.Select(n => Row(Spans.Traces(Spans.Padded(Spans.NewSpan(Spans.NewKey()), n)))).ToArray();
        var options = new PartialReceiverOptions();

        var spliced = new SpanDecorator(Options.Create(options)).Decorate(rows);

        var request = ExportTraceServiceRequest.Parser.ParseFrom(spliced.Request);
        Assert.Equal(ObjectDecoration(rows, options).Request, request);
        Assert.Equal(request.CalculateSize(), spliced.Request.Length);
    }

    public static TheoryData<string, string, string> MalformedRows => new()
    {
        { "empty", "", "stored trace is empty" },
        { "a resource without scopes", Hex(new TracesData { ResourceSpans = { new ResourceSpans { Resource = new Resource() } } }), "stored trace holds no span" },
        { "only a field TracesData does not know", "1801", "stored trace holds no span" },
        { "a scope without spans", Hex(new TracesData { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "s" } } } } } }), "stored trace holds no span" },
        { "a truncated varint", "deadbeef", "stored trace is not a protobuf TracesData: truncated varint in a TracesData at byte 0" },
        { "tag 0", "00", "stored trace is not a protobuf TracesData: invalid tag 0 in a TracesData at byte 0" },
        { "wire type 7", "0f", "stored trace is not a protobuf TracesData: field 1 has invalid wire type 7 in a TracesData at byte 0" },
        { "a group never ended", "0b", "stored trace is not a protobuf TracesData: group 1 is not ended in a TracesData at byte 0" },
        { "an end of group never started", "0c", "stored trace is not a protobuf TracesData: field 1 ends a group that was not started in a TracesData at byte 0" },
        { "a resource longer than the row", "0a05", "stored trace is not a protobuf TracesData: field 1 of 5 bytes runs past the end of the message (0 bytes left) in a TracesData at byte 0" },
        { "a truncated fixed64 in a resource", "0a0209aa", "stored trace is not a protobuf TracesData: truncated 64-bit value in a ResourceSpans at byte 2" },
        { "a scope longer than its resource", "0a02" + "1205", "stored trace is not a protobuf TracesData: field 2 of 5 bytes runs past the end of the message (0 bytes left) in a ResourceSpans at byte 2" },
        { "a span longer than its scope", "0a04" + "1202" + "1205", "stored trace is not a protobuf TracesData: field 2 of 5 bytes runs past the end of the message (0 bytes left) in a ScopeSpans at byte 4" },
        { "a truncated end time", "0a08" + "1206" + "1204" + "41aabbcc", "stored trace is not a protobuf TracesData: truncated 64-bit value in a Span at byte 6" },
        { "an attribute longer than its span", "0a06" + "1204" + "1202" + "4a05", "stored trace is not a protobuf TracesData: field 9 of 5 bytes runs past the end of the message (0 bytes left) in a Span at byte 6" },
        { "an attribute with a bad key", "0a08" + "1206" + "1204" + "4a02" + "0a05", "stored trace is not a protobuf TracesData: field 1 of 5 bytes runs past the end of the message (0 bytes left) in a KeyValue at byte 8" },
        { "a status with a bad code", "0a08" + "1206" + "1204" + "7a02" + "18ff", "stored trace is not a protobuf TracesData: truncated varint in a Status at byte 9" },
    };

    [Theory]
    [MemberData(nameof(MalformedRows))]
    public void ARowThatCannotBeSentIsSetApartWithTheReasonAndItsNeighboursGoOut(string what, string hex, string reason)
    {
        var before = Row(Spans.Traces(Spans.NewSpan(Spans.NewKey()), "a"));
        var bad = Row(Convert.FromHexString(hex));
        var after = Row(Spans.Traces(Spans.NewSpan(Spans.NewKey()), "b"));
        var decorator = new SpanDecorator(Options.Create(new PartialReceiverOptions()));

        var batch = decorator.Decorate([before, bad, after]);

        var deadLetter = Assert.Single(batch.Undeliverable);
        Assert.Same(bad, deadLetter.Span);
        Assert.True(reason == deadLetter.Reason, $"{what}: {deadLetter.Reason}");
        Assert.Equal([before, after], batch.Sendable);
        Assert.Equal(2, batch.SpanCount);
        Assert.Equal(ExportTraceServiceRequest.Parser.ParseFrom(decorator.Decorate([before, after]).Request), ExportTraceServiceRequest.Parser.ParseFrom(batch.Request));
    }

    [Fact]
    public void EveryTruncationOfARowIsSetApart()
    {
        var whole = VariedRows()[1].Trace;
        var decorator = new SpanDecorator(Options.Create(new PartialReceiverOptions()));

        var batch = decorator.Decorate([.. Enumerable.Range(1, whole.Length - 1).Select(n => Row(whole[..n]))]);

        Assert.Empty(batch.Sendable);
        Assert.Equal(0, batch.SpanCount);
        Assert.Empty(batch.Request);
        Assert.All(batch.Undeliverable, d => Assert.StartsWith("stored trace is not a protobuf TracesData: ", d.Reason));
    }

    [Fact]
    public void FieldsOfAnotherWireTypeAreKeptAsFieldsTheSpanDoesNotKnow()
    {
        // As a protobuf parser reads them: an end time as a varint is not the end time, nor a status as a varint the status.
        var span = Spans.NewSpan(Spans.NewKey()).ToByteArray();
        byte[] unknown = [0x40, 0x05, 0x78, 0x01];
        var traces = Wrap(1, Wrap(2, Wrap(2, [.. span, .. unknown])));
        var row = Row(traces);

        var batch = new SpanDecorator(Options.Create(new PartialReceiverOptions())).Decorate([row]);

        Assert.Equal(ObjectDecoration([row], new PartialReceiverOptions()).Request, ExportTraceServiceRequest.Parser.ParseFrom(batch.Request));
        Assert.True(batch.Request.AsSpan().IndexOf(unknown) >= 0, "the fields are copied as stored");
    }

    private static List<ClaimedSpan> VariedRows()
    {
        var serviceA = new Resource { Attributes = { Attribute("service.name", "a"), Attribute("host.name", "h1") } };
        var serviceB = new Resource { Attributes = { Attribute("service.name", "b") }, DroppedAttributesCount = 2 };
        var scope1 = new InstrumentationScope { Name = "lib1", Version = "1.0" };
        var scope2 = new InstrumentationScope { Name = "lib2", Attributes = { Attribute("scope.attr", "x") } };

        Span NewSpan(Action<Span>? change = null)
        {
            var span = Spans.NewSpan(Spans.NewKey(), "operation");
            change?.Invoke(span);
            return span;
        }

        var plain = NewSpan();
        var attributes = NewSpan(s =>
        {
            s.Attributes.Add(Attribute("http.method", "GET"));
            s.Attributes.Add(new KeyValue { Key = PartialAttributes.Gc, Value = new AnyValue { IntValue = 7 } });
            s.Attributes.Add(new KeyValue { Key = "count", Value = new AnyValue { IntValue = 3 } });
            s.Attributes.Add(new KeyValue { Key = PartialAttributes.Gc, Value = new AnyValue { StringValue = "false" } });
            s.Attributes.Add(new KeyValue { Key = "list", Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { DoubleValue = 1.5 } } } } });
            s.Attributes.Add(new KeyValue { Key = "partial.gc.other", Value = new AnyValue { BoolValue = false } });
            s.DroppedAttributesCount = 1;
        });
        var events = NewSpan(s =>
        {
            s.Events.Add(new Span.Types.Event { Name = "exception", TimeUnixNano = 1_700_000_000_500_000_000, Attributes = { Attribute("exception.message", "boom") } });
            s.Events.Add(new Span.Types.Event { Name = "retry" });
            s.EndTimeUnixNano = 1_700_000_001_000_000_000;
        });
        var links = NewSpan(s =>
        {
            s.Links.Add(new Span.Types.Link { TraceId = ByteString.CopyFrom(new byte[16]), SpanId = ByteString.CopyFrom(new byte[8]), TraceState = "k=v", Attributes = { Attribute(PartialAttributes.Gc, "in a link") } });
            s.ParentSpanId = ByteString.CopyFrom([1, 2, 3, 4, 5, 6, 7, 8]);
            s.TraceState = "vendor=1";
            s.Flags = 0x301;
            s.Kind = Span.Types.SpanKind.Server;
        });
        var unsetWithMessage = NewSpan(s => s.Status = new Status { Message = "unset, with a message" });
        var ok = NewSpan(s => s.Status = new Status { Code = Status.Types.StatusCode.Ok });
        var error = NewSpan(s => s.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "failed on its own" });
        var skewed = NewSpan(s => s.StartTimeUnixNano = UnixNano(Collected.AddHours(2)));
        var noStart = NewSpan(s => s.StartTimeUnixNano = 0);
        var empty = new Span();

        var several = new TracesData
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = serviceA,
                    ScopeSpans =
                    {
                        new ScopeSpans { Scope = scope1, Spans = { NewSpan(), ok.Clone() } },
                        new ScopeSpans { Scope = scope2, SchemaUrl = "https://opentelemetry.io/schemas/1.24.0", Spans = { attributes.Clone() } },
                        new ScopeSpans { Scope = scope1 },
                    },
                },
                new ResourceSpans
                {
                    Resource = serviceB,
                    SchemaUrl = "https://opentelemetry.io/schemas/1.21.0",
                    ScopeSpans = { new ScopeSpans { Scope = scope2, Spans = { events.Clone(), unsetWithMessage.Clone(), empty } } },
                },
                new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { NewSpan() } } } },
            },
        };

        return
        [
            Row(One(serviceA, scope1, plain)),
            Row(One(serviceA, scope1, attributes), heartbeatUnixNano: 1_700_000_123_000_000_000),
            Row(One(serviceB, scope1, events)),
            Row([0x0a, 0x01]),
            Row(One(serviceA, scope2, links)),
            Row(One(serviceB, scope2, unsetWithMessage)),
            Row(One(serviceA, scope1, ok)),
            Row(One(serviceA, null, error)),
            Row([]),
            Row(One(serviceB, scope1, skewed)),
            Row(One(null, scope1, noStart)),
            Row(several),
            Row(One(serviceA, scope1, NewSpan())),
        ];
    }

    private static ClaimedSpan RandomRow(Random random)
    {
        var resources = new[] { "a", "b", "c" };
        var traces = new TracesData();
        for (var r = random.Next(1, 3); r > 0; r--)
        {
            var resourceSpans = new ResourceSpans
            {
                Resource = random.Next(5) == 0 ? null : new Resource { Attributes = { Attribute("service.name", resources[random.Next(resources.Length)]) } },
                SchemaUrl = random.Next(4) == 0 ? "https://schema" : "",
            };
            for (var s = random.Next(1, 3); s > 0; s--)
            {
                var scopeSpans = new ScopeSpans { Scope = random.Next(5) == 0 ? null : new InstrumentationScope { Name = $"lib{random.Next(2)}" } };
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    scopeSpans.Spans.Add(RandomSpan(random));
                }

                resourceSpans.ScopeSpans.Add(scopeSpans);
            }

            traces.ResourceSpans.Add(resourceSpans);
        }

        return Row(traces, heartbeatUnixNano: random.Next(3) == 0 ? 1_700_000_000_000_000_000 + random.Next() : null);
    }

    private static Span RandomSpan(Random random)
    {
        var span = Spans.NewSpan(Spans.NewKey(), new string('n', random.Next(0, 300)));
        span.StartTimeUnixNano = (ulong)random.NextInt64(0, (long)UnixNano(Collected.AddHours(1)));
        if (random.Next(2) == 0)
        {
            span.EndTimeUnixNano = span.StartTimeUnixNano + 5;
        }

        for (var a = random.Next(0, 5); a > 0; a--)
        {
            span.Attributes.Add(random.Next(4) == 0
                ? new KeyValue { Key = PartialAttributes.Gc, Value = random.Next(2) == 0 ? new AnyValue { IntValue = 1 } : null }
                : Attribute($"key{random.Next(10)}", new string('v', random.Next(0, 200))));
        }

        if (random.Next(3) == 0)
        {
            span.Events.Add(new Span.Types.Event { Name = "event", TimeUnixNano = span.StartTimeUnixNano });
        }

        span.Status = random.Next(4) switch
        {
            0 => null,
            1 => new Status(),
            2 => new Status { Code = Status.Types.StatusCode.Ok, Message = "fine" },
            _ => new Status { Code = Status.Types.StatusCode.Error },
        };
        return span;
    }

    private static TracesData One(Resource? resource, InstrumentationScope? scope, Span span) => new()
    {
        ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { new ScopeSpans { Scope = scope, Spans = { span } } } } },
    };

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static string Hex(TracesData traces) => Convert.ToHexStringLower(traces.ToByteArray());

    private static byte[] Wrap(int field, byte[] message) =>
        [(byte)((field << 3) | 2), .. CodedVarint((uint)message.Length), .. message];

    private static byte[] CodedVarint(uint value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static ClaimedSpan Row(TracesData traces, long? heartbeatUnixNano = null) => Row(traces.ToByteArray(), heartbeatUnixNano);

    private static ClaimedSpan Row(byte[] trace, long? heartbeatUnixNano = null)
    {
        var key = Spans.NewKey();
        return new(key, trace, LastHeartbeat, heartbeatUnixNano, Collected.AddSeconds(30), LastHeartbeat.AddSeconds(3), Collected);
    }

    private static ulong UnixNano(DateTime utc) => (ulong)(utc - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>
    /// The decoration as it was before the splicing: rows decoded into messages, marked, grouped by their resource and
    /// scope re-encoded, and the request built of those messages.
    /// </summary>
    private static (ExportTraceServiceRequest Request, int SpanCount, List<ClaimedSpan> Sendable, List<ClaimedSpan> Undeliverable) ObjectDecoration(
        IReadOnlyList<ClaimedSpan> claimed, PartialReceiverOptions settings)
    {
        var request = new ExportTraceServiceRequest();
        var resources = new Dictionary<(ByteString Resource, string SchemaUrl), int>();
        var scopes = new Dictionary<(int Resource, ByteString Scope, string SchemaUrl), ScopeSpans>();
        var sendable = new List<ClaimedSpan>();
        var undeliverable = new List<ClaimedSpan>();
        var spanCount = 0;
        foreach (var row in claimed)
        {
            TracesData? traces = null;
            try
            {
                traces = row.Trace.Length == 0 ? null : TracesData.Parser.ParseFrom(row.Trace);
            }
            catch (InvalidProtocolBufferException)
            {
            }

            if (traces is null || !traces.ResourceSpans.Any(r => r.ScopeSpans.Any(s => s.Spans.Count > 0)))
            {
                undeliverable.Add(row);
                continue;
            }

            var end = settings.EndTime == EndTimeSource.CollectionTime
                ? UnixNano(row.ClaimedAt)
                : row.HeartbeatUnixNano is { } client and > 0 ? (ulong)client : UnixNano(row.Timestamp);
            foreach (var resourceSpans in traces.ResourceSpans)
            {
                var resourceKey = (resourceSpans.Resource?.ToByteString() ?? ByteString.Empty, resourceSpans.SchemaUrl);
                if (!resources.TryGetValue(resourceKey, out var resourceIndex))
                {
                    resourceIndex = request.ResourceSpans.Count;
                    resources.Add(resourceKey, resourceIndex);
                    request.ResourceSpans.Add(new ResourceSpans { Resource = resourceSpans.Resource, SchemaUrl = resourceSpans.SchemaUrl });
                }

                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    var scopeKey = (resourceIndex, scopeSpans.Scope?.ToByteString() ?? ByteString.Empty, scopeSpans.SchemaUrl);
                    if (!scopes.TryGetValue(scopeKey, out var scopeTarget))
                    {
                        scopeTarget = new ScopeSpans { Scope = scopeSpans.Scope, SchemaUrl = scopeSpans.SchemaUrl };
                        scopes.Add(scopeKey, scopeTarget);
                        request.ResourceSpans[resourceIndex].ScopeSpans.Add(scopeTarget);
                    }

                    foreach (var span in scopeSpans.Spans)
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
                        if (settings.MarkAsError && (span.Status is null || span.Status.Code == Status.Types.StatusCode.Unset))
                        {
                            span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = SpanDecorator.ErrorMessage };
                        }

                        scopeTarget.Spans.Add(span);
                        spanCount++;
                    }
                }
            }

            sendable.Add(row);
        }

        return (request, spanCount, sendable, undeliverable);
    }
}
