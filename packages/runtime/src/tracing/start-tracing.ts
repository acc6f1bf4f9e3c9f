/**
 * OpenTelemetry set-up for a service process, on `@opentelemetry/sdk-node` 0.223.
 *
 * Everything the SDK would otherwise take from OTEL_* environment variables or detect on its
 * own is given explicitly (resource, sampler, propagator, processors, no metric readers or
 * log processors), so a process exports exactly what its config says and nothing goes to an
 * OTLP default endpoint by accident. The SDK classes come from sdk-node's own re-exports so
 * they are the versions it was built with.
 */
import { NodeSDK, core, resources, tracing } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { JsonLinesSpanExporter } from './json-lines-span-exporter.js';
import { setTracePropagation } from './trace-headers.js';

export const TraceExporterKind = { none: 'none', otlp: 'otlp', file: 'file' } as const;
export type TraceExporterKind = (typeof TraceExporterKind)[keyof typeof TraceExporterKind];

export interface TracingOptions {
  serviceName: string;
  serviceInstanceId: string;
  exporter: TraceExporterKind;
  /** Required for `file`: JSON lines, appended. */
  filePath?: string;
  /** Required for `otlp`: the OTLP/HTTP traces endpoint, e.g. `http://collector:4318/v1/traces`. */
  otlpUrl?: string;
  /** Fraction of new traces sampled, 0..1; a sampled parent is always followed. Default 1. */
  sampleRatio?: number;
  /** Batch export delay. Default 1 000 ms. */
  exportDelayMs?: number;
}

export interface TracingHandle {
  readonly enabled: boolean;
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Exports what is left and stops; bus header propagation is switched off. */
  shutdown(): Promise<void>;
}

export const TracingErrorCode = { invalidOptions: 'TRACING_INVALID_OPTIONS' } as const;

export class TracingError extends Error {
  override readonly name = 'TracingError';
  readonly code = TracingErrorCode.invalidOptions;
}

const disabledHandle: TracingHandle = {
  enabled: false,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

/** Throws `TracingError` when the options are inconsistent (missing file path or URL, bad ratio). */
export function startTracing(options: TracingOptions): TracingHandle {
  const ratio = options.sampleRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) throw new TracingError(`sampleRatio must be within 0..1, got ${ratio}`);
  if (options.exporter === TraceExporterKind.none) {
    setTracePropagation(false);
    return disabledHandle;
  }
  const exporter = createExporter(options);
  const processor = new tracing.BatchSpanProcessor(exporter, { scheduledDelayMillis: options.exportDelayMs ?? 1_000 });
  const sdk = new NodeSDK({
    resource: resources.resourceFromAttributes({
      'service.name': options.serviceName,
      'service.instance.id': options.serviceInstanceId,
    }),
    autoDetectResources: false,
    spanProcessors: [processor],
    sampler: new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(ratio) }),
    textMapPropagator: new core.W3CTraceContextPropagator(),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  setTracePropagation(true);
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    forceFlush: () => processor.forceFlush(),
    shutdown: () => {
      stopped ??= (async () => {
        setTracePropagation(false);
        await sdk.shutdown();
      })();
      return stopped;
    },
  };
}

function createExporter(options: TracingOptions): tracing.SpanExporter {
  if (options.exporter === TraceExporterKind.file) {
    if (options.filePath === undefined || options.filePath === '') throw new TracingError('exporter "file" needs filePath');
    return new JsonLinesSpanExporter(options.filePath);
  }
  if (options.otlpUrl === undefined || options.otlpUrl === '') throw new TracingError('exporter "otlp" needs otlpUrl');
  return new OTLPTraceExporter({ url: options.otlpUrl });
}
