using System.Diagnostics;
using Npgsql;

namespace PartialCollector.Bench;

/// <summary>
/// What a run cost the database, read around its measured window: updates and how many were HOT
/// (pg_stat_user_tables), WAL bytes written, CPU seconds of every PostgreSQL process and of this load generator
/// (from /proc, steadier than throughput on a shared machine).
/// </summary>
public sealed class DatabaseCost(NpgsqlDataSource dataSource)
{
    public sealed record Snapshot(long Updates, long HotUpdates, long WalBytes, double PostgresCpu, double GeneratorCpu);

    /// <summary>One run's cost per acknowledged record.</summary>
    public sealed record PerRecord(double HotShare, double WalBytes, double PostgresCpuMicros, double GeneratorCpuMicros);

    /// <param name="table">The table whose updates are counted.</param>
    public Snapshot Take(string table = "partial_traces")
    {
        using var connection = dataSource.OpenConnection();
        using var command = new NpgsqlCommand(
            """
            SELECT coalesce((SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = $1), 0),
                   coalesce((SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1), 0),
                   pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
        using var reader = command.ExecuteReader();
        reader.Read();
        return new Snapshot(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), PostgresCpuSeconds(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);
    }

    /// <summary>
    /// A checkpoint now, before a run's warm-up: otherwise whether a scheduled one (every 5 minutes, or after 1 GB of
    /// WAL) falls inside a measured window, and makes every page changed after it write a full-page image, is chance,
    /// and it once doubled a run's WAL per record. After this the warm-up pays the images of the pages it touches.
    /// </summary>
    public async Task CheckpointAsync()
    {
        await using var command = dataSource.CreateCommand("CHECKPOINT");
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The statistics of a run's last second reach pg_stat_user_tables about a second later.</summary>
    public Snapshot TakeSettled(Snapshot atEnd, string table = "partial_traces")
    {
        Thread.Sleep(TimeSpan.FromSeconds(1.5));
        var settled = Take(table);
        return atEnd with { Updates = settled.Updates, HotUpdates = settled.HotUpdates };
    }

    public static PerRecord Per(Snapshot start, Snapshot end, long records)
    {
        var updates = end.Updates - start.Updates;
        return new PerRecord(
            updates == 0 ? 0 : (double)(end.HotUpdates - start.HotUpdates) / updates,
            (double)(end.WalBytes - start.WalBytes) / records,
            (end.PostgresCpu - start.PostgresCpu) * 1e6 / records,
            (end.GeneratorCpu - start.GeneratorCpu) * 1e6 / records);
    }

    // utime + stime of every process named postgres (the server and its backends), plus cutime + cstime (the
    // postmaster's: the backends and workers that have ended), in clock ticks of 1/100 s. Without the latter, a
    // backend that ended inside a window (the pool pruning an idle connection) took its CPU out of the sum.
    private static double PostgresCpuSeconds()
    {
        double ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(stat.IndexOf('(') + 1, close - stat.IndexOf('(') - 1).StartsWith("postgres", StringComparison.Ordinal))
                {
                    continue;
                }

                var fields = stat[(close + 2)..].Split(' ');
                for (var field = 11; field <= 14; field++)
                {
                    ticks += double.Parse(fields[field], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return ticks / 100;
    }
}
