namespace PartialCollector.AppHost.Tests;

internal static class RepositoryPaths
{
    public static string Root => PartialCollector.TestSupport.Repository.Root;

    public static string AppHostProject => Path.Combine(Root, "PartialCollector.AppHost", "PartialCollector.AppHost.csproj");

#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif
}
