using Microsoft.Extensions.Hosting;
using Npgsql;

namespace PartialCollector.Core.Storage;

/// <summary>The services' PostgreSQL: Aspire's NpgsqlDataSource (health check, metrics, traces) for <c>ConnectionStrings:partials</c>.</summary>
public static class PartialsDataSourceExtensions
{
    /// <summary>
    /// Accepts the original's <c>postgres://</c> URL form too, and turns on Npgsql's automatic preparation
    /// unless the connection string sets it: the write and collection statements run thousands of times a second, and
    /// preparing them saves PostgreSQL a parse and plan each time (the original's pgx caches them likewise).
    /// </summary>
    public static TBuilder AddPartialsDataSource<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddNpgsqlDataSource(PartialsConnection.Name, settings => settings.ConnectionString = Tune(settings.ConnectionString));
        return builder;
    }

    private static string? Tune(string? connectionString)
    {
        if (connectionString is null)
        {
            return null;
        }

        var tuned = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Normalize(connectionString));
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            tuned.MaxAutoPrepare = 32;
            tuned.AutoPrepareMinUsages = 2;
        }

        return tuned.ConnectionString;
    }
}
