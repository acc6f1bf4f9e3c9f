/**
 * Call-load fed by the edges' events: a router answering route requests with call-load gets each
 * call's load back from the transaction-completed events (a failed INVITE, a BYE).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeEvents, subjects } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, LocalBus } from '@sipmesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouterApp, type RouterApp } from '../app.js';
import { routeParams } from '../policy/route-params.fixture.js';

let dir: string;
let bus: LocalBus;
let router: RouterApp;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-callload-'));
  writeFileSync(
    path.join(dir, 'routes.json'),
    JSON.stringify({ dispatcher: { inline: '1 sip:192.0.2.10 0 0 duid=gw1;maxload=1\n1 sip:192.0.2.11 0 0 duid=gw2;maxload=1\n' }, policies: { p: { steps: [{ dispatcher: { set: 1, algorithm: 'call-load' } }] } } }),
  );
  bus = new LocalBus();
  router = await createRouterApp({ routesFile: path.join(dir, 'routes.json'), validateRequests: true, bus, logger: createLogger({ service: 'router', level: 'silent' }), registry: createMetricsRegistry({ service: 'router', processMetrics: false }), tracing: false });
});

afterAll(async () => {
  await router.stop();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
});

async function route(callId: string): Promise<string | undefined> {
  const params = routeParams({ call_id: callId });
  const reply = await bus.request(subjects.route('p'), Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: params.tx, method: 'route', params })), { timeoutMs: 2000 });
  const body = reply.json<{ result?: { routes?: { dst_uri?: string }[]; reply?: { code: number } } }>();
  return body.result?.routes?.[0]?.dst_uri ?? `reply ${body.result?.reply?.code ?? '?'}`;
}

function event(callId: string, method: string, status: number): void {
  bus.publish(subjects.events.transactionCompleted, encodeEvents([JSON.stringify({ event_id: `${callId}.${method}`, type: 'transaction.completed', call_id: callId, method, status })]));
}

describe('call-load from transaction events', () => {
  it('takes a failed or ended call off its destination, so the next call can go there', async () => {
    const loads = (): number[] => [router.dispatcher().loadOf('gw1'), router.dispatcher().loadOf('gw2')];
    expect(await route('c1')).toBeDefined();
    expect(await route('c2')).toBeDefined();
    expect(loads()).toEqual([1, 1]);
    // both destinations at their maxload of 1: the set is full
    expect(await route('c3')).toBe('reply 404');
    event('c1', 'INVITE', 486);
    await expect.poll(() => loads().reduce((a, b) => a + b, 0)).toBe(1);
    expect(await route('c4')).toMatch(/^sip:/);
    // a 200 for the INVITE keeps the load; the BYE gives it back
    event('c4', 'INVITE', 200);
    event('c2', 'BYE', 200);
    await expect.poll(() => loads().reduce((a, b) => a + b, 0)).toBe(1);
    expect(router.dispatcher().countedCalls).toBe(1);
  });
});
