using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Core.Storage;
using Xunit.Abstractions;

namespace PartialCollector.AppHost.Tests;

/// <summary>
/// The opt-in <c>Database:HighAvailability=true</c>: the AppHost runs a pg_auto_failover monitor and two nodes from
/// the machine's binaries as executable resources and gives the services the multi-host connection string. The
/// primary is stopped as the dashboard's Stop button does; the monitor promotes the standby and the Exporter
/// acknowledges again, with no restart.
/// </summary>
public sealed class HighAvailabilityTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_services_ride_through_stopping_the_primary_node_from_the_dashboard()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var cancellationToken = timeout.Token;
        var dataDirectory = Path.Combine(Path.GetTempPath(), "partialcollector-apphost-ha-test-" + Guid.NewGuid().ToString("N")[..12]);
        string[] args =
        [
            "--Database:HighAvailability=true",
            "--Demo:Enabled=false",
            $"--{PartialsConnection.ConfigurationKey}=", // not an existing server from the environment: the AppHost's own
            $"--LocalAutoFailover:DataDirectory={dataDirectory}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
        ];

        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PartialCollector_AppHost>(args, cancellationToken);
            var executables = builder.Resources.OfType<ExecutableResource>().Select(r => r.Name).ToList();
            Assert.Contains("pg-monitor", executables);
            Assert.Contains("pg-node-a", executables);
            Assert.Contains("pg-node-b", executables);
            var connectionString = await builder.Resources.OfType<IResourceWithConnectionString>().Single(r => r.Name == PartialsConnection.Name).GetConnectionStringAsync(cancellationToken);
            var hosts = new NpgsqlConnectionStringBuilder(connectionString);
            Assert.Equal(2, hosts.Host!.Split(',').Length);
            Assert.Equal("primary", hosts.TargetSessionAttributes);
            Assert.Equal(1, hosts.HostRecheckSeconds);
            var tenantKey = await builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "demo-tenant-key").GetValueAsync(cancellationToken);

            await using var app = await builder.BuildAsync(cancellationToken);
            await app.StartAsync(cancellationToken);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("exporter", cancellationToken);
            var monitor = app.GetEndpoint("pg-monitor", "tcp");
            var monitorConnection = $"Host=127.0.0.1;Port={monitor.Port};Username=autoctl_node;Database=pg_auto_failover;Pooling=false";
            var primary = await PollAsync(() => PrimaryAsync(monitorConnection), p => p is not null, "a primary", cancellationToken);
            var standby = primary == "pg-node-a" ? "pg-node-b" : "pg-node-a";
            await PollAsync(() => StandbyCountAsync(monitorConnection), n => n == 1, "a secondary", cancellationToken);

            using var channel = GrpcChannel.ForAddress(app.GetEndpoint("exporter", "OtlpGrpc"));
            var logs = new LogsService.LogsServiceClient(channel);
            var headers = new Metadata { { "authorization", $"Bearer {tenantKey}" } };
            await logs.ExportAsync(Heartbeat(), headers, cancellationToken: cancellationToken);

            // The dashboard's Stop: pg_autoctl shuts its node down; nothing tells the monitor, which fails over.
            var stopped = primary!;
            output.WriteLine($"stopping {stopped}, the primary");
            var result = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(stopped, KnownResourceCommands.StopCommand, cancellationToken);
            Assert.True(result.Success, result.Message);
            var since = DateTime.UtcNow;

            var refused = 0;
            await PollAsync(
                async () =>
                {
                    try
                    {
                        await logs.ExportAsync(Heartbeat(), headers, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
                        return true;
                    }
                    catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable)
                    {
                        refused++;
                        return false;
                    }
                },
                acknowledged => acknowledged,
                "an acknowledgement on the new primary",
                cancellationToken);
            output.WriteLine($"acknowledged again {(DateTime.UtcNow - since).TotalSeconds:F1} s after the stop, {refused} requests refused meanwhile");

            Assert.True(refused > 0, "the Exporter met the outage (503 / UNAVAILABLE) before acknowledging again");

            // The promoted node takes writes a moment before its keeper reports the new state to the monitor.
            Assert.Equal(standby, await PollAsync(() => PrimaryAsync(monitorConnection), p => p == standby, $"the monitor to report {standby} as primary", cancellationToken));
        }
        finally
        {
            await RemoveDataDirectoryAsync(dataDirectory);
        }
    }

    private static ExportLogsServiceRequest Heartbeat() =>
        AppHostEndToEndTests.Heartbeat("apphost-ha-test", RandomNumberGenerator.GetBytes(16), frequency: "5s");

    private static async Task<T> PollAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, CancellationToken cancellationToken)
    {
        T value;
        while (!done(value = await probe()))
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting for {what}; last value: {value}");
            }

            await Task.Delay(200, CancellationToken.None);
        }

        return value;
    }

    private static async Task<string?> PrimaryAsync(string monitor) =>
        await ScalarAsync(monitor, "SELECT nodename FROM pgautofailover.node WHERE reportedstate IN ('primary', 'wait_primary', 'single') AND reportedstate = goalstate LIMIT 1") as string;

    private static async Task<long> StandbyCountAsync(string monitor) =>
        await ScalarAsync(monitor, "SELECT count(*) FROM pgautofailover.node WHERE reportedstate = 'secondary' AND goalstate = 'secondary'") as long? ?? 0;

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return await command.ExecuteScalarAsync();
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>The AppHost stopped pg_autoctl (and so PostgreSQL) on dispose; remove the data once they are gone.</summary>
    private static async Task RemoveDataDirectoryAsync(string root)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Directory.Exists(root))
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && DateTime.UtcNow < deadline)
            {
                // A node still shutting down writes its last files: try again.
                await Task.Delay(200);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }
}
