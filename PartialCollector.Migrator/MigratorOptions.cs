namespace PartialCollector.Migrator;

/// <summary>Configuration section <c>Migrator</c>, checked by <see cref="MigratorOptionsValidator"/>. Durations accept Go syntax (<c>5s</c>) or hh:mm:ss.</summary>
public sealed class MigratorOptions
{
    public const string Section = "Migrator";

    /// <summary>How long to wait for PostgreSQL to accept connections and take writes (a primary, not read-only) before giving up; at most 1 h.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Width of the expiry buckets the Receiver claims by (1 s to 1 h): a span is collected once its bucket has passed, so up to
    /// this long after its exact expiry, and a heartbeat moves an indexed column once a bucket rather than every time
    /// (5 s heartbeats: one in six). Changing it rebuilds the column at the next migration.
    /// </summary>
    public TimeSpan ExpiryBucket { get; set; } = TimeSpan.FromSeconds(30);
}
