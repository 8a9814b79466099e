using System.Diagnostics;

namespace PartialCollector.Bench;

/// <summary>
/// Runs <paramref name="clients"/> concurrent senders for a fixed time; each request counts only when acknowledged.
/// </summary>
public static class LoadDriver
{
    /// <param name="send">Sends request number <c>i</c> of client <c>c</c>; returns the records it carried.</param>
    public static async Task<LoadResult> RunAsync(string name, int clients, TimeSpan duration, Func<int, long, Task<int>> send)
    {
        var latencies = Enumerable.Range(0, clients).Select(_ => new List<long>(1 << 16)).ToArray();
        long records = 0;
        long failures = 0;
        using var stop = new CancellationTokenSource(duration);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    var n = await send(client, i);
                    latencies[client].Add(Stopwatch.GetTimestamp() - t0);
                    Interlocked.Add(ref records, n);
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failures);
                }
                catch (Exception)
                {
                    break;
                }
            }
        })));
        return LoadResult.From(name, latencies, records, failures, Stopwatch.GetElapsedTime(started));
    }
}
