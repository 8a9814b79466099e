// Sends one partial-span log per argument set with npm's OTLP/HTTP JSON log exporter, as the
// G-Research clients shape them (partial.body.type = json/v1). Usage:
//   node send-partial-logs.mjs <logs-url> <event> <traceIdHex> <spanIdHex> <camel|snake> [frequency]
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const [url, event, traceId, spanId, flavor, frequency = '5000ms'] = process.argv.slice(2);

// Newer Python processor: protobuf's JSON (lowerCamelCase, enum names, 64-bit ints as strings), resource inside.
const camel = () => ({
  resourceSpans: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'node-body-service' } }] },
    scopeSpans: [{
      scope: { name: 'js-client' },
      spans: [{
        traceId, spanId, name: 'node-long-operation', kind: 'SPAN_KIND_SERVER',
        startTimeUnixNano: '1700000000000000000',
        attributes: [{ key: 'job.id', value: { intValue: '42' } }],
        status: { code: 'STATUS_CODE_UNSET' },
      }],
    }],
  }],
});

// .NET processor: snake_case, enums as integers, numbers, zero parent, no resource in the body.
const snake = () => ({
  resource_spans: [{
    scope_spans: [{
      scope: { name: 'dotnet-style' },
      spans: [{
        trace_id: traceId, span_id: spanId, parent_span_id: '0000000000000000', trace_state: 'Unset',
        name: 'snake-long-operation', kind: 1, start_time_unix_nano: 1700000000000000000,
        attributes: [{ key: 'job.id', value: { string_value: '42' } }],
      }],
    }],
  }],
});

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'node-client' }),
  processors: [new SimpleLogRecordProcessor(new OTLPLogExporter({ url }))],
});
provider.getLogger('partial').emit({
  body: JSON.stringify(flavor === 'snake' ? snake() : camel()),
  attributes: {
    'partial.event': event,
    'partial.frequency': frequency,
    'partial.body.type': 'json/v1',
    'log.only.attribute': 'from-log',
  },
});
await provider.forceFlush();
await provider.shutdown();
