using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Storage;
using Xunit.Abstractions;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace PartialCollector.AppHost.Tests;

/// <summary>
/// The whole system as `dotnet run` starts it, on this machine's path (no Docker: PostgreSQL from its binaries):
/// a heartbeat sent to the Exporter over OTLP/gRPC with the demo tenant's key (the AppHost's secret parameter),
/// never followed by a stop, comes out of the Receiver into the Aspire dashboard's OTLP endpoint as a span marked
/// <c>partial.gc = true</c>, read back through the dashboard's telemetry API; so do the demo workload's crashed
/// operations, which it sends with the same key; a heartbeat without the key is refused.
/// </summary>
public sealed class AppHostEndToEndTests(ITestOutputHelper output)
{
    private const string DashboardResourceName = "aspire-dashboard";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);
    private static readonly string[] DemoOperationNames = ["nightly-report", "reindex-catalog", "import-batch", "video-transcode", "ledger-reconcile"];

    [Fact]
    public async Task A_span_whose_heartbeats_stop_reaches_the_dashboard_marked_partial_gc()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var cancellationToken = timeout.Token;
        var dataDirectory = Path.Combine(Path.GetTempPath(), "partialcollector-apphost-test-" + Guid.NewGuid().ToString("N")[..12]);
        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        string[] args =
        [
            "--Demo:Enabled=true",
            $"--{PartialsConnection.ConfigurationKey}=", // not an existing server from the environment: the AppHost's own
            $"--LocalPostgres:DataDirectory={dataDirectory}",
            $"--AppHost:DashboardApiKey={apiKey}",
            "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
        ];

        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.PartialCollector_AppHost>(
                args,
                (options, _) =>
                {
                    // The testing builder turns the dashboard off; this test reads what reached it.
                    options.DisableDashboard = false;
                    options.AllowUnsecuredTransport = true;
                },
                cancellationToken);
            builder.CreateResourceBuilder<ProjectResource>("receiver").WithEnvironment("PartialReceiver__GcInterval", "1s");

            // One short operation at a time, each of which crashes: the demo's crashes must reach the dashboard.
            builder.CreateResourceBuilder<ProjectResource>("demo")
                .WithEnvironment("PartialDemo__Concurrency", "1")
                .WithEnvironment("PartialDemo__HeartbeatInterval", "00:00:00.200")
                .WithEnvironment("PartialDemo__MinDuration", "00:00:01")
                .WithEnvironment("PartialDemo__MaxDuration", "00:00:02")
                .WithEnvironment("PartialDemo__CrashOneIn", "1");
            var tenantKey = await builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "demo-tenant-key").GetValueAsync(cancellationToken);
            Assert.False(string.IsNullOrEmpty(tenantKey), "the demo tenant's key is generated");

            await using var app = await builder.BuildAsync(cancellationToken);
            await app.StartAsync(cancellationToken);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("exporter", cancellationToken);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("receiver", cancellationToken);
            var liveViewState = await app.ResourceNotifications.WaitForResourceHealthyAsync("liveview", cancellationToken);
            var traceUrlTemplate = liveViewState.Snapshot.EnvironmentVariables.Single(e => e.Name == "LiveView__TraceUrlTemplate").Value;
            output.WriteLine($"liveview: LiveView__TraceUrlTemplate={traceUrlTemplate}");
            Assert.Equal(app.GetEndpoint(DashboardResourceName, "http").ToString().TrimEnd('/') + "/traces/detail/{traceId}", traceUrlTemplate);
            Assert.Contains(liveViewState.Snapshot.Urls, u => u.DisplayProperties.DisplayName == "Running spans");
            using (var liveView = new HttpClient { BaseAddress = app.GetEndpoint("liveview", "http") })
            {
                using var spans = await liveView.GetFromJsonAsync<JsonDocument>("/api/spans?state=running", cancellationToken);
                Assert.Equal(JsonValueKind.Array, spans!.RootElement.GetProperty("spans").ValueKind);
            }

            var spanName = "apphost-test-" + Guid.NewGuid().ToString("N")[..8];
            var traceId = RandomNumberGenerator.GetBytes(16);
            var exporterEndpoint = app.GetEndpoint("exporter", "OtlpGrpc");
            output.WriteLine($"heartbeat for {spanName} (trace {Convert.ToHexStringLower(traceId)}) to {exporterEndpoint}");
            using (var channel = GrpcChannel.ForAddress(exporterEndpoint))
            {
                var logs = new LogsService.LogsServiceClient(channel);
                var anonymous = await Assert.ThrowsAsync<RpcException>(() => logs.ExportAsync(
                    Heartbeat("apphost-test-without-key", RandomNumberGenerator.GetBytes(16), frequency: "200ms"), cancellationToken: cancellationToken).ResponseAsync);
                Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);

                var response = await logs.ExportAsync(
                    Heartbeat(spanName, traceId, frequency: "200ms"), new Metadata { { "authorization", $"Bearer {tenantKey}" } }, cancellationToken: cancellationToken);
                Assert.True(response.PartialSuccess is null || response.PartialSuccess.RejectedLogRecords == 0, response.PartialSuccess?.ErrorMessage);
            }

            // The testing builder picks the dashboard's ports itself: ask the dashboard resource for its endpoint.
            var dashboardUrl = app.GetEndpoint(DashboardResourceName, "http");
            output.WriteLine($"dashboard at {dashboardUrl}");
            using var dashboard = new HttpClient { BaseAddress = dashboardUrl };
            dashboard.DefaultRequestHeaders.Add("x-api-key", apiKey);
            var seen = "nothing yet";
            using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            while (true)
            {
                try
                {
                    using var traces = await dashboard.GetFromJsonAsync<JsonDocument>("/api/telemetry/traces", cancellationToken)
                        ?? throw new InvalidOperationException("empty answer");
                    var span = FindSpan(traces.RootElement, s => s.GetProperty("name").GetString() == spanName);
                    var demoCrash = FindSpan(traces.RootElement, s => DemoOperationNames.Contains(s.GetProperty("name").GetString()) && IsPartialGc(s));
                    seen = $"{(span is null ? $"no span {spanName}" : span.Value.ToString())}; {(demoCrash is null ? "no crash of the demo" : demoCrash.Value.ToString())}; among {traces.RootElement.GetProperty("totalCount")} traces";
                    if (span is { } found && demoCrash is { } crash)
                    {
                        Assert.Equal(Convert.ToHexStringLower(traceId), found.GetProperty("traceId").GetString()?.ToLowerInvariant());
                        Assert.True(IsPartialGc(found), $"partial.gc = true on {found}");
                        output.WriteLine($"dashboard has it: {found}");
                        output.WriteLine($"and a crash of the demo: {crash}");
                        return;
                    }
                }
                catch (HttpRequestException e)
                {
                    seen = $"dashboard API: {e.Message}";
                }

                try
                {
                    await poll.WaitForNextTickAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"No partial.gc span {spanName} and crash of the demo on the dashboard within {Deadline}; last seen: {seen}");
                }
            }
        }
        finally
        {
            await RemoveDataDirectoryAsync(dataDirectory);
        }
    }

    internal static ExportLogsServiceRequest Heartbeat(string spanName, byte[] traceId, string frequency)
    {
        var start = (ulong)(DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        var traces = new TracesData
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new ProtoResource { Attributes = { Attribute("service.name", "apphost-test") } },
                    ScopeSpans =
                    {
                        new ScopeSpans
                        {
                            Spans =
                            {
                                new Span
                                {
                                    TraceId = ByteString.CopyFrom(traceId),
                                    SpanId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(8)),
                                    Name = spanName,
                                    Kind = Span.Types.SpanKind.Internal,
                                    StartTimeUnixNano = start,
                                },
                            },
                        },
                    },
                },
            },
        };
        return new ExportLogsServiceRequest
        {
            ResourceLogs =
            {
                new ResourceLogs
                {
                    Resource = new ProtoResource { Attributes = { Attribute("service.name", "apphost-test") } },
                    ScopeLogs =
                    {
                        new ScopeLogs
                        {
                            LogRecords =
                            {
                                new LogRecord
                                {
                                    TimeUnixNano = start,
                                    Attributes = { Attribute("partial.event", "heartbeat"), Attribute("partial.frequency", frequency) },
                                    Body = new AnyValue { StringValue = Convert.ToBase64String(traces.ToByteArray()) },
                                },
                            },
                        },
                    },
                },
            },
        };
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static bool IsPartialGc(JsonElement span)
    {
        var gc = span.GetProperty("attributes").EnumerateArray()
            .Where(a => a.GetProperty("key").GetString() == "partial.gc")
            .Select(a => a.GetProperty("value"))
            .ToList();
        return gc.Count == 1 && string.Equals(
            gc[0].TryGetProperty("boolValue", out var b) ? b.ToString() : gc[0].GetProperty("stringValue").GetString(), "true", StringComparison.OrdinalIgnoreCase);
    }

    private static JsonElement? FindSpan(JsonElement answer, Func<JsonElement, bool> match)
    {
        var data = answer.TryGetProperty("data", out var d) ? d : answer;
        if (!data.TryGetProperty("resourceSpans", out var resourceSpans))
        {
            return null;
        }

        foreach (var resource in resourceSpans.EnumerateArray())
        {
            foreach (var scope in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    if (match(span))
                    {
                        return span;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>The AppHost stopped its PostgreSQL on dispose; make sure, then remove the throwaway cluster.</summary>
    private static async Task RemoveDataDirectoryAsync(string root)
    {
        var pidFile = Path.Combine(root, "data", "postmaster.pid");
        var waited = Stopwatch.StartNew();
        while (File.Exists(pidFile) && waited.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(200);
        }

        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
                // already gone
            }
        }

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
