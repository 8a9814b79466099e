using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Model;

namespace PartialCollector.TestSupport;

/// <summary>Partial-span log records as the known clients build them.</summary>
public static class PartialLogs
{
    public static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static LogRecord Heartbeat(TracesData traces, string frequency = "5000ms", ulong timeUnixNano = 0) => new()
    {
        TimeUnixNano = timeUnixNano,
        Body = new AnyValue { StringValue = Convert.ToBase64String(traces.ToByteArray()) },
        Attributes = { Attribute("partial.event", "heartbeat"), Attribute("partial.frequency", frequency) },
    };

    public static LogRecord Stop(TracesData traces) => new()
    {
        Body = new AnyValue { StringValue = Convert.ToBase64String(traces.ToByteArray()) },
        Attributes = { Attribute("partial.event", "stop"), Attribute("partial.frequency", "5000ms") },
    };

    public static ExportLogsServiceRequest Request(params LogRecord[] records) => new()
    {
        ResourceLogs =
        {
            new ResourceLogs
            {
                Resource = new Resource { Attributes = { Attribute("service.name", "log-service") } },
                ScopeLogs = { new ScopeLogs { LogRecords = { records } } },
            },
        },
    };

    public static TracesData Traces(SpanKey key, string name = "work") => Spans.Traces(Spans.NewSpan(key, name));

    /// <summary>A heartbeat whose record carries 200 KB of attributes and <paramref name="spans"/> spans: each span would be stored with all of them.</summary>
    public static LogRecord Amplifier(int spans)
    {
        var traces = Traces(Spans.NewKey());
        for (var i = 1; i < spans; i++)
        {
            traces.ResourceSpans[0].ScopeSpans[0].Spans.Add(Spans.NewSpan(Spans.NewKey()));
        }

        var record = Heartbeat(traces);
        for (var i = 0; i < 200; i++)
        {
            record.Attributes.Add(Attribute($"attribute.{i}", new string('a', 1000)));
        }

        return record;
    }
}

public static class LogRecordExtensions
{
    public static OpenTelemetry.Proto.Logs.V1.LogRecord WithBody(this OpenTelemetry.Proto.Logs.V1.LogRecord record, string body)
    {
        record.Body = new AnyValue { StringValue = body };
        return record;
    }
}
