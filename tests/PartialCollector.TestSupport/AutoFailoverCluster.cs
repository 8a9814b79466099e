using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PartialCollector.LocalPostgres;

namespace PartialCollector.TestSupport;

/// <summary>
/// A throwaway pg_auto_failover formation from the machine's binaries (Debian: <c>postgresql-N-auto-failover</c>):
/// a monitor and two <c>pg_autoctl</c> nodes, a primary and a synchronous standby, all on 127.0.0.1 with trust
/// authentication, in a temporary folder. Each node is one <c>pg_autoctl create ... --run</c> process (keeper
/// supervisor, its postgres supervisor and keeper, postgres) run as <see cref="PostgresUser"/> says, so a test can
/// crash a node by killing its process tree. pg_autoctl's own files (configuration, state) live in the folder too
/// (<c>XDG_CONFIG_HOME</c>, <c>XDG_DATA_HOME</c>), never in a home directory.
/// </summary>
public sealed class AutoFailoverCluster : IAsyncDisposable
{
    /// <summary>The formation's one group: a primary and a secondary.</summary>
    public const string NodeA = "node_a";

    public const string NodeB = "node_b";

    private readonly string binDirectory;
    private readonly string pgAutoctl;
    private readonly string root;
    private readonly Dictionary<string, Node> nodes = new(StringComparer.Ordinal);

    private AutoFailoverCluster(string binDirectory, string pgAutoctl, string root)
    {
        this.binDirectory = binDirectory;
        this.pgAutoctl = pgAutoctl;
        this.root = root;
    }

    /// <summary>The monitor's PostgreSQL port.</summary>
    public int MonitorPort => nodes["monitor"].Port;

    /// <summary>The data nodes by name (<see cref="NodeA"/>, <see cref="NodeB"/>).</summary>
    public IReadOnlyDictionary<string, int> NodePorts => nodes.Values.Where(n => n.Name != "monitor").ToDictionary(n => n.Name, n => n.Port);

    /// <summary>The monitor's database, as the <c>autoctl_node</c> role the keepers use.</summary>
    public string MonitorConnectionString => $"Host=127.0.0.1;Port={MonitorPort};Username=autoctl_node;Database=pg_auto_failover;Pooling=false";

    /// <summary>
    /// Starts the monitor with <paramref name="monitorSettings"/>, then both nodes at once; returns when one is
    /// primary and the other a secondary (synchronous: pg_auto_failover's default with one standby).
    /// </summary>
    public static async Task<AutoFailoverCluster> StartAsync(
        string binDirectory, string pgAutoctl, IEnumerable<KeyValuePair<string, string>>? monitorSettings = null, TimeSpan? timeout = null)
    {
        var cluster = new AutoFailoverCluster(binDirectory, pgAutoctl, PostgresUser.CreateTempFolder("partialcollector-ha-"));
        var deadline = timeout ?? TimeSpan.FromSeconds(120);
        try
        {
            var monitor = cluster.Start("monitor", (dataDirectory, port) => PgAutoFailover.MonitorArguments(binDirectory, dataDirectory, port));
            await Poll.UntilAsync(
                () => cluster.MonitorIsReadyAsync(monitor),
                ready => ready,
                deadline,
                "the pg_auto_failover monitor to accept connections");
            await cluster.ConfigureMonitorAsync(monitorSettings ?? []);
            foreach (var name in new[] { NodeA, NodeB })
            {
                cluster.Start(name, (dataDirectory, port) => PgAutoFailover.NodeArguments(binDirectory, name, dataDirectory, port, monitor.Port));
            }

            await cluster.WaitForPrimaryAndSecondaryAsync(deadline);
            return cluster;
        }
        catch (TimeoutException e)
        {
            var tails = string.Join('\n', cluster.nodes.Values.Select(n => n.Tail()));
            await cluster.DisposeAsync();
            throw new TimeoutException($"{e.Message}\n{tails}", e);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The multi-host connection string the services get: every node, the session kind asked for.</summary>
    public string ConnectionString(string database, string targetSessionAttributes = "primary", int hostRecheckSeconds = 1) =>
        $"Host={string.Join(',', NodePorts.Values.Select(p => $"127.0.0.1:{p}"))};Username=postgres;Database={database};" +
        $"Target Session Attributes={targetSessionAttributes};Host Recheck Seconds={hostRecheckSeconds};Include Error Detail=true";

    /// <summary>A connection string to one node only.</summary>
    public string NodeConnectionString(string name, string database) =>
        $"Host=127.0.0.1;Port={nodes[name].Port};Username=postgres;Database={database};Pooling=false";

    /// <summary>Each data node's reported and assigned state, from the monitor.</summary>
    public async Task<IReadOnlyList<NodeState>> StatesAsync()
    {
        await using var connection = new NpgsqlConnection(MonitorConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node ORDER BY nodename", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var states = new List<NodeState>();
        while (await reader.ReadAsync())
        {
            states.Add(new NodeState(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return states;
    }

    /// <summary>The node the monitor has as primary (reported and assigned), or null while there is none.</summary>
    public async Task<string?> PrimaryAsync() =>
        (await StatesAsync()).FirstOrDefault(s => s.Reported is "primary" or "wait_primary" or "single" && s.Reported == s.Assigned)?.Name;

    /// <summary>
    /// Crashes a node: SIGKILL to its whole process tree at once (the keeper, the postgres supervisor, postgres and
    /// its backends), as when its machine dies. Nothing is told; the monitor finds out by its health checks. Returns
    /// once the node's port refuses connections.
    /// </summary>
    public async Task CrashAsync(string name)
    {
        var node = nodes[name];
        node.Crashed = true;
        node.Process.Kill(entireProcessTree: true);
        await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    using var client = new System.Net.Sockets.TcpClient();
                    await client.ConnectAsync(System.Net.IPAddress.Loopback, node.Port);
                    return false;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return true;
                }
            },
            refused => refused,
            TimeSpan.FromSeconds(10),
            $"{name}'s port {node.Port} to refuse connections after the crash");
    }

    /// <summary>pg_autoctl's own account of the formation (<c>pg_autoctl show state</c> and the last events), for messages.</summary>
    public async Task<string> DescribeAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(MonitorConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT to_char(eventtime, 'HH24:MI:SS.MS') || ' ' || nodename || ' ' || reportedstate || ' -> ' || goalstate || ': ' || description FROM pgautofailover.event ORDER BY eventid DESC LIMIT 12",
                connection);
            var events = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                events.Add(reader.GetString(0));
            }

            events.Reverse();
            return "monitor events:\n  " + string.Join("\n  ", events);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            return $"(monitor unreachable: {e.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Nodes first: a keeper whose monitor is gone keeps retrying. SIGKILL: nothing here is worth a clean stop.
        foreach (var node in nodes.Values.OrderBy(n => n.Name == "monitor"))
        {
            try
            {
                if (!node.Process.HasExited)
                {
                    node.Process.Kill(entireProcessTree: true);
                    await node.Process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }

            node.Process.Dispose();
        }

        // postgres backends of a killed postmaster exit on their own, soon; their files go with the folder.
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task WaitForPrimaryAndSecondaryAsync(TimeSpan timeout)
    {
        await Poll.UntilAsync(
            async () =>
            {
                var exited = nodes.Values.FirstOrDefault(n => n.Process.HasExited && !n.Crashed);
                if (exited is not null)
                {
                    throw new InvalidOperationException($"pg_autoctl for {exited.Name} exited with {exited.Process.ExitCode}: {exited.Tail()}");
                }

                return string.Join(' ', (await StatesAsync()).Select(s => $"{s.Name}:{s.Reported}/{s.Assigned}"));
            },
            states => states.Split(' ').Count(s => s.EndsWith(":primary/primary", StringComparison.Ordinal)) == 1
                && states.Split(' ').Count(s => s.EndsWith(":secondary/secondary", StringComparison.Ordinal)) == 1,
            timeout,
            "a primary and a secondary");
    }

    private async Task<bool> MonitorIsReadyAsync(Node monitor)
    {
        if (monitor.Process.HasExited)
        {
            throw new InvalidOperationException($"pg_autoctl create monitor exited with {monitor.Process.ExitCode}: {monitor.Tail()}");
        }

        try
        {
            await using var connection = new NpgsqlConnection(MonitorConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM pgautofailover.formation", connection);
            return (long)(await command.ExecuteScalarAsync())! > 0;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // Still initialising: no server yet, or the extension not created yet.
            return false;
        }
    }

    /// <summary>ALTER SYSTEM on the monitor (as the superuser, over trust) and a reload: the GUCs apply to its next checks.</summary>
    private async Task ConfigureMonitorAsync(IEnumerable<KeyValuePair<string, string>> settings)
    {
        if (!settings.Any())
        {
            return;
        }

        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={MonitorPort};Username=postgres;Database=pg_auto_failover;Pooling=false");
        await connection.OpenAsync();
        foreach (var (name, value) in settings)
        {
            // ALTER SYSTEM takes no parameters; the names and values are the caller's constants (PgAutoFailover.FastFailover).
            await using var set = new NpgsqlCommand($"ALTER SYSTEM SET {name} = '{value.Replace("'", "''", StringComparison.Ordinal)}'", connection);
            await set.ExecuteNonQueryAsync();
        }

        await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
        await reload.ExecuteNonQueryAsync();
    }

    private Node Start(string name, Func<string, int, string[]> arguments)
    {
        var port = FreePorts.Next();
        var start = PostgresUser.StartInfo(pgAutoctl, arguments(Path.Combine(root, name), port), PgAutoFailover.Environment(root, binDirectory));
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {pgAutoctl}");
        var node = new Node(name, port, process);
        process.OutputDataReceived += (_, e) => node.Record(e.Data);
        process.ErrorDataReceived += (_, e) => node.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        nodes.Add(name, node);
        return node;
    }

    public sealed record NodeState(string Name, string Reported, string Assigned);

    private sealed class Node(string name, int port, Process process)
    {
        private readonly ConcurrentQueue<string> output = new();

        public string Name { get; } = name;

        public int Port { get; } = port;

        public Process Process { get; } = process;

        public bool Crashed { get; set; }

        public void Record(string? line)
        {
            if (line is not null)
            {
                output.Enqueue(line);
                while (output.Count > 200 && output.TryDequeue(out _))
                {
                }
            }
        }

        public string Tail() => $"pg_autoctl ({Name}) said:\n  " + string.Join("\n  ", output.TakeLast(25));
    }
}
