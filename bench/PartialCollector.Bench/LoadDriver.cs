using System.Diagnostics;

namespace PartialCollector.Bench;

/// <summary>
/// Runs <paramref name="clients"/> concurrent senders for a warm-up and then a measured time; a request counts
/// only when it started inside the measured time and was acknowledged. The warm-up keeps start-up costs (JIT
/// and tiering, pool growth, first inserts) out of the steady-state figures.
/// </summary>
public static class LoadDriver
{
    /// <param name="send">Sends request number <c>i</c> of client <c>c</c>; returns the records it carried.</param>
    /// <param name="measuring">Called once when the measured time begins (e.g. to read a process's CPU time).</param>
    public static async Task<LoadResult> RunAsync(
        string name, int clients, TimeSpan warmUp, TimeSpan duration, Func<int, long, Task<int>> send, Action? measuring = null)
    {
        var latencies = Enumerable.Range(0, clients).Select(_ => new List<long>(1 << 16)).ToArray();
        long records = 0;
        long failures = 0;
        using var stop = new CancellationTokenSource(warmUp + duration);
        var measuredFrom = Stopwatch.GetTimestamp() + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var measuringStarted = 0;
        var senders = Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var measured = t0 >= measuredFrom;
                if (measured && Interlocked.Exchange(ref measuringStarted, 1) == 0)
                {
                    measuring?.Invoke();
                }

                try
                {
                    var n = await send(client, i);
                    if (measured)
                    {
                        latencies[client].Add(Stopwatch.GetTimestamp() - t0);
                        Interlocked.Add(ref records, n);
                    }
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    if (measured)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (Exception)
                {
                    break;
                }
            }
        })));
        await senders;
        return LoadResult.From(name, latencies, records, failures, Stopwatch.GetElapsedTime(measuredFrom));
    }
}
