using System.Text;
using OpenTelemetry.Proto.Collector.Logs.V1;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Model;
using PartialCollector.Exporter.Telemetry;

namespace PartialCollector.Exporter.Ingestion;

/// <summary>
/// The one ingestion path behind both OTLP endpoints: decode every record, reject bad ones one by one
/// (OTLP partial success), write the rest through the group-commit writer.
/// </summary>
public sealed class LogIngestionService(PartialLogDecoder decoder, GroupCommitWriter writer, ExporterMetrics metrics)
{
    private const int ReasonsInMessage = 3;

    public async Task<ExportLogsServiceResponse> IngestAsync(ExportLogsServiceRequest request, CancellationToken cancellationToken)
    {
        var events = new List<PartialSpanEvent>();
        long rejected = 0;
        StringBuilder? message = null;
        foreach (var resourceLogs in request.ResourceLogs)
        {
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                foreach (var record in scopeLogs.LogRecords)
                {
                    var before = events.Count;
                    var outcome = decoder.Decode(resourceLogs.Resource, record, events);
                    switch (outcome.Status)
                    {
                        case DecodeStatus.Accepted:
                            metrics.Accepted(events[before].Kind);
                            break;
                        case DecodeStatus.Ignored:
                            metrics.Ignored();
                            break;
                        default:
                            metrics.Rejected(outcome.Reason);
                            if (rejected++ < ReasonsInMessage)
                            {
                                message = (message is null ? new StringBuilder() : message.Append("; "))
                                    .Append(outcome.Reason.ToTag()).Append(": ").Append(outcome.Detail);
                            }

                            break;
                    }
                }
            }
        }

        if (events.Count > 0)
        {
            await writer.WriteAsync(events, cancellationToken);
        }

        var response = new ExportLogsServiceResponse();
        if (rejected > 0)
        {
            response.PartialSuccess = new ExportLogsPartialSuccess
            {
                RejectedLogRecords = rejected,
                ErrorMessage = $"{rejected} log record(s) rejected: {message}",
            };
        }

        return response;
    }
}
