using System.Net.Sockets;
using Npgsql;
using PartialCollector.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PartialCollector.Tests.Exporter;

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
    /// at once, so the writer's StopAsync runs while writes are queued: the case where cancelling them at its start
    /// turns committable writes into 503s.
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
            await Poll.UntilAsync(
                () => Task.FromResult(load.Answers.GroupBy(a => a.Transport).Where(g => g.Count(a => a.Kind == AnswerKind.Acknowledged) >= 50).Count()),
                transports => transports == 2,
                what: $"acknowledgements of both transports before the signal; {OtlpLoad.Summary(load.Answers)}");

            // The database turns slow: the table is locked against writes, so every request queues behind it.
            await using var blocker = new NpgsqlConnection(connectionString);
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE partial_traces IN SHARE ROW EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            await Poll.UntilAsync(
                async () => (load.InFlight, Waiting: await WritesWaitingForTheLockAsync(table)),
                s => s.InFlight == Clients && s.Waiting >= 1,
                what: "every client waiting for an answer and the Exporter's writes waiting for the lock");

            await exporter.TerminateAsync();
            terminated = DateTime.UtcNow;

            // The host has begun to stop, and Kestrel takes no new connections: shutdown is under way while the
            // queued writes still wait for the lock.
            await exporter.WaitForOutputAsync("Application is shutting down", TimeSpan.FromSeconds(10));
            await Poll.UntilAsync(() => Task.FromResult(RefusesConnections(exporter.HttpEndpoint)), refused => refused, TimeSpan.FromSeconds(10), "the Exporter to stop accepting connections");
            writesWaitingAtRelease = await WritesWaitingForTheLockAsync(table);

            await transaction.RollbackAsync();
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

        // Never 500 / UNKNOWN, never a request left unanswered: committed, retry, or the connection was refused or closed.
        Assert.True(
            answers.All(a => a.Kind is AnswerKind.Acknowledged or AnswerKind.Unavailable or AnswerKind.ConnectionFailed),
            $"every answer is 200/OK, 503/UNAVAILABLE or a connection failure; {summary}");

        var stored = await table.KeysAsync();
        var acknowledged = answers.Where(a => a.Kind == AnswerKind.Acknowledged).ToList();
        var lost = acknowledged.Where(a => !stored.Contains(a.Key)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged heartbeats are not in partial_traces; {summary}");

        // The requests that were waiting for the database when the signal came were queued before it: they are
        // committed and acknowledged, not cancelled by the shutdown.
        var queued = answers.Where(a => a.Sent < terminated && a.Answered > terminated).ToList();
        Assert.Equal(Clients, queued.Count);
        Assert.True(
            queued.All(a => a.Kind == AnswerKind.Acknowledged && stored.Contains(a.Key)),
            $"of the {queued.Count} requests queued at SIGTERM, {queued.Count(a => a.Kind == AnswerKind.Acknowledged)} were acknowledged and {queued.Count(a => stored.Contains(a.Key))} stored; " +
            $"{OtlpLoad.Summary(queued)}");
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
}
