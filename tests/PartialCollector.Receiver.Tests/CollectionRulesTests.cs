using Npgsql;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Tests.Infrastructure;
using PartialCollector.TestSupport;

namespace PartialCollector.Receiver.Tests;

public sealed class CollectionRulesTests
{
    [Fact]
    public async Task StoppedAndLiveSpansAreNeverDelivered()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_rules");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var writer = new SpanWriteStore(dataSource);
        var live = Spans.NewKey();
        var stopped = Spans.NewKey();
        var expired = (await ExpiredSpans.SeedAsync(connectionString, 1)).Single();
        var batch = new WriteBatch();
        batch.Add(Spans.Heartbeat(live, TimeSpan.FromMinutes(10)));
        batch.Add(Spans.Heartbeat(stopped, TimeSpan.FromSeconds(1)));
        await writer.WriteAsync(batch, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
        var stop = new WriteBatch();
        stop.Add(Spans.Stop(stopped));
        await writer.WriteAsync(stop, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(1, result.Delivered);
        Assert.Equal([expired], sink.Received.Keys);
        Assert.NotNull(await new PartialTracesTable(connectionString).FindAsync(live));
    }

    [Fact]
    public async Task AStopsTombstoneIsNeverCollectedAndIsPurgedAfterItsRetention()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_tombstone");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var writer = new SpanWriteStore(dataSource);
        var key = Spans.NewKey();
        var batch = new WriteBatch();
        batch.Add(Spans.Heartbeat(key, TimeSpan.FromSeconds(1)));
        await writer.WriteAsync(batch, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
        var stop = new WriteBatch();
        stop.Add(Spans.Stop(key));
        await writer.WriteAsync(stop, 3, TimeSpan.FromMinutes(5), CancellationToken.None);

        // Long after the stop, as the writer left it but for the clock: retention over, expiry untouched.
        var table = new PartialTracesTable(connectionString);
        await table.ExecuteAsync("""UPDATE partial_traces SET "timestamp" = now() - interval '1 hour', stopped_until = now() - interval '1 second'""");
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, result.Collected);
        Assert.Empty(sink.Received);
        Assert.Equal(0, await table.CountTombstonesAsync());
    }

    [Fact]
    public async Task HeartbeatArrivingWhileTheSpanIsClaimedKeepsTheSpanAlive()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_revive");
        var key = (await ExpiredSpans.SeedAsync(connectionString, 1, observed: 100)).Single();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var writer = new SpanWriteStore(dataSource);
        var downstream = new DelegateTraceExporter(async _ =>
        {
            // The span's process was only slow: its next heartbeat lands while the receiver is sending.
            var heartbeat = new WriteBatch();
            heartbeat.Add(Spans.Heartbeat(key, TimeSpan.FromMinutes(1), observed: 200, name: "revived"));
            await writer.WriteAsync(heartbeat, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
            return new ExportOutcome.Delivered();
        });
        await using var receiver = ReceiverHarness.Create(connectionString, "http://127.0.0.1:1", exporter: downstream);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        // Sent (the downstream has it) and recorded as collected, and running again: the heartbeat wrote it anew.
        Assert.Equal(1, result.Delivered);
        Assert.Equal(0, result.DeadLettered);
        var row = await new PartialTracesTable(connectionString).FindAsync(key);
        Assert.NotNull(row);
        Assert.Equal("revived", row.Trace.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);
        Assert.True(row.ExpiresAt > DateTime.UtcNow.AddSeconds(30), "the heartbeat's expiry stands, not the lease");
        Assert.Equal(0, await ExpiredSpans.DeadLetterCountAsync(connectionString));
    }

    [Fact]
    public async Task HeartbeatArrivingWhileAFailedSendIsHandedBackKeepsItsNewExpiry()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_revive2");
        var key = (await ExpiredSpans.SeedAsync(connectionString, 1, observed: 100)).Single();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var writer = new SpanWriteStore(dataSource);
        var downstream = new DelegateTraceExporter(async _ =>
        {
            var heartbeat = new WriteBatch();
            heartbeat.Add(Spans.Heartbeat(key, TimeSpan.FromMinutes(1), observed: 200));
            await writer.WriteAsync(heartbeat, 3, TimeSpan.FromMinutes(5), CancellationToken.None);
            return new ExportOutcome.Retryable("down");
        });
        await using var receiver = ReceiverHarness.Create(connectionString, "http://127.0.0.1:1", exporter: downstream);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(1, result.Released);
        var row = await new PartialTracesTable(connectionString).FindAsync(key);
        Assert.True(row!.ExpiresAt > DateTime.UtcNow.AddSeconds(30));

        // The handed-back batch is due again at once, but its span is running again: it is not sent.
        var sent = 0;
        await using var recovered = ReceiverHarness.Create(connectionString, "http://127.0.0.1:1", exporter: new DelegateTraceExporter(request =>
        {
            Interlocked.Increment(ref sent);
            return Task.FromResult<ExportOutcome>(new ExportOutcome.Delivered());
        }));
        Assert.Equal(0, (await recovered.Cycle.RunOnceAsync(CancellationToken.None)).Collected);
        Assert.Equal(0, sent);
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync("partial_collection_batches"));
    }

    [Fact]
    public async Task UndecodableAndEmptyRowsAreDeadLetteredWithAReasonAndTheirNeighboursDelivered()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_bad");
        var good = (await ExpiredSpans.SeedAsync(connectionString, 1)).Single();
        var garbage = Spans.NewKey();
        var empty = Spans.NewKey();
        await new PartialTracesTable(connectionString).ExecuteAsync($"""
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at) VALUES
                ('{garbage.TraceId}', '{garbage.SpanId}', '\xdeadbeef'::bytea, now() - interval '1 minute'),
                ('{empty.TraceId}', '{empty.SpanId}', '\x'::bytea, now() - interval '1 minute')
            """);
        await using var sink = await TestTraceSink.StartAsync();
        await using var receiver = ReceiverHarness.Create(connectionString, sink.Endpoint);

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(1, result.Delivered);
        Assert.Equal(2, result.DeadLettered);
        Assert.Equal([good], sink.Received.Keys);
        Assert.Equal(0, await new PartialTracesTable(connectionString).CountAsync());
        Assert.Equal(1, await ExpiredSpans.DeadLetterCountAsync(connectionString, "not a protobuf TracesData"));
        Assert.Equal(1, await ExpiredSpans.DeadLetterCountAsync(connectionString, "stored trace is empty"));

        // Only the delivered span keeps a crash record (the live view's list); the batch is closed.
        var table = new PartialTracesTable(connectionString);
        Assert.Equal(good.SpanId, await table.ScalarAsync<string>("SELECT string_agg(span_id, ',') FROM partial_collected"));
        Assert.Equal(0, await table.CountAsync("partial_collection_batches"));
    }

    [Fact]
    public async Task BacklogGaugeCountsExpiredRowsAndTombstonesArePurged()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("recv_backlog");
        await ExpiredSpans.SeedAsync(connectionString, 5);
        var table = new PartialTracesTable(connectionString);
        await table.ExecuteAsync("""
            INSERT INTO partial_traces (trace_id, span_id, trace, expires_at, stopped_until)
            VALUES ('a', 'b', '\x', 'infinity', now() - interval '1 second'), ('c', 'd', '\x', 'infinity', now() + interval '1 hour')
            """);
        await using var receiver = ReceiverHarness.Create(
            connectionString, "http://127.0.0.1:1", exporter: new DelegateTraceExporter(_ => Task.FromResult<ExportOutcome>(new ExportOutcome.Retryable("down"))));

        var result = await receiver.Cycle.RunOnceAsync(CancellationToken.None);

        Assert.Equal(5, result.Released);
        var backlog = receiver.Get<PartialCollector.Receiver.Telemetry.ReceiverMetrics>().Backlog;
        Assert.Equal(5, backlog.Expired);
        Assert.True(backlog.OldestAge >= TimeSpan.FromSeconds(50), $"oldest age {backlog.OldestAge}");
        Assert.Equal(1, await table.CountTombstonesAsync());
        Assert.Equal(5, await table.CountUndeliveredAsync());
    }
}
