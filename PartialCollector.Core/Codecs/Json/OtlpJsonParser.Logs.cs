using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Logs.V1;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>The log messages: ExportLogsServiceRequest down to LogRecord.</summary>
internal ref partial struct OtlpJsonParser
{
    public ExportLogsServiceRequest ReadExportLogsRequest()
    {
        BeginDocument();
        var request = new ExportLogsServiceRequest();
        ReadArrayOnlyObject(JsonField.ResourceLogs, request.ResourceLogs, static (ref p) => p.ReadResourceLogs());
        EndDocument();
        return request;
    }

    private ResourceLogs ReadResourceLogs()
    {
        BeginObject();
        var resourceLogs = new ResourceLogs();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Resource: resourceLogs.Resource = ReadResource(); break;
                case JsonField.ScopeLogs: ReadArray(resourceLogs.ScopeLogs, static (ref p) => p.ReadScopeLogs()); break;
                case JsonField.SchemaUrl: resourceLogs.SchemaUrl = ReadString(); break;
                default: SkipValue(); break;
            }
        }

        return resourceLogs;
    }

    private ScopeLogs ReadScopeLogs()
    {
        BeginObject();
        var scopeLogs = new ScopeLogs();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.Scope: scopeLogs.Scope = ReadScope(); break;
                case JsonField.LogRecords: ReadArray(scopeLogs.LogRecords, static (ref p) => p.ReadLogRecord()); break;
                case JsonField.SchemaUrl: scopeLogs.SchemaUrl = ReadString(); break;
                default: SkipValue(); break;
            }
        }

        return scopeLogs;
    }

    private LogRecord ReadLogRecord()
    {
        BeginObject();
        var record = new LogRecord();
        while (NextField(out var field))
        {
            switch (field)
            {
                case JsonField.TimeUnixNano: record.TimeUnixNano = ReadInteger<ulong>(); break;
                case JsonField.ObservedTimeUnixNano: record.ObservedTimeUnixNano = ReadInteger<ulong>(); break;
                case JsonField.SeverityNumber: record.SeverityNumber = ReadEnum<SeverityNumber>(); break;
                case JsonField.SeverityText: record.SeverityText = ReadString(); break;
                case JsonField.Body: record.Body = ReadAnyValue(); break;
                case JsonField.Attributes: ReadKeyValues(record.Attributes); break;
                case JsonField.DroppedAttributesCount: record.DroppedAttributesCount = ReadInteger<uint>(); break;
                case JsonField.Flags: record.Flags = ReadInteger<uint>(); break;
                case JsonField.TraceId: record.TraceId = ReadId(TraceIdLength); break;
                case JsonField.SpanId: record.SpanId = ReadId(SpanIdLength); break;
                case JsonField.EventName: record.EventName = ReadString(); break;
                default: SkipValue(); break;
            }
        }

        return record;
    }
}
