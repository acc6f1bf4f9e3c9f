/**
 * End to end: SIPp caller → edge → router decision → SIPp callee(s), over real NATS (edge and
 * router as separate processes) and again over the in-process bus (embedded mode). Each case is
 * what a user would check on the wire: the final code, Record-Route, CANCELs and who saw what.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { freePort, releasePorts } from '../helpers/ports.js';
import { runSipp, scenarioPath, stopAllSipp, type SippHandle, type SippResult } from '../helpers/sipp.js';
import { headerValues, requestMethod, responseStatus } from '../helpers/sip-message-text.js';
import { startSipmesh, type BusMode, type SipmeshUnderTest } from './support/sipmesh-under-test.js';

const MODES: BusMode[] = ['nats', 'local'];

describe.each(MODES)('proxy flows over the %s bus', async (mode) => {
  if (!(await requireInfra('sipp'))) return;
  if (mode === 'nats' && !(await requireInfra('nats'))) return;

  let uasA: number;
  let uasB: number;
  let sipmesh: SipmeshUnderTest;

  beforeAll(async () => {
    uasA = await freePort('udp', { leaseMs: Infinity, alsoFree: [] });
    uasB = await freePort('udp', { leaseMs: Infinity });
    const a = `sip:127.0.0.1:${uasA}`;
    const b = `sip:127.0.0.1:${uasB}`;
    sipmesh = await startSipmesh({
      mode,
      routes: {
        rules: [
          { match: { ruri_user: 'message' }, routes: [{ dst_uri: a }] },
          { match: { ruri_user: 'call' }, routes: [{ dst_uri: a }] },
          { match: { ruri_user: 'serial' }, routing: 'serial', routes: [{ dst_uri: a }, { dst_uri: b }] },
          { match: { ruri_user: 'fork' }, routing: 'parallel', routes: [{ dst_uri: a }, { dst_uri: b }] },
          { match: { ruri_user: 'busy' }, routing: 'serial', routes: [{ dst_uri: a }, { dst_uri: b }] },
          { match: { ruri_user: 'refuse' }, reply: { code: 403, reason: 'Not relaying' } },
          { match: { ruri_user: 'lb*' }, dispatcher: { set: 1, algorithm: 'round-robin' } },
        ],
        dispatcher: { inline: `1 ${a}\n1 ${b}\n` },
      },
    });
  }, 60_000);

  afterEach(async () => {
    await stopAllSipp();
  });

  afterAll(async () => {
    await sipmesh?.stop();
    releasePorts(uasA, uasB);
  });

  const uas = (scenario: string, port: number, calls = 1): SippHandle => runSipp({ scenario: scenarioPath(scenario), role: 'uas', localPort: port, calls, timeoutS: 20 });
  const uac = async (scenario: string, service: string, extra: Partial<Parameters<typeof runSipp>[0]> = {}): Promise<SippResult> => {
    const port = await freePort('udp+tcp');
    return runSipp({ scenario: scenarioPath(scenario), role: 'uac', localPort: port, remote: `127.0.0.1:${sipmesh.sipPort}`, service, calls: 1, timeoutS: 20, ...extra }).done;
  };
  const received = (r: SippResult): string[] => r.messages.filter((m) => m.direction === 'received').map((m) => m.text);

  it('relays a MESSAGE and its 200', async () => {
    const callee = uas('uas-message.xml', uasA);
    await callee.ready;
    const r = await uac('uac-message.xml', 'message');
    expect(r.outcome, r.summary).toBe('success');
    const c = await callee.done;
    expect(c.successfulCalls, c.summary).toBe(1);
    // The MESSAGE reached the callee through the edge: our Via on top, no Record-Route for MESSAGE.
    const msg = received(c).find((t) => requestMethod(t) === 'MESSAGE') ?? '';
    expect(headerValues(msg, 'Via')[0]).toContain(`127.0.0.1:${sipmesh.sipPort}`);
    expect(headerValues(msg, 'Record-Route')).toEqual([]);
  });

  it('sets up and tears down a call with Record-Route (INVITE/100/180/200/ACK/BYE/200)', async () => {
    const callee = uas('uas-call.xml', uasA);
    await callee.ready;
    const r = await uac('uac-call.xml', 'call');
    expect(r.outcome, r.summary).toBe('success');
    const c = await callee.done;
    expect(c.outcome, c.summary).toBe('success');
    const invite = received(c).find((t) => requestMethod(t) === 'INVITE') ?? '';
    // the edge names the call on its entry (did: the call's id, for its BYE and its CDR)
    expect(headerValues(invite, 'Record-Route')[0]).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${sipmesh.sipPort};lr;did=[0-9a-f]{20}>$`));
    // ACK and BYE came through the edge (Route popped, our Via on top).
    const bye = received(c).find((t) => requestMethod(t) === 'BYE') ?? '';
    expect(headerValues(bye, 'Route')).toEqual([]);
    expect(headerValues(bye, 'Via')[0]).toContain(`127.0.0.1:${sipmesh.sipPort}`);
    expect(received(c).some((t) => requestMethod(t) === 'ACK')).toBe(true);
  });

  it('cancels a ringing call: 200 to the CANCEL, 487 to the INVITE, CANCEL reaches the callee', async () => {
    const callee = uas('uas-ring-no-answer.xml', uasA);
    await callee.ready;
    const r = await uac('uac-cancel.xml', 'call');
    expect(r.outcome, r.summary).toBe('success');
    const c = await callee.done;
    expect(c.outcome, c.summary).toBe('success');
    expect(received(c).some((t) => requestMethod(t) === 'CANCEL')).toBe(true);
  });

  it('fails over serially: the first target answers 503, the second 200', async () => {
    const first = uas('uas-503.xml', uasA);
    const second = uas('uas-call.xml', uasB);
    await Promise.all([first.ready, second.ready]);
    const r = await uac('uac-call.xml', 'serial');
    expect(r.outcome, r.summary).toBe('success');
    expect((await first.done).successfulCalls).toBe(1);
    expect((await second.done).successfulCalls).toBe(1);
    // The caller never saw the 503.
    expect(received(r).some((t) => responseStatus(t) === 503)).toBe(false);
  });

  it('does not fail over on 486: the caller gets 486 and the second target sees nothing', async () => {
    const first = uas('uas-486.xml', uasA);
    const second = uas('uas-call.xml', uasB);
    await Promise.all([first.ready, second.ready]);
    const r = await uac('uac-call-486.xml', 'busy');
    expect(r.outcome, r.summary).toBe('success');
    expect((await first.done).successfulCalls).toBe(1);
    const s = await second.stop();
    expect(s.messages.filter((m) => m.direction === 'received')).toEqual([]);
  });

  it('forks in parallel: one target answers, the other is CANCELled', async () => {
    const winner = uas('uas-ring-then-answer.xml', uasA);
    const loser = uas('uas-ring-expect-cancel.xml', uasB);
    await Promise.all([winner.ready, loser.ready]);
    const r = await uac('uac-call.xml', 'fork');
    expect(r.outcome, r.summary).toBe('success');
    const w = await winner.done;
    const l = await loser.done;
    expect(w.outcome, w.summary).toBe('success');
    expect(l.outcome, l.summary).toBe('success');
    expect(received(l).some((t) => requestMethod(t) === 'CANCEL')).toBe(true);
  });

  it('answers with the router reply when the policy says so', async () => {
    const r = await uac('uac-call-486.xml', 'refuse', { extraArgs: [] });
    // uac-call-486 expects 486; any other final fails it, which proves the 403 came back instead.
    expect(r.outcome).toBe('calls-failed');
    expect(received(r).find((t) => (responseStatus(t) ?? 0) >= 200)).toMatch(/^SIP\/2\.0 403 Not relaying/);
  });

  it('absorbs UDP retransmissions from the caller and forwards one copy of each request', async () => {
    const callee = uas('uas-call-late-answer.xml', uasA);
    await callee.ready;
    const r = await uac('uac-call-retransmit.xml', 'call');
    expect(r.outcome, r.summary).toBe('success');
    const c = await callee.done;
    expect(c.outcome, c.summary).toBe('success');
    const got = received(c);
    expect(got.filter((t) => requestMethod(t) === 'INVITE')).toHaveLength(1);
    expect(got.filter((t) => requestMethod(t) === 'BYE')).toHaveLength(1);
  });

  it('retransmits towards a slow callee over UDP (Timer A/E) with identical bytes', async () => {
    const callee = uas('uas-call-slow.xml', uasA);
    await callee.ready;
    const r = await uac('uac-call.xml', 'call');
    expect(r.outcome, r.summary).toBe('success');
    const c = await callee.done;
    const invites = received(c).filter((t) => requestMethod(t) === 'INVITE');
    expect(invites.length).toBeGreaterThanOrEqual(2);
    expect(new Set(invites).size).toBe(1);
  });

  it('recovers from packet loss on both sides over many calls', async () => {
    const callee = uas('uas-call-lossy.xml', uasA, 30);
    await callee.ready;
    const r = await uac('uac-call-lossy.xml', 'call', { calls: 30, rate: 10, timeoutS: 45, traceMessages: false });
    expect(r.failedCalls, r.summary).toBe(0);
    expect(r.successfulCalls).toBe(30);
  }, 90_000);

  it('balances calls over a dispatcher set round-robin', async () => {
    const first = uas('uas-message.xml', uasA, 5);
    const second = uas('uas-message.xml', uasB, 5);
    await Promise.all([first.ready, second.ready]);
    const r = await uac('uac-message.xml', 'lb', { calls: 10, rate: 20 });
    expect(r.successfulCalls, r.summary).toBe(10);
    // Round-robin: each destination got exactly half.
    expect((await first.done).successfulCalls).toBe(5);
    expect((await second.done).successfulCalls).toBe(5);
  });

  it('takes a TCP caller to a UDP callee (double Record-Route)', async () => {
    const callee = uas('uas-call.xml', uasA);
    await callee.ready;
    const r = await uac('uac-call.xml', 'call', { transport: 't1' });
    expect(r.outcome, r.summary).toBe('success');
    const c = await callee.done;
    expect(c.outcome, c.summary).toBe('success');
    const invite = received(c).find((t) => requestMethod(t) === 'INVITE') ?? '';
    const rr = headerValues(invite, 'Record-Route');
    const did = /;did=([0-9a-f]{20})>$/.exec(rr[0] ?? '')?.[1] ?? 'missing';
    expect(rr).toEqual([`<sip:127.0.0.1:${sipmesh.sipPort};lr;r2=on;did=${did}>`, `<sip:127.0.0.1:${sipmesh.sipPort};transport=tcp;lr;r2=on;did=${did}>`]);
  });
});
