using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.LocalPostgres;
using PartialCollector.TestSupport;
using Xunit.Abstractions;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// PostgreSQL crashes under load (<c>pg_ctl -m immediate stop</c>) and comes back: the Exporter answers 503 /
/// UNAVAILABLE meanwhile, acknowledges again soon after without a restart of its own, and never acknowledges a
/// heartbeat that was not committed. The server is a cluster of this test's own, so the shared one stays up.
/// </summary>
public sealed class PostgresRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 16;
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(10);

    private LocalPostgresCluster cluster = null!;
    private ExporterHost exporter = null!;

    public async Task InitializeAsync()
    {
        // A commit must reach the WAL before it is acknowledged, or the crash itself loses acknowledged rows.
        cluster = await TestClusters.StartAsync("synchronous_commit=on");
        await Migrations.ApplyAsync(cluster.ConnectionString);
        exporter = await ExporterHost.StartAsync(connectionString: cluster.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await exporter.DisposeAsync();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task CrashUnderLoadAnswersUnavailableThenAcknowledgesAgainWithoutLosingAcknowledgedHeartbeats()
    {
        var load = OtlpLoad.Start(exporter.GrpcEndpoint, exporter.HttpEndpoint, Clients);
        DateTime down, restarting, up;
        IReadOnlyList<LoadAnswer> answers;
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(AcknowledgedPerTransport(load.Answers, DateTime.MinValue)), n => n >= 50, what: "acknowledgements of both transports before the crash");

            await cluster.StopAsync(immediate: true);
            down = DateTime.UtcNow;
            // Down long enough for every client to meet the outage a few times.
            await Poll.UntilAsync(
                () => Task.FromResult(Enumerable.Range(0, Clients).Min(c => load.Answers.Count(a => a.Client == c && a.Sent >= down && a.Kind == AnswerKind.Unavailable))),
                n => n >= 3,
                TimeSpan.FromSeconds(10),
                "three 503 / UNAVAILABLE answers for every client while PostgreSQL is down");

            restarting = DateTime.UtcNow;
            await cluster.StartAsync();
            up = DateTime.UtcNow;

            // Poll past the bound, so a slow recovery fails on the assertion below with its time, not on a timeout.
            await Poll.UntilAsync(
                () => Task.FromResult(AcknowledgedPerTransport(load.Answers, up)),
                n => n >= 50,
                RecoveryBound * 3,
                $"acknowledgements of both transports after PostgreSQL is back; {OtlpLoad.Summary(load.Answers.Where(a => a.Sent >= up))}");
        }
        finally
        {
            answers = await load.StopAsync();
        }

        var summary = OtlpLoad.Summary(answers);
        output.WriteLine($"PostgreSQL down {down:HH:mm:ss.fff}, restart {restarting:HH:mm:ss.fff}-{up:HH:mm:ss.fff}; {summary}");

        // Only the two answers a client can act on: committed, or retry.
        Assert.True(
            answers.All(a => a.Kind is AnswerKind.Acknowledged or AnswerKind.Unavailable),
            $"every answer is 200/OK or 503/UNAVAILABLE; {summary}");

        // Sent after the server was gone and answered before it started again: nothing could have been committed.
        var acknowledgedWhileDown = answers.Where(a => a.Sent >= down && a.Answered <= restarting && a.Kind == AnswerKind.Acknowledged).ToList();
        Assert.True(acknowledgedWhileDown.Count == 0, $"{acknowledgedWhileDown.Count} requests acknowledged while PostgreSQL was down; {summary}");

        foreach (var transport in new[] { OtlpTransport.Grpc, OtlpTransport.Http })
        {
            var firstAcknowledged = answers.Where(a => a.Transport == transport && a.Kind == AnswerKind.Acknowledged && a.Answered >= up).Min(a => a.Answered);
            output.WriteLine($"{transport}: first acknowledgement {(firstAcknowledged - up).TotalMilliseconds:F0} ms after the restart");
            Assert.True(
                firstAcknowledged - up <= RecoveryBound,
                $"{transport}: first acknowledgement {(firstAcknowledged - up).TotalSeconds:F1} s after PostgreSQL was back (bound {RecoveryBound.TotalSeconds} s); {summary}");
        }

        // Unpooled: this process's pool still holds the migrations' connections, which the crash broke.
        var acknowledged = answers.Where(a => a.Kind == AnswerKind.Acknowledged).ToList();
        var stored = await new PartialTracesTable(cluster.ConnectionString + ";Pooling=false").KeysAsync();
        var lost = acknowledged.Where(a => !stored.Contains(a.Key)).ToList();
        Assert.True(
            lost.Count == 0,
            $"{lost.Count} of {acknowledged.Count} acknowledged heartbeats are not in partial_traces, e.g. {string.Join(", ", lost.Take(3).Select(a => $"{a.Transport} {a.Key} sent {a.Sent:HH:mm:ss.fff} answered {a.Answered:HH:mm:ss.fff}"))} (down {down:HH:mm:ss.fff}, up {up:HH:mm:ss.fff}); {summary}");
    }

    /// <summary>The fewer of the two transports' acknowledgements answered after <paramref name="since"/>.</summary>
    private static int AcknowledgedPerTransport(IReadOnlyList<LoadAnswer> answers, DateTime since) =>
        new[] { OtlpTransport.Grpc, OtlpTransport.Http }
            .Min(t => answers.Count(a => a.Transport == t && a.Kind == AnswerKind.Acknowledged && a.Answered >= since));
}
