using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PartialCollector.Bench;
using PartialCollector.Core.Storage;
using PartialCollector.Migrator;

// bench/failover.sh: one failover under load against a pg_auto_failover formation it built.
if (args.Contains("--failover"))
{
    Environment.ExitCode = await FailoverBench.RunAsync(args);
    return;
}

// bench/run.sh publishes the services, then runs this with their paths; PostgreSQL is a throwaway cluster of the
// bench's own unless --connection names a server.
var options = BenchOptions.Parse(args);
await using var database = options.Connection.Length == 0 ? await BenchDatabase.StartAsync(options.PostgresSettings ?? []) : null;
if (database is not null)
{
    options = options with { Connection = database.ConnectionString };
}

var migrator = new SchemaMigrator(
    Options.Create(new MigratorOptions { ExpiryBucket = TimeSpan.FromSeconds(options.ExpiryBucketSeconds) }), NullLogger<SchemaMigrator>.Instance, TimeProvider.System);
await migrator.MigrateAsync(options.Connection, CancellationToken.None);
// Prepared statements for the references too, as the original's pgx caches them by default.
await using var dataSource = NpgsqlDataSource.Create(
    new NpgsqlConnectionStringBuilder(options.Connection) { MaxPoolSize = 200, MaxAutoPrepare = 32, AutoPrepareMinUsages = 2 }.ConnectionString);
var payloads = new SpanPayloads(options.Keys);
var duration = options.ShapeDuration;
var results = new List<(LoadResult Load, double? Cpu, double? Rss)>();
var costs = new Dictionary<string, (DatabaseCost.PerRecord Cost, double? ExporterCpuMicros)>();
var cost = new DatabaseCost(dataSource);
await using (var create = dataSource.CreateCommand(DatabaseReferences.CreateOriginalTable))
{
    await create.ExecuteNonQueryAsync();
}

// Runs one measured load and records what it cost the database per acknowledged record.
async Task<LoadResult> Costed(string table, Func<Action, Task<LoadResult>> run, Func<double?>? exporterCpu = null)
{
    DatabaseCost.Snapshot? start = null;
    await cost.CheckpointAsync();
    var load = await run(() => start = cost.Take(table));
    var exporterSeconds = exporterCpu?.Invoke();
    var end = cost.TakeSettled(cost.Take(table), table);
    costs[load.Name] = (DatabaseCost.Per(start!, end, load.Records), exporterSeconds * 1e6 / load.Records);
    return load;
}

async Task Truncate()
{
    await using var command = dataSource.CreateCommand("TRUNCATE partial_traces");
    await command.ExecuteNonQueryAsync();
}

// References (a) and (b) are what the load shapes are compared with: a collection-only run skips them and the loads.
var runsLoads = options.Only.Length == 0 || options.Only.Any(o => !"collection".Contains(o, StringComparison.OrdinalIgnoreCase));
LoadResult? original = null, limit = null;
(LoadResult Load, TableSize Size)? bloat = null;
if (runsLoads)
{
    Console.Error.WriteLine("reference (a): the original's write pattern");
    await Truncate();
    original = await Costed("original_partial_traces", m => DatabaseReferences.OriginalPatternAsync(dataSource, payloads, 32, options.WarmUp, duration, m));
    results.Add((original, null, null));
    Console.Error.WriteLine("reference (b): multi-row upserts");
    await Truncate();
    limit = await Costed("partial_traces", m => DatabaseReferences.MultiRowLimitAsync(dataSource, payloads, 4, options.WarmUp, duration, m));
    results.Add((limit, null, null));
}

var grpcPort = Ports.Free();
var httpPort = Ports.Free();
await Truncate();
var exporterEnvironment = new Dictionary<string, string>
{
    [PartialsConnection.EnvironmentVariable] = options.Connection,
    ["Kestrel__Endpoints__OtlpGrpc__Url"] = $"http://127.0.0.1:{grpcPort}",
    ["Kestrel__Endpoints__OtlpHttp__Url"] = $"http://127.0.0.1:{httpPort}",
};
foreach (var (key, value) in options.ExporterEnvironment)
{
    exporterEnvironment[key] = value;
}

if (runsLoads)
{
    await using var exporter = await ServiceProcess.StartAsync(options.ExporterDll, exporterEnvironment, new Uri($"http://127.0.0.1:{httpPort}/alive"));
    using var senders = new OtlpSenders(new Uri($"http://127.0.0.1:{grpcPort}"), new Uri($"http://127.0.0.1:{httpPort}"), channels: 32);
    var heartbeats = Enumerable.Range(0, payloads.Count).Select(k => SpanPayloads.Request([payloads.Record(k, stop: false)])).ToArray();

    async Task Shape(string name, int clients, Func<int, long, Task<int>> send)
    {
        if (!options.Runs(name))
        {
            return;
        }

        Console.Error.WriteLine(name);
        var cpu0 = 0.0;
        var cpu1 = 0.0;
        var load = await Costed(
            "partial_traces",
            measuring => LoadDriver.RunAsync(name, clients, options.WarmUp, duration, send, () =>
            {
                exporter.ResetPeakRss();
                cpu0 = exporter.CpuSeconds();
                measuring();
            }),
            () => (cpu1 = exporter.CpuSeconds()) - cpu0);
        results.Add((load, cpu1 - cpu0, exporter.PeakRssMiB()));
    }

    // The ceiling of this machine, load generator and gRPC stack: records the Exporter ignores (no database work).
    var ignored = SpanPayloads.Request([new OpenTelemetry.Proto.Logs.V1.LogRecord { Body = new() { StringValue = "not a partial span" } }]);
    await Shape("ceiling: 1 ignored record/request, 32 clients, gRPC", 32, async (c, i) =>
    {
        await senders.SendGrpcAsync(c, ignored);
        return 1;
    });

    await Shape("shape 1: 1 record/request, 32 clients, gRPC", 32, async (c, i) =>
    {
        await senders.SendGrpcAsync(c, heartbeats[(int)((c * 3125L + i) % heartbeats.Length)]);
        return 1;
    });
    await Shape("shape 1: 1 record/request, 32 clients, HTTP", 32, async (c, i) =>
    {
        await senders.SendHttpAsync(heartbeats[(int)((c * 3125L + i) % heartbeats.Length)]);
        return 1;
    });

    const int perRequest = 512;
    var batches = Enumerable.Range(0, payloads.Count / perRequest)
        .Select(b => SpanPayloads.Request(Enumerable.Range(b * perRequest, perRequest).Select(k => payloads.Record(k, stop: false))))
        .ToArray();
    await Shape("shape 2: 512 records/request, 4 clients, gRPC", 4, async (c, i) =>
    {
        await senders.SendGrpcAsync(c, batches[(int)((c * 50L + i) % batches.Length)]);
        return perRequest;
    });

    // Shape 3: every span gets N heartbeats and then its stop, on fresh keys.
    const int heartbeatsPerSpan = 4;
    var mixedPayloads = new SpanPayloads(options.Keys);
    var mixedHeartbeats = Enumerable.Range(0, mixedPayloads.Count).Select(k => SpanPayloads.Request([mixedPayloads.Record(k, stop: false)])).ToArray();
    var mixedStops = Enumerable.Range(0, mixedPayloads.Count).Select(k => SpanPayloads.Request([mixedPayloads.Record(k, stop: true)])).ToArray();
    await Shape($"shape 3: {heartbeatsPerSpan} heartbeats then a stop, 32 clients, gRPC", 32, async (c, i) =>
    {
        var key = (int)((c * 3125L + i / (heartbeatsPerSpan + 1)) % mixedPayloads.Count);
        await senders.SendGrpcAsync(c, i % (heartbeatsPerSpan + 1) == heartbeatsPerSpan ? mixedStops[key] : mixedHeartbeats[key]);
        return 1;
    });

    // Bloat: what shape 1 leaves of the table and its indexes after five minutes. Only when named (--only bloat),
    // since it takes five minutes; autovacuum runs with its default settings meanwhile.
    if (options.Only.Any(o => o.Contains("bloat", StringComparison.OrdinalIgnoreCase)))
    {
        const string name = "bloat: shape 1 for 5 minutes, gRPC";
        Console.Error.WriteLine(name);
        await Truncate();
        var before = await TableSize.ReadAsync(dataSource);
        var load = await LoadDriver.RunAsync(name, 32, TimeSpan.Zero, TimeSpan.FromMinutes(5), async (c, i) =>
        {
            await senders.SendGrpcAsync(c, heartbeats[(int)((c * 3125L + i) % heartbeats.Length)]);
            return 1;
        }, () => { });
        var after = await TableSize.ReadAsync(dataSource);
        bloat = (load, after with { Updates = after.Updates - before.Updates, HotUpdates = after.HotUpdates - before.HotUpdates, AutoVacuums = after.AutoVacuums - before.AutoVacuums });
    }
}

var collections = new List<(ExpiredLayout Layout, CollectionBench.Result Result)>();
var runCollection = options.Runs("collection");
foreach (var layout in runCollection ? options.Layouts : [])
{
    Console.Error.WriteLine($"collection ({layout}): seeding {options.CollectionLive:N0} live and {options.CollectionExpired:N0} expired spans");
    await CollectionBench.SeedAsync(dataSource, payloads, options.CollectionLive, options.CollectionExpired, layout);
    // (c) just before and just after the drain, each on its own copy: this machine's speed moves between runs, so
    // bracketing the drain makes the ratio less a matter of when (c) happened to run.
    await CollectionBench.CopyForReferenceAsync(dataSource, "reference_c_before");
    await CollectionBench.CopyForReferenceAsync(dataSource, "reference_c_after");
    Console.Error.WriteLine("reference (c): claim-and-delete on a copy of the table, before the drain");
    var referenceBefore = await CollectionBench.ClaimAndDeleteReferenceAsync(dataSource, cost, "reference_c_before");
    var drained = await CollectionBench.RunAsync(dataSource, cost, options.Connection, options.ReceiverDll, options.CollectionLive, options.CollectionExpired, options.ReceiverEnvironment, payloads);
    Console.Error.WriteLine("reference (c): again, after the drain");
    var referenceAfter = await CollectionBench.ClaimAndDeleteReferenceAsync(dataSource, cost, "reference_c_after");
    collections.Add((layout, drained with { ReferenceBefore = referenceBefore.RowsPerSecond, ReferenceAfter = referenceAfter.RowsPerSecond, ReferenceCost = referenceBefore.Cost }));
}

string F(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
Console.WriteLine();
Console.WriteLine($"| run | records/s | p50 ms | p99 ms | failed | exporter CPU s | exporter peak RSS MiB | ours / (a) | ours / (b) |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var (load, cpu, rss) in results)
{
    var ratios = cpu is null ? "| | " : $"| {load.RecordsPerSecond / original!.RecordsPerSecond:0.00}x | {load.RecordsPerSecond / limit!.RecordsPerSecond:P0} ";
    Console.WriteLine($"| {load.Name} | {F(load.RecordsPerSecond)} | {load.P50Ms:0.00} | {load.P99Ms:0.00} | {load.Failures} | {(cpu is null ? "" : cpu.Value.ToString("0.0", CultureInfo.InvariantCulture))} | {(rss is null ? "" : rss.Value.ToString("0", CultureInfo.InvariantCulture))} {ratios}|");
}

Console.WriteLine();
Console.WriteLine("What each acknowledged record cost (CPU from /proc, WAL from pg_current_wal_lsn, HOT from pg_stat_user_tables):");
Console.WriteLine();
Console.WriteLine("| run | HOT share of updates | WAL bytes / record | PostgreSQL CPU µs / record | exporter CPU µs / record | generator CPU µs / record |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
foreach (var (name, (c, exporterCpu)) in costs)
{
    Console.WriteLine($"| {name} | {c.HotShare:P0} | {c.WalBytes:0} | {c.PostgresCpuMicros:0.0} | {(exporterCpu is null ? "" : exporterCpu.Value.ToString("0.0", CultureInfo.InvariantCulture))} | {c.GeneratorCpuMicros:0.0} |");
}

if (bloat is { } b)
{
    var z = b.Size;
    Console.WriteLine();
    Console.WriteLine("| bloat run | records/s | records | table MiB | indexes MiB | live rows | dead rows | HOT share | autovacuums |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    Console.WriteLine($"| {b.Load.Name} | {F(b.Load.RecordsPerSecond)} | {F(b.Load.Records)} | {z.TableBytes / 1048576.0:0.0} | {z.IndexBytes / 1048576.0:0.0} | {F(z.LiveRows)} | {F(z.DeadRows)} | {(z.Updates == 0 ? 0 : (double)z.HotUpdates / z.Updates):P0} | {z.AutoVacuums} |");
}

if (collections.Count > 0)
{
    string Name(ExpiredLayout layout) => $"drain to an acknowledging gRPC sink, expired rows {layout.ToString().ToLowerInvariant()}";
    Console.WriteLine();
    Console.WriteLine($"| collection | expired | live | from process start s | first to last span s | spans/s | (c) rows/s: mean of runs just before and after | ours / (c) | receiver peak RSS MiB | receiver CPU s |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    foreach (var (layout, collection) in collections)
    {
        Console.WriteLine($"| {Name(layout)} | {F(collection.Expired)} | {F(collection.Live)} | {collection.Drain.TotalSeconds:0.0} | {collection.FirstToLast.TotalSeconds:0.0} | {F(collection.SpansPerSecond)} | {F(collection.ReferenceRowsPerSecond)} ({F(collection.ReferenceBefore)} before, {F(collection.ReferenceAfter)} after) | {collection.SpansPerSecond / collection.ReferenceRowsPerSecond:0.00}x | {collection.ReceiverPeakRssMiB:0} | {collection.ReceiverCpuSeconds:0.0} |");
    }

    Console.WriteLine();
    Console.WriteLine("What each collected span cost, from the first span at the sink to the last (the sink runs in the bench process):");
    Console.WriteLine();
    Console.WriteLine("| collection | WAL bytes / span | PostgreSQL CPU µs / span | receiver CPU µs / span | sink CPU µs / span |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
    foreach (var (layout, collection) in collections)
    {
        var d = collection.DrainCost;
        Console.WriteLine($"| {Name(layout)} | {d.WalBytes:0} | {d.PostgresCpuMicros:0.0} | {collection.ReceiverCpuMicrosPerSpan:0.0} | {d.GeneratorCpuMicros:0.0} |");
        if (collection.ReferenceCost is { } c)
        {
            Console.WriteLine($"| (c) claim-and-delete, per row, expired rows {layout.ToString().ToLowerInvariant()} | {c.WalBytes:0} | {c.PostgresCpuMicros:0.0} | | |");
        }
    }

    // The idle plan reads the index the drains just emptied; the last layout's is as good as any.
    Console.WriteLine();
    Console.WriteLine("Idle collection cycle (nothing expired), the claim's scan:");
    Console.WriteLine("```");
    Console.WriteLine(collections[^1].Result.IdlePlan);
    Console.WriteLine("```");
}
