using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.Exporter.Telemetry;

namespace PartialCollector.Exporter.Ingestion;

/// <summary>
/// Group commit: every known client sends one record per request, so concurrent requests are gathered into
/// shared round trips of up to <see cref="PartialExporterOptions.MaxBatchSize"/> rows, with
/// <see cref="PartialExporterOptions.WriteConcurrency"/> round trips in flight. A request's task completes
/// only once its rows are committed.
/// </summary>
public sealed class GroupCommitWriter : BackgroundService
{
    private readonly Channel<PendingWrite> queue;
    private readonly SpanWriteStore store;
    private readonly PartialExporterOptions options;
    private readonly ExporterMetrics metrics;
    private readonly ILogger<GroupCommitWriter> logger;

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

    /// <summary>Completes when the events are committed; throws <see cref="StoreUnavailableException"/> otherwise.</summary>
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
            throw new StoreUnavailableException("the exporter is shutting down", e);
        }

        await pending.Completion.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Kestrel has drained its requests by now: finish what was queued, then stop.
        queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.WriteConcurrency).Select(_ => Task.Run(() => RunLoopAsync(stoppingToken), CancellationToken.None)));

    private async Task RunLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new WriteBatch();
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

            if (members.Count == 0)
            {
                continue;
            }

            foreach (var member in members)
            {
                batch.AddRange(member.Events);
            }

            await CommitAsync(batch, members, stoppingToken);
            batch.Clear();
            members.Clear();
        }
    }

    private async Task CommitAsync(WriteBatch batch, List<PendingWrite> members, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var rows = batch.Count;
        try
        {
            var result = await store.WriteAsync(batch, options.ExpiryFactor, options.TombstoneRetention, stoppingToken);
            metrics.Written(rows, result, Stopwatch.GetElapsedTime(started));
            foreach (var member in members)
            {
                member.Completion.TrySetResult();
            }
        }
        catch (Exception e)
        {
            // Never let the loop die: every member gets an answer, retryable when the database is the cause.
            metrics.WriteFailed(rows, Stopwatch.GetElapsedTime(started));
            logger.LogWarning(e, "Database write of {Rows} span rows failed; {Requests} requests answered with an error", rows, members.Count);
            var failure = IsUnavailable(e) ? new StoreUnavailableException($"database unavailable: {e.Message}", e) : e;
            foreach (var member in members)
            {
                member.Completion.TrySetException(failure);
            }
        }
    }

    private static bool IsUnavailable(Exception e) =>
        e is NpgsqlException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException
        || e.InnerException is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException;

    private sealed class PendingWrite(List<PartialSpanEvent> events)
    {
        public List<PartialSpanEvent> Events { get; } = events;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
