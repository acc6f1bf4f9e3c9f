/**
 * Call limits across routers (book TC-129 with scaled routers and edges): two routers, each on its
 * own bus as if serving different edges, count calls in the same Redis (real Redis on
 * 127.0.0.1:6379, a key prefix of this test; the calls are removed afterwards, and what a failed
 * run leaves expires within a minute). The second router refuses the caller's second call; the
 * admin commands of either see the count.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dialogId, subjects, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { createLogger, createMetricsRegistry, LocalBus } from '@sipmesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouterApp, type RouterApp } from './app.js';
import { routeParams } from './policy/route-params.fixture.js';

const keyPrefix = `sipmesh:test:calls:${randomUUID().slice(0, 8)}:`;
const ROUTES = { policies: { p: { rules: [{ match: { method: 'INVITE' }, limit: { profile: 'caller', value: '$fU@$fd', max: 1 }, routes: [{ dst_uri: 'sip:192.0.2.50:5080' }] }] } } };

let dir: string;
/** Dialog ids of every INVITE routed. */
const sent = new Set<string>();
const idOf = (p: RouteParams): string => dialogId(p.call_id, p.from.tag ?? '', p.cseq.seq);
const routers: { app: RouterApp; bus: LocalBus }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-calls-'));
  writeFileSync(path.join(dir, 'routes.json'), JSON.stringify(ROUTES));
  for (const id of ['ra', 'rb']) {
    const bus = new LocalBus();
    const app = await createRouterApp({
      id,
      routesFile: path.join(dir, 'routes.json'),
      validateRequests: true,
      calls: { store: 'redis', redisUrl: 'redis://127.0.0.1:6379', keyPrefix, timeoutMs: 1000, maxDurationS: 60 },
      bus,
      logger: createLogger({ service: 'router', level: 'silent' }),
      registry: createMetricsRegistry({ service: 'router', processMetrics: false }),
      tracing: false,
    });
    routers.push({ app, bus });
  }
});

afterAll(async () => {
  await routers[0]?.app.calls.remove([...sent]);
  for (const r of routers) {
    await r.app.stop();
    await r.bus.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

function router(i: number): { app: RouterApp; bus: LocalBus } {
  const r = routers[i];
  if (!r) throw new Error(`router ${i} did not start`);
  return r;
}

async function route(i: number, params: RouteParams): Promise<RouteAnswer> {
  sent.add(idOf(params));
  const reply = await router(i).bus.request(subjects.route('p'), Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: params.tx, method: 'route', params })), { timeoutMs: 3000 });
  const body = reply.json<{ result?: RouteAnswer; error?: { message: string } }>();
  if (!body.result) throw new Error(`route request failed: ${body.error?.message ?? '?'}`);
  return body.result;
}

async function admin(i: number, command: string, params: Record<string, unknown>): Promise<unknown> {
  const reply = await router(i).bus.request(subjects.routerAdmin(command), Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'a1', params })), { timeoutMs: 3000 });
  return reply.json<{ result?: unknown }>().result;
}

let txNo = 0;
const invite = (user: string, callId: string): RouteParams => routeParams({ from: `sip:${user}@example.com`, call_id: callId, tx: `e1.${++txNo}.1` });

describe('call limits shared by routers (redis store)', () => {
  it('refuses the second call of a caller on another router, and lets it in after the first ended', async () => {
    const first = invite('1001', 'call-a');
    expect((await route(0, first)).routes).toEqual([{ dst_uri: 'sip:192.0.2.50:5080' }]);
    expect(await route(1, invite('1001', 'call-b'))).toMatchObject({ reply: { code: 503, reason: 'Exceeded Max Allowed Active Calls' } });
    expect((await route(1, invite('1002', 'call-c'))).routes).toHaveLength(1);

    expect(await admin(1, 'dlg.profile_get_size', { profile: 'caller', value: '1001@example.com' })).toEqual({ profile: 'caller', value: '1001@example.com', size: 1 });
    expect(await admin(0, 'dlg.profile_get_size', { profile: 'caller' })).toEqual({ profile: 'caller', size: 2 });
    expect(await admin(0, 'dlg.profile_list', { profile: 'caller' })).toEqual({
      profile: 'caller',
      values: [
        { value: '1001@example.com', size: 1 },
        { value: '1002@example.com', size: 1 },
      ],
    });

    // What the consumer of dialog.ended does, from anywhere: the id is the edge's dialog id.
    expect(await router(1).app.calls.remove([idOf(first)])).toBe(1);
    expect((await route(1, invite('1001', 'call-b'))).routes).toHaveLength(1);
    expect(await admin(1, 'dlg.profile_get_size', { profile: 'caller', value: '1001@example.com' })).toEqual({ profile: 'caller', value: '1001@example.com', size: 1 });
  });

  it('answers 400 to a profile name the store cannot hold', async () => {
    const reply = await router(0).bus.request(subjects.routerAdmin('dlg.profile_list'), Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'a2', params: { profile: 'a:b' } })), { timeoutMs: 3000 });
    expect(reply.json<{ error?: { code: number } }>().error?.code).toBe(-32602);
  });

  it('answers 500 Exceeded Max Allowed Active Calls once its Redis connection is gone', async () => {
    await router(1).app.calls.close();
    const started = Date.now();
    expect(await route(1, invite('1003', 'call-d'))).toEqual({ version: '1.0', reply: { code: 500, reason: 'Exceeded Max Allowed Active Calls' } });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not start when the Redis of the calls is unreachable', async () => {
    const bus = new LocalBus();
    try {
      await expect(
        createRouterApp({
          routesFile: path.join(dir, 'routes.json'),
          validateRequests: true,
          calls: { store: 'redis', redisUrl: 'redis://127.0.0.1:1', keyPrefix, timeoutMs: 1000, maxDurationS: 60 },
          bus,
          logger: createLogger({ service: 'router', level: 'silent' }),
          registry: createMetricsRegistry({ service: 'router', processMetrics: false }),
          tracing: false,
        }),
      ).rejects.toThrow(/call profiles: Redis at redis:\/\/127.0.0.1:1 is unreachable/);
    } finally {
      await bus.close();
    }
  });
});
