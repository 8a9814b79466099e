using System.Diagnostics;
using Google.Protobuf;
using Npgsql;
using NpgsqlTypes;

namespace PartialCollector.Bench;

/// <summary>
/// Seeds live and expired spans, starts the Receiver against an acknowledging sink, and times the drain;
/// then shows what one collection cycle costs when nothing is expired.
/// </summary>
public static class CollectionBench
{
    public sealed record Result(int Expired, int Live, TimeSpan Drain, TimeSpan FirstToLast, double SpansPerSecond, double ReceiverPeakRssMiB, double ReceiverCpuSeconds, string IdlePlan);

    public static async Task SeedAsync(NpgsqlDataSource dataSource, SpanPayloads payloads, int live, int expired)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var truncate = new NpgsqlCommand("TRUNCATE partial_traces", connection))
        {
            await truncate.ExecuteNonQueryAsync();
        }

        var now = DateTime.UtcNow;
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY partial_traces (trace_id, span_id, trace, \"timestamp\", expires_at) FROM STDIN (FORMAT BINARY)"))
        {
            var total = live + expired;
            for (var i = 0; i < total; i++)
            {
                var key = i % payloads.Count;
                var isExpired = i < expired;
                await writer.StartRowAsync();
                await writer.WriteAsync($"{payloads.TraceIdHex(key)[..24]}{i:x8}", NpgsqlDbType.Text);
                await writer.WriteAsync(payloads.SpanIdHex(key), NpgsqlDbType.Text);
                await writer.WriteAsync(payloads.Traces(key).ToByteArray(), NpgsqlDbType.Bytea);
                await writer.WriteAsync(now.AddMinutes(-2), NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(isExpired ? now.AddSeconds(-60 + (i % 60)) : now.AddHours(1 + (i % 60)), NpgsqlDbType.TimestampTz);
            }

            await writer.CompleteAsync();
        }

        // As autovacuum would have left a long-lived table: hint bits set and visibility map built, so the drain
        // does not pay for the bulk load's first reads.
        await using var analyze = new NpgsqlCommand("VACUUM (ANALYZE) partial_traces", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    public static async Task<Result> RunAsync(
        NpgsqlDataSource dataSource, string connectionString, string receiverDll, int live, int expired, Dictionary<string, string> receiverEnvironment)
    {
        await using var sink = new TraceSink();
        await sink.StartAsync(Ports.Free());
        var healthPort = Ports.Free();
        var started = Stopwatch.GetTimestamp();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__partials"] = connectionString,
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{healthPort}",
            ["PartialReceiver__Downstream__Endpoint"] = sink.Endpoint.ToString(),
            ["PartialReceiver__Downstream__Protocol"] = "grpc",
            ["PartialReceiver__GcInterval"] = "1s",
        };
        foreach (var (key, value) in receiverEnvironment)
        {
            environment[key] = value;
        }

        await using var receiver = await ServiceProcess.StartAsync(receiverDll, environment, new Uri($"http://127.0.0.1:{healthPort}/alive"));
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (sink.Spans < expired && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var drain = Stopwatch.GetElapsedTime(started);
        var firstToLast = Stopwatch.GetElapsedTime(sink.FirstArrival);
        var rss = receiver.PeakRssMiB();
        var cpu = receiver.CpuSeconds();

        // The rate counts from the first span at the sink: the Receiver's process start is not collection work.
        return new Result(expired, live, drain, firstToLast, sink.Spans / firstToLast.TotalSeconds, rss, cpu, await IdlePlanAsync(dataSource));
    }

    /// <summary>The claim's scan with nothing expired: it must touch the expires_at index only.</summary>
    private static async Task<string> IdlePlanAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT)
            SELECT trace_id, span_id FROM partial_traces WHERE expires_at < now() ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED
            """);
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join(Environment.NewLine, lines);
    }
}
