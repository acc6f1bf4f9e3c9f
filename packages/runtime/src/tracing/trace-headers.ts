/**
 * W3C trace context (traceparent/tracestate) in bus headers.
 *
 * When tracing is off the cost must be near zero per message: `injectTraceHeaders` then
 * returns `undefined` without looking at the context (so the bus sends no headers at all),
 * and `extractTraceContext` returns the base context without reading the headers. The
 * switch follows `startTracing`/`shutdown`, as the OpenTelemetry API itself is process-wide.
 */
import { context as otelContext, isSpanContextValid, trace, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { core } from '@opentelemetry/sdk-node';

let propagator: core.W3CTraceContextPropagator | undefined;

/** Called by `startTracing` and by the tracing handle's `shutdown`. */
export function setTracePropagation(enabled: boolean): void {
  propagator = enabled ? new core.W3CTraceContextPropagator() : undefined;
}

export function isTracePropagationEnabled(): boolean {
  return propagator !== undefined;
}

const recordSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const mapGetter: TextMapGetter<ReadonlyMap<string, string>> = {
  get: (carrier, key) => carrier.get(key),
  keys: (carrier) => [...carrier.keys()],
};

/**
 * Headers carrying the span context of `ctx` (default: the active context), or `undefined`
 * when tracing is off or `ctx` holds no valid span.
 */
export function injectTraceHeaders(ctx: Context = otelContext.active()): Record<string, string> | undefined {
  if (propagator === undefined) return undefined;
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  const headers: Record<string, string> = {};
  propagator.inject(ctx, headers, recordSetter);
  return headers['traceparent'] === undefined ? undefined : headers;
}

/**
 * The context of a received message: `base` (default: the active context) with the remote
 * span context from `headers`, when tracing is on and the headers carry one.
 */
export function extractTraceContext(headers: ReadonlyMap<string, string> | undefined, base: Context = otelContext.active()): Context {
  if (propagator === undefined || headers === undefined || !headers.has('traceparent')) return base;
  return propagator.extract(base, headers, mapGetter);
}
