using System.Globalization;

namespace PartialCollector.LocalPostgres;

/// <summary>
/// A pg_auto_failover formation on this machine, as <c>pg_autoctl</c> command lines: a monitor and data nodes, each
/// one <c>pg_autoctl create ... --run</c> process (created on its first run, run on later ones), on 127.0.0.1
/// with trust authentication and no TLS: development and tests only. The AppHost runs them as executable resources
/// (<c>Database:HighAvailability=true</c>), the failover test as processes of its own.
/// </summary>
public static class PgAutoFailover
{
    /// <summary>
    /// The monitor settings docs/deploy.md (section 8) recommends for a fast failover: a health check every second
    /// (1 s timeout, one retry after 0.5 s), a node unhealthy 3 s after its last report, the old primary given 5 s
    /// to demote. pg_auto_failover's defaults are 5 s, 5 s, 2 retries after 2 s, 20 s and 30 s.
    /// </summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> FastFailover =
    [
        new("pgautofailover.health_check_period", "1000"),
        new("pgautofailover.health_check_timeout", "1000"),
        new("pgautofailover.health_check_max_retries", "1"),
        new("pgautofailover.health_check_retry_delay", "500"),
        new("pgautofailover.node_considered_unhealthy_timeout", "3000"),
        new("pgautofailover.primary_demote_timeout", "5000"),
    ];

    /// <summary>
    /// The environment pg_autoctl runs in: its own configuration, state and runtime folders under
    /// <paramref name="root"/> (not the user's), and the <c>pg_config</c> of the server in <paramref name="binDirectory"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment(string root, string binDirectory) => new Dictionary<string, string>
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(root, "config"),
        ["XDG_DATA_HOME"] = Path.Combine(root, "share"),
        ["XDG_RUNTIME_DIR"] = Path.Combine(root, "run"),
        ["PG_CONFIG"] = Path.Combine(binDirectory, "pg_config"),
    };

    /// <summary><c>pg_autoctl create monitor</c> in <paramref name="dataDirectory"/> on <paramref name="port"/>; with <paramref name="run"/>, it then keeps running it.</summary>
    public static string[] MonitorArguments(string binDirectory, string dataDirectory, int port, bool run = true) =>
        ["create", "monitor", "--pgdata", dataDirectory, "--pgport", Port(port), .. Common(binDirectory, run)];

    /// <summary>
    /// <c>pg_autoctl create postgres</c>: data node <paramref name="name"/> in <paramref name="dataDirectory"/> on
    /// <paramref name="port"/>, registered with the monitor on <paramref name="monitorPort"/>, then run.
    /// </summary>
    public static string[] NodeArguments(string binDirectory, string name, string dataDirectory, int port, int monitorPort) =>
    [
        "create", "postgres", "--pgdata", dataDirectory, "--pgport", Port(port), "--name", name, "--monitor", MonitorUri(monitorPort),
        "--listen", "127.0.0.1", "--pghost", "127.0.0.1", .. Common(binDirectory, run: true),
    ];

    /// <summary>The monitor's URI as the keepers use it (the <c>autoctl_node</c> role).</summary>
    public static string MonitorUri(int monitorPort) => $"postgres://autoctl_node@127.0.0.1:{Port(monitorPort)}/pg_auto_failover?sslmode=disable";

    private static string[] Common(string binDirectory, bool run) =>
        ["--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl", "--pgctl", Path.Combine(binDirectory, "pg_ctl"), .. run ? new[] { "--run" } : []];

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
