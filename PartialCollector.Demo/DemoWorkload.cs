using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace PartialCollector.Demo;

/// <summary>
/// Keeps <see cref="DemoOptions.Concurrency"/> long operations running. Each heartbeats every
/// <see cref="DemoOptions.HeartbeatInterval"/> and ends with a stop; one in <see cref="DemoOptions.CrashOneIn"/>
/// "crashes" part-way: it stops heartbeating and never sends the stop, so the Receiver later reports its span
/// with <c>partial.gc = true</c>. Operations that finish are also traced normally (the demo's own activity, sent
/// with its self-telemetry), so the dashboard shows finished operations as ordinary spans and crashed ones only
/// through PartialCollector.
/// </summary>
public sealed partial class DemoWorkload(PartialSpanLogs partials, IOptions<DemoOptions> options, ILogger<DemoWorkload> logger, TimeProvider time) : BackgroundService
{
    public static readonly ActivitySource Source = new("PartialCollector.Demo");

    private static readonly string[] Names = ["nightly-report", "reindex-catalog", "import-batch", "video-transcode", "ledger-reconcile"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var demo = options.Value;
        LogStarting(demo.Concurrency, demo.HeartbeatInterval, demo.CrashOneIn, demo.Endpoint, demo.Protocol);
        var running = Enumerable.Range(0, demo.Concurrency).Select(lane => RunLaneAsync(lane, demo, stoppingToken)).ToArray();
        await Task.WhenAll(running);
    }

    private async Task RunLaneAsync(int lane, DemoOptions demo, CancellationToken stoppingToken)
    {
        var sequence = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            sequence++;
            try
            {
                await RunOperationAsync($"{lane}-{sequence}", demo, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogReportFailed(e);
                await Task.Delay(demo.HeartbeatInterval, time, stoppingToken);
            }
        }
    }

    private async Task RunOperationAsync(string id, DemoOptions demo, CancellationToken stoppingToken)
    {
        var duration = demo.MinDuration + (demo.MaxDuration - demo.MinDuration) * Random.Shared.NextDouble();
        var crashes = demo.CrashOneIn > 0 && Random.Shared.Next(demo.CrashOneIn) == 0;
        var crashAfter = crashes ? duration * (0.3 + 0.5 * Random.Shared.NextDouble()) : TimeSpan.MaxValue;
        var name = Names[Random.Shared.Next(Names.Length)];

        // A root span of its own: the operation's ids are those of a real activity when self-telemetry listens.
        Activity.Current = null;
        var activity = Source.StartActivity(name, ActivityKind.Internal, parentContext: default);
        var start = time.GetUtcNow();
        var operation = new DemoOperation(
            id, name, activity?.TraceId ?? ActivityTraceId.CreateRandom(), activity?.SpanId ?? ActivitySpanId.CreateRandom(), start);
        activity?.SetTag("demo.operation.id", id);
        LogOperationStarts(id, name, operation.TraceId, duration.TotalSeconds, crashes ? $"; it will crash after {crashAfter.TotalSeconds:0}s" : "");

        while (true)
        {
            partials.Heartbeat(operation);
            await Task.Delay(demo.HeartbeatInterval, time, stoppingToken);
            operation.StepsDone++;
            var elapsed = time.GetUtcNow() - start;
            if (elapsed >= crashAfter)
            {
                // The process "dies": no more heartbeats, no stop, and the activity is never ended or exported.
                LogOperationCrashed(id, name, operation.TraceId);
                Activity.Current = null;
                return;
            }

            if (elapsed >= duration)
            {
                var end = time.GetUtcNow();
                partials.Stop(operation, end);
                activity?.SetTag("demo.operation.steps.done", operation.StepsDone);
                activity?.Dispose();
                LogOperationFinished(id, name, elapsed.TotalSeconds);
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Demo workload: {Concurrency} operations at a time, heartbeat every {Interval}, one in {CrashOneIn} crashes; sending to {Endpoint} ({Protocol})")]
    private partial void LogStarting(int concurrency, TimeSpan interval, int crashOneIn, Uri? endpoint, string protocol);

    [LoggerMessage(LogLevel.Warning, "Demo operation failed to report; starting the next one")]
    private partial void LogReportFailed(Exception e);

    [LoggerMessage(LogLevel.Information, "Operation {Id} ({Name}, trace {TraceId}) starts for {Duration:0}s{Crash}")]
    private partial void LogOperationStarts(string id, string name, ActivityTraceId traceId, double duration, string crash);

    [LoggerMessage(LogLevel.Warning, "Operation {Id} ({Name}, trace {TraceId}) crashed: no stop will be sent")]
    private partial void LogOperationCrashed(string id, string name, ActivityTraceId traceId);

    [LoggerMessage(LogLevel.Information, "Operation {Id} ({Name}) finished after {Elapsed:0}s")]
    private partial void LogOperationFinished(string id, string name, double elapsed);
}
