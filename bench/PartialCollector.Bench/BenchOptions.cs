namespace PartialCollector.Bench;

/// <summary>
/// Command-line settings: <c>[--connection CS] --exporter DLL --receiver DLL [--quick] [--exporter-env KEY=VALUE]...
/// [--receiver-env KEY=VALUE]... [--only TEXT]... [--keys N] [--expiry-bucket SECONDS] [--warm-up SECONDS] [--layout contiguous|scattered] [--postgres-setting NAME=VALUE]...</c>; <c>--only</c> runs just the runs whose name contains one of the texts (the references always run);
/// <c>--keys</c> is how many spans the loads cycle through (100,000): at a given rate, how often each span is refreshed;
/// <c>--expiry-bucket</c> is the schema's Migrator:ExpiryBucket (30): how often a refreshed span moves an indexed column
/// (the collection run's seeded spans are due only with buckets of up to 30 s); <c>--warm-up</c> is the load before each
/// measured window, not counted (15 s; 2 s with <c>--quick</c>); <c>--layout</c> runs the collection run on one layout of
/// its expired rows instead of both (see <see cref="ExpiredLayout"/>); <c>--postgres-setting</c> sets a server setting of the bench's
/// own PostgreSQL (e.g. <c>full_page_writes=off</c>, to see what a measurement owes to full-page images).
/// Without <c>--connection</c> (<see cref="Connection"/> empty) the bench starts a throwaway PostgreSQL of its own (<see cref="BenchDatabase"/>).
/// </summary>
public sealed record BenchOptions(
    string Connection, string ExporterDll, string ReceiverDll, bool Quick, Dictionary<string, string> ExporterEnvironment, Dictionary<string, string> ReceiverEnvironment, string[] Only, int Keys = 100_000, int ExpiryBucketSeconds = 30, int? WarmUpSeconds = null, ExpiredLayout[]? Layout = null, string[]? PostgresSettings = null)
{
    public bool Runs(string name) => Only.Length == 0 || Only.Any(o => name.Contains(o, StringComparison.OrdinalIgnoreCase));

    public TimeSpan ShapeDuration => Quick ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(20);

    /// <summary>
    /// Load before each measured time, not counted. The Exporter keeps tiered compilation (its steady state is what
    /// matters), and on two cores its re-compilation at tier 1 took 20-30 % of a core for the first 10-11 s of load: a
    /// 5 s warm-up left half of that inside the measured window.
    /// </summary>
    public TimeSpan WarmUp => TimeSpan.FromSeconds(WarmUpSeconds ?? (Quick ? 2 : 15));

    /// <summary>Where the collection run's expired rows lie (see <see cref="ExpiredLayout"/>): both, one after the other, unless <c>--layout</c> names one.</summary>
    public ExpiredLayout[] Layouts => Layout ?? [ExpiredLayout.Contiguous, ExpiredLayout.Scattered];

    public int CollectionLive => Quick ? 90_000 : 900_000;

    public int CollectionExpired => Quick ? 10_000 : 100_000;

    public static BenchOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        return new BenchOptions(
            Value("--connection") ?? "",
            Value("--exporter") ?? throw new ArgumentException("--exporter (path to PartialCollector.Exporter.dll) is required"),
            Value("--receiver") ?? throw new ArgumentException("--receiver (path to PartialCollector.Receiver.dll) is required"),
            args.Contains("--quick"),
            Settings(args, "--exporter-env"),
            Settings(args, "--receiver-env"),
            [.. args.Select((a, i) => (a, i)).Where(x => x.a == "--only" && x.i + 1 < args.Length).Select(x => args[x.i + 1])],
            Value("--keys") is { } keys ? int.Parse(keys, System.Globalization.CultureInfo.InvariantCulture) : 100_000,
            Value("--expiry-bucket") is { } bucket ? int.Parse(bucket, System.Globalization.CultureInfo.InvariantCulture) : 30,
            Value("--warm-up") is { } warmUp ? int.Parse(warmUp, System.Globalization.CultureInfo.InvariantCulture) : null,
            Value("--layout") is { } layout ? [Enum.Parse<ExpiredLayout>(layout, ignoreCase: true)] : null,
            [.. args.Select((a, i) => (a, i)).Where(x => x.a == "--postgres-setting" && x.i + 1 < args.Length).Select(x => args[x.i + 1])]);
    }

    private static Dictionary<string, string> Settings(string[] args, string option) =>
        args.Select((a, i) => (a, i)).Where(x => x.a == option && x.i + 1 < args.Length)
            .Select(x => args[x.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
}
