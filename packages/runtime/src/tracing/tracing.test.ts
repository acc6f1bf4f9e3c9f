/**
 * A trace crossing processes over the real NATS server: a parent span here, a child span in a
 * second Node process answering the request, both exported by the file exporter into one
 * JSON-lines file.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SpanKind, trace } from '@opentelemetry/api';
import { connectNatsBus } from '../bus/nats-bus.js';
import type { SpanRecord } from './json-lines-span-exporter.js';
import { startTracing, TracingError } from './start-tracing.js';
import { injectTraceHeaders, isTracePropagationEnabled } from './trace-headers.js';

const NATS_URL = '127.0.0.1:4222';
const RUN_TS = resolve(import.meta.dirname, '../../scripts/run-ts.mjs');
const FIXTURE = resolve(import.meta.dirname, 'traced-responder.fixture.ts');

describe('tracing across processes', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('links a child span in another process to its parent through bus headers', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sipmesh-tracing-'));
    const spansFile = join(dir, 'spans.jsonl');
    const subject = `rt.trace.${randomBytes(4).toString('hex')}`;

    const child = spawn(process.execPath, [RUN_TS, FIXTURE, NATS_URL, subject, spansFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        if (c.toString().includes('ready')) resolve();
      });
      child.once('exit', () => reject(new Error(`responder exited early: ${stderr}`)));
    });

    const tracing = startTracing({ serviceName: 'edge', serviceInstanceId: 'edge-1', exporter: 'file', filePath: spansFile });
    expect(tracing.enabled).toBe(true);
    const bus = await connectNatsBus({ servers: NATS_URL, name: 'traced-requester' });
    const parent = await trace.getTracer('sipmesh-edge').startActiveSpan('edge.invite', { kind: SpanKind.CLIENT }, async (span) => {
      const headers = injectTraceHeaders();
      expect(headers?.['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const reply = await bus.request(subject, Buffer.from('{"method":"INVITE"}'), { timeoutMs: 5000, ...(headers === undefined ? {} : { headers }) });
      expect(Buffer.from(reply.data).toString()).toBe('{"routes":[]}');
      span.end();
      return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
    });
    await bus.drain();
    expect(await exited).toBe(0);
    await tracing.shutdown();
    expect(isTracePropagationEnabled()).toBe(false);

    const records = (await readFile(spansFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SpanRecord);
    const edge = records.find((r) => r.name === 'edge.invite');
    const router = records.find((r) => r.name === 'router.route');
    expect(edge).toMatchObject({ traceId: parent.traceId, spanId: parent.spanId, service: 'edge', serviceInstanceId: 'edge-1', kind: 'CLIENT' });
    expect(edge?.parentSpanId).toBeUndefined();
    expect(router).toMatchObject({
      traceId: parent.traceId,
      parentSpanId: parent.spanId,
      service: 'router',
      serviceInstanceId: 'router-1',
      kind: 'SERVER',
      attributes: { 'sipmesh.subject': subject },
      status: { code: 'UNSET' },
    });
    expect(router?.spanId).not.toBe(parent.spanId);
    expect(BigInt(router!.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(edge!.startTimeUnixNano));
    expect(BigInt(router!.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(edge!.endTimeUnixNano));
  });
});

describe('startTracing options', () => {
  it('starts nothing for exporter "none"', async () => {
    const handle = startTracing({ serviceName: 's', serviceInstanceId: 's-1', exporter: 'none' });
    expect(handle.enabled).toBe(false);
    expect(isTracePropagationEnabled()).toBe(false);
    await handle.shutdown();
  });

  it.each([
    [{ exporter: 'file' as const }, 'filePath'],
    [{ exporter: 'otlp' as const }, 'otlpUrl'],
    [{ exporter: 'file' as const, filePath: '/tmp/x', sampleRatio: 1.5 }, 'sampleRatio'],
  ])('rejects %j', (partial, mention) => {
    expect(() => startTracing({ serviceName: 's', serviceInstanceId: 's-1', ...partial })).toThrow(TracingError);
    expect(() => startTracing({ serviceName: 's', serviceInstanceId: 's-1', ...partial })).toThrow(mention);
  });
});
