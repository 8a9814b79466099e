using Microsoft.Extensions.Options;
using PartialCollector.Core.Storage;
using PartialCollector.Receiver.Delivery;
using PartialCollector.Receiver.Health;

namespace PartialCollector.Receiver.Collection;

/// <summary>
/// Sends one claimed batch downstream and says what became of each row. The batch goes out in requests under
/// <c>MaxBatchBytes</c>; a request refused as too large or rejected for good is split in halves and retried, down
/// to single spans, so one bad span is dead-lettered with the reason and never holds back the others. A retryable
/// failure stops the batch: what was not delivered is handed back. With <c>Downstream:TenantHeader</c> set, each
/// tenant's rows go out in requests of their own, carrying that header with the tenant's name; the byte bound and the
/// halving apply within each tenant's part.
/// </summary>
public sealed partial class BatchSender(
    SpanDecorator decorator,
    ITraceExporter exporter,
    IOptions<PartialReceiverOptions> options,
    DownstreamHealth health,
    TimeProvider timeProvider,
    ILogger<BatchSender> logger)
{
    public async Task<BatchOutcome> SendAsync(ClaimedBatch batch, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var settlement = new Settlement();
        var requests = 0;
        string? failure = null;

        // Depth first, in claim order: a split's halves go next, so the oldest rows are sent first.
        var pending = new Stack<TenantRows>(Slices(batch, settings, settlement).AsEnumerable().Reverse());
        while (pending.TryPop(out var next))
        {
            var rows = next.Rows;
            if (failure is null && LeaseRunsOutDuringASend(batch, settings))
            {
                failure = $"the claim's lease ({settings.Lease}) could run out during the next send; handed back";
            }

            if (failure is not null)
            {
                settlement.Released.AddRange(rows);
                continue;
            }

            var decorated = decorator.Decorate(rows);
            settlement.DeadLetters.AddRange(decorated.Undeliverable);
            var sendable = decorated.Sendable;
            if (sendable.Count == 0)
            {
                continue;
            }

            // The slices bound rows of one span each; a row of several spans may add more than they allowed for, so
            // then check the request's size rather than send what is known to be too large.
            if (sendable.Count > 1 && decorated.SpanCount > sendable.Count && decorated.Request.Length > settings.MaxBatchBytes)
            {
                PushHalves(pending, next.Tenant, sendable);
                continue;
            }

            requests++;
            switch (await ExportAsync(new ExportRequest(decorated.Request, HeadersOf(next.Tenant, settings.Downstream)), cancellationToken))
            {
                case ExportOutcome.Delivered delivered:
                    health.Succeeded(timeProvider.GetUtcNow());
                    Accept(settlement, decorated, delivered);
                    break;
                case ExportOutcome.TooLarge or ExportOutcome.Rejected when sendable.Count > 1:
                    LogSplit(sendable.Count);
                    PushHalves(pending, next.Tenant, sendable);
                    break;
                case ExportOutcome.TooLarge tooLarge:
                    health.Failed(tooLarge.Reason);
                    DeadLetter(settlement, sendable, $"downstream refused the span as too large: {tooLarge.Reason}");
                    break;
                case ExportOutcome.Rejected rejected:
                    health.Failed(rejected.Reason);
                    DeadLetter(settlement, sendable, $"downstream rejected the export: {rejected.Reason}");
                    break;
                case ExportOutcome.Retryable retry:
                    health.Failed(retry.Reason);
                    failure = retry.Reason;
                    settlement.Released.AddRange(sendable);
                    LogRetry(sendable.Count, retry.Reason);
                    break;
            }
        }

        return new BatchOutcome(settlement, requests, failure);
    }

    /// <summary>
    /// The batch cut into requests: by tenant when requests are routed by tenant, then each part by bytes. A tenant
    /// whose name cannot travel in a header (another writer stored it) cannot be routed: its rows are dead-lettered.
    /// </summary>
    private List<TenantRows> Slices(ClaimedBatch batch, PartialReceiverOptions settings, Settlement settlement)
    {
        var slices = new List<TenantRows>();
        foreach (var part in TenantParts.Split(batch.Rows, settings.Downstream.RoutesByTenant))
        {
            if (part.Tenant is { } tenant && !HeaderText.IsPlainValue(tenant))
            {
                DeadLetter(settlement, part.Rows, $"tenant '{tenant}' cannot travel in the {settings.Downstream.TenantHeader} header");
                continue;
            }

            slices.AddRange(ByteBoundedSlices.Cut(part.Rows, settings.MaxBatchBytes).Select(rows => new TenantRows(part.Tenant, rows)));
        }

        return slices;
    }

    private static IReadOnlyList<KeyValuePair<string, string>> HeadersOf(string? tenant, DownstreamOptions downstream) =>
        tenant is not null && downstream.RoutesByTenant ? [new(downstream.TenantHeader!, tenant)] : [];

    private async Task<ExportOutcome> ExportAsync(ExportRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await exporter.ExportAsync(request, cancellationToken);
        }
        catch (Exception e)
        {
            // Shutdown, an exporter bug or an unexpected transport error: the rows must be handed back, not stranded.
            return new ExportOutcome.Retryable(cancellationToken.IsCancellationRequested ? "shutting down" : $"{e.GetType().Name}: {e.Message}");
        }
    }

    // Rows must be settled while the claim's lease still holds them: past it another receiver may claim and send them too.
    private bool LeaseRunsOutDuringASend(ClaimedBatch batch, PartialReceiverOptions settings) =>
        timeProvider.GetElapsedTime(batch.ClaimStarted) + settings.Downstream.Timeout >= settings.Lease;

    private void Accept(Settlement settlement, DecoratedBatch decorated, ExportOutcome.Delivered delivered)
    {
        switch (delivered.RejectedSpans)
        {
            case var rejected when rejected >= decorated.SpanCount:
                DeadLetter(settlement, decorated.Sendable, $"downstream rejected all {decorated.SpanCount} spans: {delivered.Message}");
                break;
            case > 0:
                // OTLP says how many spans were rejected, not which: keep a copy of every span of the request.
                var some = $"downstream rejected {delivered.RejectedSpans} of {decorated.SpanCount} spans: {delivered.Message}";
                settlement.Delivered.AddRange(decorated.Sendable);
                settlement.Copies.AddRange(decorated.Sendable.Select(s => new DeadLetter(s, some)));
                LogRejected(decorated.SpanCount, some);
                break;
            default:
                settlement.Delivered.AddRange(decorated.Sendable);
                break;
        }
    }

    private void DeadLetter(Settlement settlement, List<ClaimedSpan> rows, string reason)
    {
        settlement.DeadLetters.AddRange(rows.Select(s => new DeadLetter(s, reason)));
        LogRejected(rows.Count, reason);
    }

    private static void PushHalves(Stack<TenantRows> pending, string? tenant, List<ClaimedSpan> rows)
    {
        var half = rows.Count / 2;
        pending.Push(new TenantRows(tenant, rows[half..]));
        pending.Push(new TenantRows(tenant, rows[..half]));
    }

    [LoggerMessage(LogLevel.Warning, "Downstream export of {Spans} spans failed, will retry: {Reason}")]
    private partial void LogRetry(int spans, string reason);

    [LoggerMessage(LogLevel.Error, "Dead-lettering {Spans} spans after a permanent rejection: {Reason}")]
    private partial void LogRejected(int spans, string reason);

    [LoggerMessage(LogLevel.Debug, "Downstream refused a request of {Spans} spans; sending it again in halves")]
    private partial void LogSplit(int spans);
}
