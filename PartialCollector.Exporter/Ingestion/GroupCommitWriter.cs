using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.Exporter.Telemetry;

namespace PartialCollector.Exporter.Ingestion;

/// <summary>
/// Group commit: every known client sends one record per request, so concurrent requests are gathered into
/// shared round trips of up to <see cref="PartialExporterOptions.MaxBatchSize"/> rows, with
/// <see cref="PartialExporterOptions.WriteConcurrency"/> round trips in flight. A request's task completes
/// only once its rows are committed. One request's rows can never fail another's: a batch that fails for a
/// reason other than the database being unavailable is split until the requests holding the cause are found.
/// </summary>
public sealed partial class GroupCommitWriter : BackgroundService
{
    private readonly Channel<PendingWrite> queue;
    private readonly SpanWriteStore store;
    private readonly PartialExporterOptions options;
    private readonly ExporterMetrics metrics;
    private readonly ILogger<GroupCommitWriter> logger;

    // Cancelled only when the host's shutdown timeout runs out, not when shutdown starts: what was queued
    // before SIGTERM is still committed and acknowledged.
    private readonly CancellationTokenSource abort = new();

    public GroupCommitWriter(SpanWriteStore store, IOptions<PartialExporterOptions> options, ExporterMetrics metrics, ILogger<GroupCommitWriter> logger)
    {
        this.store = store;
        this.options = options.Value;
        this.metrics = metrics;
        this.logger = logger;
        queue = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(16_384)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = false,
            SingleReader = false,
        });
    }

    /// <summary>
    /// Completes when the events are committed; throws <see cref="StoreUnavailableException"/> when the database
    /// could not take them, <see cref="UnwritableRecordsException"/> when these events themselves cannot be written.
    /// </summary>
    public async Task WriteAsync(List<PartialSpanEvent> events, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(events);
        try
        {
            await queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            // Shutting down: nothing was taken, so the client may retry elsewhere.
            metrics.Refused("shutting_down");
            throw new StoreUnavailableException("the exporter is shutting down", e);
        }

        await pending.Completion.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Kestrel has stopped taking requests by now: commit what was queued, then stop. Only when the host's
        // shutdown timeout runs out are the writes still under way abandoned (their requests get 503).
        queue.Writer.TryComplete();
        await using var registration = cancellationToken.Register(abort.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        abort.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.WriteConcurrency).Select(_ => Task.Run(RunLoopAsync, CancellationToken.None)));

    private async Task RunLoopAsync()
    {
        var members = new List<PendingWrite>();
        PendingWrite? carried = null;
        while (carried is not null || await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            var rows = 0;
            if (carried is not null)
            {
                members.Add(carried);
                rows += carried.Events.Count;
                carried = null;
            }

            while (rows < options.MaxBatchSize && queue.Reader.TryRead(out var next))
            {
                if (rows > 0 && rows + next.Events.Count > options.MaxBatchSize)
                {
                    carried = next;
                    break;
                }

                members.Add(next);
                rows += next.Events.Count;
            }

            if (members.Count > 0)
            {
                await CommitAsync(members);
                members.Clear();
            }
        }
    }

    private async Task CommitAsync(List<PendingWrite> members)
    {
        var batch = new WriteBatch();
        foreach (var member in members)
        {
            batch.AddRange(member.Events);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await store.WriteAsync(batch, options.ExpiryFactor, options.TombstoneRetention, abort.Token);
            metrics.Written(batch.Count, result, Stopwatch.GetElapsedTime(started));
            foreach (var member in members)
            {
                member.Completion.TrySetResult();
            }
        }
        catch (Exception e) when (WriteFailure.IsUnavailable(e))
        {
            // Every member gets a retryable answer: nothing of theirs was committed.
            metrics.WriteFailed(batch.Count, Stopwatch.GetElapsedTime(started));
            LogUnavailable(e, batch.Count, members.Count);
            var failure = new StoreUnavailableException($"database unavailable: {e.Message}", e);
            foreach (var member in members)
            {
                member.Completion.TrySetException(failure);
            }
        }
        catch (Exception e)
        {
            metrics.WriteFailed(batch.Count, Stopwatch.GetElapsedTime(started));
            await IsolateAsync(members, e);
        }
    }

    /// <summary>
    /// The batch failed because of something in it, not the database: commit each half on its own, down to
    /// single requests, so only the requests holding the offending rows fail, and with a non-retryable answer.
    /// </summary>
    private async Task IsolateAsync(List<PendingWrite> members, Exception cause)
    {
        if (members.Count == 1)
        {
            metrics.Unwritable(members[0].Events.Count);
            LogUnwritable(cause, members[0].Events.Count);
            members[0].Completion.TrySetException(new UnwritableRecordsException($"the records cannot be stored: {cause.Message}", cause));
            return;
        }

        var half = members.Count / 2;
        await CommitAsync(members.GetRange(0, half));
        await CommitAsync(members.GetRange(half, members.Count - half));
    }

    [LoggerMessage(LogLevel.Warning, "Database write of {Rows} span rows failed; {Requests} requests answered as unavailable")]
    private partial void LogUnavailable(Exception exception, int rows, int requests);

    [LoggerMessage(LogLevel.Error, "A request's {Rows} span rows cannot be stored; that request alone is refused")]
    private partial void LogUnwritable(Exception exception, int rows);

    private sealed class PendingWrite(List<PartialSpanEvent> events)
    {
        public List<PartialSpanEvent> Events { get; } = events;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
