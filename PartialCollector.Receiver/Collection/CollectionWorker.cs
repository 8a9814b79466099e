using Microsoft.Extensions.Options;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Runs a collection cycle at start and then every <c>GcInterval</c> ± jitter, so replicas on one clock
/// drift apart; after failed cycles it backs off exponentially up to <c>MaxBackoff</c>.
/// </summary>
public sealed partial class CollectionWorker(
    CollectionCycle cycle,
    IOptions<PartialReceiverOptions> options,
    TimeProvider timeProvider,
    ILogger<CollectionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool failed;
            try
            {
                failed = (await cycle.RunOnceAsync(stoppingToken)).Failed;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Typically the database is unreachable; the rows wait in it, so try again later.
                LogCycleFailed(e);
                failed = true;
            }

            failures = failed ? failures + 1 : 0;
            var wait = failures == 0
                ? NextWait(settings.GcInterval, settings.EffectiveJitter, Random.Shared.NextDouble() * 2 - 1)
                : Backoff(settings.GcInterval, settings.MaxBackoff, failures, settings.EffectiveJitter, Random.Shared.NextDouble() * 2 - 1);
            try
            {
                await Task.Delay(wait, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary><paramref name="interval"/> + <paramref name="unit"/> × <paramref name="jitter"/> (unit in [-1, 1]), never negative.</summary>
    public static TimeSpan NextWait(TimeSpan interval, TimeSpan jitter, double unit)
    {
        var wait = interval + jitter * Math.Clamp(unit, -1, 1);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    /// <summary>interval × 2^failures, jittered, capped at <paramref name="max"/>.</summary>
    public static TimeSpan Backoff(TimeSpan interval, TimeSpan max, int failures, TimeSpan jitter, double unit)
    {
        var doubled = interval.Ticks * Math.Pow(2, Math.Min(failures, 30));
        var capped = doubled >= max.Ticks ? max : TimeSpan.FromTicks((long)doubled);
        var wait = NextWait(capped, jitter, unit);
        return wait > max ? max : wait;
    }

    [LoggerMessage(LogLevel.Error, "Collection cycle failed; backing off")]
    private partial void LogCycleFailed(Exception exception);
}
