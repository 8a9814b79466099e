using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.Exporter.Telemetry;
using PartialCollector.Exporter.Tenants;

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
    private readonly TenantSpanQuota quota;
    private readonly PartialExporterOptions options;
    private readonly ExporterMetrics metrics;
    private readonly ILogger<GroupCommitWriter> logger;

    // Cancelled only when the host's shutdown timeout runs out, not when shutdown starts: what was queued
    // before SIGTERM is still committed and acknowledged.
    private readonly CancellationTokenSource abort = new();

    // Taken once: the host may dispose the source while the loops still drain, and a disposed source's Token throws.
    private readonly CancellationToken aborted;

    public GroupCommitWriter(
        SpanWriteStore store, TenantSpanQuota quota, IOptions<PartialExporterOptions> options, ExporterMetrics metrics, ILogger<GroupCommitWriter> logger)
    {
        this.store = store;
        this.quota = quota;
        aborted = abort.Token;
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
    /// Completes when the events are committed, with the records refused for their tenant (by
    /// <see cref="PartialSpanEvent.Record"/>); throws <see cref="StoreUnavailableException"/> when the database
    /// could not take them, <see cref="UnwritableRecordsException"/> when these events themselves cannot be written.
    /// </summary>
    public async Task<IReadOnlyDictionary<int, RowRefusal>> WriteAsync(List<PartialSpanEvent> events, string? tenant, CancellationToken cancellationToken)
    {
        var pending = new PendingWrite(events, tenant);
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

        return await pending.Completion.Task;
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
        // A database span per batch, every few milliseconds, would drown the traces people look for.
        using var untraced = options.TraceDatabaseWrites ? null : SuppressInstrumentationScope.Begin();
        var members = new List<PendingWrite>();
        var batch = new WriteBatch();
        PendingWrite? carried = null;
        while (carried is not null || await queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            var rows = 0;
            if (carried is not null)
            {
                batch.TryAddRange(carried.Events, carried.Tenant);
                members.Add(carried);
                rows += carried.Events.Count;
                carried = null;
            }

            while (rows < options.MaxBatchSize && queue.Reader.TryRead(out var next))
            {
                // Too large for this batch, or one of its spans is here for another tenant: it goes first next time.
                if ((rows > 0 && rows + next.Events.Count > options.MaxBatchSize) || !batch.TryAddRange(next.Events, next.Tenant))
                {
                    carried = next;
                    break;
                }

                members.Add(next);
                rows += next.Events.Count;
            }

            if (members.Count > 0)
            {
                await CommitAsync(members, batch);
                members.Clear();
            }

            batch.Clear();
        }
    }

    /// <param name="batch">The members' rows, already gathered (the write loop's), or null to gather them here.</param>
    private async Task CommitAsync(List<PendingWrite> members, WriteBatch? batch = null)
    {
        if (batch is null)
        {
            batch = new WriteBatch();
            foreach (var member in members)
            {
                batch.TryAddRange(member.Events, member.Tenant);
            }
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var newSpansLeft = batch.HasTenants
                ? await quota.NewSpansLeftAsync(members.Where(m => m.Tenant is not null).Select(m => m.Tenant!), aborted)
                : null;
            var result = await store.WriteAsync(batch, options.ExpiryFactor, options.TombstoneRetention, aborted, newSpansLeft);
            metrics.Written(batch.Count, result, Stopwatch.GetElapsedTime(started));
            quota.Started(result.StartedByTenant);
            foreach (var member in members)
            {
                member.Completion.TrySetResult(member.RefusedRecords(result.Refused));
            }
        }
        catch (Exception e) when (WriteFailure.IsUnavailable(e) || aborted.IsCancellationRequested)
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

    private sealed class PendingWrite(List<PartialSpanEvent> events, string? tenant)
    {
        private static readonly Dictionary<int, RowRefusal> None = [];

        public List<PartialSpanEvent> Events { get; } = events;

        public string? Tenant { get; } = tenant;

        public TaskCompletionSource<IReadOnlyDictionary<int, RowRefusal>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyDictionary<int, RowRefusal> RefusedRecords(IReadOnlyDictionary<SpanKey, RowRefusal> refused)
        {
            if (refused.Count == 0)
            {
                return None;
            }

            var records = new Dictionary<int, RowRefusal>();
            foreach (var e in Events)
            {
                if (refused.TryGetValue(e.Key, out var refusal))
                {
                    records[e.Record] = refusal;
                }
            }

            return records;
        }
    }
}
