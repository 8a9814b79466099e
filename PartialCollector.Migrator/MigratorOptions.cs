using System.ComponentModel.DataAnnotations;

namespace PartialCollector.Migrator;

public sealed class MigratorOptions
{
    public const string Section = "Migrator";

    /// <summary>How long to wait for PostgreSQL to accept connections and take writes (a primary, not read-only) before giving up.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
