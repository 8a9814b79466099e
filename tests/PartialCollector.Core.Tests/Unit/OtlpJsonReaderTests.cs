using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using PartialCollector.Core.Codecs.Json;

namespace PartialCollector.Core.Tests.Unit;

public class OtlpJsonReaderTests
{
    private const string TraceIdHex = "5b8efff798038103d269b633813fc60c";

    private static TracesData Traces(string json) => OtlpJsonReader.ReadTracesData(Encoding.UTF8.GetBytes(json));

    private static ExportLogsServiceRequest Logs(string json) =>
        OtlpJsonReader.ReadExportLogsRequest(Encoding.UTF8.GetBytes(json));

    private static ByteString Hex(string hex) => ByteString.CopyFrom(Convert.FromHexString(hex));

    private static AnyValue Attr(IEnumerable<KeyValue> attributes, string key)
    {
        foreach (var kv in attributes)
        {
            if (kv.Key == key)
            {
                return kv.Value;
            }
        }

        throw new KeyNotFoundException(key);
    }

    [Fact]
    public void ReadsGResearchPythonNewerFlavour()
    {
        // protobuf's MessageToJson (camelCase, enum names, int64 as strings) with trace/span/parent ids
        // rewritten to hex, one span id missing its leading zero, and link ids still in base64.
        const string json = """
            {
              "resourceSpans": [{
                "resource": {
                  "attributes": [{"key": "service.name", "value": {"stringValue": "py-svc"}}],
                  "droppedAttributesCount": 1
                },
                "scopeSpans": [{
                  "scope": {"name": "opentelemetry.instrumentation.flask", "version": "0.48b0"},
                  "spans": [{
                    "traceId": "5b8efff798038103d269b633813fc60c",
                    "spanId": "eee19b7ec3c1b17",
                    "parentSpanId": "f067aa0ba902b7",
                    "traceState": "rojo=00f067aa0ba902b7",
                    "name": "GET /items",
                    "kind": "SPAN_KIND_SERVER",
                    "startTimeUnixNano": "1700000000123456789",
                    "endTimeUnixNano": "1700000001000000000",
                    "attributes": [
                      {"key": "http.status_code", "value": {"intValue": "200"}},
                      {"key": "ratio", "value": {"doubleValue": 0.25}},
                      {"key": "cached", "value": {"boolValue": true}},
                      {"key": "route", "value": {"stringValue": "/items"}}
                    ],
                    "droppedAttributesCount": 2,
                    "events": [{
                      "timeUnixNano": "1700000000500000000",
                      "name": "checkpoint",
                      "attributes": [{"key": "step", "value": {"intValue": "3"}}]
                    }],
                    "droppedEventsCount": 4,
                    "links": [{
                      "traceId": "W47/95gDgQPSabYzgT/GDA==",
                      "spanId": "APBnqgupArc=",
                      "traceState": "k=v",
                      "attributes": [{"key": "link.kind", "value": {"stringValue": "follows"}}],
                      "flags": 257
                    }],
                    "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
                    "flags": 256
                  }],
                  "schemaUrl": "https://opentelemetry.io/schemas/1.21.0"
                }]
              }]
            }
            """;

        var data = Traces(json);

        var resourceSpans = Assert.Single(data.ResourceSpans);
        Assert.Equal("py-svc", Attr(resourceSpans.Resource.Attributes, "service.name").StringValue);
        Assert.Equal(1u, resourceSpans.Resource.DroppedAttributesCount);
        var scopeSpans = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("opentelemetry.instrumentation.flask", scopeSpans.Scope.Name);
        Assert.Equal("0.48b0", scopeSpans.Scope.Version);
        Assert.Equal("https://opentelemetry.io/schemas/1.21.0", scopeSpans.SchemaUrl);

        var span = Assert.Single(scopeSpans.Spans);
        Assert.Equal(Hex(TraceIdHex), span.TraceId);
        Assert.Equal(Hex("0eee19b7ec3c1b17"), span.SpanId);
        Assert.Equal(Hex("00f067aa0ba902b7"), span.ParentSpanId);
        Assert.Equal("rojo=00f067aa0ba902b7", span.TraceState);
        Assert.Equal("GET /items", span.Name);
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal(1700000000123456789UL, span.StartTimeUnixNano);
        Assert.Equal(1700000001000000000UL, span.EndTimeUnixNano);
        Assert.Equal(200L, Attr(span.Attributes, "http.status_code").IntValue);
        Assert.Equal(0.25, Attr(span.Attributes, "ratio").DoubleValue);
        Assert.True(Attr(span.Attributes, "cached").BoolValue);
        Assert.Equal("/items", Attr(span.Attributes, "route").StringValue);
        Assert.Equal(2u, span.DroppedAttributesCount);
        Assert.Equal(256u, span.Flags);

        var spanEvent = Assert.Single(span.Events);
        Assert.Equal(1700000000500000000UL, spanEvent.TimeUnixNano);
        Assert.Equal("checkpoint", spanEvent.Name);
        Assert.Equal(3L, Attr(spanEvent.Attributes, "step").IntValue);
        Assert.Equal(4u, span.DroppedEventsCount);

        var link = Assert.Single(span.Links);
        Assert.Equal(Hex(TraceIdHex), link.TraceId);
        Assert.Equal(Hex("00f067aa0ba902b7"), link.SpanId);
        Assert.Equal("k=v", link.TraceState);
        Assert.Equal("follows", Attr(link.Attributes, "link.kind").StringValue);
        Assert.Equal(257u, link.Flags);

        Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code);
        Assert.Equal("boom", span.Status.Message);
    }

    [Fact]
    public void ReadsGResearchDotNetFlavour()
    {
        // snake_case, enums as integers, times as numbers, no resource, root span with a zero parent,
        // junk trace_state, every attribute a string, a heartbeat with no end time.
        const string json = """
            {"resource_spans":[{"resource":null,"scope_spans":[{"scope":{"name":"GR.OpenTelemetry.Processor.Partial","version":"1.0.0"},
            "spans":[{"trace_id":"5B8EFFF798038103D269B633813FC60C","span_id":"eee19b7ec3c1b174","trace_state":"Unset",
            "parent_span_id":"0000000000000000","flags":1,"name":"DoWork","kind":1,
            "start_time_unix_nano":1700000000123456789,"end_time_unix_nano":0,
            "attributes":[{"key":"http.status_code","value":{"string_value":"200"}},{"key":"retry","value":{"string_value":"true"}}],
            "dropped_attributes_count":0,"events":[],"dropped_events_count":0,"links":[],"dropped_links_count":0,
            "status":{"message":"","code":0}}],"schema_url":""}],"schema_url":""}]}
            """;

        var data = Traces(json);

        var resourceSpans = Assert.Single(data.ResourceSpans);
        Assert.Null(resourceSpans.Resource);
        var scopeSpans = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("GR.OpenTelemetry.Processor.Partial", scopeSpans.Scope.Name);
        var span = Assert.Single(scopeSpans.Spans);
        Assert.Equal(Hex(TraceIdHex), span.TraceId);
        Assert.Equal(Hex("eee19b7ec3c1b174"), span.SpanId);
        Assert.True(span.ParentSpanId.IsEmpty);
        Assert.Equal("Unset", span.TraceState);
        Assert.Equal(1u, span.Flags);
        Assert.Equal("DoWork", span.Name);
        Assert.Equal(Span.Types.SpanKind.Internal, span.Kind);
        Assert.Equal(1700000000123456789UL, span.StartTimeUnixNano);
        Assert.Equal(0UL, span.EndTimeUnixNano);
        Assert.Equal(2, span.Attributes.Count);
        Assert.All(span.Attributes, kv => Assert.Equal(AnyValue.ValueOneofCase.StringValue, kv.Value.ValueCase));
        Assert.Equal("200", Attr(span.Attributes, "http.status_code").StringValue);
        Assert.Equal("true", Attr(span.Attributes, "retry").StringValue);
        Assert.Empty(span.Events);
        Assert.Empty(span.Links);
        Assert.NotNull(span.Status);
        Assert.Equal(Status.Types.StatusCode.Unset, span.Status.Code);
    }

    [Fact]
    public void ReadsStrictOtlpJson()
    {
        // The specification's example (opentelemetry-proto examples/trace.json), uppercase hex included.
        const string json = """
            {
              "resourceSpans": [
                {
                  "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]
                  },
                  "scopeSpans": [
                    {
                      "scope": {
                        "name": "my.library",
                        "version": "1.0.0",
                        "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "some scope attribute"}}]
                      },
                      "spans": [
                        {
                          "traceId": "5B8EFFF798038103D269B633813FC60C",
                          "spanId": "EEE19B7EC3C1B174",
                          "parentSpanId": "EEE19B7EC3C1B173",
                          "name": "I'm a server span",
                          "startTimeUnixNano": "1544712660000000000",
                          "endTimeUnixNano": "1544712661000000000",
                          "kind": 2,
                          "attributes": [
                            {"key": "my.span.attr", "value": {"stringValue": "some value"}},
                            {"key": "nested", "value": {"kvlistValue": {"values": [
                              {"key": "list", "value": {"arrayValue": {"values": [{"intValue": "1"}, {"doubleValue": 1.5}, {}]}}},
                              {"key": "raw", "value": {"bytesValue": "AAEC+vv/"}}
                            ]}}}
                          ],
                          "status": {"code": 1}
                        }
                      ]
                    }
                  ]
                }
              ]
            }
            """;

        var data = Traces(json);

        var resourceSpans = Assert.Single(data.ResourceSpans);
        Assert.Equal("my.service", Attr(resourceSpans.Resource.Attributes, "service.name").StringValue);
        var scopeSpans = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("my.library", scopeSpans.Scope.Name);
        Assert.Equal("1.0.0", scopeSpans.Scope.Version);
        Assert.Equal("some scope attribute", Attr(scopeSpans.Scope.Attributes, "my.scope.attribute").StringValue);
        var span = Assert.Single(scopeSpans.Spans);
        Assert.Equal(Hex(TraceIdHex), span.TraceId);
        Assert.Equal(Hex("eee19b7ec3c1b174"), span.SpanId);
        Assert.Equal(Hex("eee19b7ec3c1b173"), span.ParentSpanId);
        Assert.Equal("I'm a server span", span.Name);
        Assert.Equal(1544712660000000000UL, span.StartTimeUnixNano);
        Assert.Equal(1544712661000000000UL, span.EndTimeUnixNano);
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal("some value", Attr(span.Attributes, "my.span.attr").StringValue);
        Assert.Equal(Status.Types.StatusCode.Ok, span.Status.Code);

        var nested = Attr(span.Attributes, "nested").KvlistValue;
        var list = Attr(nested.Values, "list").ArrayValue.Values;
        Assert.Equal(3, list.Count);
        Assert.Equal(1L, list[0].IntValue);
        Assert.Equal(1.5, list[1].DoubleValue);
        Assert.Equal(AnyValue.ValueOneofCase.None, list[2].ValueCase);
        Assert.Equal(new byte[] { 0, 1, 2, 250, 251, 255 }, Attr(nested.Values, "raw").BytesValue.ToByteArray());
    }

    [Fact]
    public void ReadsExportLogsServiceRequest()
    {
        const string json = """
            {
              "resourceLogs": [{
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
                "scopeLogs": [{
                  "scope": {"name": "partial", "version": "1.2.3"},
                  "logRecords": [{
                    "timeUnixNano": "1544712660300000000",
                    "observedTimeUnixNano": 1544712660300000001,
                    "severityNumber": "SEVERITY_NUMBER_INFO",
                    "severityText": "Information",
                    "traceId": "5b8efff798038103d269b633813fc60c",
                    "spanId": "EEE19B7EC3C1B174",
                    "flags": "1",
                    "eventName": "partial.span",
                    "body": {"stringValue": "{\"resourceSpans\":[{\"scopeSpans\":[]}]}"},
                    "attributes": [
                      {"key": "partial.event", "value": {"stringValue": "heartbeat"}},
                      {"key": "partial.frequency", "value": {"stringValue": "5000ms"}},
                      {"key": "partial.body.type", "value": {"stringValue": "json/v1"}}
                    ],
                    "droppedAttributesCount": 5
                  }, {
                    "severityNumber": 17,
                    "body": {"stringValue": "second"}
                  }],
                  "schemaUrl": "s"
                }]
              }]
            }
            """;

        var request = Logs(json);

        var resourceLogs = Assert.Single(request.ResourceLogs);
        Assert.Equal("checkout", Attr(resourceLogs.Resource.Attributes, "service.name").StringValue);
        var scopeLogs = Assert.Single(resourceLogs.ScopeLogs);
        Assert.Equal("partial", scopeLogs.Scope.Name);
        Assert.Equal("1.2.3", scopeLogs.Scope.Version);
        Assert.Equal("s", scopeLogs.SchemaUrl);
        Assert.Equal(2, scopeLogs.LogRecords.Count);

        var record = scopeLogs.LogRecords[0];
        Assert.Equal(1544712660300000000UL, record.TimeUnixNano);
        Assert.Equal(1544712660300000001UL, record.ObservedTimeUnixNano);
        Assert.Equal(SeverityNumber.Info, record.SeverityNumber);
        Assert.Equal("Information", record.SeverityText);
        Assert.Equal(Hex(TraceIdHex), record.TraceId);
        Assert.Equal(Hex("eee19b7ec3c1b174"), record.SpanId);
        Assert.Equal(1u, record.Flags);
        Assert.Equal("partial.span", record.EventName);
        Assert.Equal("""{"resourceSpans":[{"scopeSpans":[]}]}""", record.Body.StringValue);
        Assert.Equal("heartbeat", Attr(record.Attributes, "partial.event").StringValue);
        Assert.Equal("5000ms", Attr(record.Attributes, "partial.frequency").StringValue);
        Assert.Equal("json/v1", Attr(record.Attributes, "partial.body.type").StringValue);
        Assert.Equal(5u, record.DroppedAttributesCount);

        Assert.Equal(SeverityNumber.Error, scopeLogs.LogRecords[1].SeverityNumber);
        Assert.Equal("second", scopeLogs.LogRecords[1].Body.StringValue);
        Assert.True(scopeLogs.LogRecords[1].TraceId.IsEmpty);
    }

    [Fact]
    public void ReadsSnakeCaseLogs()
    {
        const string json = """
            {"resource_logs":[{"scope_logs":[{"log_records":[{"time_unix_nano":5,"observed_time_unix_nano":"6",
            "severity_number":"SEVERITY_NUMBER_WARN3","severity_text":"w","trace_id":"","span_id":"","event_name":"e",
            "body":{"kvlist_value":{"values":[{"key":"k","value":{"int_value":-7}}]}}}]}]}]}
            """;

        var record = Logs(json).ResourceLogs[0].ScopeLogs[0].LogRecords[0];

        Assert.Equal(5UL, record.TimeUnixNano);
        Assert.Equal(6UL, record.ObservedTimeUnixNano);
        Assert.Equal(SeverityNumber.Warn3, record.SeverityNumber);
        Assert.Equal("w", record.SeverityText);
        Assert.True(record.TraceId.IsEmpty);
        Assert.True(record.SpanId.IsEmpty);
        Assert.Equal("e", record.EventName);
        Assert.Equal(-7L, Attr(record.Body.KvlistValue.Values, "k").IntValue);
    }

    [Fact]
    public void RoundTripsThroughWriteTracesData()
    {
        var original = BuildRichTracesData();

        var json = OtlpJsonWriter.WriteTracesData(original);
        var decoded = OtlpJsonReader.ReadTracesData(json);

        Assert.Equal(original, decoded);
    }

    [Fact]
    public void WriteTracesDataIsStrictOtlpJson()
    {
        var json = Encoding.UTF8.GetString(OtlpJsonWriter.WriteTracesData(BuildRichTracesData()));

        Assert.Contains("\"traceId\":\"5b8efff798038103d269b633813fc60c\"", json);
        Assert.Contains("\"spanId\":\"00f067aa0ba902b7\"", json);
        Assert.Contains("\"kind\":3", json);
        Assert.Contains("\"startTimeUnixNano\":\"18446744073709551615\"", json);
        Assert.Contains("\"intValue\":\"-9223372036854775808\"", json);
        Assert.Contains("\"doubleValue\":\"NaN\"", json);
        Assert.Contains("\"bytesValue\":\"AAEC+vv/\"", json);
        Assert.Contains("\"code\":2", json);
        Assert.Contains("\"resourceSpans\":[", json);
        Assert.Contains("\"scopeSpans\":[", json);
        Assert.DoesNotContain("_", json.Replace("service_name", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void WriteTracesDataOfEmptyMessageIsEmptyObject()
    {
        Assert.Equal("{}", Encoding.UTF8.GetString(OtlpJsonWriter.WriteTracesData(new TracesData())));
        Assert.Equal(new TracesData(), OtlpJsonReader.ReadTracesData("{}"u8));
    }

    private static TracesData BuildRichTracesData()
    {
        var span = new Span
        {
            TraceId = Hex(TraceIdHex),
            SpanId = Hex("00f067aa0ba902b7"),
            ParentSpanId = Hex("eee19b7ec3c1b174"),
            TraceState = "rojo=1,congo=2",
            Flags = 0x301,
            Name = "span \"with\" <quotes> & ünïcode \u2603",
            Kind = Span.Types.SpanKind.Client,
            StartTimeUnixNano = ulong.MaxValue,
            EndTimeUnixNano = 1,
            DroppedAttributesCount = 3,
            DroppedEventsCount = 4,
            DroppedLinksCount = 5,
            Status = new Status { Code = Status.Types.StatusCode.Error, Message = "failed" },
        };
        span.Attributes.Add(new KeyValue { Key = "s", Value = new AnyValue { StringValue = "" } });
        span.Attributes.Add(new KeyValue { Key = "b", Value = new AnyValue { BoolValue = false } });
        span.Attributes.Add(new KeyValue { Key = "i0", Value = new AnyValue { IntValue = 0 } });
        span.Attributes.Add(new KeyValue { Key = "imin", Value = new AnyValue { IntValue = long.MinValue } });
        span.Attributes.Add(new KeyValue { Key = "imax", Value = new AnyValue { IntValue = long.MaxValue } });
        span.Attributes.Add(new KeyValue { Key = "d", Value = new AnyValue { DoubleValue = 3.14159 } });
        span.Attributes.Add(new KeyValue { Key = "dneg0", Value = new AnyValue { DoubleValue = -0.0 } });
        span.Attributes.Add(new KeyValue { Key = "nan", Value = new AnyValue { DoubleValue = double.NaN } });
        span.Attributes.Add(new KeyValue { Key = "inf", Value = new AnyValue { DoubleValue = double.PositiveInfinity } });
        span.Attributes.Add(new KeyValue { Key = "-inf", Value = new AnyValue { DoubleValue = double.NegativeInfinity } });
        span.Attributes.Add(new KeyValue { Key = "bytes", Value = new AnyValue { BytesValue = ByteString.CopyFrom(0, 1, 2, 250, 251, 255) } });
        span.Attributes.Add(new KeyValue { Key = "empty", Value = new AnyValue() });
        span.Attributes.Add(new KeyValue { Key = "novalue" });
        var array = new ArrayValue();
        array.Values.Add(new AnyValue { StringValue = "a" });
        array.Values.Add(new AnyValue { ArrayValue = new ArrayValue() });
        array.Values.Add(new AnyValue { KvlistValue = new KeyValueList() });
        var kvlist = new KeyValueList();
        kvlist.Values.Add(new KeyValue { Key = "inner", Value = new AnyValue { ArrayValue = array } });
        span.Attributes.Add(new KeyValue { Key = "map", Value = new AnyValue { KvlistValue = kvlist } });

        var spanEvent = new Span.Types.Event { TimeUnixNano = 1700000000000000001, Name = "ev", DroppedAttributesCount = 6 };
        spanEvent.Attributes.Add(new KeyValue { Key = "e", Value = new AnyValue { IntValue = 42 } });
        span.Events.Add(spanEvent);
        span.Events.Add(new Span.Types.Event());
        var link = new Span.Types.Link
        {
            TraceId = Hex("0000000000000000000000000000abcd"),
            SpanId = Hex("000000000000abcd"),
            TraceState = "x=y",
            DroppedAttributesCount = 7,
            Flags = 1,
        };
        link.Attributes.Add(new KeyValue { Key = "l", Value = new AnyValue { StringValue = "v" } });
        span.Links.Add(link);

        var resource = new Resource { DroppedAttributesCount = 8 };
        resource.Attributes.Add(new KeyValue { Key = "service_name", Value = new AnyValue { StringValue = "svc" } });
        var scope = new InstrumentationScope { Name = "lib", Version = "1", DroppedAttributesCount = 9 };
        scope.Attributes.Add(new KeyValue { Key = "sa", Value = new AnyValue { BoolValue = true } });
        var scopeSpans = new ScopeSpans { Scope = scope, SchemaUrl = "https://schema/1" };
        scopeSpans.Spans.Add(span);
        scopeSpans.Spans.Add(new Span { Name = "minimal" });
        var resourceSpans = new ResourceSpans { Resource = resource, SchemaUrl = "https://schema/2" };
        resourceSpans.ScopeSpans.Add(scopeSpans);
        resourceSpans.ScopeSpans.Add(new ScopeSpans());

        var data = new TracesData();
        data.ResourceSpans.Add(resourceSpans);
        data.ResourceSpans.Add(new ResourceSpans { Resource = new Resource() });
        data.ResourceSpans.Add(new ResourceSpans());
        return data;
    }

    [Theory]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{},{"spanId":"xyz!"}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[1].spanId: not hex or base64")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00112233445566778899aabbccddeeff00"}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].traceId: not hex or base64")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"links":[{"spanId":"W47/95gDgQPSabYzgT/GDA=="}]}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].links[0].spanId: not hex or base64")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":5}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected")]
    [InlineData("""{"resourceSpans": 5}""", "resourceSpans: expected an array")]
    [InlineData("""{"resourceSpans": [5]}""", "resourceSpans[0]: expected an object")]
    [InlineData("""{"resource_spans":[{"resource":[]}]}""", "resourceSpans[0].resource: expected an object")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":7}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].name: expected a string")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"abc"}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: not an unsigned 64-bit integer")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":-1}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: not an unsigned 64-bit integer")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_BOGUS"}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].kind: unknown span kind 'SPAN_KIND_BOGUS'")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":true}}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].status.code: expected")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"intValue":"1.5"}}]}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: not a 64-bit integer")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"bytesValue":"!!"}}]}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.bytesValue: not base64")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":"plain"}]}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value: expected an object")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"droppedAttributesCount":4294967296}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].droppedAttributesCount: not an unsigned 32-bit integer")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x",}]}]}]}""", "resourceSpans[0].scopeSpans[0].spans[0].name: invalid JSON")]
    [InlineData("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"}""", "resourceSpans[0].scopeSpans[0].spans[0]: invalid JSON")]
    [InlineData("""{"resourceSpans":[]} {}""", "invalid JSON")]
    [InlineData("""[]""", "the top-level value is not a JSON object")]
    [InlineData("""5""", "the top-level value is not a JSON object")]
    [InlineData("""null""", "the top-level value is not a JSON object")]
    [InlineData("""{"unknown": tru}""", "(unknown field): invalid JSON")]
    [InlineData("", "invalid JSON")]
    public void MalformedTracesThrowWithPath(string json, string expectedMessage)
    {
        var e = Assert.Throws<OtlpJsonException>(() => Traces(json));

        Assert.StartsWith(expectedMessage, e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<FormatException>(e);
    }

    [Theory]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":"x"}]}]}]}""", "resourceLogs[0].scopeLogs[0].logRecords[0].body: expected an object")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"abc-"}]}]}]}""", "resourceLogs[0].scopeLogs[0].logRecords[0].traceId: not hex or base64")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"LOUD"}]}]}]}""", "resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: unknown severity number 'LOUD'")]
    [InlineData("""{"resourceLogs":{}}""", "resourceLogs: expected an array")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":{"k":"v"}}]}]}]}""", "resourceLogs[0].scopeLogs[0].logRecords[0].attributes: expected an array")]
    public void MalformedLogsThrowWithPath(string json, string expectedMessage)
    {
        var e = Assert.Throws<OtlpJsonException>(() => Logs(json));

        Assert.StartsWith(expectedMessage, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExceptionExposesPath()
    {
        var e = Assert.Throws<OtlpJsonException>(() => Traces("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"nothex"}]}]}]}"""));

        Assert.Equal("resourceSpans[0].scopeSpans[0].spans[0].spanId", e.Path);
    }

    [Fact]
    public void InvalidUtf8InAStringThrowsOtlpJsonException()
    {
        byte[] json = [.. """{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"""u8, 0xFF, 0xFE, .. "\"}]}]}]}"u8];

        var e = Assert.Throws<OtlpJsonException>(() => OtlpJsonReader.ReadTracesData(json));

        Assert.Contains("spans[0].name", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooDeeplyNestedValuesThrowOtlpJsonException()
    {
        var json = new StringBuilder("""{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":""");
        for (var i = 0; i < 40; i++)
        {
            json.Append("""{"arrayValue":{"values":[""");
        }

        json.Append("{}");
        for (var i = 0; i < 40; i++)
        {
            json.Append("]}}");
        }

        json.Append("}]}}]}");

        var e = Assert.Throws<OtlpJsonException>(() => Traces(json.ToString()));

        Assert.Contains("invalid JSON", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipsUnknownFieldsAndTreatsNullAsAbsent()
    {
        const string json = """
            {
              "extra": {"nested": [1, {"deep": [true, null]}]},
              "resourceSpans": [null, {
                "resource": {"attributes": null, "entityRefs": [{"type": "service"}]},
                "scopeSpans": [{
                  "scope": null,
                  "spans": [null, {
                    "name": "kept",
                    "traceState": null,
                    "kind": null,
                    "status": null,
                    "futureField": {"a": [{"b": {}}]},
                    "attributes": [null, {"key": "k", "value": null, "extra": 1}, {"key": "e", "value": {"unknownValue": [1]}}]
                  }],
                  "other": []
                }]
              }],
              "trailing": "x"
            }
            """;

        var data = Traces(json);

        var resourceSpans = Assert.Single(data.ResourceSpans);
        Assert.NotNull(resourceSpans.Resource);
        Assert.Empty(resourceSpans.Resource.Attributes);
        var scopeSpans = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Null(scopeSpans.Scope);
        var span = Assert.Single(scopeSpans.Spans);
        Assert.Equal("kept", span.Name);
        Assert.Equal("", span.TraceState);
        Assert.Null(span.Status);
        Assert.Equal(2, span.Attributes.Count);
        Assert.Null(span.Attributes[0].Value);
        Assert.Equal(AnyValue.ValueOneofCase.None, span.Attributes[1].Value.ValueCase);
    }

    [Theory]
    [InlineData("2", Span.Types.SpanKind.Server)]
    [InlineData("\"3\"", Span.Types.SpanKind.Client)]
    [InlineData("\"SPAN_KIND_CONSUMER\"", Span.Types.SpanKind.Consumer)]
    [InlineData("\"span_kind_producer\"", Span.Types.SpanKind.Producer)]
    [InlineData("\"Server\"", Span.Types.SpanKind.Server)]
    [InlineData("\"SPAN_KIND_UNSPECIFIED\"", Span.Types.SpanKind.Unspecified)]
    public void AcceptsSpanKindForms(string kind, Span.Types.SpanKind expected)
    {
        var data = Traces($$"""{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":{{kind}}}]}]}]}""");

        Assert.Equal(expected, data.ResourceSpans[0].ScopeSpans[0].Spans[0].Kind);
    }

    [Theory]
    [InlineData("\"STATUS_CODE_OK\"", Status.Types.StatusCode.Ok)]
    [InlineData("\"Error\"", Status.Types.StatusCode.Error)]
    [InlineData("\"0\"", Status.Types.StatusCode.Unset)]
    [InlineData("2", Status.Types.StatusCode.Error)]
    public void AcceptsStatusCodeForms(string code, Status.Types.StatusCode expected)
    {
        var data = Traces($$$"""{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":{{{code}}}}}]}]}]}""");

        Assert.Equal(expected, data.ResourceSpans[0].ScopeSpans[0].Spans[0].Status.Code);
    }

    [Theory]
    [InlineData("\"SEVERITY_NUMBER_TRACE\"", SeverityNumber.Trace)]
    [InlineData("\"SEVERITY_NUMBER_DEBUG4\"", SeverityNumber.Debug4)]
    [InlineData("\"SEVERITY_NUMBER_INFO2\"", SeverityNumber.Info2)]
    [InlineData("\"SEVERITY_NUMBER_FATAL4\"", SeverityNumber.Fatal4)]
    [InlineData("\"SEVERITY_NUMBER_UNSPECIFIED\"", SeverityNumber.Unspecified)]
    [InlineData("\"21\"", SeverityNumber.Fatal)]
    [InlineData("13", SeverityNumber.Warn)]
    public void AcceptsSeverityNumberForms(string severity, SeverityNumber expected)
    {
        var request = Logs($$"""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":{{severity}}}]}]}]}""");

        Assert.Equal(expected, request.ResourceLogs[0].ScopeLogs[0].LogRecords[0].SeverityNumber);
    }

    [Theory]
    [InlineData("\"eee19b7ec3c1b174\"", "eee19b7ec3c1b174")]
    [InlineData("\"EEE19B7EC3C1B174\"", "eee19b7ec3c1b174")]
    [InlineData("\"1\"", "0000000000000001")]
    [InlineData("\"APBnqgupArc=\"", "00f067aa0ba902b7")]
    [InlineData("\"APBnqgupArc\"", "00f067aa0ba902b7")]
    [InlineData("\"\\u0065ee19b7ec3c1b174\"", "eee19b7ec3c1b174")]
    [InlineData("\"0000000000000000\"", "0000000000000000")]
    [InlineData("\"\"", "")]
    public void AcceptsSpanIdForms(string id, string expectedHex)
    {
        var span = Traces($$"""{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":{{id}}}]}]}]}""")
            .ResourceSpans[0].ScopeSpans[0].Spans[0];

        Assert.Equal(expectedHex, Convert.ToHexStringLower(span.SpanId.Span));
    }

    [Theory]
    [InlineData("\"0000000000000000\"")]
    [InlineData("\"0\"")]
    [InlineData("\"AAAAAAAAAAA=\"")]
    [InlineData("\"\"")]
    public void ZeroOrEmptyParentSpanIdMeansNoParent(string id)
    {
        var span = Traces($$"""{"resourceSpans":[{"scopeSpans":[{"spans":[{"parentSpanId":{{id}}}]}]}]}""")
            .ResourceSpans[0].ScopeSpans[0].Spans[0];

        Assert.True(span.ParentSpanId.IsEmpty);
    }

    [Theory]
    [InlineData("{\"intValue\":12}", AnyValue.ValueOneofCase.IntValue, "12")]
    [InlineData("{\"intValue\":\"-12\"}", AnyValue.ValueOneofCase.IntValue, "-12")]
    [InlineData("{\"intValue\":1e3}", AnyValue.ValueOneofCase.IntValue, "1000")]
    [InlineData("{\"doubleValue\":\"NaN\"}", AnyValue.ValueOneofCase.DoubleValue, "NaN")]
    [InlineData("{\"doubleValue\":\"Infinity\"}", AnyValue.ValueOneofCase.DoubleValue, "Infinity")]
    [InlineData("{\"doubleValue\":\"-Infinity\"}", AnyValue.ValueOneofCase.DoubleValue, "-Infinity")]
    [InlineData("{\"doubleValue\":\"2.5\"}", AnyValue.ValueOneofCase.DoubleValue, "2.5")]
    [InlineData("{\"doubleValue\":7}", AnyValue.ValueOneofCase.DoubleValue, "7")]
    [InlineData("{\"boolValue\":false}", AnyValue.ValueOneofCase.BoolValue, "False")]
    [InlineData("{\"bool_value\":\"true\"}", AnyValue.ValueOneofCase.BoolValue, "True")]
    [InlineData("{\"stringValue\":\"\"}", AnyValue.ValueOneofCase.StringValue, "")]
    [InlineData("{\"string_value\":\"caf\\u00e9 \\\"q\\\"\"}", AnyValue.ValueOneofCase.StringValue, "café \"q\"")]
    [InlineData("{\"bytesValue\":\"AAEC-vv_\"}", AnyValue.ValueOneofCase.BytesValue, "000102fafbff")]
    [InlineData("{\"bytes_value\":\"AAE\"}", AnyValue.ValueOneofCase.BytesValue, "0001")]
    [InlineData("{}", AnyValue.ValueOneofCase.None, "")]
    public void AcceptsAnyValueForms(string value, AnyValue.ValueOneofCase expectedCase, string expected)
    {
        var any = Traces($$$"""{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{{{value}}}}]}}]}""")
            .ResourceSpans[0].Resource.Attributes[0].Value;

        Assert.Equal(expectedCase, any.ValueCase);
        var actual = any.ValueCase switch
        {
            AnyValue.ValueOneofCase.IntValue => any.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.DoubleValue => any.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.BoolValue => any.BoolValue.ToString(),
            AnyValue.ValueOneofCase.StringValue => any.StringValue,
            AnyValue.ValueOneofCase.BytesValue => Convert.ToHexStringLower(any.BytesValue.Span),
            _ => "",
        };
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void AcceptsNumbersAsStringsAndStringsAsNumbers()
    {
        const string json = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"18446744073709551615","endTimeUnixNano":1.7e18,
            "flags":"769","droppedAttributesCount":"3","droppedEventsCount":4.0,"dropped_links_count":"5"}]}]}]}
            """;

        var span = Traces(json).ResourceSpans[0].ScopeSpans[0].Spans[0];

        Assert.Equal(ulong.MaxValue, span.StartTimeUnixNano);
        Assert.Equal(1700000000000000000UL, span.EndTimeUnixNano);
        Assert.Equal(769u, span.Flags);
        Assert.Equal(3u, span.DroppedAttributesCount);
        Assert.Equal(4u, span.DroppedEventsCount);
        Assert.Equal(5u, span.DroppedLinksCount);
    }

    [Fact]
    public void AcceptsByteOrderMarkAndEscapedPropertyNames()
    {
        byte[] json = [0xEF, 0xBB, 0xBF, .. """{"resource\u0053pans":[{"scopeSpans":[{"spans":[{"na\u006de":"n"}]}]}]}"""u8];

        var data = OtlpJsonReader.ReadTracesData(json);

        Assert.Equal("n", data.ResourceSpans[0].ScopeSpans[0].Spans[0].Name);
    }

    [Fact]
    public void EveryFieldNameIsRecognisedInCamelAndSnakeCase()
    {
        foreach (var field in Enum.GetValues<JsonField>())
        {
            if (field is JsonField.None or JsonField.Unknown)
            {
                continue;
            }

            var camel = JsonFields.DisplayName(field);
            var snake = new StringBuilder();
            foreach (var c in camel)
            {
                if (char.IsUpper(c))
                {
                    snake.Append('_').Append(char.ToLowerInvariant(c));
                }
                else
                {
                    snake.Append(c);
                }
            }

            Assert.Equal(field, JsonFields.Identify(Encoding.UTF8.GetBytes(camel)));
            Assert.Equal(field, JsonFields.Identify(Encoding.UTF8.GetBytes(snake.ToString())));
        }

        Assert.Equal(JsonField.Unknown, JsonFields.Identify("spanz"u8));
        Assert.Equal(JsonField.Unknown, JsonFields.Identify("nämé"u8));
    }

    [Fact]
    public void WriteExportLogsResponseWithoutPartialSuccessIsEmptyObject()
    {
        Assert.Equal("{}", Encoding.UTF8.GetString(OtlpJsonWriter.WriteExportLogsResponse(new ExportLogsServiceResponse())));
        var emptyPartial = new ExportLogsServiceResponse { PartialSuccess = new ExportLogsPartialSuccess() };
        Assert.Equal("{}", Encoding.UTF8.GetString(OtlpJsonWriter.WriteExportLogsResponse(emptyPartial)));
    }

    [Fact]
    public void WriteExportLogsResponseWithPartialSuccess()
    {
        var response = new ExportLogsServiceResponse
        {
            PartialSuccess = new ExportLogsPartialSuccess
            {
                RejectedLogRecords = 3,
                ErrorMessage = "3 records had no \"partial.event\" <ignored>",
            },
        };

        var json = Encoding.UTF8.GetString(OtlpJsonWriter.WriteExportLogsResponse(response));

        Assert.Equal(
            """{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"3 records had no \"partial.event\" <ignored>"}}""",
            json);
        var parsed = JsonParser.Default.Parse<ExportLogsServiceResponse>(json);
        Assert.Equal(response, parsed);
    }

    [Fact]
    public void WriteExportLogsResponseWithOnlyAMessage()
    {
        var response = new ExportLogsServiceResponse
        {
            PartialSuccess = new ExportLogsPartialSuccess { ErrorMessage = "warning" },
        };

        Assert.Equal(
            """{"partialSuccess":{"errorMessage":"warning"}}""",
            Encoding.UTF8.GetString(OtlpJsonWriter.WriteExportLogsResponse(response)));
    }
}
