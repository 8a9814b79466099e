using System.Text.Json;
using PartialCollector.Receiver.Collection;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

/// <summary>End to end against a real OTLP backend: the Aspire dashboard, over both OTLP transports.</summary>
public sealed class DashboardDeliveryTests
{
    // The dashboard's OTLP/HTTP endpoint answers 500 to gzip bodies, so HTTP compression is covered by DeliveryOutcomeTests.
    [Theory]
    [InlineData("grpc", "none")]
    [InlineData("grpc", "gzip")]
    [InlineData("http/protobuf", "none")]
    public async Task ExpiredSpanArrivesMarkedAsCollectedAndItsRowIsGone(string protocol, string compression)
    {
        var dashboard = await AspireDashboard.GetAsync();
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_dash");
        var name = $"crashed-{protocol.Replace('/', '-')}-{Guid.NewGuid():N}";
        const long heartbeatAt = 1_700_000_050_000_000_000;
        var key = (await ExpiredSpans.SeedAsync(connectionString, 1, name, observed: heartbeatAt)).Single();
        var endpoint = protocol == "grpc" ? dashboard.OtlpGrpcUrl : dashboard.OtlpHttpUrl;
        await using var receiver = ReceiverHarness.Create(
            connectionString,
            endpoint,
            new Dictionary<string, string?> { ["PartialReceiver:Downstream:Protocol"] = protocol, ["PartialReceiver:Downstream:Compression"] = compression });

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Empty(await ExpiredSpans.DeadLetterReasonsAsync(connectionString));
        Assert.Equal(new CycleResult(1, 1, 0, 0, 0, 1, null), result);
        var span = await dashboard.WaitForSpanAsync(key.TraceId, key.SpanId, TimeSpan.FromSeconds(30));
        Assert.True(span.HasValue, $"span {key} did not arrive at the dashboard");
        var s = span.Value;
        Assert.Equal(name, s.GetProperty("name").GetString());
        Assert.Equal("true", Attribute(s, "partial.gc"));
        Assert.Equal(heartbeatAt.ToString(System.Globalization.CultureInfo.InvariantCulture), Number(s.GetProperty("endTimeUnixNano")));
        var status = s.GetProperty("status");
        Assert.Equal(2, status.GetProperty("code").GetInt32());
        Assert.Equal(SpanDecorator.ErrorMessage, status.GetProperty("message").GetString());
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
    }

    private static string? Attribute(JsonElement span, string key)
    {
        foreach (var attribute in span.GetProperty("attributes").EnumerateArray())
        {
            if (attribute.GetProperty("key").GetString() == key)
            {
                var value = attribute.GetProperty("value");
                return value.TryGetProperty("stringValue", out var text) ? text.GetString()
                    : value.TryGetProperty("boolValue", out var flag) ? (flag.GetBoolean() ? "true" : "false")
                    : value.ToString();
            }
        }

        return null;
    }

    private static string Number(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
