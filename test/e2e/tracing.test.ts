/**
 * One trace per inbound request across processes: the edge's `edge.receive` span is the root, its
 * `edge.route_request` child carries the W3C traceparent over the bus, the router's
 * `router.decide` is that span's child in the router process, and `edge.relay` (one per branch)
 * hangs off the root.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp } from '../helpers/sipp.js';
import { startSipmesh, type BusMode } from './support/sipmesh-under-test.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
  attributes: Record<string, unknown>;
}

const MODES: BusMode[] = ['nats', 'local'];

describe.each(MODES)('tracing over the %s bus', async (mode) => {
  if (!(await requireInfra('sipp'))) return;
  if (mode === 'nats' && !(await requireInfra('nats'))) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-trace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('links edge receive → route request → router decision, and edge receive → relay, in one trace', async () => {
    const traceFile = path.join(dir, `spans-${mode}.jsonl`);
    const uasPort = await freePort('udp', { leaseMs: Infinity });
    const sipmesh = await startSipmesh({ mode, traceFile, routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${uasPort}` }] }] } });
    try {
      const callee = runSipp({ scenario: scenarioPath('uas-message.xml'), role: 'uas', localPort: uasPort, calls: 1, timeoutS: 15 });
      await callee.ready;
      const r = await runSipp({ scenario: scenarioPath('uac-message.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'traced', calls: 1, timeoutS: 15 }).done;
      expect(r.outcome, r.summary).toBe('success');
      await callee.done;
    } finally {
      await stopAllSipp();
      await sipmesh.stop(); // flushes the span exporters
      releasePorts(uasPort);
    }
    const spans = readFileSync(traceFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Span);
    const receive = spans.find((s) => s.name === 'edge.receive' && s.attributes['sip.method'] === 'MESSAGE');
    expect(receive, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    if (!receive) return;
    const inTrace = spans.filter((s) => s.traceId === receive.traceId);
    const byName = (n: string): Span | undefined => inTrace.find((s) => s.name === n);
    const route = byName('edge.route_request');
    const decide = byName('router.decide');
    const relay = byName('edge.relay');
    expect(receive.parentSpanId).toBeUndefined();
    expect(route?.parentSpanId).toBe(receive.spanId);
    expect(decide?.parentSpanId).toBe(route?.spanId);
    expect(relay?.parentSpanId).toBe(receive.spanId);
    if (mode === 'nats') {
      // Two processes wrote this trace.
      expect(receive.service).toBe('sipmesh-edge');
      expect(decide?.service).toBe('sipmesh-router');
    }
    expect(relay?.attributes['sip.status_code']).toBe(200);
  });
});
