namespace PartialCollector.Core.Storage;

/// <param name="Expired">Rows past their expiry and not leased by any receiver.</param>
/// <param name="OldestAge">How long ago the oldest of them expired; zero when there is none.</param>
public readonly record struct BacklogStats(long Expired, TimeSpan OldestAge);
