using Google.Protobuf;
using Npgsql;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>Each heartbeat stores, in columns of their own, what the live view shows: service, name, start, frequency.</summary>
public sealed class SpanSummaryTests : IAsyncLifetime
{
    private ExporterHost exporter = null!;

    public async Task InitializeAsync() => exporter = await ExporterHost.StartAsync();

    public async Task DisposeAsync() => await exporter.DisposeAsync();

    [Fact]
    public async Task HeartbeatsStoreServiceNameStartAndFrequencyAndAStopKeepsThem()
    {
        using var client = new LogsClient(exporter);
        var key = Spans.NewKey();

        // The body's resource names the service; the log's resource only fills in what the body lacks.
        await client.ExportAsync(Request(Heartbeat(Traces(key, "nightly-import"), "2500ms")));
        var running = await ReadAsync(key);
        await client.PostAsync(Request(Stop(Traces(key))).ToByteArray());
        var stopped = await ReadAsync(key);

        var expected = ("test-service", "nightly-import", DateTime.UnixEpoch.AddTicks(1_700_000_000_000_000_000 / 100), TimeSpan.FromMilliseconds(2500));
        Assert.Equal(expected, running);
        Assert.Equal(expected, stopped);
    }

    private async Task<(string, string, DateTime, TimeSpan)> ReadAsync(Core.Model.SpanKey key)
    {
        await using var connection = new NpgsqlConnection(exporter.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT service_name, span_name, start_time, frequency FROM partial_traces WHERE trace_id = @t AND span_id = @s", connection);
        command.Parameters.AddWithValue("t", key.TraceId);
        command.Parameters.AddWithValue("s", key.SpanId);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTime>(2), reader.GetFieldValue<TimeSpan>(3));
    }
}
