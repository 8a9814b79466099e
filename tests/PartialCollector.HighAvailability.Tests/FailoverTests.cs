using System.Net;
using PartialCollector.Core.Model;
using PartialCollector.LocalPostgres;
using PartialCollector.TestSupport;
using Xunit.Abstractions;

namespace PartialCollector.HighAvailability.Tests;

/// <summary>
/// The deployment docs/deploy.md recommends for high availability, on one machine: a pg_auto_failover monitor, a
/// primary and a synchronous standby, the Exporter and the Receiver given the multi-host connection string
/// (<c>Target Session Attributes=primary;Host Recheck Seconds=1</c>). The primary node crashes under load (its
/// whole process tree killed); the monitor promotes the standby. Neither service is restarted: both run as processes
/// of their own, from their own build outputs and with their own appsettings.json, as deployed. How long the outage
/// lasts is measured by bench/failover.sh (docs/benchmarks.md); here the deadlines are generous, for a loaded machine.
/// </summary>
public sealed class FailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 8;
    private const string Database = "partials";
    private const string LateDatabase = "partials_migrated_during_failover";

    private AutoFailoverCluster cluster = null!;
    private TestTraceSink sink = null!;
    private ExporterProcess exporter = null!;
    private ReceiverProcess receiver = null!;

    public async Task InitializeAsync()
    {
        var bin = PostgresBinaries.Find()
            ?? throw new InvalidOperationException($"This test needs PostgreSQL's binaries: {PostgresBinaries.NotFound}");
        var pgAutoctl = PostgresBinaries.FindPgAutoctl(bin)
            ?? throw new InvalidOperationException($"This test needs pg_auto_failover for the PostgreSQL in {bin} (pg_autoctl and the pgautofailover extension; Debian: apt-get install postgresql-<version>-auto-failover, as .ci/run does).");
        cluster = await AutoFailoverCluster.StartAsync(bin, pgAutoctl, PgAutoFailover.FastFailover);
        output.WriteLine($"formation up: {string.Join(", ", await cluster.StatesAsync())}");

        // The Migrator's own code, on the multi-host string: it creates the database on the primary.
        await Migrations.ApplyAsync(cluster.ConnectionString(Database));
        sink = await TestTraceSink.StartAsync();
        exporter = await ExporterProcess.StartAsync(cluster.ConnectionString(Database));
        receiver = await ReceiverProcess.StartAsync(cluster.ConnectionString(Database), sink.Endpoint, new()
        {
            ["PartialReceiver__GcInterval"] = "200ms",
        });
    }

    public async Task DisposeAsync()
    {
        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }

        if (exporter is not null)
        {
            await exporter.DisposeAsync();
        }

        if (sink is not null)
        {
            await sink.DisposeAsync();
        }

        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task PrimaryCrashUnderLoadFailsOverWithoutLosingAcknowledgedHeartbeatsOrExpiredSpans()
    {
        var oldPrimary = await cluster.PrimaryAsync() ?? throw new InvalidOperationException("no primary after start-up");
        var standby = cluster.NodePorts.Keys.Single(n => n != oldPrimary);
        var connectionString = cluster.ConnectionString(Database);
        var load = OtlpLoad.Start(exporter.GrpcEndpoint, exporter.HttpEndpoint, Clients);
        DateTime crashed;
        List<SpanKey> expiring;
        IReadOnlyList<LoadAnswer> answers;
        Dictionary<SpanKey, int> deliveredBeforeCrash;
        Task migratedDuringFailover = Task.CompletedTask;
        try
        {
            await Poll.UntilAsync(() => Task.FromResult(AcknowledgedPerTransport(load.Answers, DateTime.MinValue)), n => n >= 30, TimeSpan.FromSeconds(60), "acknowledgements of both transports before the crash");

            // Spans whose heartbeats stop now: due 4 s from now, so during the outage (the demote timeout alone is 5 s),
            // and not before the crash even on a stalling machine; committed on the standby too.
            expiring = await ExpiredSpans.SeedAsync(connectionString, 50, name: "expires-during-failover", expiresFromNow: TimeSpan.FromSeconds(4));
            await cluster.CrashAsync(oldPrimary);
            crashed = DateTime.UtcNow;
            deliveredBeforeCrash = new Dictionary<SpanKey, int>(sink.Received);
            output.WriteLine($"{oldPrimary} crashed at {crashed:HH:mm:ss.fff}");

            // A Migrator started now, with no primary: it waits for the promoted standby to take writes.
            migratedDuringFailover = Migrations.ApplyAsync(cluster.ConnectionString(LateDatabase));

            var newPrimary = await Poll.UntilAsync(cluster.PrimaryAsync, p => p is not null && p != oldPrimary, TimeSpan.FromSeconds(90), "the monitor to promote the standby");
            output.WriteLine($"{newPrimary} primary at {DateTime.UtcNow:HH:mm:ss.fff}");

            // Poll well past any outage the docs promise: a slow failover fails below with its figures, not here.
            await Poll.UntilAsync(
                () => Task.FromResult(AcknowledgedPerTransport(load.Answers, crashed)),
                n => n >= 30,
                TimeSpan.FromSeconds(90),
                "acknowledgements of both transports after the failover");
            await Poll.UntilAsync(
                () => Task.FromResult(expiring.Count(sink.Received.ContainsKey)),
                n => n == expiring.Count,
                TimeSpan.FromSeconds(60),
                "the Receiver to deliver every span that expired during the failover");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{OtlpLoad.Summary(load.Answers)}\n{await cluster.DescribeAsync()}", e);
        }
        finally
        {
            answers = await load.StopAsync();
        }

        var summary = OtlpLoad.Summary(answers);
        var firstAfter = answers.Where(a => a.Sent >= crashed && a.Kind == AnswerKind.Acknowledged).Select(a => a.Answered).DefaultIfEmpty().Min();
        output.WriteLine($"first acknowledgement {(firstAfter - crashed).TotalSeconds:F1} s after the crash; refused {answers.Count(a => a.Kind == AnswerKind.Unavailable)}; {summary}");
        output.WriteLine(await cluster.DescribeAsync());

        // The monitor failed over to the standby, and the load met the outage: the crash was real.
        var states = await cluster.StatesAsync();
        Assert.Equal(standby, await cluster.PrimaryAsync());
        Assert.Contains(answers, a => a.Sent >= crashed && a.Kind == AnswerKind.Unavailable);

        // Only the two answers a client can act on: committed, or retry.
        Assert.True(answers.All(a => a.Kind is AnswerKind.Acknowledged or AnswerKind.Unavailable), $"every answer is 200/OK or 503/UNAVAILABLE; {summary}");

        // Every acknowledged heartbeat is on the new primary, or the Receiver delivered it (it expired meanwhile).
        var stored = await new PartialTracesTable(cluster.NodeConnectionString(standby, Database)).KeysAsync();
        var acknowledged = answers.Where(a => a.Kind == AnswerKind.Acknowledged).ToList();
        var lost = acknowledged.Where(a => !stored.Contains(a.Key) && !sink.Received.ContainsKey(a.Key)).ToList();
        Assert.True(
            lost.Count == 0,
            $"{lost.Count} of {acknowledged.Count} acknowledged heartbeats are neither on {standby} nor delivered, e.g. {string.Join(", ", lost.Take(3).Select(a => $"{a.Transport} {a.Key} sent {a.Sent:HH:mm:ss.fff} answered {a.Answered:HH:mm:ss.fff}"))} (crash {crashed:HH:mm:ss.fff}); {summary}; {string.Join(", ", states)}");

        // The spans that expired across the failover were not due before the crash, and are delivered after it.
        Assert.DoesNotContain(expiring, deliveredBeforeCrash.ContainsKey);
        Assert.All(expiring, key => Assert.True(sink.Received.ContainsKey(key)));

        // Both services recovered on their own: healthy, PostgreSQL check included, with no restart.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var (service, endpoint) in new[] { ("Exporter", exporter.HttpEndpoint), ("Receiver", receiver.HttpEndpoint) })
        {
            var status = await Poll.UntilAsync(
                async () =>
                {
                    using var response = await http.GetAsync(new Uri(endpoint, "/health"));
                    return response.StatusCode;
                },
                s => s == HttpStatusCode.OK,
                TimeSpan.FromSeconds(30),
                $"the {service}'s /health after the failover");
            Assert.Equal(HttpStatusCode.OK, status);
        }

        // The Migrator started during the failover waited for the new primary and migrated the database there.
        await migratedDuringFailover.WaitAsync(TimeSpan.FromSeconds(60));
        var scripts = typeof(PartialCollector.Migrator.SchemaMigrator).Assembly.GetManifestResourceNames().Count(n => n.EndsWith(".sql", StringComparison.Ordinal));
        Assert.Equal(scripts, await new PartialTracesTable(cluster.NodeConnectionString(standby, LateDatabase)).ScalarAsync<long>("SELECT count(*) FROM schemaversions"));

        var duplicates = sink.Received.Count(kv => kv.Value > 1);
        output.WriteLine($"Receiver: {sink.Received.Count} spans delivered, {duplicates} more than once");
    }

    /// <summary>The fewer of the two transports' acknowledgements answered after <paramref name="since"/>.</summary>
    private static int AcknowledgedPerTransport(IReadOnlyList<LoadAnswer> answers, DateTime since) =>
        new[] { OtlpTransport.Grpc, OtlpTransport.Http }
            .Min(t => answers.Count(a => a.Transport == t && a.Kind == AnswerKind.Acknowledged && a.Answered >= since));
}
