using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver.Telemetry;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Removes what has outlived its retention, once per cycle: tombstones past their <c>stopped_until</c>, dead
/// letters older than <c>DeadLetterRetention</c>, records of collected spans older than <c>CollectedRetention</c>
/// or beyond <c>CollectedMaxRows</c>; then measures the dead letters. Each statement removes a bounded
/// number of rows and is repeated while it comes back full, so however fast stops arrive, a cycle keeps up.
/// </summary>
public sealed partial class RetentionPurge(
    CollectionStore store,
    IOptions<PartialReceiverOptions> options,
    ReceiverMetrics metrics,
    ILogger<RetentionPurge> logger)
{
    /// <summary>Rows per statement: short transactions and few row locks at a time.</summary>
    public const int Limit = 10_000;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var tombstones = await RepeatWhileFullAsync(ct => store.PurgeTombstonesAsync(Limit, ct), cancellationToken);
        var retention = options.Value.DeadLetterRetention;
        var deadLetters = await RepeatWhileFullAsync(ct => store.PurgeDeadLettersAsync(retention, Limit, ct), cancellationToken);
        var settings = options.Value;
        await RepeatWhileFullAsync(ct => store.PurgeCollectedAsync(settings.CollectedRetention, settings.CollectedMaxRows, Limit, ct), cancellationToken);
        metrics.DeadLettersMeasured(await store.CountDeadLettersAsync(cancellationToken));
        if (deadLetters > 0)
        {
            LogDeadLettersPurged(deadLetters, retention);
        }

        if (tombstones > 0)
        {
            LogTombstonesPurged(tombstones);
        }
    }

    private static async Task<long> RepeatWhileFullAsync(Func<CancellationToken, Task<int>> purge, CancellationToken cancellationToken)
    {
        long total = 0;
        int removed;
        do
        {
            removed = await purge(cancellationToken);
            total += removed;
        }
        while (removed >= Limit && !cancellationToken.IsCancellationRequested);

        return total;
    }

    [LoggerMessage(LogLevel.Information, "Purged {Rows} dead letters older than {Retention}")]
    private partial void LogDeadLettersPurged(long rows, TimeSpan retention);

    [LoggerMessage(LogLevel.Debug, "Purged {Rows} tombstones past their retention")]
    private partial void LogTombstonesPurged(long rows);
}
