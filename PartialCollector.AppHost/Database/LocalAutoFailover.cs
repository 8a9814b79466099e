using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>The monitor settings docs/deploy.md recommends: health checks every second, unhealthy after 3 s, 5 s to demote.</summary>
    private static readonly (string Name, string Value)[] FastFailover =
    [
        ("pgautofailover.health_check_period", "1000"),
        ("pgautofailover.health_check_timeout", "1000"),
        ("pgautofailover.health_check_max_retries", "1"),
        ("pgautofailover.health_check_retry_delay", "500"),
        ("pgautofailover.node_considered_unhealthy_timeout", "3000"),
        ("pgautofailover.primary_demote_timeout", "5000"),
    ];

    /// <summary>pg_autoctl, when it and the monitor's extension for the server in <paramref name="binDirectory"/> are installed.</summary>
    public static string? FindPgAutoctl(string binDirectory)
    {
        var pgAutoctl = new[] { Path.Combine(binDirectory, "pg_autoctl"), "/usr/bin/pg_autoctl" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "pg_autoctl")))
            .FirstOrDefault(File.Exists);
        var version = Path.GetFileName(Path.GetDirectoryName(binDirectory.TrimEnd(Path.DirectorySeparatorChar)));
        var extension = new[]
        {
            $"/usr/share/postgresql/{version}/extension/pgautofailover.control",
            Path.Combine(binDirectory, "..", "share", "extension", "pgautofailover.control"),
            Path.Combine(binDirectory, "..", "share", "postgresql", "extension", "pgautofailover.control"),
        }.Any(File.Exists);
        return pgAutoctl is not null && extension ? pgAutoctl : null;
    }

    public static PartialsDatabase Add(IDistributedApplicationBuilder builder, string binDirectory, string pgAutoctl, string connectionName)
    {
        var runAsServiceUser = Environment.UserName == "root";
        var root = LocalPostgres.DataRoot(builder, runAsServiceUser, Section, ".pgdata-ha");
        Directory.CreateDirectory(root);
        if (runAsServiceUser)
        {
            LocalPostgres.Run("chown", [$"{LocalPostgres.ServiceUser}:{LocalPostgres.ServiceUser}", root]);
        }

        var ports = Ports(root);
        var environment = new Dictionary<string, string>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(root, "config"),
            ["XDG_DATA_HOME"] = Path.Combine(root, "share"),
            ["XDG_RUNTIME_DIR"] = Path.Combine(root, "run"),
            ["PG_CONFIG"] = Path.Combine(binDirectory, "pg_config"),
        };
        var common = new[] { "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", Path.Combine(binDirectory, "pg_ctl"), "--run" };
        var monitorData = Path.Combine(root, "monitor");
        PrepareMonitor(monitorData);

        // pg_autoctl create is idempotent: the first run creates the node, later runs (and restarts from the dashboard) run it.
        var monitor = AddNode(builder, MonitorResource, pgAutoctl, ["create", "monitor", "--pgdata", monitorData, "--pgport", Port(ports[0]), .. common], ports[0], environment, runAsServiceUser);
        var monitorUri = $"postgres://autoctl_node@127.0.0.1:{ports[0]}/pg_auto_failover?sslmode=disable";
        var nodes = NodeResources.Select((name, i) => AddNode(
                builder,
                name,
                pgAutoctl,
                ["create", "postgres", "--pgdata", Path.Combine(root, name), "--pgport", Port(ports[i + 1]), "--name", name, "--monitor", monitorUri, "--listen", "127.0.0.1", "--pghost", "127.0.0.1", .. common],
                ports[i + 1],
                environment,
                runAsServiceUser)
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

        // The monitor's fast-failover settings, in its postgresql.conf: on an existing monitor now, on a new one
        // right after pg_autoctl creates it (created here, synchronously, so the settings are there from its first start).
        void PrepareMonitor(string dataDirectory)
        {
            if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
            {
                string[] create = ["create", "monitor", "--pgdata", dataDirectory, "--pgport", Port(ports[0]), .. common[..^1]];
                var (command, arguments) = LocalPostgres.AsServiceUser("/usr/bin/env", [.. environment.Select(kv => $"{kv.Key}={kv.Value}"), pgAutoctl, .. create], runAsServiceUser);
                LocalPostgres.Run(command, arguments);
            }

            var configuration = Path.Combine(dataDirectory, "postgresql.conf");
            const string marker = "# PartialCollector AppHost: fast failover (docs/deploy.md section 8)";
            if (!File.ReadAllText(configuration).Contains(marker, StringComparison.Ordinal))
            {
                File.AppendAllText(configuration, $"\n{marker}\n" + string.Concat(FastFailover.Select(s => $"{s.Name} = {s.Value}\n")));
            }
        }
    }

    private static IResourceBuilder<ExecutableResource> AddNode(
        IDistributedApplicationBuilder builder, string name, string pgAutoctl, string[] arguments, int port, Dictionary<string, string> environment, bool runAsServiceUser)
    {
        var (command, commandArguments) = LocalPostgres.AsServiceUser(pgAutoctl, arguments, runAsServiceUser);
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

        var ports = new[] { LocalPostgres.FreePort(), LocalPostgres.FreePort(), LocalPostgres.FreePort() };
        File.WriteAllText(file, string.Join(' ', ports));
        return ports;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
