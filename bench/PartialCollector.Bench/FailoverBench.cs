using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PartialCollector.Core.Storage;
using PartialCollector.Migrator;

namespace PartialCollector.Bench;

/// <summary>
/// One failover under load (<c>bench/failover.sh</c> builds the pg_auto_failover formation and runs this once per
/// run): the published Exporter and Receiver against the multi-host connection string, OTLP clients sending one
/// heartbeat of a new span per request, spans due during the outage; then the primary node's process tree is
/// killed and every answer recorded until both transports have acknowledged on the new primary for a while.
/// Arguments: <c>--failover --connection CS --monitor CS --node NAME=PID --node NAME=PID --exporter DLL --receiver DLL
/// [--clients N] [--label TEXT]</c>.
/// </summary>
public static class FailoverBench
{
    private const int Seeded = 1000;

    private static readonly Method<byte[], byte[]> Export = new(
        MethodType.Unary,
        "opentelemetry.proto.collector.logs.v1.LogsService",
        "Export",
        Marshallers.Create(b => b, b => b),
        Marshallers.Create(b => b, b => b));

    private enum Kind
    {
        Acknowledged,
        Refused,
        Other,
    }

    private sealed record Answer(int Key, bool Grpc, long Sent, long Answered, Kind Kind, string Detail);

    public static async Task<int> RunAsync(string[] args)
    {
        string Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is required");
        var connection = Value("--connection");
        var monitor = Value("--monitor");
        var nodes = args.Select((a, i) => (a, i)).Where(x => x.a == "--node").Select(x => args[x.i + 1].Split('=', 2))
            .ToDictionary(kv => kv[0], kv => int.Parse(kv[1], CultureInfo.InvariantCulture));
        var clients = args.Contains("--clients") ? int.Parse(Value("--clients"), CultureInfo.InvariantCulture) : 16;
        var label = args.Contains("--label") ? Value("--label") : "run";

        await new SchemaMigrator(Options.Create(new MigratorOptions()), NullLogger<SchemaMigrator>.Instance, TimeProvider.System)
            .MigrateAsync(connection, CancellationToken.None);

        var payloads = new SpanPayloads(400_000);
        var sinkKeys = new ConcurrentDictionary<string, int>();
        await using var sink = new TraceSink { Keys = sinkKeys };
        await sink.StartAsync(Ports.Free());
        var grpcPort = Ports.Free();
        var httpPort = Ports.Free();
        var receiverPort = Ports.Free();
        await using var exporter = await ServiceProcess.StartAsync(Value("--exporter"), new Dictionary<string, string>
        {
            [PartialsConnection.EnvironmentVariable] = connection,
            ["Kestrel__Endpoints__OtlpGrpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel__Endpoints__OtlpHttp__Url"] = $"http://127.0.0.1:{httpPort}",
        }, new Uri($"http://127.0.0.1:{httpPort}/alive"));
        await using var receiver = await ServiceProcess.StartAsync(Value("--receiver"), new Dictionary<string, string>
        {
            [PartialsConnection.EnvironmentVariable] = connection,
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{receiverPort}",
            ["PartialReceiver__Downstream__Endpoint"] = sink.Endpoint.ToString(),
            ["PartialReceiver__Downstream__Protocol"] = "grpc",
            ["PartialReceiver__GcInterval"] = "1s",
        }, new Uri($"http://127.0.0.1:{receiverPort}/alive"));

        var answers = new ConcurrentQueue<Answer>();
        using var stop = new CancellationTokenSource();
        var nextKey = Seeded - 1;
        var channels = Enumerable.Range(0, clients).Select(_ => GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}")).ToArray();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        var load = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var invoker = channels[c].CreateCallInvoker();
            while (!stop.IsCancellationRequested)
            {
                var key = Interlocked.Increment(ref nextKey) % payloads.Count;
                var request = SpanPayloads.Request([payloads.Record(key, stop: false)]);
                var sent = Stopwatch.GetTimestamp();
                (Kind Kind, string Detail) answer;
                try
                {
                    if (c % 2 == 0)
                    {
                        await invoker.AsyncUnaryCall(Export, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), request);
                    }
                    else
                    {
                        using var content = new ByteArrayContent(request);
                        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                        using var response = await http.PostAsync("/v1/logs", content);
                        if (!response.IsSuccessStatusCode)
                        {
                            throw new HttpRequestException($"{(int)response.StatusCode}", null, response.StatusCode);
                        }
                    }

                    answer = (Kind.Acknowledged, "");
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is null)
                {
                    answer = (Kind.Refused, "UNAVAILABLE");
                }
                catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
                {
                    answer = (Kind.Refused, "503");
                }
                catch (Exception e)
                {
                    answer = (Kind.Other, $"{e.GetType().Name}: {e.Message}");
                }

                answers.Enqueue(new Answer(key, c % 2 == 0, sent, Stopwatch.GetTimestamp(), answer.Kind, answer.Detail));
                if (answer.Kind != Kind.Acknowledged)
                {
                    await Task.Delay(20, CancellationToken.None); // pacing after a refusal, as OtlpLoad does
                }
            }
        })).ToArray();

        try
        {
            // Warm: both transports acknowledging for 5 s.
            await Until(() => AcknowledgedSince(answers, 0, grpc: true) >= 50 && AcknowledgedSince(answers, 0, grpc: false) >= 50, TimeSpan.FromSeconds(60), "acknowledgements before the crash");
            var warm = Stopwatch.GetTimestamp();
            await Until(() => Stopwatch.GetElapsedTime(warm) > TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), "warm-up");

            // Spans whose heartbeats stop now and fall due 2 s later, during the outage.
            await using (var dataSource = NpgsqlDataSource.Create(connection))
            await using (var seed = dataSource.CreateCommand(
                "INSERT INTO partial_traces (trace_id, span_id, trace, expires_at) SELECT t, s, b, now() + interval '2 seconds' FROM unnest(@t::text[], @s::text[], @b::bytea[]) AS u(t, s, b)"))
            {
                seed.Parameters.AddWithValue("t", Enumerable.Range(0, Seeded).Select(payloads.TraceIdHex).ToArray());
                seed.Parameters.AddWithValue("s", Enumerable.Range(0, Seeded).Select(payloads.SpanIdHex).ToArray());
                seed.Parameters.AddWithValue("b", Enumerable.Range(0, Seeded).Select(k => payloads.Traces(k).ToByteArray()).ToArray());
                await seed.ExecuteNonQueryAsync();
            }

            var primary = await PrimaryAsync(monitor) ?? throw new InvalidOperationException("no primary before the crash");
            using (var tree = Process.GetProcessById(nodes[primary]))
            {
                tree.Kill(entireProcessTree: true);
            }

            var crashed = Stopwatch.GetTimestamp();
            Console.Error.WriteLine($"failover: {label}: crashed {primary} (pg_autoctl pid {nodes[primary]})");
            var promotedTo = await Until(async () => await PrimaryAsync(monitor) is { } p && p != primary ? p : null, TimeSpan.FromSeconds(180), "the monitor to promote the standby");
            var promoted = Stopwatch.GetElapsedTime(crashed);

            // Both transports acknowledging on the new primary, then 5 s more of load; every seeded span delivered.
            await Until(() => AcknowledgedSince(answers, crashed, grpc: true) >= 50 && AcknowledgedSince(answers, crashed, grpc: false) >= 50, TimeSpan.FromSeconds(120), "acknowledgements after the failover");
            var back = Stopwatch.GetTimestamp();
            await Until(() => Stopwatch.GetElapsedTime(back) > TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), "load after the failover");
            await stop.CancelAsync();
            await Task.WhenAll(load);
            var seededKeys = Enumerable.Range(0, Seeded).Select(k => payloads.TraceIdHex(k) + payloads.SpanIdHex(k)).ToList();
            await Until(() => seededKeys.All(sinkKeys.ContainsKey), TimeSpan.FromSeconds(60), "the Receiver to deliver the spans due during the outage");

            var all = answers.ToList();
            var firstAcknowledged = all.Where(a => a.Sent >= crashed && a.Kind == Kind.Acknowledged).Min(a => a.Answered);
            var outage = Stopwatch.GetElapsedTime(crashed, firstAcknowledged);
            var stored = await KeysAsync(connection);
            var acknowledged = all.Where(a => a.Kind == Kind.Acknowledged).Select(a => payloads.TraceIdHex(a.Key) + payloads.SpanIdHex(a.Key)).ToList();
            var lost = acknowledged.Count(k => !stored.Contains(k) && !sinkKeys.ContainsKey(k));
            var duplicates = sinkKeys.Count(kv => kv.Value > 1);
            var refused = all.Count(a => a.Kind == Kind.Refused);
            var other = all.Where(a => a.Kind == Kind.Other).ToList();

            Console.WriteLine(
                $"| {label} | {outage.TotalSeconds:0.0} | {promoted.TotalSeconds:0.0} | {refused:N0} | {other.Count} | {acknowledged.Count:N0} | {lost} | {sinkKeys.Count:N0} | {duplicates} | {Seeded:N0}/{Seeded:N0} |");
            foreach (var group in other.GroupBy(a => a.Detail).Take(5))
            {
                Console.Error.WriteLine($"failover: {label}: other answer x{group.Count()}: {group.Key}");
            }

            Console.Error.WriteLine($"failover: {label}: new primary {promotedTo}");
            return lost == 0 && other.Count == 0 ? 0 : 1;
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private static int AcknowledgedSince(ConcurrentQueue<Answer> answers, long since, bool grpc) =>
        answers.Count(a => a.Grpc == grpc && a.Kind == Kind.Acknowledged && a.Sent >= since);

    private static async Task Until(Func<bool> done, TimeSpan timeout, string what) =>
        await Until(() => Task.FromResult(done() ? (object?)true : null), timeout, what);

    private static async Task<T> Until<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"failover: timed out waiting for {what}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The node the monitor has as primary, reported and assigned; null while there is none or the monitor is unreachable.</summary>
    private static async Task<string?> PrimaryAsync(string monitor)
    {
        try
        {
            await using var connection = new NpgsqlConnection(monitor);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT nodename FROM pgautofailover.node WHERE reportedstate IN ('primary', 'wait_primary', 'single') AND reportedstate = goalstate LIMIT 1", connection);
            return await command.ExecuteScalarAsync() as string;
        }
        catch (NpgsqlException)
        {
            return null;
        }
    }

    /// <summary>Every stored span's trace id + span id, tombstones included, from the primary.</summary>
    private static async Task<HashSet<string>> KeysAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT trace_id || span_id FROM partial_traces", connection);
        var keys = new HashSet<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
