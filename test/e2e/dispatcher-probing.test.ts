/**
 * Dispatcher keepalives through the edge, in both modes: the router asks an edge to OPTIONS each
 * destination; a destination that stops answering goes inactive and gets no calls (SIPp MESSAGEs
 * through the edge) until it answers again, and each change is announced.
 */
import { decodeEvents, subjects, type DispatcherStateEvent } from '@sipmesh/contracts';
import { LocalBus } from '@sipmesh/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp } from '../helpers/sipp.js';
import { RecordingPeer } from './support/recording-peer.js';
import { startSipmesh, type BusMode, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

/** A destination: answers every request with 200 and counts the MESSAGEs (calls) it got. */
class Peer extends RecordingPeer {
  calls(): number {
    return this.requestLines.filter((l) => l.startsWith('MESSAGE ')).length;
  }

  keepalives(): number {
    return this.requestLines.filter((l) => l.startsWith('OPTIONS ')).length;
  }
}

interface ListedDest {
  DEST: { URI: string; FLAGS: string };
}

async function flagsOf(sipmesh: SipmeshUnderTest, router = 0): Promise<Record<string, string>> {
  const res = await fetch(`http://127.0.0.1:${sipmesh.routerAdminPorts[router] ?? 0}/dispatcher/list`);
  const list = (await res.json()) as { RECORDS: { SET: { TARGETS: ListedDest[] } }[] };
  const out: Record<string, string> = {};
  for (const r of list.RECORDS) for (const t of r.SET.TARGETS) out[t.DEST.URI] = t.DEST.FLAGS;
  return out;
}

/** Two started destinations, recorded in `peers` for the test's cleanup. */
async function startPeers(peers: Peer[]): Promise<[Peer, Peer]> {
  const pair: [Peer, Peer] = [new Peer(await freePort('udp', { leaseMs: Infinity })), new Peer(await freePort('udp', { leaseMs: Infinity }))];
  peers.push(...pair);
  for (const p of pair) await p.start();
  return pair;
}

/** `count` MESSAGEs through the edge with SIPp, every one answered. */
async function sendMessages(sipmesh: SipmeshUnderTest | undefined, count: number): Promise<void> {
  const r = await runSipp({ scenario: scenarioPath('uac-message.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh?.sipPort ?? 0}`, service: 'lb', calls: count, rate: 50, timeoutS: 20, traceMessages: false }).done;
  expect(r.failedCalls, r.summary).toBe(0);
  expect(r.successfulCalls).toBe(count);
}

describe.each<BusMode>(['local', 'nats'])('dispatcher probing over the %s bus', async (mode) => {
  if (!(await requireInfra('sipp'))) return;
  if (mode === 'nats' && !(await requireInfra('nats'))) return;

  let sipmesh: SipmeshUnderTest | undefined;
  const peers: Peer[] = [];
  afterEach(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    sipmesh = undefined;
    for (const p of peers.splice(0)) await p.stop();
  });

  const messages = (count: number): Promise<void> => sendMessages(sipmesh, count);

  it('takes a silent destination out of rotation and back in when it answers again', async () => {
    const [a, b] = await startPeers(peers);
    const [uriA, uriB] = [a, b].map((p) => `sip:127.0.0.1:${p.port}`) as [string, string];
    sipmesh = await startSipmesh({
      mode,
      routes: {
        dispatcher: { inline: `1 ${uriA}\n1 ${uriB}\n`, probing: { ping_interval: 1, probing_mode: 1, probing_threshold: 2, ping_timeout_ms: 400 } },
        rules: [{ dispatcher: { set: 1, algorithm: 'round-robin', failover: false } }],
      },
    });
    const ui = sipmesh;
    await expect.poll(async () => flagsOf(ui), { timeout: 10_000, interval: 250 }).toEqual({ [uriA]: 'AP', [uriB]: 'AP' });
    expect(a.keepalives()).toBeGreaterThan(0);

    await messages(10);
    expect(a.calls()).toBe(5);
    expect(b.calls()).toBe(5);

    // B goes silent: two unanswered keepalives (threshold 2) take it down
    await b.stop();
    await expect.poll(async () => (await flagsOf(ui))[uriB], { timeout: 10_000, interval: 250 }).toBe('IP');
    const before = a.calls();
    await messages(10);
    expect(a.calls() - before).toBe(10);

    // B answers again: the next keepalive brings it back
    await b.start();
    await expect.poll(async () => (await flagsOf(ui))[uriB], { timeout: 10_000, interval: 250 }).toBe('AP');
    const bBefore = b.calls();
    await messages(10);
    expect(b.calls() - bBefore).toBe(5);

    // An operator disables A (kamcmd dispatcher.set_state d 1 <uri>): probes leave it alone, calls go to B
    const admin = `http://127.0.0.1:${ui.routerAdminPorts[0] ?? 0}`;
    const setState = (body: unknown): Promise<Response> => fetch(`${admin}/dispatcher/set_state`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await setState({ state: 'd', group: 1, address: uriA })).status).toBe(200);
    expect((await setState({ state: 'x', group: 1, address: uriA })).status).toBe(400);
    expect((await setState({ state: 'a', group: 9, address: uriA })).status).toBe(404);
    expect((await flagsOf(ui))[uriA]?.charAt(0)).toBe('D');
    const [aBefore, bBefore2] = [a.calls(), b.calls()];
    await messages(6);
    expect([a.calls() - aBefore, b.calls() - bBefore2]).toEqual([0, 6]);
    expect((await flagsOf(ui))[uriA]?.charAt(0)).toBe('D');

    const m = (await ui.routerMetrics())[0];
    expect(m?.get('sipmesh_router_destination_transitions_total')).toBeGreaterThanOrEqual(2);
    if (ui.bus instanceof LocalBus) {
      const events = ui.bus.readEvents().filter((e) => e.subject === subjects.events.dispatcherState).flatMap((e) => decodeEvents(e.data) as DispatcherStateEvent[]);
      expect(events.filter((e) => e.uri === uriB).map((e) => `${e.direction} ${e.previous}->${e.state}`)).toEqual(['down trying->inactive', 'up inactive->active']);
      expect(events.find((e) => e.direction === 'down')).toMatchObject({ set: 1, status: 408, local: true });
    }
  }, 60_000);
});

// Several routers share one queue group only on NATS (the embedded mode runs one router).
describe('dispatcher.set_state with two routers over NATS', async () => {
  if (!(await requireInfra('sipp')) || !(await requireInfra('nats'))) return;

  let sipmesh: SipmeshUnderTest | undefined;
  const peers: Peer[] = [];
  afterEach(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    sipmesh = undefined;
    for (const p of peers.splice(0)) await p.stop();
  });
  const messages = (count: number): Promise<void> => sendMessages(sipmesh, count);

  it('applies dispatcher.set_state on every router, whichever took the command', async () => {
    const [a, b] = await startPeers(peers);
    const [uriA, uriB] = [a, b].map((p) => `sip:127.0.0.1:${p.port}`) as [string, string];
    sipmesh = await startSipmesh({
      mode: 'nats',
      routers: 2,
      routes: { dispatcher: { inline: `1 ${uriA}\n1 ${uriB}\n` }, rules: [{ dispatcher: { set: 1, algorithm: 'round-robin', failover: false } }] },
    });
    const ui = sipmesh;
    expect(ui.routerAdminPorts).toHaveLength(2);
    // kamcmd dispatcher.set_state i 1 <A> over the bus, answered by any one router of the queue group
    const reply = await ui.bus.request('sipmesh.admin.v1.router.dispatcher.set_state', Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: '1', params: { state: 'i', group: 1, address: uriA } })), { timeoutMs: 3000 });
    expect(reply.json<{ result?: unknown }>().result).toEqual({ status: 'Ok. Dispatcher state updated.' });
    for (const router of [0, 1]) await expect.poll(async () => (await flagsOf(ui, router))[uriA], { timeout: 5000, interval: 100 }).toBe('IX');
    // every router now sends all calls to B
    await messages(20);
    expect([a.calls(), b.calls()]).toEqual([0, 20]);

    // and back in service through the HTTP admin of the second router
    const res = await fetch(`http://127.0.0.1:${ui.routerAdminPorts[1] ?? 0}/dispatcher/set_state`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ state: 'a', group: 1, address: 'all' }) });
    expect(res.status).toBe(200);
    for (const router of [0, 1]) await expect.poll(async () => (await flagsOf(ui, router))[uriA], { timeout: 5000, interval: 100 }).toBe('AX');
    await messages(20);
    // each router keeps its own round-robin position: A gets about half, whatever the split between routers
    expect(a.calls()).toBeGreaterThanOrEqual(8);
    expect(a.calls()).toBeLessThanOrEqual(12);
    expect(a.calls() + b.calls()).toBe(40);
  }, 60_000);
});
