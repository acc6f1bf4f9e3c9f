import { afterEach, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { extractTraceContext, injectTraceHeaders, setTracePropagation } from './trace-headers.js';

// W3C Trace Context §3.2 example values.
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const sampled = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
});

describe('trace headers', () => {
  afterEach(() => setTracePropagation(false));

  it('writes the W3C traceparent of the context', () => {
    setTracePropagation(true);
    expect(injectTraceHeaders(sampled)).toEqual({ traceparent: TRACEPARENT });
  });

  it('reads a traceparent back into a remote span context', () => {
    setTracePropagation(true);
    const ctx = extractTraceContext(new Map([['traceparent', TRACEPARENT], ['tracestate', 'congo=t61rcWkgMzE']]), ROOT_CONTEXT);
    expect(trace.getSpanContext(ctx)).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    expect(trace.getSpanContext(ctx)?.traceState?.serialize()).toBe('congo=t61rcWkgMzE');
    expect(injectTraceHeaders(ctx)).toEqual({ traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' });
  });

  it('ignores a malformed traceparent', () => {
    setTracePropagation(true);
    const ctx = extractTraceContext(new Map([['traceparent', '00-zz-00f067aa0ba902b7-01']]), ROOT_CONTEXT);
    expect(trace.getSpanContext(ctx)).toBeUndefined();
  });

  it('returns no headers for a context without a valid span', () => {
    setTracePropagation(true);
    expect(injectTraceHeaders(ROOT_CONTEXT)).toBeUndefined();
  });

  it('does nothing while tracing is off', () => {
    expect(injectTraceHeaders(sampled)).toBeUndefined();
    const headers = new Map([['traceparent', TRACEPARENT]]);
    expect(extractTraceContext(headers, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
    expect(extractTraceContext(undefined, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
  });
});
