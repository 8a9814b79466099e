using System.Text;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.Exporter.Telemetry;
using PartialCollector.Exporter.Tenants;

namespace PartialCollector.Exporter.Ingestion;

/// <summary>
/// The one ingestion path behind both OTLP endpoints: decode every record, reject bad ones one by one
/// (OTLP partial success), write the rest through the group-commit writer. The bytes a request holds until
/// its rows are committed count against <see cref="PendingBytesLimit"/>.
/// </summary>
public sealed partial class LogIngestionService(
    PartialLogDecoder decoder,
    GroupCommitWriter writer,
    PendingBytesLimit pending,
    TenantRateLimiter rateLimiter,
    IOptions<PartialExporterOptions> options,
    ExporterMetrics metrics,
    ILogger<LogIngestionService> logger)
{
    private const int ReasonsInMessage = 3;

    // Per stored row beyond its span bytes: the event, its key strings, the batch's arrays.
    private const int RowOverhead = 256;

    /// <param name="reservation">The request's share of <see cref="PendingBytesLimit"/>, holding its body already;
    /// the rows it becomes are added to it. The caller releases it once the request is answered.</param>
    /// <param name="tenant">Who sent it (null while ingestion is open).</param>
    public async Task<ExportLogsServiceResponse> IngestAsync(
        ExportLogsServiceRequest request, PendingBytesLimit.Reservation reservation, string? tenant, CancellationToken cancellationToken)
    {
        if (tenant is not null)
        {
            Throttle(request, tenant);
        }

        var events = new List<PartialSpanEvent>();
        var rejections = new Rejections();
        var rowBytes = Decode(request, tenant, events, rejections);
        if (events.Count > 0)
        {
            if (!reservation.TryAdd(rowBytes))
            {
                throw Overloaded();
            }

            var refused = await writer.WriteAsync(events, tenant, cancellationToken);
            foreach (var (_, refusal) in refused.OrderBy(r => r.Key))
            {
                var reason = refusal == RowRefusal.OwnedByAnotherTenant ? RejectReason.OwnedByAnotherTenant : RejectReason.TenantSpanLimit;
                metrics.Rejected(reason, tenant);
                rejections.Add(DecodeOutcome.Reject(reason, refusal == RowRefusal.OwnedByAnotherTenant
                    ? "the span belongs to another tenant; it was left as it was"
                    : $"the tenant is at its limit of live spans ({PartialExporterOptions.Section}:Tenants:{tenant}:MaxLiveSpans); refreshes and stops of its spans still work"));
            }
        }

        return rejections.ToResponse();
    }

    /// <summary>The answer for a request refused at the memory limit: 503 / UNAVAILABLE, retried by clients.</summary>
    private StoreUnavailableException Overloaded()
    {
        metrics.Refused("memory_limit");
        return new StoreUnavailableException(
            $"the exporter holds {pending.Held} bytes of requests waiting for the database, its limit is {pending.Max} ({PartialExporterOptions.Section}:MaxPendingBytes); retry later");
    }

    private void Throttle(ExportLogsServiceRequest request, string tenant)
    {
        var records = 0;
        foreach (var resourceLogs in request.ResourceLogs)
        {
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                records += scopeLogs.LogRecords.Count;
            }
        }

        if (rateLimiter.TryAcquire(tenant, records) is { } retryAfter)
        {
            metrics.Throttled(tenant, records);
            throw new TenantThrottledException(tenant, retryAfter);
        }
    }

    /// <returns>The bytes the accepted rows hold.</returns>
    private long Decode(ExportLogsServiceRequest request, string? tenant, List<PartialSpanEvent> events, Rejections rejections)
    {
        var budget = options.Value.MaxExpandedRequestSize;
        long rowBytes = 0;
        var recordIndex = 0;
        foreach (var resourceLogs in request.ResourceLogs)
        {
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                foreach (var record in scopeLogs.LogRecords)
                {
                    var before = events.Count;
                    var outcome = DecodeOne(resourceLogs.Resource, record, events, budget - rowBytes);
                    switch (outcome.Status)
                    {
                        case DecodeStatus.Accepted:
                            metrics.Accepted(events[before].Kind, tenant);
                            for (var i = before; i < events.Count; i++)
                            {
                                events[i] = events[i] with { Record = recordIndex };
                                rowBytes += (events[i].Trace?.Length ?? 0) + RowOverhead;
                            }

                            break;
                        case DecodeStatus.Ignored:
                            metrics.Ignored();
                            break;
                        default:
                            metrics.Rejected(outcome.Reason, tenant);
                            rejections.Add(outcome);
                            break;
                    }

                    recordIndex++;
                }
            }
        }

        return rowBytes;
    }

    private DecodeOutcome DecodeOne(Resource? resource, LogRecord record, List<PartialSpanEvent> events, long budget)
    {
        var before = events.Count;
        try
        {
            return decoder.Decode(resource, record, events, budget);
        }
        catch (Exception e)
        {
            // A bug, not bad input: still, it costs this record only, never the request's other records.
            events.RemoveRange(before, events.Count - before);
            LogDecoderFailed(e);
            return DecodeOutcome.Reject(RejectReason.DecoderError, $"the record could not be decoded: {e.GetType().Name}");
        }
    }

    [LoggerMessage(LogLevel.Error, "Decoding a log record failed unexpectedly; the record was rejected")]
    private partial void LogDecoderFailed(Exception exception);

    /// <summary>The rejected records' count and their first reasons, as OTLP partial success reports them.</summary>
    private sealed class Rejections
    {
        private long count;
        private StringBuilder? message;

        public void Add(DecodeOutcome outcome)
        {
            if (count++ < ReasonsInMessage)
            {
                message = (message is null ? new StringBuilder() : message.Append("; "))
                    .Append(outcome.Reason.ToTag()).Append(": ").Append(outcome.Detail);
            }
        }

        public ExportLogsServiceResponse ToResponse() => count == 0
            ? new ExportLogsServiceResponse()
            : new ExportLogsServiceResponse
            {
                PartialSuccess = new ExportLogsPartialSuccess
                {
                    RejectedLogRecords = count,
                    ErrorMessage = $"{count} log record(s) rejected: {message}",
                },
            };
    }
}
