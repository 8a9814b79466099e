using DbUp.Engine.Output;

namespace PartialCollector.Migrator;

/// <summary>Sends DbUp's progress to the host's logging, so it reaches the dashboard like any other log.</summary>
internal sealed class UpgradeLogAdapter(ILogger logger) : IUpgradeLog
{
#pragma warning disable CA2254, CA1848 // DbUp hands over its own format strings: nothing to generate a logger method from.
    public void LogTrace(string format, params object[] args) => logger.LogTrace(format, args);

    public void LogDebug(string format, params object[] args) => logger.LogDebug(format, args);

    public void LogInformation(string format, params object[] args) => logger.LogInformation(format, args);

    public void LogWarning(string format, params object[] args) => logger.LogWarning(format, args);

    public void LogError(string format, params object[] args) => logger.LogError(format, args);

    public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, format, args);
#pragma warning restore CA2254, CA1848
}
