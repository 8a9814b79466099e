using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Google.Protobuf;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Trace.V1;
using Xunit.Abstractions;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace PartialCollector.AppHost.Tests;

/// <summary>
/// The whole system as `dotnet run` starts it, on this machine's path (no Docker: PostgreSQL from its binaries):
/// a heartbeat sent to the Exporter over OTLP/gRPC, never followed by a stop, comes out of the Receiver into the
/// Aspire dashboard's OTLP endpoint as a span marked <c>partial.gc = true</c>, read back through the dashboard's
/// telemetry API.
/// </summary>
public sealed class AppHostEndToEndTests(ITestOutputHelper output)
{
    private const string DashboardResourceName = "aspire-dashboard";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_span_whose_heartbeats_stop_reaches_the_dashboard_marked_partial_gc()
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var cancellationToken = timeout.Token;
        var dataDirectory = Path.Combine(Path.GetTempPath(), "partialcollector-apphost-test-" + Guid.NewGuid().ToString("N")[..12]);
        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        string[] args =
        [
            "--Demo:Enabled=false",
            "--ConnectionStrings:partials=", // not an existing server from the environment: the AppHost's own
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
                var response = await new LogsService.LogsServiceClient(channel)
                    .ExportAsync(Heartbeat(spanName, traceId, frequency: "200ms"), cancellationToken: cancellationToken);
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
                    var span = FindSpan(traces.RootElement, spanName);
                    seen = span is null ? $"no span {spanName} among {traces.RootElement.GetProperty("totalCount")} traces" : span.Value.ToString();
                    if (span is { } found)
                    {
                        Assert.Equal(Convert.ToHexStringLower(traceId), found.GetProperty("traceId").GetString()?.ToLowerInvariant());
                        var gc = found.GetProperty("attributes").EnumerateArray()
                            .Single(a => a.GetProperty("key").GetString() == "partial.gc")
                            .GetProperty("value");
                        var value = gc.TryGetProperty("boolValue", out var b) ? b.ToString() : gc.GetProperty("stringValue").GetString();
                        Assert.Equal("true", value, ignoreCase: true);
                        output.WriteLine($"dashboard has it: {found}");
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
                    Assert.Fail($"No partial.gc span {spanName} on the dashboard within {Deadline}; last seen: {seen}");
                }
            }
        }
        finally
        {
            await RemoveDataDirectoryAsync(dataDirectory);
        }
    }

    private static ExportLogsServiceRequest Heartbeat(string spanName, byte[] traceId, string frequency)
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

    private static JsonElement? FindSpan(JsonElement answer, string spanName)
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
                    if (span.GetProperty("name").GetString() == spanName)
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
