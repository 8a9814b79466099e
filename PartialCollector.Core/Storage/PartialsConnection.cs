namespace PartialCollector.Core.Storage;

/// <summary>
/// The name of the services' PostgreSQL connection, in one place: the AppHost's database resource, the Migrator's
/// and the services' <c>ConnectionStrings:partials</c>, and the tests that hand the services a database.
/// </summary>
public static class PartialsConnection
{
    public const string Name = "partials";

    /// <summary>The configuration key that holds the connection string: <c>ConnectionStrings:partials</c>.</summary>
    public const string ConfigurationKey = "ConnectionStrings:" + Name;

    /// <summary>The same key as an environment variable: <c>ConnectionStrings__partials</c>.</summary>
    public const string EnvironmentVariable = "ConnectionStrings__" + Name;
}
