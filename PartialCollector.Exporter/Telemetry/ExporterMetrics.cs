using System.Diagnostics.Metrics;
using PartialCollector.Core.Codecs;
using PartialCollector.Core.Model;
using PartialCollector.Core.Storage;
using PartialCollector.Core.Telemetry;

namespace PartialCollector.Exporter.Telemetry;

/// <summary>The Exporter's own metrics, under meter <c>PartialCollector</c>.</summary>
public sealed class ExporterMetrics
{
    private readonly Counter<long> records;
    private readonly Counter<long> ignored;
    private readonly Counter<long> rejected;
    private readonly Counter<long> upserted;
    private readonly Counter<long> deleted;
    private readonly Counter<long> suppressed;
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> databaseDuration;
    private readonly Counter<long> unwritable;
    private readonly Counter<long> refused;

    public ExporterMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(PartialCollectorTelemetry.MeterName);
        records = meter.CreateCounter<long>("partial.exporter.records", "{record}", "Partial-span log records accepted, by event.");
        ignored = meter.CreateCounter<long>("partial.exporter.records.ignored", "{record}", "Log records without a partial event.");
        rejected = meter.CreateCounter<long>("partial.exporter.records.rejected", "{record}", "Log records rejected, by reason.");
        upserted = meter.CreateCounter<long>("partial.exporter.rows.upserted", "{row}", "Span rows inserted or refreshed by heartbeats.");
        deleted = meter.CreateCounter<long>("partial.exporter.rows.deleted", "{row}", "Running spans ended by stops (their rows became tombstones).");
        suppressed = meter.CreateCounter<long>("partial.exporter.heartbeats.suppressed", "{row}", "Heartbeats not applied: span stopped, or a newer heartbeat stored.");
        batchSize = meter.CreateHistogram<int>("partial.exporter.batch.size", "{row}", "Span rows per database round trip.");
        unwritable = meter.CreateCounter<long>("partial.exporter.rows.unwritable", "{row}", "Span rows the database refused as data (their request alone answered 400 / INVALID_ARGUMENT).");
        refused = meter.CreateCounter<long>("partial.exporter.requests.refused", "{request}", "Requests answered 503 / UNAVAILABLE before any work, by reason (memory_limit, shutting_down).");
        databaseDuration = meter.CreateHistogram<double>("partial.exporter.db.duration", "s", "Duration of one database write round trip.");
    }

    public void Accepted(PartialEventKind kind) =>
        records.Add(1, new KeyValuePair<string, object?>("event", kind == PartialEventKind.Stop ? "stop" : "heartbeat"));

    public void Ignored() => ignored.Add(1);

    public void Rejected(RejectReason reason) => rejected.Add(1, new KeyValuePair<string, object?>("reason", reason.ToTag()));

    public void Written(int rows, WriteResult result, TimeSpan elapsed)
    {
        batchSize.Record(rows);
        databaseDuration.Record(elapsed.TotalSeconds);
        upserted.Add(result.Upserted);
        deleted.Add(result.Deleted);
        suppressed.Add(result.Suppressed);
    }

    public void WriteFailed(int rows, TimeSpan elapsed)
    {
        batchSize.Record(rows);
        databaseDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("error.type", "database"));
    }

    public void Unwritable(int rows) => unwritable.Add(rows);

    public void Refused(string reason) => refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
