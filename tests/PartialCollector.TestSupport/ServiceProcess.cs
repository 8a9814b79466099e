using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace PartialCollector.TestSupport;

/// <summary>
/// A service (the Exporter, the Receiver) as a process of its own, as deployed: <c>dotnet X.dll</c> from the
/// service's own build output, which is also its content root, so it reads its own <c>appsettings.json</c> as
/// <c>dotnet run</c> and a container do. A test project names the services it runs so with
/// <c>&lt;ProjectReference ... ServiceProcess="true" /&gt;</c> (and <c>ReferenceOutputAssembly="false" Private="false"</c>
/// for a service it does not otherwise reference): tests/Directory.Build.targets builds the service first and
/// records where its assembly is in the test assembly's metadata.
/// </summary>
public class ServiceProcess : IAsyncDisposable
{
    /// <summary>The metadata key tests/Directory.Build.targets writes, followed by the service's assembly name.</summary>
    public const string MetadataPrefix = "ServiceProcess:";

    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    protected ServiceProcess(Process process, string name)
    {
        this.process = process;
        Name = name;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The service's assembly name, e.g. <c>PartialCollector.Exporter</c>.</summary>
    public string Name { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>The service's assembly in its own build output, as the test project recorded it.</summary>
    public static string AssemblyPath(string name)
    {
        var key = MetadataPrefix + name;
        var recorded = AppDomain.CurrentDomain.GetAssemblies()
            .SelectMany(a => a.GetCustomAttributes<AssemblyMetadataAttribute>())
            .FirstOrDefault(m => m.Key == key)?.Value;
        if (recorded is null)
        {
            throw new InvalidOperationException(
                $"No test assembly records where {name} is built: add <ProjectReference Include=\".../{name}.csproj\" ServiceProcess=\"true\" /> "
                + "(with ReferenceOutputAssembly=\"false\" Private=\"false\" when the tests do not otherwise reference it) to the test project.");
        }

        return File.Exists(recorded)
            ? recorded
            : throw new InvalidOperationException($"{recorded} is missing: building the test project builds {name} first.");
    }

    /// <summary>
    /// Starts the service with <paramref name="environment"/> over a clean environment: no configuration of this
    /// process reaches it; <c>Production</c>, with warnings and the host's lifetime messages logged.
    /// </summary>
    protected static Process Launch(string name, IReadOnlyDictionary<string, string> environment)
    {
        var dll = AssemblyPath(name);
        var folder = Path.GetDirectoryName(dll)!;
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add(dll);
        foreach (var inherited in start.Environment.Keys.Where(IsServiceSetting).ToList())
        {
            start.Environment.Remove(inherited);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_CONTENTROOT"] = folder;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // "Application started" / "Application is shutting down...": tests wait for these.
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
    }

    /// <summary>SIGTERM, as an orchestrator stops a container.</summary>
    public async Task TerminateAsync()
    {
        var kill = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        kill.ArgumentList.Add("-TERM");
        kill.ArgumentList.Add(process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var sender = Process.Start(kill) ?? throw new InvalidOperationException("could not run kill");
        await sender.WaitForExitAsync();
        if (sender.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {process.Id} exited {sender.ExitCode}: {await sender.StandardError.ReadToEndAsync()}");
        }
    }

    /// <summary>Waits for the process to exit; false if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits until the process has written a line containing <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        Poll.UntilAsync(() => Task.FromResult(output.Any(line => line.Contains(text, StringComparison.Ordinal))), found => found, timeout, $"{Name} to write '{text}'");

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns once <paramref name="health"/> answers 200; throws with the process's output when it exits or the time runs out.</summary>
    protected async Task WaitUntilHealthyAsync(Uri health, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} during start-up:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(health);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name}'s {health} did not answer 200 within {timeout.TotalSeconds} s:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The host running these tests when the CLI says which it is, else <c>dotnet</c> from PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Configuration this test process may carry that must not reach the service.</summary>
    private static bool IsServiceSetting(string key) =>
        key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Kestrel__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("PartialExporter__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("PartialReceiver__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || key.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase);

    private void Record(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }
}
