using System.Collections.Concurrent;
using System.Diagnostics;
using PartialCollector.Core.Storage;

namespace PartialCollector.Tests.Infrastructure;

/// <summary>
/// The real Exporter as a process of its own (<c>dotnet PartialCollector.Exporter.dll</c> from the test output folder),
/// on free loopback ports, so a test can send it signals and watch it exit.
/// </summary>
public sealed class ExporterProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly string contentRoot;
    private readonly ConcurrentQueue<string> output = new();

    private ExporterProcess(Process process, string contentRoot, int grpcPort, int httpPort)
    {
        this.process = process;
        this.contentRoot = contentRoot;
        GrpcEndpoint = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpEndpoint = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public Uri GrpcEndpoint { get; }

    public Uri HttpEndpoint { get; }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>Starts the Exporter and returns once its <c>/health</c> (PostgreSQL included) answers 200.</summary>
    public static async Task<ExporterProcess> StartAsync(string connectionString, Dictionary<string, string>? settings = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "PartialCollector.Exporter.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: the test project references PartialCollector.Exporter, so a build puts it there");
        }

        // The test folder holds the appsettings.json of every referenced web project (the last one copied wins), so
        // the content root is an empty folder of its own: the Exporter runs on its coded defaults and this environment.
        var contentRoot = Directory.CreateTempSubdirectory("partialcollector-exporter-").FullName;
        var grpcPort = FreePorts.Next();
        var httpPort = FreePorts.Next();
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = contentRoot,
        };
        start.ArgumentList.Add(dll);
        foreach (var inherited in start.Environment.Keys.Where(IsExporterSetting).ToList())
        {
            start.Environment.Remove(inherited);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_CONTENTROOT"] = contentRoot;
        start.Environment[PartialsConnection.EnvironmentVariable] = connectionString;
        start.Environment["Kestrel__Endpoints__OtlpGrpc__Url"] = $"http://127.0.0.1:{grpcPort}";
        start.Environment["Kestrel__Endpoints__OtlpHttp__Url"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // "Application started" / "Application is shutting down...": tests wait for these.
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings ?? [])
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var exporter = new ExporterProcess(process, contentRoot, grpcPort, httpPort);
        process.OutputDataReceived += (_, e) => exporter.Record(e.Data);
        process.ErrorDataReceived += (_, e) => exporter.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await exporter.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            return exporter;
        }
        catch
        {
            await exporter.DisposeAsync();
            throw;
        }
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
        Poll.UntilAsync(() => Task.FromResult(output.Any(line => line.Contains(text, StringComparison.Ordinal))), found => found, timeout, $"the Exporter to write '{text}'");

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        try
        {
            Directory.Delete(contentRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the Exporter exited with {process.ExitCode} during start-up:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(HttpEndpoint, "/health"));
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
                throw new TimeoutException($"the Exporter's /health did not answer 200 within {timeout.TotalSeconds} s:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The host running these tests when the CLI says which it is, else <c>dotnet</c> from PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Configuration this test process may carry that must not reach the Exporter.</summary>
    private static bool IsExporterSetting(string key) =>
        key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Kestrel__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("PartialExporter__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || key.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase);
}
