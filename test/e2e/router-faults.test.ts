/**
 * What the edge does when routing fails (DESIGN §2 suspend outcomes): a router that never answers
 * (503 + Retry-After at the deadline, the late answer dropped and counted), no router at all
 * (503 at once, no waiting), and a router killed under load (every call still gets a final answer,
 * nothing stays suspended).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTER_QUEUE, subjects } from '@sipmesh/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp, type SippResult } from '../helpers/sipp.js';
import { headerValues, responseStatus } from '../helpers/sip-message-text.js';
import { startSipmesh, type BusMode, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MODES: BusMode[] = ['nats', 'local'];

const finalOf = (r: SippResult): string | undefined => r.messages.find((m) => m.direction === 'received' && (responseStatus(m.text) ?? 0) >= 200)?.text;

describe.each(MODES)('routing failures over the %s bus', async (mode) => {
  if (!(await requireInfra('sipp'))) return;
  if (mode === 'nats' && !(await requireInfra('nats'))) return;

  let sipmesh: SipmeshUnderTest | undefined;
  afterEach(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    sipmesh = undefined;
  });

  const call = async (scenario: string): Promise<{ result: SippResult; ms: number }> => {
    const port = await freePort('udp+tcp');
    const started = Date.now();
    const result = await runSipp({ scenario: scenario.includes('/') ? scenario : scenarioPath(scenario), role: 'uac', localPort: port, remote: `127.0.0.1:${sipmesh?.sipPort ?? 0}`, service: 'anyone', calls: 1, timeoutS: 20 }).done;
    return { result, ms: Date.now() - started };
  };

  it('answers 503 with Retry-After at the route deadline when the router never answers, and drops the late answer', async () => {
    const blackhole = `bh${Date.now().toString(36)}${mode}`;
    sipmesh = await startSipmesh({ mode, routes: { rules: [] }, routers: 0, edgePolicy: blackhole, edge: { 'route.deadlineMs': 1000, 'route.deadlineReply.retryAfterS': 7 } });
    const seen: { id: string; reply: string }[] = [];
    // A router that takes requests and never answers (it joins the real queue group).
    sipmesh.bus.subscribe(subjects.route(blackhole), (msg) => {
      seen.push({ id: msg.json<{ id: string }>().id, reply: msg.reply ?? '' });
    }, { queue: ROUTER_QUEUE });
    if (mode === 'nats') await sipmesh.bus.flush();

    const { result, ms } = await call('uac-expect-503.xml');
    expect(result.outcome, result.summary).toBe('success');
    expect(headerValues(finalOf(result) ?? '', 'Retry-After')).toEqual(['7']);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(5000);
    expect(seen).toHaveLength(1);

    // The router finally answers: the edge must drop it (the call is over) and count it.
    const late = { jsonrpc: '2.0', id: seen[0]?.id, result: { version: '1.0', routes: [{ dst_uri: 'sip:127.0.0.1:1' }] } };
    sipmesh.bus.publish(seen[0]?.reply ?? '', new TextEncoder().encode(JSON.stringify(late)));
    await expect.poll(async () => (await sipmesh?.metrics())?.get('sipmesh_edge_route_unmatched_answers_total'), { timeout: 5000 }).toBe(1);
    const m = await sipmesh.metrics();
    expect(m.get('sipmesh_edge_route_deadline_total')).toBe(1);
    expect(m.get('sipmesh_edge_branches_started_total')).toBe(0);
  });

  it('answers 503 at once when no router listens (no responders)', async () => {
    sipmesh = await startSipmesh({ mode, routes: { rules: [] }, routers: 0, edgePolicy: `nobody${Date.now().toString(36)}`, edge: { 'route.deadlineMs': 5000 } });
    const { result, ms } = await call('uac-expect-503.xml');
    expect(result.outcome, result.summary).toBe('success');
    // Far below the 5 s deadline: the edge did not wait.
    expect(ms).toBeLessThan(1500);
    expect((await sipmesh.metrics()).get('sipmesh_edge_route_no_responders_total')).toBe(1);
  });

  it('asks the fallback policy when the configured one has no router', async () => {
    const uasPort = await freePort('udp', { leaseMs: Infinity });
    const served = `served${Date.now().toString(36)}${mode}`;
    sipmesh = await startSipmesh({
      mode,
      policyName: served,
      edgePolicy: `absent${Date.now().toString(36)}${mode}`,
      edge: { 'route.fallbackPolicy': served },
      routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${uasPort}` }] }] },
    });
    const callee = runSipp({ scenario: scenarioPath('uas-message.xml'), role: 'uas', localPort: uasPort, calls: 1, timeoutS: 15 });
    await callee.ready;
    const { result } = await call('uac-message.xml');
    expect(result.outcome, result.summary).toBe('success');
    await callee.done;
    releasePorts(uasPort);
    const m = await sipmesh.metrics();
    expect(m.get('sipmesh_edge_route_no_responders_total')).toBe(1);
    expect(m.get('sipmesh_edge_route_fallbacks_total')).toBe(1);
  });

  // Embedded mode has one process: there is no separate router to kill.
  if (mode === 'nats') it('gives every call a final answer when a router is killed under load', async () => {
    const uasPort = await freePort('udp', { leaseMs: Infinity });
    sipmesh = await startSipmesh({ mode, routers: 2, routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${uasPort}` }] }] }, edge: { 'route.deadlineMs': 1000 } });
    // Both routers of the queue group take a share before one dies.
    const sharesBefore = async (): Promise<number[]> => (await sipmesh?.routerMetrics() ?? []).map((m) => m.get('sipmesh_router_decisions_total') ?? 0);
    const total = 300;
    const callee = runSipp({ scenario: scenarioPath('uas-call.xml'), role: 'uas', localPort: uasPort, calls: total, timeoutS: 40, traceMessages: false });
    await callee.ready;
    const port = await freePort('udp+tcp');
    const caller = runSipp({ scenario: path.join(here, 'scenarios/uac-call-or-503.xml'), role: 'uac', localPort: port, remote: `127.0.0.1:${sipmesh.sipPort}`, service: 'load', calls: total, rate: 60, timeoutS: 40, traceMessages: false });
    await new Promise((r) => setTimeout(r, 2000));
    const shares = await sharesBefore();
    expect(shares.every((n) => n > 0), `decisions per router before the kill: ${shares.join(', ')}`).toBe(true);
    sipmesh.routers[0]?.kill('SIGKILL');
    const r = await caller.done;
    await callee.stop();
    releasePorts(uasPort);
    // Every call ended: answered, or refused with 503 at the deadline; none hung.
    expect(r.failedCalls, r.summary).toBe(0);
    expect(r.successfulCalls).toBe(total);
    const m = await sipmesh.metrics();
    expect(m.get('sipmesh_edge_suspended')).toBe(0);
    // Only requests already handed to the killed router were lost; the survivor took the rest.
    expect(m.get('sipmesh_edge_route_deadline_total') ?? 0).toBeLessThan(20);
    expect(m.get('sipmesh_edge_route_answers_total')).toBe(total - (m.get('sipmesh_edge_route_deadline_total') ?? 0));
  }, 90_000);
});
