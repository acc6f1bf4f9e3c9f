/**
 * Changing how calls are routed without touching the edge, each under SIPp load with zero failed
 * calls (over real NATS): the policy serving the edge switched live through the settings bucket;
 * a canary share sent to a second policy; a shadow policy evaluated beside the acting one; a new
 * router joining the queue group while the old one drains.
 */
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterEach, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp, type SippHandle } from '../helpers/sipp.js';
import { NATS_URL, startSipmesh, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

describe('hot swap over NATS', async () => {
  if (!(await requireInfra('sipp'))) return;
  if (!(await requireInfra('nats'))) return;

  let sipmesh: SipmeshUnderTest | undefined;
  const leased: number[] = [];
  let bucketName = '';
  afterEach(async () => {
    await stopAllSipp();
    await sipmesh?.stop();
    sipmesh = undefined;
    releasePorts(...leased.splice(0));
    if (bucketName !== '') {
      const nc = await connect({ servers: NATS_URL });
      await new Kvm(nc).open(bucketName).then((kv) => kv.destroy()).catch(() => undefined);
      await nc.close();
      bucketName = '';
    }
  });

  /** Two callees counting MESSAGEs, and the two policies that route to each. */
  async function callees(total: number): Promise<{ a: SippHandle; b: SippHandle; portA: number; portB: number }> {
    const portA = await freePort('udp', { leaseMs: Infinity });
    const portB = await freePort('udp', { leaseMs: Infinity });
    leased.push(portA, portB);
    // each callee may get every call; they are stopped at the end and count what they got
    const a = runSipp({ scenario: scenarioPath('uas-message.xml'), role: 'uas', localPort: portA, calls: total, timeoutS: 60, traceMessages: false, name: 'uas A' });
    const b = runSipp({ scenario: scenarioPath('uas-message.xml'), role: 'uas', localPort: portB, calls: total, timeoutS: 60, traceMessages: false, name: 'uas B' });
    await a.ready;
    await b.ready;
    return { a, b, portA, portB };
  }

  const load = async (total: number, rate: number): Promise<SippHandle> =>
    runSipp({ scenario: scenarioPath('uac-message.xml'), role: 'uac', localPort: await freePort('udp+tcp'), remote: `127.0.0.1:${sipmesh?.sipPort ?? 0}`, service: 'swap', calls: total, rate, timeoutS: 60, traceMessages: false });

  const settings = async (): Promise<{ put(k: string, v: string): Promise<void>; close(): Promise<void> }> => {
    const nc = await connect({ servers: NATS_URL });
    const kv = await new Kvm(nc).create(bucketName);
    return { put: async (k, v) => void (await kv.put(k, v)), close: () => nc.close() };
  };

  it('switches the policy serving the edge through the settings bucket, live', async () => {
    const total = 600;
    const { a, b, portA, portB } = await callees(total);
    bucketName = `swap${process.pid}${Date.now().toString(36)}`;
    const next = `next${Date.now().toString(36)}`;
    sipmesh = await startSipmesh({
      mode: 'nats',
      edge: { 'route.settingsBucket': bucketName },
      routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${portA}` }] }], others: { [next]: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${portB}` }] }] } } },
    });
    const kv = await settings();
    const caller = await load(total, 100);
    await new Promise((r) => setTimeout(r, 2500));
    await kv.put('policy.default', next);
    const r = await caller.done;
    await kv.close();
    const [ra, rb] = [await a.stop(), await b.stop()];
    expect(r.failedCalls, r.summary).toBe(0);
    expect(r.successfulCalls).toBe(total);
    // before the switch A got them, after it B
    expect(ra.successfulCalls).toBeGreaterThan(150);
    expect(rb.successfulCalls).toBeGreaterThan(150);
    expect(ra.successfulCalls + rb.successfulCalls).toBe(total);
  }, 90_000);

  it('sends a canary share of calls to a second policy', async () => {
    const total = 400;
    const { a, b, portA, portB } = await callees(total);
    bucketName = `canary${process.pid}${Date.now().toString(36)}`;
    const next = `next${Date.now().toString(36)}`;
    sipmesh = await startSipmesh({
      mode: 'nats',
      edge: { 'route.settingsBucket': bucketName },
      routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${portA}` }] }], others: { [next]: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${portB}` }] }] } } },
    });
    const kv = await settings();
    await kv.put(`canary.${sipmesh.policy}`, JSON.stringify({ policy: next, weight: 25 }));
    await new Promise((r) => setTimeout(r, 300));
    const r = await (await load(total, 100)).done;
    await kv.close();
    const [ra, rb] = [await a.stop(), await b.stop()];
    expect(r.failedCalls, r.summary).toBe(0);
    // 25 % of 400 by Call-ID hash: within 10 points
    expect(rb.successfulCalls / total).toBeGreaterThan(0.15);
    expect(rb.successfulCalls / total).toBeLessThan(0.35);
    expect(ra.successfulCalls + rb.successfulCalls).toBe(total);
    expect((await sipmesh.metrics()).get('sipmesh_edge_route_canary_total')).toBe(rb.successfulCalls);
  }, 90_000);

  it('evaluates a shadow policy on the same requests and counts where it disagrees, acting only on the first', async () => {
    const total = 200;
    const { a, b, portA, portB } = await callees(total);
    const shadowName = `shadow${Date.now().toString(36)}`;
    sipmesh = await startSipmesh({
      mode: 'nats',
      routes: {
        rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${portA}` }] }],
        shadow: shadowName,
        others: { [shadowName]: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${portB}` }] }] } },
      },
    });
    const r = await (await load(total, 100)).done;
    const [ra, rb] = [await a.stop(), await b.stop()];
    expect(r.failedCalls, r.summary).toBe(0);
    expect(ra.successfulCalls).toBe(total);
    expect(rb.successfulCalls).toBe(0);
    const m = (await sipmesh.routerMetrics())[0];
    expect(m?.get('sipmesh_router_shadow_total')).toBe(total);
  }, 90_000);

  it('lets a new router join the queue group while the old one drains, losing no call', async () => {
    const total = 600;
    const { a, portA } = await callees(total);
    sipmesh = await startSipmesh({ mode: 'nats', routers: 2, routes: { rules: [{ routes: [{ dst_uri: `sip:127.0.0.1:${portA}` }] }] } });
    const caller = await load(total, 100);
    await new Promise((r) => setTimeout(r, 2500));
    // the old version stops gracefully (SIGTERM: drain), the other keeps answering
    sipmesh.routers[0]?.kill('SIGTERM');
    const r = await caller.done;
    const ra = await a.stop();
    expect(r.failedCalls, r.summary).toBe(0);
    expect(ra.successfulCalls).toBe(total);
    expect((await sipmesh.metrics()).get('sipmesh_edge_route_deadline_total') ?? 0).toBe(0);
    expect((await sipmesh.metrics()).get('sipmesh_edge_route_no_responders_total') ?? 0).toBe(0);
  }, 90_000);
});
