namespace PartialCollector.AppHost.Database;

/// <summary>The <c>partials</c> connection every service reads, and the server behind it when the AppHost runs one.</summary>
/// <param name="Database">The connection-string resource the services reference (<c>ConnectionStrings__partials</c>).</param>
/// <param name="Server">What to wait for before migrating, or null for a server the AppHost does not run.</param>
/// <param name="Description">One line on which option was taken, for the start-up log.</param>
internal sealed record PartialsDatabase(
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResource>? Server,
    string Description);
