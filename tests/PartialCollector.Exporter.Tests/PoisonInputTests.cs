using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Model;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// One client's bad input costs only that client: 32 clients send good heartbeats over gRPC and HTTP while
/// another sends every kind of poison; every good request is acknowledged and stored, every poison record is
/// rejected with its reason, and nothing is ever answered 5xx.
/// </summary>
public sealed class PoisonInputTests : IAsyncLifetime
{
    private ExporterHost exporter = null!;
    private LogsClient client = null!;

    public async Task InitializeAsync()
    {
        exporter = await ExporterHost.StartAsync();
        client = new LogsClient(exporter);
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await exporter.DisposeAsync();
    }

    [Fact]
    public async Task GoodClientsAreAcknowledgedAndStoredWhilePoisonIsRejectedWithItsReason()
    {
        var goodKeys = new List<SpanKey>();
        var goodClients = Enumerable.Range(0, 32).Select(c =>
        {
            var keys = Enumerable.Range(0, 10).Select(_ => Spans.NewKey()).ToList();
            lock (goodKeys)
            {
                goodKeys.AddRange(keys);
            }

            return Task.Run(async () =>
            {
                var answers = new List<LogsClient.Answer>();
                foreach (var key in keys)
                {
                    answers.Add(await client.SendAsync(Request(Heartbeat(Traces(key))), useHttp: c % 2 == 0));
                }

                return answers;
            });
        }).ToList();

        var poisonAnswers = new List<(string Name, string? Expected, LogsClient.Answer Answer)>();
        var all = Task.WhenAll(goodClients);
        do
        {
            foreach (var (name, expected, send) in Poison())
            {
                poisonAnswers.Add((name, expected, await send()));
            }
        }
        while (!all.IsCompleted);

        var good = (await all).SelectMany(a => a).ToList();
        Assert.All(good, a => Assert.True(a.Acknowledged && a.Rejected == 0, $"good request answered {a}"));
        Assert.Equal(goodKeys.Count, await exporter.Table.ScalarAsync<long>(
            "SELECT count(*) FROM partial_traces WHERE (trace_id, span_id) IN (SELECT * FROM unnest(@t::text[], @s::text[]))",
            ("t", goodKeys.Select(k => k.TraceId).ToArray()),
            ("s", goodKeys.Select(k => k.SpanId).ToArray())));

        Assert.All(poisonAnswers, p => Assert.True(p.Answer.Status < 500, $"{p.Name} answered {p.Answer}"));
        foreach (var (name, expected, answer) in poisonAnswers.Where(p => p.Expected is not null))
        {
            if (expected == "400")
            {
                Assert.True(answer.Status == 400, $"{name}: {answer}");
            }
            else
            {
                Assert.True(answer.Acknowledged && answer.Rejected == 1, $"{name}: {answer}");
                Assert.StartsWith($"1 log record(s) rejected: {expected}: ", answer.Response!.PartialSuccess.ErrorMessage);
            }
        }
    }

    [Fact]
    public async Task ARequestThatWouldExpandIntoGigabytesIsRejectedAndStoresNothing()
    {
        // A record with 200 KB of attributes, merged into every span it carries.
        var manySpans = Amplifier(spans: 5000);
        var justUnderTheSpanLimit = Amplifier(spans: 1000);

        var tooMany = await client.PostAsync(Request(manySpans).ToByteArray(), gzip: true);
        var tooLarge = await client.PostAsync(Request(justUnderTheSpanLimit).ToByteArray(), gzip: true);
        var overGrpc = await client.ExportAsync(Request(justUnderTheSpanLimit));

        Assert.Contains("too_many_spans", tooMany.Response?.PartialSuccess?.ErrorMessage);
        Assert.Contains("request_too_large", tooLarge.Response?.PartialSuccess?.ErrorMessage);
        Assert.Contains("request_too_large", overGrpc.Response?.PartialSuccess?.ErrorMessage);
        Assert.Equal(0, await exporter.Table.CountAsync());
    }

    /// <summary>Each poison input, with the reason its record must be rejected for ("400" for the whole request), or null when any non-5xx answer will do.</summary>
    private IEnumerable<(string Name, string? Expected, Func<Task<LogsClient.Answer>> Send)> Poison()
    {
        foreach (var frequency in new[] { "9999999999999999999999999999h", "99999999h", "-5s", "1ns", "soon" })
        {
            var request = Request(Heartbeat(Traces(Spans.NewKey()), frequency));
            yield return ($"frequency {frequency} (gRPC)", "invalid_frequency", () => client.ExportAsync(request));
            yield return ($"frequency {frequency} (HTTP)", "invalid_frequency", () => client.PostAsync(request.ToByteArray()));
        }

        var intFrequency = Heartbeat(Traces(Spans.NewKey()));
        intFrequency.Attributes[1].Value = new AnyValue { IntValue = long.MaxValue };
        yield return ("integer frequency overflowing", "invalid_frequency", () => client.ExportAsync(Request(intFrequency)));

        var manySpans = Traces(Spans.NewKey());
        for (var i = 0; i < 1000; i++)
        {
            manySpans.ResourceSpans[0].ScopeSpans[0].Spans.Add(Spans.NewSpan(Spans.NewKey()));
        }

        yield return ("1001 spans in one record", "too_many_spans", () => client.ExportAsync(Request(Heartbeat(manySpans))));

        var huge = Heartbeat(Traces(Spans.NewKey()));
        huge.Attributes.Add(Attribute("huge", new string('h', 1_100_000)));
        yield return ("a span of 1.1 MB after merging", "span_too_large", () => client.PostAsync(Request(huge).ToByteArray(), gzip: true));

        var zeroIds = Spans.NewSpan(Spans.NewKey());
        zeroIds.SpanId = ByteString.CopyFrom(new byte[8]);
        yield return ("all-zero span id", "invalid_span_id", () => client.ExportAsync(Request(Heartbeat(Spans.Traces(zeroIds)))));

        yield return ("garbage body", "400", () => client.PostAsync([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));

        var valid = Request(Heartbeat(Traces(Spans.NewKey()))).ToByteArray();
        var random = new Random(valid.Length);
        for (var i = 0; i < 40; i++)
        {
            var mutated = (byte[])valid.Clone();
            if (i % 4 == 0)
            {
                mutated = mutated[..random.Next(mutated.Length)];
            }
            else
            {
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            }

            var overHttp = i % 2 == 0;
            yield return ($"mutation {i}", null, () => overHttp ? client.PostAsync(mutated) : client.ExportAsync(TryParse(mutated)));
        }
    }

    private static ExportLogsServiceRequest TryParse(byte[] bytes)
    {
        try
        {
            return ExportLogsServiceRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return new ExportLogsServiceRequest();
        }
    }
}
