using Microsoft.Extensions.Configuration;
using PartialCollector.Core.Storage;
using PartialCollector.LocalPostgres;

namespace PartialCollector.AppHost.Database;

/// <summary>
/// Which PostgreSQL the <c>partials</c> connection points at, in this order:
/// <list type="number">
/// <item>an existing server: <c>ConnectionStrings:partials</c> is configured (user secrets, environment
/// <c>ConnectionStrings__partials</c>, or <c>--ConnectionStrings:partials=...</c>): nothing is started;</item>
/// <item>opt-in, run mode: <c>Database:HighAvailability=true</c> runs a pg_auto_failover monitor and two nodes from
/// the machine's binaries (<see cref="LocalAutoFailover"/>);</item>
/// <item>a container: a container engine answers, or the AppHost is publishing (manifests always describe
/// the PostgreSQL container with a data volume, whatever this machine has);</item>
/// <item>local binaries: run mode, no container engine, PostgreSQL's binaries installed
/// (<see cref="LocalPostgres"/>);</item>
/// <item>otherwise start-up stops with <see cref="NoDatabaseException"/> naming the three ways out.</item>
/// </list>
/// </summary>
internal static class PartialsDatabaseChoice
{
    public const string ConnectionName = PartialsConnection.Name;

    public static PartialsDatabase AddPartialsDatabase(this IDistributedApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionName)))
        {
            // The dotnet/eShop pattern: a connection-string resource whose value comes from configuration.
            return new PartialsDatabase(builder.AddConnectionString(ConnectionName), null, $"existing server from ConnectionStrings:{ConnectionName}");
        }

        if (builder.ExecutionContext.IsRunMode && builder.Configuration.GetValue<bool>(LocalAutoFailover.Setting))
        {
            var binaries = LocalPostgres.FindBinDirectory(builder.Configuration);
            if (binaries is not null && PostgresBinaries.FindPgAutoctl(binaries) is { } pgAutoctl)
            {
                return LocalAutoFailover.Add(builder, binaries, pgAutoctl, ConnectionName);
            }

            throw new NoDatabaseException(
                $"{LocalAutoFailover.Setting}=true runs a pg_auto_failover monitor and two nodes from this machine's binaries, and found "
                + (binaries is null ? "no PostgreSQL binaries" : $"no pg_autoctl with the pgautofailover extension for the PostgreSQL in {binaries}")
                + ". Install them (Debian/Ubuntu: `apt-get install postgresql-15-auto-failover`, which brings PostgreSQL 15), or leave the setting off.");
        }

        string evidence = "publishing";
        if (builder.ExecutionContext.IsPublishMode || ContainerRuntimeProbe.IsAvailable(out evidence))
        {
            var database = builder.AddPostgres("postgres")
                .WithDataVolume()
                .AddDatabase(ConnectionName);
            return new PartialsDatabase(database, database, $"PostgreSQL container ({evidence})");
        }

        if (LocalPostgres.FindBinDirectory(builder.Configuration) is { } bin)
        {
            return LocalPostgres.Add(builder, bin, ConnectionName);
        }

        throw new NoDatabaseException(
            $"PartialCollector.AppHost needs PostgreSQL and found no way to get one ({evidence}, no PostgreSQL binaries). Do one of: "
            + $"(1) point it at an existing server: set ConnectionStrings__{ConnectionName}=\"Host=...;Database={ConnectionName};Username=...;Password=...\" "
            + $"(or `dotnet user-secrets set ConnectionStrings:{ConnectionName} ...` in PartialCollector.AppHost); "
            + "(2) start a container engine (Docker or Podman) so the AppHost runs PostgreSQL in a container; "
            + "(3) install PostgreSQL's binaries (Debian/Ubuntu: `apt-get install postgresql`; or set PG_BIN / LocalPostgres:BinDirectory to the folder holding initdb and postgres) so the AppHost runs a local server.");
    }
}

/// <summary>No PostgreSQL can be had; the message says what to do.</summary>
internal sealed class NoDatabaseException(string message) : Exception(message);
