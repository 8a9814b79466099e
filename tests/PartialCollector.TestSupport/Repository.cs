namespace PartialCollector.TestSupport;

/// <summary>The repository the tests run from.</summary>
public static class Repository
{
    /// <summary>The folder holding PartialCollector.sln, found upwards from the test's output folder.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PartialCollector.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"PartialCollector.sln not found above {AppContext.BaseDirectory}");
        }
    }
}
