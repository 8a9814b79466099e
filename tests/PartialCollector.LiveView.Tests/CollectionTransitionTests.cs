using Google.Protobuf;
using Npgsql;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.LiveView.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.LiveView.Tests;

/// <summary>
/// A span written by the Exporter's write path is listed as running; once it expires and the Receiver's collection
/// path claims it and settles it as delivered, it leaves the running list and heads the crashed one.
/// </summary>
public sealed class CollectionTransitionTests
{
    [Fact]
    public async Task A_span_moves_from_running_to_crashed_when_the_receivers_statements_collect_it()
    {
        await using var host = await LiveViewHost.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(host.ConnectionString);
        var key = new SpanKey(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()), "00f067aa0ba902b7");
        var batch = new WriteBatch();
        batch.Add(new PartialSpanEvent(
            PartialEventKind.Heartbeat, key, Trace(key), TimeSpan.FromSeconds(5), ObservedUnixNano: 1,
            Summary: new SpanSummary("payments", "settle-batch", DateTime.UtcNow.AddMinutes(-3))));
        await new SpanWriteStore(dataSource).WriteAsync(batch, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
        using var client = host.Client();

        var running = await client.GetJsonAsync("/api/spans?state=running");
        Assert.Contains(running.GetProperty("spans").EnumerateArray(), s => s.Str("spanId") == key.SpanId && s.Str("service") == "payments");

        // Its heartbeats stop: it expires, and the Receiver's claim and settle (as after a delivery) collect it.
        await using (var expire = dataSource.CreateCommand("UPDATE partial_traces SET expires_at = now() - interval '1 minute'"))
        {
            await expire.ExecuteNonQueryAsync();
        }

        var store = new CollectionStore(dataSource);
        var claimed = await store.ClaimAsync(100, TimeSpan.FromSeconds(30), CancellationToken.None);
        var settlement = new Settlement();
        settlement.Delivered.AddRange(claimed);
        Assert.Equal(1, (await store.SettleAsync(settlement, CancellationToken.None)).Deleted);

        var after = await client.GetJsonAsync("/api/spans?state=running");
        var crashed = await client.GetJsonAsync("/api/spans?state=crashed");
        Assert.DoesNotContain(after.GetProperty("spans").EnumerateArray(), s => s.Str("spanId") == key.SpanId);
        var first = crashed.GetProperty("spans").EnumerateArray().First();
        Assert.Equal((key.SpanId, "payments", "settle-batch", "crashed"), (first.Str("spanId"), first.Str("service"), first.Str("name"), first.Str("state")));
    }

    private static byte[] Trace(SpanKey key) => new TracesData
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "payments" } } } },
                ScopeSpans =
                {
                    new ScopeSpans
                    {
                        Spans =
                        {
                            new Span
                            {
                                TraceId = ByteString.CopyFrom(Convert.FromHexString(key.TraceId)),
                                SpanId = ByteString.CopyFrom(Convert.FromHexString(key.SpanId)),
                                Name = "settle-batch",
                            },
                        },
                    },
                },
            },
        },
    }.ToByteArray();
}
