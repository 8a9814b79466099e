using System.Diagnostics;
using Google.Protobuf;
using Npgsql;
using NpgsqlTypes;
using PartialCollector.Core.Storage;

namespace PartialCollector.Bench;

/// <summary>
/// Seeds live and expired spans, starts the Receiver against an acknowledging sink, and times the drain;
/// then shows what one collection cycle costs when nothing is expired.
/// </summary>
public static class CollectionBench
{
    public sealed record Result(
        int Expired, int Live, TimeSpan Drain, TimeSpan FirstToLast, double SpansPerSecond, double ReceiverPeakRssMiB, double ReceiverCpuSeconds, string IdlePlan,
        DatabaseCost.PerRecord DrainCost, double ReceiverCpuMicrosPerSpan)
    {
        /// <summary>Reference (c): the database's own claim-and-delete rate on an identical copy of the table, the mean of a run just before the drain and one just after.</summary>
        public double ReferenceRowsPerSecond => (ReferenceBefore + ReferenceAfter) / 2;

        /// <summary>Reference (c) just before the drain, rows/s.</summary>
        public double ReferenceBefore { get; init; }

        /// <summary>Reference (c) just after the drain, rows/s.</summary>
        public double ReferenceAfter { get; init; }

        /// <summary>What each row of reference (c) cost the database.</summary>
        public DatabaseCost.PerRecord? ReferenceCost { get; init; }
    }

    /// <summary>
    /// Copies the seeded table for reference (c) (the columns the original's table has, and its index on expires_at),
    /// as autovacuum would leave it. Taken before the drain, which empties the expired rows it needs.
    /// </summary>
    public static async Task CopyForReferenceAsync(NpgsqlDataSource dataSource, string table)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var copy = new NpgsqlCommand(
            $"""
            DROP TABLE IF EXISTS {table};
            CREATE TABLE {table} AS SELECT trace_id, span_id, trace, "timestamp", expires_at FROM partial_traces;
            CREATE INDEX ON {table} (expires_at);
            """,
            connection)
        { CommandTimeout = 600 })
        {
            await copy.ExecuteNonQueryAsync();
        }

        // VACUUM cannot share a command with other statements.
        await using var vacuum = new NpgsqlCommand($"VACUUM (ANALYZE) {table}", connection) { CommandTimeout = 600 };
        await vacuum.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Reference (c): one statement, 1,000 rows at a time on one connection, deletes the expired rows of a copy of the
    /// seeded table (see <see cref="CopyForReferenceAsync"/>) and returns their traces; the copy is dropped after.
    /// </summary>
    public static async Task<(double RowsPerSecond, DatabaseCost.PerRecord Cost)> ClaimAndDeleteReferenceAsync(NpgsqlDataSource dataSource, DatabaseCost cost, string table)
    {
        // From a checkpoint, as the drain: each pays a full-page image for every page it is the first to change.
        await cost.CheckpointAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        var before = cost.Take(table);
        var started = Stopwatch.GetTimestamp();
        long total = 0;
        int deleted;
        do
        {
            await using var claim = new NpgsqlCommand(
                $"""
                DELETE FROM {table} WHERE ctid IN (
                    SELECT ctid FROM {table} WHERE expires_at < now() ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
                RETURNING trace
                """,
                connection);
            deleted = 0;
            await using var reader = await claim.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                deleted++;
            }

            total += deleted;
        }
        while (deleted > 0);

        var rate = total / Stopwatch.GetElapsedTime(started).TotalSeconds;
        var perRow = DatabaseCost.Per(before, cost.Take(table), total);
        await using var drop = new NpgsqlCommand($"DROP TABLE {table}", connection);
        await drop.ExecuteNonQueryAsync();
        return (rate, perRow);
    }

    public static async Task SeedAsync(NpgsqlDataSource dataSource, SpanPayloads payloads, int live, int expired, ExpiredLayout layout)
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
            var stride = Math.Max(1, total / expired);
            for (var i = 0; i < total; i++)
            {
                var isExpired = layout == ExpiredLayout.Contiguous ? i < expired : i % stride == 0 && i / stride < expired;

                // The expired spans are the same in either layout (payload and expiry by their own ordinal); only
                // where they lie in the heap differs.
                var n = isExpired && layout == ExpiredLayout.Scattered ? i / stride : i;
                var key = n % payloads.Count;
                await writer.StartRowAsync();
                await writer.WriteAsync($"{payloads.TraceIdHex(key)[..24]}{i:x8}", NpgsqlDbType.Text);
                await writer.WriteAsync(payloads.SpanIdHex(key), NpgsqlDbType.Text);
                await writer.WriteAsync(payloads.Traces(key).ToByteArray(), NpgsqlDbType.Bytea);
                await writer.WriteAsync(now.AddMinutes(-2), NpgsqlDbType.TimestampTz);
                // Expired at least a 30-second expiry bucket ago, so every expired row is due when the drain starts.
                await writer.WriteAsync(isExpired ? now.AddSeconds(-91 + (n % 60)) : now.AddHours(1 + (i % 60)), NpgsqlDbType.TimestampTz);
            }

            await writer.CompleteAsync();
        }

        // As autovacuum would have left a long-lived table: hint bits set and visibility map built, so the drain
        // does not pay for the bulk load's first reads.
        await using var analyze = new NpgsqlCommand("VACUUM (ANALYZE) partial_traces", connection);
        await analyze.ExecuteNonQueryAsync();
    }

    public static async Task<Result> RunAsync(
        NpgsqlDataSource dataSource, DatabaseCost cost, string connectionString, string receiverDll, int live, int expired, Dictionary<string, string> receiverEnvironment, SpanPayloads payloads)
    {
        await using var sink = new TraceSink();
        await sink.StartAsync(Ports.Free());
        await sink.WarmUpAsync(WarmUpRequest(payloads), requests: 300);
        await cost.CheckpointAsync();
        var healthPort = Ports.Free();
        var started = Stopwatch.GetTimestamp();
        var environment = new Dictionary<string, string>
        {
            [PartialsConnection.EnvironmentVariable] = connectionString,
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
        while (sink.Spans == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        // The drain's own cost, from its first delivered span: the Receiver's start-up is not collection work.
        var spansAtStart = sink.Spans;
        var receiverCpuAtStart = receiver.CpuSeconds();
        var costAtStart = cost.Take();
        while (sink.Spans < expired && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var drain = Stopwatch.GetElapsedTime(started);
        var firstToLast = Stopwatch.GetElapsedTime(sink.FirstArrival);
        var rss = receiver.PeakRssMiB();
        var cpu = receiver.CpuSeconds();
        var drained = sink.Spans - spansAtStart;
        var drainCost = DatabaseCost.Per(costAtStart, cost.Take(), drained);
        var receiverMicros = (cpu - receiverCpuAtStart) * 1e6 / drained;

        // The rate counts from the first span at the sink: the Receiver's process start is not collection work.
        return new Result(expired, live, drain, firstToLast, sink.Spans / firstToLast.TotalSeconds, rss, cpu, await IdlePlanAsync(dataSource), drainCost, receiverMicros);
    }

    // A request like the Receiver's: a thousand spans of the seeded shape.
    private static byte[] WarmUpRequest(SpanPayloads payloads)
    {
        var request = new OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest();
        for (var key = 0; key < Math.Min(1000, payloads.Count); key++)
        {
            request.ResourceSpans.Add(payloads.Traces(key).ResourceSpans);
        }

        return request.ToByteArray();
    }

    /// <summary>The claim's scan with nothing due: it must touch the expires_bucket index only.</summary>
    private static async Task<string> IdlePlanAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT)
            SELECT trace_id, span_id FROM partial_traces
            WHERE expires_bucket <= timezone('UTC', now())
            ORDER BY expires_bucket LIMIT 1000 FOR UPDATE SKIP LOCKED
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
