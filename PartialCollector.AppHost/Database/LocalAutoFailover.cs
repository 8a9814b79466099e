using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PartialCollector.LocalPostgres;

namespace PartialCollector.AppHost.Database;

/// <summary>
/// The opt-in <c>Database:HighAvailability=true</c> (run mode): the deployment docs/deploy.md section 8 recommends,
/// on this machine, from its binaries (Debian: <c>postgresql-15-auto-failover</c>). A pg_auto_failover monitor and
/// two data nodes, each one <c>pg_autoctl create ... --run</c> executable resource (<c>pg-monitor</c>,
/// <c>pg-node-a</c>, <c>pg-node-b</c>), so the dashboard shows their state and logs and a developer can stop the
/// primary there and watch the services ride through the failover. The services get the multi-host connection
/// string. Data and pg_autoctl's own files live in <c>.pgdata-ha/</c> beside the AppHost project (kept across runs;
/// delete it to start over), ports are chosen on first use and kept (the monitor knows nodes by host and port).
/// Development only: everything listens on 127.0.0.1 with trust authentication.
/// </summary>
internal static class LocalAutoFailover
{
    public const string Setting = "Database:HighAvailability";
    public const string Section = "LocalAutoFailover";
    public const string MonitorResource = "pg-monitor";
    public static readonly string[] NodeResources = ["pg-node-a", "pg-node-b"];

    public static PartialsDatabase Add(IDistributedApplicationBuilder builder, string binDirectory, string pgAutoctl, string connectionName)
    {
        var root = LocalPostgres.DataRoot(builder, Section, ".pgdata-ha");
        Directory.CreateDirectory(root);
        PostgresUser.Give(root);

        var ports = Ports(root);
        var environment = PgAutoFailover.Environment(root, binDirectory);
        var monitorData = Path.Combine(root, "monitor");
        PrepareMonitor(monitorData);

        // pg_autoctl create is idempotent: the first run creates the node, later runs (and restarts from the dashboard) run it.
        var monitor = AddNode(builder, MonitorResource, pgAutoctl, PgAutoFailover.MonitorArguments(binDirectory, monitorData, ports[0]), ports[0], environment);
        var nodes = NodeResources.Select((name, i) => AddNode(
                builder,
                name,
                pgAutoctl,
                PgAutoFailover.NodeArguments(binDirectory, name, Path.Combine(root, name), ports[i + 1], ports[0]),
                ports[i + 1],
                environment)
            .WaitFor(monitor))
            .ToList();

        var database = builder.AddConnectionString(
                connectionName,
                ReferenceExpression.Create(
                    $"Host=127.0.0.1:{Port(ports[1])},127.0.0.1:{Port(ports[2])};Username=postgres;Database={connectionName};Target Session Attributes=primary;Host Recheck Seconds=1"))
            .WithParentRelationship(monitor);
        return new PartialsDatabase(
            database,
            nodes[0],
            $"local pg_auto_failover (monitor :{ports[0]}, {NodeResources[0]} :{ports[1]}, {NodeResources[1]} :{ports[2]}) from {pgAutoctl} and {binDirectory}, data in {root}");

        // The monitor's fast-failover settings (docs/deploy.md section 8), in its postgresql.conf: on an existing monitor
        // now, on a new one right after pg_autoctl creates it (created here, synchronously, so the settings are there
        // from its first start).
        void PrepareMonitor(string dataDirectory)
        {
            if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            {
                PostgresUser.RunProgram(pgAutoctl, PgAutoFailover.MonitorArguments(binDirectory, dataDirectory, ports[0], run: false), environment: environment);
            }

            var configuration = Path.Combine(dataDirectory, "postgresql.conf");
            const string marker = "# PartialCollector AppHost: fast failover (docs/deploy.md section 8)";
            if (!File.ReadAllText(configuration).Contains(marker, StringComparison.Ordinal))
            {
                File.AppendAllText(configuration, $"\n{marker}\n" + string.Concat(PgAutoFailover.FastFailover.Select(s => $"{s.Key} = {s.Value}\n")));
            }
        }
    }

    private static IResourceBuilder<ExecutableResource> AddNode(
        IDistributedApplicationBuilder builder, string name, string pgAutoctl, string[] arguments, int port, IReadOnlyDictionary<string, string> environment)
    {
        var (command, commandArguments) = PostgresUser.CommandLine(pgAutoctl, arguments);
        var healthCheckKey = $"{name}-accepts-connections";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, new LocalPostgres.TcpHealthCheck(port));
        var node = builder.AddExecutable(name, command, Path.GetTempPath(), commandArguments)
            .WithEndpoint(name: "tcp", scheme: "tcp", port: port, targetPort: port, isProxied: false)
            .WithHealthCheck(healthCheckKey);
        foreach (var (key, value) in environment)
        {
            node.WithEnvironment(key, value);
        }

        return node;
    }

    /// <summary>The monitor's and the nodes' ports: chosen free on first use and kept in <c>ports</c>, as the monitor registers nodes by port.</summary>
    private static int[] Ports(string root)
    {
        var file = Path.Combine(root, "ports");
        if (File.Exists(file))
        {
            var kept = File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            if (kept.Length == 3)
            {
                return kept;
            }
        }

        var ports = new[] { LocalPostgresCluster.FreePort(), LocalPostgresCluster.FreePort(), LocalPostgresCluster.FreePort() };
        File.WriteAllText(file, string.Join(' ', ports));
        return ports;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
