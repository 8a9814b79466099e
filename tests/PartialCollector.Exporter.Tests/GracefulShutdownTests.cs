using System.Net.Sockets;
using Npgsql;
using PartialCollector.TestSupport;
using Xunit.Abstractions;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// SIGTERM under load, as an orchestrator stops a replica: what was queued before the signal is committed and
/// acknowledged, what could not be committed gets 503 / UNAVAILABLE, and the process exits 0. The Exporter runs as
/// its own process (<c>dotnet PartialCollector.Exporter.dll</c>), so the signal and the exit are the real ones.
/// </summary>
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private const int Clients = 16;
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(20);

    /// <summary>
    /// By default the host stops Kestrel first, which waits for the requests in flight, and only then the
    /// group-commit writer. With <c>servicesStopConcurrently</c> (a host setting an operator may turn on) both stop
    /// at once, so the writer's StopAsync runs while writes are queued: a writer that cancelled its writes there
    /// answered them 503 although they could have been committed.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SigtermUnderLoadCommitsAndAcknowledgesWhatWasQueuedThenExitsZero(bool servicesStopConcurrently)
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("shutdown");
        await using var exporter = await ExporterProcess.StartAsync(
            connectionString,
            new() { ["servicesStopConcurrently"] = servicesStopConcurrently ? "true" : "false" });
        var table = new PartialTracesTable(connectionString);
        var load = OtlpLoad.Start(exporter.GrpcEndpoint, exporter.HttpEndpoint, Clients);
        DateTime terminated, released;
        long writesWaitingAtRelease;
        bool exited;
        IReadOnlyList<LoadAnswer> answers;
        try
        {
            await using var tableLock = await QueueEveryClientBehindATableLockAsync(load, connectionString, table);

            await exporter.TerminateAsync();
            terminated = DateTime.UtcNow;

            // The host has begun to stop, and Kestrel takes no new connections: shutdown is under way while the
            // queued writes still wait for the lock.
            await exporter.WaitForOutputAsync("Application is shutting down", TimeSpan.FromSeconds(10));
            await Poll.UntilAsync(() => Task.FromResult(RefusesConnections(exporter.HttpEndpoint)), refused => refused, TimeSpan.FromSeconds(10), "the Exporter to stop accepting connections");
            writesWaitingAtRelease = await WritesWaitingForTheLockAsync(table);

            await tableLock.DisposeAsync();
            released = DateTime.UtcNow;
            exited = await exporter.WaitForExitAsync(ExitBound);
        }
        finally
        {
            answers = await load.StopAsync();
        }

        var summary = OtlpLoad.Summary(answers);
        output.WriteLine($"SIGTERM {terminated:HH:mm:ss.fff}, lock released {released:HH:mm:ss.fff} with {writesWaitingAtRelease} writes waiting for it; {summary}");
        output.WriteLine(exporter.Output);

        Assert.True(exited, $"the Exporter still runs {ExitBound.TotalSeconds} s after the lock was released; {summary}");
        Assert.True(exporter.ExitCode == 0, $"the Exporter exited {exporter.ExitCode}; its output:\n{exporter.Output}");
        var stored = await AssertAnswersAllowedAndAcknowledgedStoredAsync(answers, table);

        // The requests that were waiting for the database when the signal came were queued before it: they are
        // committed and acknowledged, not cancelled by the shutdown.
        var queued = answers.Where(a => a.Sent < terminated && a.Answered > terminated).ToList();
        Assert.Equal(Clients, queued.Count);
        Assert.True(
            queued.All(a => a.Kind == AnswerKind.Acknowledged && stored.Contains(a.Key)),
            $"of the {queued.Count} requests queued at SIGTERM, {queued.Count(a => a.Kind == AnswerKind.Acknowledged)} were acknowledged and {queued.Count(a => stored.Contains(a.Key))} stored; " +
            $"{OtlpLoad.Summary(queued)}");
    }

    /// <summary>
    /// The database does not answer until the host's shutdown timeout has run out: the process still exits 0 soon
    /// after it, and the requests queued behind the lock, which could not be committed, are not acknowledged (503 /
    /// UNAVAILABLE, or the connection closes when Kestrel gives up waiting for them).
    /// </summary>
    [Fact]
    public async Task SigtermWithTheDatabaseStuckPastTheShutdownTimeoutExitsZeroAndAcknowledgesNothingUncommitted()
    {
        var shutdownTimeout = TimeSpan.FromSeconds(2);
        var connectionString = await (await PostgresServer.GetAsync()).CreateMigratedDatabaseAsync("shutdown");
        await using var exporter = await ExporterProcess.StartAsync(
            connectionString,
            new() { ["shutdownTimeoutSeconds"] = shutdownTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var table = new PartialTracesTable(connectionString);
        var load = OtlpLoad.Start(exporter.GrpcEndpoint, exporter.HttpEndpoint, Clients);
        DateTime terminated, exitedAt;
        bool exited;
        IReadOnlyList<LoadAnswer> answers;
        try
        {
            await using var tableLock = await QueueEveryClientBehindATableLockAsync(load, connectionString, table);

            await exporter.TerminateAsync();
            terminated = DateTime.UtcNow;

            // The lock is held until the process is gone.
            exited = await exporter.WaitForExitAsync(shutdownTimeout + ExitBound);
            exitedAt = DateTime.UtcNow;
        }
        finally
        {
            answers = await load.StopAsync();
        }

        var summary = OtlpLoad.Summary(answers);
        output.WriteLine($"SIGTERM {terminated:HH:mm:ss.fff}, exited {exitedAt:HH:mm:ss.fff}; {summary}");
        output.WriteLine(exporter.Output);

        Assert.True(exited, $"the Exporter still runs {(shutdownTimeout + ExitBound).TotalSeconds} s after SIGTERM with a shutdown timeout of {shutdownTimeout.TotalSeconds} s; {summary}");
        Assert.True(exporter.ExitCode == 0, $"the Exporter exited {exporter.ExitCode}; its output:\n{exporter.Output}");
        await AssertAnswersAllowedAndAcknowledgedStoredAsync(answers, table);

        // The load sends only valid heartbeats: a write the shutdown abandoned is the database's unavailability, never
        // the records' fault (which would answer 400 / INVALID_ARGUMENT, and clients drop what they are told is bad).
        Assert.False(
            exporter.Output.Contains("cannot be stored", StringComparison.Ordinal),
            $"the Exporter refused valid heartbeats as unwritable while shutting down:\n{exporter.Output}");

        var queued = answers.Where(a => a.Sent < terminated && a.Answered > terminated).ToList();
        Assert.Equal(Clients, queued.Count);
        Assert.True(
            queued.All(a => a.Kind != AnswerKind.Acknowledged),
            $"requests queued behind a lock held until the process exited were acknowledged; {OtlpLoad.Summary(queued)}");
    }

    /// <summary>
    /// Waits for the load to be acknowledged on both transports, then locks partial_traces against writes and waits
    /// until every client waits for an answer and the Exporter's writes wait for the lock. Disposing releases it.
    /// </summary>
    private static async Task<TableLock> QueueEveryClientBehindATableLockAsync(OtlpLoad load, string connectionString, PartialTracesTable table)
    {
        await Poll.UntilAsync(
            () => Task.FromResult(load.Answers.GroupBy(a => a.Transport).Count(g => g.Count(a => a.Kind == AnswerKind.Acknowledged) >= 50)),
            transports => transports == 2,
            what: $"acknowledgements of both transports before the signal; {OtlpLoad.Summary(load.Answers)}");

        var tableLock = await TableLock.TakeAsync(connectionString);
        await Poll.UntilAsync(
            async () => (load.InFlight, Waiting: await WritesWaitingForTheLockAsync(table)),
            s => s.InFlight == Clients && s.Waiting >= 1,
            what: "every client waiting for an answer and the Exporter's writes waiting for the lock");
        return tableLock;
    }

    /// <summary>
    /// Never 500 / UNKNOWN, never a request left unanswered: committed, retry, or the connection was refused or
    /// closed; and every acknowledged heartbeat is in partial_traces. Returns the stored keys.
    /// </summary>
    private static async Task<HashSet<PartialCollector.Core.Model.SpanKey>> AssertAnswersAllowedAndAcknowledgedStoredAsync(IReadOnlyList<LoadAnswer> answers, PartialTracesTable table)
    {
        var summary = OtlpLoad.Summary(answers);
        Assert.True(
            answers.All(a => a.Kind is AnswerKind.Acknowledged or AnswerKind.Unavailable or AnswerKind.ConnectionFailed),
            $"every answer is 200/OK, 503/UNAVAILABLE or a connection failure; {summary}");

        var stored = await table.KeysAsync();
        var acknowledged = answers.Where(a => a.Kind == AnswerKind.Acknowledged).ToList();
        var lost = acknowledged.Where(a => !stored.Contains(a.Key)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged heartbeats are not in partial_traces; {summary}");
        return stored;
    }

    /// <summary>Backends of the Exporter's database waiting for a lock (the test's own connection holds it).</summary>
    private static Task<long> WritesWaitingForTheLockAsync(PartialTracesTable table) =>
        table.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");

    private static bool RefusesConnections(Uri endpoint)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(endpoint.Host, endpoint.Port);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    /// <summary>partial_traces locked against writes by an open transaction; disposing rolls it back (once).</summary>
}
