/**
 * A span exporter that appends one JSON object per finished span to a file. Several
 * processes can append to the same file (each line is one `write` in append mode), so tests
 * and operators can follow a trace across services without a collector.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import { core, type tracing } from '@opentelemetry/sdk-node';

/** The shape of one line. Times are Unix nanoseconds as decimal strings (they exceed 2^53). */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Absent for a root span. */
  parentSpanId?: string;
  name: string;
  kind: keyof typeof SpanKind;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  attributes: Record<string, unknown>;
  events: Array<{ name: string; timeUnixNano: string; attributes: Record<string, unknown> }>;
  service: string;
  serviceInstanceId?: string;
}

const KIND_NAMES: Record<SpanKind, SpanRecord['kind']> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

const STATUS_NAMES: Record<SpanStatusCode, SpanRecord['status']['code']> = {
  [SpanStatusCode.UNSET]: 'UNSET',
  [SpanStatusCode.OK]: 'OK',
  [SpanStatusCode.ERROR]: 'ERROR',
};

export class JsonLinesSpanExporter implements tracing.SpanExporter {
  private readonly stream: WriteStream;
  private stopped = false;

  constructor(filePath: string) {
    this.stream = createWriteStream(filePath, { flags: 'a' });
  }

  export(spans: tracing.ReadableSpan[], resultCallback: (result: core.ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: core.ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    let text = '';
    for (const span of spans) text += `${JSON.stringify(toSpanRecord(span))}\n`;
    this.stream.write(text, (error) => {
      resultCallback(error == null ? { code: core.ExportResultCode.SUCCESS } : { code: core.ExportResultCode.FAILED, error });
    });
  }

  forceFlush(): Promise<void> {
    // Writes complete before their export callback; nothing is held here.
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

export function toSpanRecord(span: tracing.ReadableSpan): SpanRecord {
  const context = span.spanContext();
  const serviceName = span.resource.attributes['service.name'];
  const instanceId = span.resource.attributes['service.instance.id'];
  const record: SpanRecord = {
    traceId: context.traceId,
    spanId: context.spanId,
    name: span.name,
    kind: KIND_NAMES[span.kind],
    startTimeUnixNano: hrTimeToNanoString(span.startTime),
    endTimeUnixNano: hrTimeToNanoString(span.endTime),
    durationMs: span.duration[0] * 1e3 + span.duration[1] / 1e6,
    status: span.status.message === undefined ? { code: STATUS_NAMES[span.status.code] } : { code: STATUS_NAMES[span.status.code], message: span.status.message },
    attributes: { ...span.attributes },
    events: span.events.map((e) => ({ name: e.name, timeUnixNano: hrTimeToNanoString(e.time), attributes: { ...e.attributes } })),
    service: typeof serviceName === 'string' ? serviceName : 'unknown',
  };
  // SDK 2.x names the parent `parentSpanContext` (1.x had `parentSpanId`).
  if (span.parentSpanContext !== undefined) record.parentSpanId = span.parentSpanContext.spanId;
  if (typeof instanceId === 'string') record.serviceInstanceId = instanceId;
  return record;
}

function hrTimeToNanoString(time: HrTime): string {
  return `${time[0]}${String(time[1]).padStart(9, '0')}`;
}
