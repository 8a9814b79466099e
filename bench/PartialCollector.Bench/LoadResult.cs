namespace PartialCollector.Bench;

/// <summary>What one load shape achieved: acknowledged records per second and request latency.</summary>
public sealed record LoadResult(string Name, long Records, long Requests, long Failures, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    public static LoadResult From(string name, List<long>[] latencies, long records, long failures, TimeSpan elapsed)
    {
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))] * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        return new LoadResult(name, records, all.Length, failures, elapsed, Percentile(0.50), Percentile(0.99));
    }
}
