using PartialCollector.Core.Model;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>
/// <c>Downstream:TenantHeader</c>, seen by a real OTLP sink over gRPC and HTTP: each request holds one tenant's spans
/// and carries its name; spans without a tenant go without the header; unset, a batch still mixes tenants.
/// </summary>
public sealed class TenantRoutingTests
{
    private const string OrgId = "x-scope-orgid";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EachTenantsSpansArriveInRequestsOfTheirOwnCarryingItsName(bool overHttp)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_tenant_route");
        var seeded = await SeedMixedAsync(connectionString);
        await using var sink = await TestTraceSink.StartAsync(overHttp);
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint, Settings(overHttp, "X-Scope-OrgID", "x-static=kept"));

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(7, result.Delivered);
        var requests = sink.Log.ToList();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.True(r.Accepted));
        Assert.All(requests, r => Assert.Equal("kept", r.Headers["x-static"]));
        Assert.Equal(seeded["a"], Assert.Single(requests, r => r.Headers.GetValueOrDefault(OrgId) == "a").Spans.ToHashSet());
        Assert.Equal(seeded["b"], Assert.Single(requests, r => r.Headers.GetValueOrDefault(OrgId) == "b").Spans.ToHashSet());
        Assert.Equal(seeded[""], Assert.Single(requests, r => !r.Headers.ContainsKey(OrgId)).Spans.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithoutATenantHeaderAMixedBatchIsStillOneRequest(bool overHttp)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_tenant_mixed");
        var seeded = await SeedMixedAsync(connectionString);
        await using var sink = await TestTraceSink.StartAsync(overHttp);
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint, Settings(overHttp, tenantHeader: null, headers: null));

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(7, result.Delivered);
        var request = Assert.Single(sink.Log);
        Assert.Equal(seeded.Values.SelectMany(k => k).ToHashSet(), request.Spans.ToHashSet());
        Assert.False(request.Headers.ContainsKey(OrgId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TheTenantsNameReplacesAConfiguredHeaderOfTheSameNameForItsRequestOnly(bool overHttp)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_tenant_static");
        var ofA = await ExpiredSpans.SeedAsync(connectionString, 2, tenant: "a");
        var ofNobody = await ExpiredSpans.SeedAsync(connectionString, 2);
        await using var sink = await TestTraceSink.StartAsync(overHttp);
        await using var receiver = ReceiverHarness.Create(
            connectionString, sink.Endpoint, Settings(overHttp, "X-Scope-OrgID", "X-Scope-OrgID=shared,x-static=kept"));

        await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        var requests = sink.Log.ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal(ofA.ToHashSet(), Assert.Single(requests, r => r.Headers[OrgId] == "a").Spans.ToHashSet());
        Assert.Equal(ofNobody.ToHashSet(), Assert.Single(requests, r => r.Headers[OrgId] == "shared").Spans.ToHashSet());
        Assert.All(requests, r => Assert.Equal("kept", r.Headers["x-static"]));
    }

    [Fact]
    public async Task TheByteBoundAndHalvingOnRefusalApplyWithinEachTenantsPart()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_tenant_split");
        var large = await ExpiredSpans.SeedAsync(connectionString, 6, paddingBytes: 20 * 1024, tenant: "a");
        var small = await ExpiredSpans.SeedAsync(connectionString, 10, tenant: "b");
        var poison = (await ExpiredSpans.SeedAsync(connectionString, 1, name: "poison", tenant: "b")).Single();
        small.AddRange(await ExpiredSpans.SeedAsync(connectionString, 10, tenant: "b"));
        var ofNobody = await ExpiredSpans.SeedAsync(connectionString, 3);
        var owners = large.ToDictionary(k => k, _ => (string?)"a");
        small.ForEach(k => owners[k] = "b");
        owners[poison] = "b";
        ofNobody.ForEach(k => owners[k] = null);
        await using var sink = await TestTraceSink.StartAsync();
        sink.RejectSpanNamed = "poison";
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint, new Dictionary<string, string?>
        {
            ["PartialReceiver:Downstream:TenantHeader"] = "X-Scope-OrgID",
            ["PartialReceiver:MaxBatchBytes"] = "65536",
        });

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(large.Count + small.Count + ofNobody.Count, result.Delivered);
        Assert.Equal(1, result.DeadLettered);
        Assert.Equal(large.Concat(small).Concat(ofNobody).ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.All(sink.Received.Values, n => Assert.Equal(1, n));
        Assert.InRange(sink.LargestRequest, 20 * 1024, 65536);

        // Every request, refused ones too, holds the spans of the tenant its header names, and of no other.
        var requests = sink.Log.ToList();
        Assert.All(requests, r => Assert.All(r.Spans, key => Assert.Equal(owners[key], r.Headers.GetValueOrDefault(OrgId))));
        Assert.True(requests.Count(r => r.Headers.GetValueOrDefault(OrgId) == "a") >= 2, "120 KB of a's spans under a 64 KiB bound take two requests");
        Assert.InRange(requests.Count(r => !r.Accepted), 2, 8);
        Assert.All(requests.Where(r => !r.Accepted), r => Assert.Equal("b", r.Headers[OrgId]));
        Assert.Equal(new Dictionary<string, string?> { [poison.SpanId] = "b" }, await ExpiredSpans.DeadLetterTenantsAsync(connectionString));
    }

    [Fact]
    public async Task RowsOfATenantThatCannotTravelInAHeaderAreDeadLetteredAndTheRestDelivered()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_tenant_bad");
        var good = await ExpiredSpans.SeedAsync(connectionString, 2, tenant: "a");
        var unroutable = (await ExpiredSpans.SeedAsync(connectionString, 1)).Single();

        // Another writer stored a tenant that no header can carry.
        await new PartialTracesTable(connectionString).ScalarAsync<int>(
            "WITH u AS (UPDATE partial_traces SET tenant = E'two\\nlines' WHERE span_id = @s RETURNING 1) SELECT count(*)::int FROM u",
            ("s", unroutable.SpanId));
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = ReceiverHarness.Create(
            connectionString, sink.Endpoint, new Dictionary<string, string?> { ["PartialReceiver:Downstream:TenantHeader"] = "X-Scope-OrgID" });

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(2, result.Delivered);
        Assert.Equal(good.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.Contains("cannot travel in the X-Scope-OrgID header", Assert.Single(await ExpiredSpans.DeadLetterReasonsAsync(connectionString)));
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }

    /// <summary>Spans of tenants a and b and of no tenant (key ""), interleaved in expiry order, all due together.</summary>
    private static async Task<Dictionary<string, HashSet<SpanKey>>> SeedMixedAsync(string connectionString)
    {
        var seeded = new Dictionary<string, HashSet<SpanKey>> { ["a"] = [], ["b"] = [], [""] = [] };
        foreach (var (tenant, count) in new[] { ("a", 2), ("b", 1), (string.Empty, 2), ("b", 1), ("a", 1) })
        {
            seeded[tenant].UnionWith(await ExpiredSpans.SeedAsync(connectionString, count, tenant: tenant.Length == 0 ? null : tenant));
        }

        return seeded;
    }

    private static Dictionary<string, string?> Settings(bool overHttp, string? tenantHeader, string? headers) => new()
    {
        ["PartialReceiver:Downstream:Protocol"] = overHttp ? "http/protobuf" : "grpc",
        ["PartialReceiver:Downstream:TenantHeader"] = tenantHeader,
        ["PartialReceiver:Downstream:Headers"] = headers,
    };
}
