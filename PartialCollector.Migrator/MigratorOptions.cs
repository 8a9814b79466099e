using System.ComponentModel.DataAnnotations;

namespace PartialCollector.Migrator;

public sealed class MigratorOptions
{
    public const string Section = "Migrator";

    /// <summary>How long to wait for PostgreSQL to accept connections and take writes (a primary, not read-only) before giving up.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Width of the expiry buckets the Receiver claims by: a span is collected once its bucket has passed, so up to
    /// this long after its exact expiry, and a heartbeat moves an indexed column once a bucket rather than every time
    /// (5 s heartbeats: one in six). Changing it rebuilds the column at the next migration.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ExpiryBucket { get; set; } = TimeSpan.FromSeconds(30);
}
