using Npgsql;
using PartialCollector.Core.Storage;

namespace PartialCollector.Core.Tests.Unit;

public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void TranslatesTheOriginalsUrlForm()
    {
        var normalized = new NpgsqlConnectionStringBuilder(
            PostgresConnectionString.Normalize("postgres://postgres:te%40st@db.local:40444/otelpartialcollector?sslmode=disable"));

        Assert.Equal(("db.local", 40444, "postgres", "te@st", "otelpartialcollector", SslMode.Disable),
            (normalized.Host, normalized.Port, normalized.Username, normalized.Password, normalized.Database, normalized.SslMode));
    }

    [Fact]
    public void LeavesKeywordFormAlone() =>
        Assert.Equal("Host=a;Database=b", PostgresConnectionString.Normalize("Host=a;Database=b"));

    [Fact]
    public void RejectsAnUnknownSslModeNamingTheKey()
    {
        var error = Assert.Throws<FormatException>(() => PostgresConnectionString.Normalize("postgres://u@h/db?sslmode=sometimes"));
        Assert.Contains(PartialsConnection.ConfigurationKey, error.Message);
    }
}
