using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>A dead letter keeps the tenant of its span, whether the row was moved there or copied after a partial success.</summary>
public sealed class TenantDeadLetterTests
{
    [Fact]
    public async Task MovedAndCopiedDeadLettersKeepTheirSpansTenant()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_dl_tenant");
        var poisonOfA = (await ExpiredSpans.SeedAsync(connectionString, 1, name: "poison", tenant: "a")).Single();
        var poisonOfNobody = (await ExpiredSpans.SeedAsync(connectionString, 1, name: "poison")).Single();
        var goodOfB = await ExpiredSpans.SeedAsync(connectionString, 3, tenant: "b");
        await using var sink = await TestTraceSink.StartAsync();
        sink.RejectSpanNamed = "poison";
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var moved = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, moved.DeadLettered);
        Assert.Equal(goodOfB.ToHashSet(), sink.Received.Keys.ToHashSet());
        Assert.Equal(
            new Dictionary<string, string?> { [poisonOfA.SpanId] = "a", [poisonOfNobody.SpanId] = null },
            await ExpiredSpans.DeadLetterTenantsAsync(connectionString));

        // Delivered, but the downstream rejected one of them: every span of the request is copied, with its tenant.
        var rejectedInPart = await ExpiredSpans.SeedAsync(connectionString, 2, tenant: "c");
        sink.RejectSpanNamed = null;
        sink.RejectSpans = 1;

        var copied = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, copied.Delivered);
        var tenants = await ExpiredSpans.DeadLetterTenantsAsync(connectionString);
        Assert.Equal(4, tenants.Count);
        Assert.All(rejectedInPart, key => Assert.Equal("c", tenants[key.SpanId]));
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }
}
