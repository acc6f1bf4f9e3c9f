/**
 * media-control as the edge uses it, against the real thing: two rtpengines (the Debian daemon,
 * userspace, interfaces pub/127.0.0.1 and priv/127.0.0.2 as the book's 1:1 NAT), a private
 * nats-server (JetStream for the settings bucket; private, so no other test's media-control in
 * the shared queue group takes our requests) and Redis (a key prefix of its own per run).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CONTRACT_VERSION, createValidators, JsonRpcErrorCode, subjects, type MediaParams, type MediaResponse } from '@sipmesh/contracts';
import { connectNatsBus, createLogger, createMetricsRegistry, loadConfig, type NatsBus } from '@sipmesh/runtime';
import type { Registry } from 'prom-client';
import { requireInfra, skipSuite } from '../../../test/helpers/infra.js';
import { startNatsServer, type PrivateNatsServer } from '../../../test/helpers/nats-server.js';
import { startRtpengine, startRtpengines, type RtpengineHandle } from '../../../test/helpers/rtpengine.js';
import { createMediaControlApp, type MediaControlApp } from './app.js';
import { mediaConfigSchema, type MediaConfig } from './config/media-config.js';
import { NgClient } from './ng/ng-client.js';

const NATS_SERVER_BIN = '/usr/sbin/nats-server';
const validators = createValidators();
const logger = createLogger({ service: 'media-test', level: 'silent' });

function sdp(ip: string, port: number, payloads = '0 8 101'): string {
  return [
    'v=0',
    `o=- 1 1 IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${payloads}`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

function audio(text: string): { address: string; port: number; payloads: string } {
  const c = /^c=IN IP4 (\S+)/m.exec(text);
  const m = /^m=audio (\d+) RTP\/AVP ([\d ]+)/m.exec(text);
  if (c === null || m === null) throw new Error(`no audio in ${text}`);
  return { address: c[1] as string, port: Number(m[1]), payloads: (m[2] as string).trim() };
}

describe('media-control over NATS with two rtpengines and Redis', async () => {
  if (!(await requireInfra('rtpengine')) || !(await requireInfra('redis'))) return;
  if (!existsSync(NATS_SERVER_BIN)) {
    skipSuite(`needs ${NATS_SERVER_BIN} for a private NATS server`);
    return;
  }
  let nats: PrivateNatsServer;
  let rtpes: RtpengineHandle[];
  let client: NatsBus;
  let redis: Redis;
  const ng = new NgClient();
  const keyPrefix = `sipmesh:test:media:${randomBytes(4).toString('hex')}:`;
  const running: { app: MediaControlApp; bus: NatsBus; registry: Registry }[] = [];
  let seq = 0;

  beforeAll(async () => {
    nats = await startNatsServer();
    rtpes = await startRtpengines(2, { interfaces: ['pub/127.0.0.1', 'priv/127.0.0.2'] });
    client = await connectNatsBus({ servers: nats.url, name: 'media-test-client' });
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map(async ({ app, bus }) => {
      await app.stop();
      await bus.close();
    }));
  });

  afterAll(async () => {
    await client?.close();
    await ng.close();
    await Promise.all((rtpes ?? []).map((r) => r.stop()));
    await nats?.dispose();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const key = (r: RtpengineHandle): string => `${r.ng.host}:${r.ng.port}`;

  async function startApp(id: string, overrides: Record<string, unknown> = {}): Promise<{ app: MediaControlApp; registry: Registry }> {
    const config = loadConfig<MediaConfig>({
      schema: mediaConfigSchema,
      env: {},
      overrides: {
        id,
        'nats.url': nats.url,
        'rtpengine.sets': { default: rtpes.map((r) => `udp:${key(r)}`) },
        'rtpengine.timeoutMs': 600,
        'rtpengine.retransmitMs': 100,
        'health.pingIntervalMs': 200,
        'health.pingTimeoutMs': 150,
        'health.downAfterFailures': 1,
        'affinity.store': 'redis',
        'affinity.keyPrefix': keyPrefix,
        ...overrides,
      },
    }) as MediaConfig;
    const bus = await connectNatsBus({ servers: nats.url, name: `media-test-${id}` });
    const registry = createMetricsRegistry({ service: 'media-test' });
    const app = await createMediaControlApp({ config, bus, logger, registry, tracing: false });
    await bus.flush();
    running.push({ app, bus, registry });
    return { app, registry };
  }

  async function rpc(method: 'offer' | 'answer' | 'delete', params: Partial<MediaParams> | Record<string, unknown>, id = `r${++seq}`): Promise<MediaResponse> {
    const request = { jsonrpc: '2.0', id, method, params: { version: CONTRACT_VERSION, ...params } };
    const reply = await client.request(subjects.media(method), Buffer.from(JSON.stringify(request)), { timeoutMs: 10_000 });
    const body = reply.json<MediaResponse>();
    const checked = validators.mediaResponse(body);
    expect(checked.ok, JSON.stringify(body)).toBe(true);
    return body;
  }

  async function admin(command: string, params: Record<string, unknown> = {}, subject = subjects.mediaAdmin(command)): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
    const reply = await client.request(subject, Buffer.from(JSON.stringify({ id: 'a1', params })), { timeoutMs: 5_000 });
    return reply.json();
  }

  const newCall = (): { call_id: string; from_tag: string } => ({ call_id: `c${++seq}-${randomBytes(3).toString('hex')}@media-test`, from_tag: `ft${seq}` });

  test('offer, answer and delete over the bus rewrite the SDP to rtpengine’s addresses (1:1 NAT profile)', async () => {
    await startApp('m1');
    const call = newCall();
    const offer = await rpc('offer', { ...call, sdp: sdp('192.0.2.10', 40000), flags: 'profile:nat-pub-to-priv', edge: 'edge1', received_from: '192.0.2.10' });
    expect(offer.error).toBeUndefined();
    const holder = rtpes.find((r) => key(r) === offer.result?.instance) as RtpengineHandle;
    expect(holder).toBeDefined();
    const toCallee = audio(offer.result?.sdp ?? '');
    expect(toCallee.address).toBe('127.0.0.2');
    expect(toCallee.port).toBeGreaterThanOrEqual(holder.portMin);
    expect(toCallee.port).toBeLessThanOrEqual(holder.portMax);
    expect(offer.result?.sdp).toMatch(/^o=- 1 1 IN IP4 127\.0\.0\.2$/m);

    const answer = await rpc('answer', { ...call, to_tag: 'tt1', sdp: sdp('10.0.0.20', 50000), flags: 'profile:nat-pub-to-priv' });
    expect(answer.result?.instance).toBe(key(holder));
    const toCaller = audio(answer.result?.sdp ?? '');
    expect(toCaller.address).toBe('127.0.0.1');
    expect(toCaller.port).toBeGreaterThanOrEqual(holder.portMin);

    expect(await ng.list(holder.ng, { limit: 1000 })).toContain(call.call_id);
    const deleted = await rpc('delete', { ...call, reason: 'bye' });
    expect(deleted.result).toEqual({ version: CONTRACT_VERSION, instance: key(holder), deleted: true });
    expect(await ng.list(holder.ng, { limit: 1000 })).not.toContain(call.call_id);
    expect(await redis.exists(`${keyPrefix}call:${call.call_id}`)).toBe(0);

    // Again: the call is gone.
    expect((await rpc('delete', call)).result).toEqual({ version: CONTRACT_VERSION, instance: '', deleted: false });
  });

  test('the answer is handled by a second media-control through the Redis affinity', async () => {
    const first = await startApp('m1');
    const call = newCall();
    const offer = await rpc('offer', { ...call, sdp: sdp('192.0.2.10', 40002), flags: 'profile:nat-pub-to-priv' });
    const instance = offer.result?.instance;
    expect(JSON.parse((await redis.get(`${keyPrefix}call:${call.call_id}`)) ?? '{}')).toMatchObject({ instance, set: 'default', lastMethod: 'offer' });
    // Only the second one is left in the queue group.
    await first.app.stop();
    await running[0]?.bus.close();
    await startApp('m2');
    const answer = await rpc('answer', { ...call, to_tag: 'tt', sdp: sdp('10.0.0.20', 50002), flags: 'profile:nat-pub-to-priv' });
    expect(answer.result?.instance).toBe(instance);
    expect(audio(answer.result?.sdp ?? '').address).toBe('127.0.0.1');
    // Routed by affinity, not found by asking every instance.
    const holder = rtpes.find((r) => key(r) === instance) as RtpengineHandle;
    expect(JSON.parse((await redis.get(`${keyPrefix}call:${call.call_id}`)) ?? '{}')).toMatchObject({ instance, lastMethod: 'answer' });
    expect((await rpc('delete', { ...call, to_tag: 'tt' })).result).toMatchObject({ instance, deleted: true });
    expect(await ng.list(holder.ng, { limit: 1000 })).not.toContain(call.call_id);
  });

  test('built-in profiles against the daemon: transcode-pcma offers PCMA only, dtmf adds ptime and telephone-event', async () => {
    await startApp('m1');
    const a = newCall();
    const pcma = await rpc('offer', { ...a, sdp: sdp('192.0.2.10', 40004, '0 101'), flags: 'profile:transcode-pcma direction=pub direction=priv' });
    expect(audio(pcma.result?.sdp ?? '').payloads).toBe('8');
    const b = newCall();
    const dtmf = await rpc('offer', { ...b, sdp: sdp('192.0.2.10', 40006, '0 8'), flags: 'profile:dtmf direction=pub direction=priv' });
    expect(dtmf.result?.sdp).toMatch(/a=rtpmap:\d+ telephone-event\/8000/);
    expect(dtmf.result?.sdp).toMatch(/a=ptime:20/);
    await rpc('delete', a);
    await rpc('delete', b);
  });

  test('200 offers at once over the bus (two media-controls) all succeed, shared by both rtpengines; then 200 deletes', async () => {
    await startApp('m1');
    await startApp('m2');
    const calls = Array.from({ length: 200 }, () => newCall());
    const offers = await Promise.all(calls.map((c, i) => rpc('offer', { ...c, sdp: sdp('192.0.2.10', 42000 + 2 * i), flags: 'profile:nat-pub-to-priv' })));
    expect(offers.filter((o) => o.error !== undefined)).toEqual([]);
    const byInstance = new Map<string, number>();
    for (const o of offers) byInstance.set(o.result?.instance ?? '', (byInstance.get(o.result?.instance ?? '') ?? 0) + 1);
    expect([...byInstance.keys()].sort()).toEqual(rtpes.map(key).sort());
    for (const n of byInstance.values()) expect(n).toBeGreaterThanOrEqual(80);
    const shown = (await admin('rtpengine.show')).result as { instances: { instance: string; sessions: number }[] };
    expect(shown.instances.reduce((n, i) => n + i.sessions, 0)).toBe(200);
    const deletes = await Promise.all(calls.map((c) => rpc('delete', c)));
    expect(deletes.filter((d) => d.result?.deleted !== true)).toEqual([]);
    for (const r of rtpes) expect((await ng.list(r.ng, { limit: 1000 })).filter((c) => c.endsWith('@media-test'))).toEqual([]);
  });

  test('bad requests get precise errors and the service keeps serving', async () => {
    await startApp('m1');
    const raw = async (subject: string, text: string): Promise<{ id: unknown; error?: { code: number; message: string } }> =>
      (await client.request(subject, Buffer.from(text), { timeoutMs: 5_000 })).json();
    expect((await raw(subjects.media('offer'), '{not json')).error?.code).toBe(JsonRpcErrorCode.parseError);
    const noCallId = await rpc('offer', { from_tag: 'a', sdp: 'v=0' });
    expect(noCallId.error?.code).toBe(JsonRpcErrorCode.invalidParams);
    expect(noCallId.error?.message).toMatch(/call_id/);
    const wrongMethod = await raw(subjects.media('offer'), JSON.stringify({ jsonrpc: '2.0', id: 'x', method: 'answer', params: { version: CONTRACT_VERSION, ...newCall(), to_tag: 't', sdp: 'v=0' } }));
    expect(wrongMethod).toMatchObject({ id: 'x', error: { code: JsonRpcErrorCode.invalidRequest } });
    expect((await rpc('offer', { ...newCall(), version: '2.0', sdp: 'v=0' })).error?.code).toBe(JsonRpcErrorCode.unsupportedVersion);
    expect((await rpc('offer', { ...newCall() })).error).toMatchObject({ code: JsonRpcErrorCode.invalidParams, message: 'offer needs sdp' });
    expect((await rpc('answer', { ...newCall(), sdp: 'v=0' })).error?.code).toBe(JsonRpcErrorCode.invalidParams);
    expect((await rpc('offer', { ...newCall(), sdp: sdp('192.0.2.10', 40010), flags: 'profile:nope' })).error).toMatchObject({ code: JsonRpcErrorCode.invalidParams, message: 'unknown media profile "nope"' });
    expect((await rpc('offer', { ...newCall(), sdp: sdp('192.0.2.10', 40010), flags: 'call-id=x' })).error?.code).toBe(JsonRpcErrorCode.invalidParams);
    expect((await rpc('offer', { ...newCall(), sdp: sdp('192.0.2.10', 40010), set: 'nope' })).error?.code).toBe(JsonRpcErrorCode.invalidParams);
    const unknown = await rpc('answer', { ...newCall(), to_tag: 't', sdp: sdp('10.0.0.20', 50010) });
    expect(unknown.error?.code).toBe(JsonRpcErrorCode.mediaRejected);
    expect(unknown.error?.message).toMatch(/^unknown call /);
    const garbage = await rpc('offer', { ...newCall(), sdp: 'this is not SDP' });
    expect(garbage.error?.code).toBe(JsonRpcErrorCode.mediaRejected);
    expect(garbage.error?.message).toMatch(/refused 'offer': /);
    // Still serving.
    const call = newCall();
    expect((await rpc('offer', { ...call, sdp: sdp('192.0.2.10', 40012), flags: 'profile:nat-pub-to-priv' })).result?.sdp).toBeDefined();
    await rpc('delete', call);
  });

  test('admin over the bus: show, enable/disable shared by every media-control, sessions, query, ping; metrics', async () => {
    const one = await startApp('m1');
    const two = await startApp('m2');
    const shown = (await admin('rtpengine.show', { stats: true })).result as { instances: { instance: string; state: string; lastRttMs: number; rtpengineSessions: number }[] };
    expect(shown.instances.map((i) => [i.instance, i.state])).toEqual(rtpes.map((r) => [key(r), 'up']));
    expect(typeof shown.instances[0]?.rtpengineSessions).toBe('number');

    const [a, b] = rtpes as [RtpengineHandle, RtpengineHandle];
    const disabled = await admin('rtpengine.enable', { url: `udp:${key(a)}`, enable: 0 });
    expect(disabled.result).toMatchObject({ instances: [{ instance: key(a), state: 'disabled' }] });
    // Both processes see it (settings bucket), so every new call goes to b whoever takes it.
    await expect.poll(() => [one.app, two.app].map((x) => x.instances.get(key(a))?.state)).toEqual(['disabled', 'disabled']);
    const calls = Array.from({ length: 6 }, () => newCall());
    const offers = await Promise.all(calls.map((c, i) => rpc('offer', { ...c, sdp: sdp('192.0.2.10', 43000 + 2 * i), flags: 'profile:nat-pub-to-priv' })));
    expect(offers.map((o) => o.result?.instance)).toEqual(calls.map(() => key(b)));
    await admin('rtpengine.enable', { url: key(a), enable: true });
    await expect.poll(() => [one.app, two.app].map((x) => x.instances.get(key(a))?.state)).toEqual(['up', 'up']);
    expect((await admin('rtpengine.enable', { url: 'udp:10.9.9.9:1', enable: 1 })).error?.code).toBe(404);
    expect((await admin('rtpengine.enable', { url: key(a) })).error?.code).toBe(JsonRpcErrorCode.invalidParams);

    const sessions = (await admin('media.sessions', { rtpengine: true })).result as { count: number; sessions: { callId: string; entry: { instance: string } }[]; rtpengine: Record<string, string[]> };
    expect(sessions.count).toBe(6);
    expect(sessions.sessions.map((s) => s.callId).sort()).toEqual(calls.map((c) => c.call_id).sort());
    expect(sessions.rtpengine[key(b)]).toEqual(expect.arrayContaining(calls.map((c) => c.call_id)));
    const query = (await admin('media.query', { call_id: calls[0]?.call_id })).result as { instance: string; affinity: { instance: string }; rtpengine: { tags: Record<string, unknown> } };
    expect(query).toMatchObject({ instance: key(b), affinity: { instance: key(b) } });
    expect(Object.keys(query.rtpengine.tags)).toContain(calls[0]?.from_tag);
    expect((await admin('media.query', { call_id: 'nope' })).error?.code).toBe(404);
    // One process by its own subject.
    const pinged = (await admin('rtpengine.ping', {}, subjects.mediaInstanceAdmin('m2', 'rtpengine.ping'))).result as { instances: { state: string }[] };
    expect(pinged.instances.map((i) => i.state)).toEqual(['up', 'up']);
    const profiles = (await admin('media.profiles')).result as { profiles: { name: string }[] };
    expect(profiles.profiles.map((p) => p.name)).toContain('webrtc-to-sip');

    for (const c of calls) await rpc('delete', c);
    const text = (await one.registry.metrics()) + (await two.registry.metrics());
    expect(text).toMatch(/sipmesh_media_commands_total\{method="offer",outcome="ok"[^}]*\} [1-9]/);
    expect(text).toMatch(/sipmesh_media_ng_duration_seconds_count\{[^}]*command="offer",instance="[^"]+",outcome="ok"[^}]*\} [1-9]/);
    expect(text).toMatch(new RegExp(`sipmesh_media_instance_up\\{instance="${key(a)}"[^}]*\\} 1`));
    expect(one.app.ready()).toBe(true);
  });

  test('an rtpengine stops: it goes down, new calls go to the other, its calls get mediaUnavailable; back after a restart', async () => {
    // A third rtpengine of our own, so the shared two stay up for the rest of the suite.
    let doomed = await startRtpengine({ interfaces: ['pub/127.0.0.1', 'priv/127.0.0.2'] });
    const survivor = rtpes[0] as RtpengineHandle;
    try {
      const { app } = await startApp('m1', { 'rtpengine.sets': { default: [`udp:${key(doomed)}`, `udp:${key(survivor)}`] } });
      const calls = Array.from({ length: 4 }, () => newCall());
      const offers = await Promise.all(calls.map((c, i) => rpc('offer', { ...c, sdp: sdp('192.0.2.10', 44000 + 2 * i), flags: 'profile:nat-pub-to-priv' })));
      const onDoomed = calls.filter((_c, i) => offers[i]?.result?.instance === key(doomed));
      const onSurvivor = calls.filter((_c, i) => offers[i]?.result?.instance === key(survivor));
      expect(onDoomed).toHaveLength(2);
      expect(onSurvivor).toHaveLength(2);

      const doomedPort = doomed.ng.port;
      await doomed.stop();
      await expect.poll(() => app.instances.get(`127.0.0.1:${doomedPort}`)?.state, { timeout: 5_000 }).toBe('down');
      expect(app.ready()).toBe(true);

      // New calls: all on the survivor.
      const fresh = Array.from({ length: 4 }, () => newCall());
      const freshOffers = await Promise.all(fresh.map((c, i) => rpc('offer', { ...c, sdp: sdp('192.0.2.10', 45000 + 2 * i), flags: 'profile:nat-pub-to-priv' })));
      expect(freshOffers.map((o) => o.result?.instance)).toEqual(fresh.map(() => key(survivor)));
      // Calls on the survivor go on; calls on the stopped one are unavailable at once.
      for (const c of onSurvivor) {
        expect((await rpc('answer', { ...c, to_tag: 'tt', sdp: sdp('10.0.0.20', 50020), flags: 'profile:nat-pub-to-priv' })).result?.instance).toBe(key(survivor));
        expect((await rpc('delete', c)).result).toMatchObject({ deleted: true });
      }
      const started = Date.now();
      const lost = await rpc('answer', { ...onDoomed[0], to_tag: 'tt', sdp: sdp('10.0.0.20', 50022) });
      expect(lost.error).toMatchObject({ code: JsonRpcErrorCode.mediaUnavailable, data: { instance: `127.0.0.1:${doomedPort}` } });
      expect(lost.error?.message).toMatch(/which holds call .* is down$/);
      expect(Date.now() - started).toBeLessThan(500);
      expect((await admin('rtpengine.show')).result).toMatchObject({ instances: [{ instance: `127.0.0.1:${doomedPort}`, state: 'down' }, { state: 'up' }] });

      // Restarted on the same ng port: back up, and takes new calls again.
      doomed = await startRtpengine({ interfaces: ['pub/127.0.0.1', 'priv/127.0.0.2'], ngPort: doomedPort });
      await expect.poll(() => app.instances.get(`127.0.0.1:${doomedPort}`)?.state, { timeout: 5_000 }).toBe('up');
      const later = Array.from({ length: 4 }, () => newCall());
      const laterOffers = await Promise.all(later.map((c, i) => rpc('offer', { ...c, sdp: sdp('192.0.2.10', 46000 + 2 * i), flags: 'profile:nat-pub-to-priv' })));
      expect(laterOffers.filter((o) => o.result?.instance === key(doomed))).toHaveLength(2);
      for (const c of [...fresh, ...later]) expect((await rpc('delete', c)).result?.deleted).toBe(true);
      // The restarted daemon lost the old calls: their delete says so.
      expect((await rpc('delete', onDoomed[1] as { call_id: string; from_tag: string })).result).toEqual({ version: CONTRACT_VERSION, instance: key(doomed), deleted: false });
    } finally {
      await doomed.stop();
    }
  });
});
