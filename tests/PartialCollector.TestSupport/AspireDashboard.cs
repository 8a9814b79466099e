using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace PartialCollector.TestSupport;

/// <summary>
/// A real OTLP trace sink: the standalone Aspire dashboard binary from the <c>Aspire.Dashboard.Sdk.linux-x64</c>
/// package (a <c>PackageDownload</c> of the test project), one per test run, killed at process exit.
/// What arrived is read back from its telemetry API.
/// </summary>
public sealed class AspireDashboard
{
    public const string Version = "13.6.5";
    private static readonly Lazy<Task<AspireDashboard>> Shared = new(StartAsync);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private AspireDashboard(string apiUrl, string otlpGrpcUrl, string otlpHttpUrl)
    {
        ApiUrl = apiUrl;
        OtlpGrpcUrl = otlpGrpcUrl;
        OtlpHttpUrl = otlpHttpUrl;
    }

    public string ApiUrl { get; }

    public string OtlpGrpcUrl { get; }

    public string OtlpHttpUrl { get; }

    public static Task<AspireDashboard> GetAsync() => Shared.Value;

    /// <summary>The span with these hex ids as the dashboard lists it (OTLP/JSON), polling until it arrives or the deadline passes.</summary>
    public async Task<JsonElement?> WaitForSpanAsync(string traceId, string spanId, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (await FindSpanAsync(traceId, spanId) is { } span)
            {
                return span;
            }

            if (DateTime.UtcNow > deadline)
            {
                return null;
            }

            await Task.Delay(100);
        }
    }

    public async Task<JsonElement?> FindSpanAsync(string traceId, string spanId)
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync($"{ApiUrl}/api/telemetry/traces?traceId={traceId}"));
        var root = document.RootElement.TryGetProperty("data", out var data) ? data : document.RootElement;
        if (!root.TryGetProperty("resourceSpans", out var resourceSpans))
        {
            return null;
        }

        foreach (var resource in resourceSpans.EnumerateArray())
        {
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    if (string.Equals(span.GetProperty("traceId").GetString(), traceId, StringComparison.OrdinalIgnoreCase)
                        && string.Equals(span.GetProperty("spanId").GetString(), spanId, StringComparison.OrdinalIgnoreCase))
                    {
                        return span.Clone();
                    }
                }
            }
        }

        return null;
    }

    public static string FindExecutable()
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured)
        {
            roots.Add(configured);
        }

        roots.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"));
        foreach (var root in roots)
        {
            var candidate = Path.Combine(root, "aspire.dashboard.sdk.linux-x64", Version, "tools", "Aspire.Dashboard");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"Aspire.Dashboard.Sdk.linux-x64 {Version} is not in {string.Join(" or ", roots)}; `dotnet restore` of the test project downloads it.");
    }

    private static async Task<AspireDashboard> StartAsync()
    {
        var executable = FindExecutable();

        // The package's permissions file is applied by MSBuild, not by restore: make sure it can run.
        if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(executable).HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(executable, File.GetUnixFileMode(executable) | UnixFileMode.UserExecute);
        }

        var api = $"http://127.0.0.1:{FreePort()}";
        var grpc = $"http://127.0.0.1:{FreePort()}";
        var http = $"http://127.0.0.1:{FreePort()}";
        // Started through a shell that watches our stdin: if the test process dies without running its exit
        // handlers, the pipe closes and the shell stops the dashboard, so no orphan outlives the run.
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "\"$0\" & child=$!; while read -r _; do :; done; kill $child", executable },
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(executable)!,
            Environment =
            {
                ["ASPNETCORE_URLS"] = api,
                ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = grpc,
                ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = http,
                ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
                ["DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
            },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        };

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the dashboard exited with {process.ExitCode}: {output}");
            }

            try
            {
                using var response = await Http.GetAsync($"{api}/api/telemetry/traces");
                if (response.IsSuccessStatusCode && await PortOpenAsync(grpc) && await PortOpenAsync(http))
                {
                    return new AspireDashboard(api, grpc, http);
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the dashboard did not answer within 60 s: {output}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<bool> PortOpenAsync(string url)
    {
        var uri = new Uri(url);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(uri.Host, uri.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
