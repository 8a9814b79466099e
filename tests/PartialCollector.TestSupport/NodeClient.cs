using System.Diagnostics;

namespace PartialCollector.TestSupport;

/// <summary>Runs tests/js-client (npm's OTLP/HTTP JSON log exporter), installing its pinned packages on first use.</summary>
public static class NodeClient
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static string Directory { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "js-client"));

    /// <param name="headers">OTEL_EXPORTER_OTLP_HEADERS for the exporter (<c>Authorization=Bearer%20{key}</c>).</param>
    public static async Task SendAsync(Uri logsUrl, string partialEvent, string traceId, string spanId, string flavor, string frequency = "5000ms", string? headers = null)
    {
        await EnsureInstalledAsync();
        await RunAsync("node", ["send-partial-logs.mjs", logsUrl.ToString(), partialEvent, traceId, spanId, flavor, frequency], headers);
    }

    private static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@opentelemetry", "exporter-logs-otlp-http")))
            {
                await RunAsync("npm", ["ci", "--no-audit", "--no-fund"]);
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task RunAsync(string fileName, string[] arguments, string? headers = null)
    {
        var start = new ProcessStartInfo(fileName) { WorkingDirectory = Directory, RedirectStandardError = true, RedirectStandardOutput = true };
        if (headers is not null)
        {
            start.Environment["OTEL_EXPORTER_OTLP_HEADERS"] = headers;
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{fileName}' is needed for the npm client tests (Node.js 18.19+ with npm): {e.Message}", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}{await stdout}");
            }
        }
    }
}
