// Acceptance tests of the SIPp harness: every scenario pair of
// test/scenarios runs end to end through Kamailio (test/helpers/kamailio/
// proxy.cfg), a record-routing stateful proxy whose R-URI user picks the
// route: "serial" (UAS1, then UAS2 on 5xx), "parallel" (both), "unavailable"
// (503 + Retry-After from the proxy), anything else UAS1.
// The same scenarios are later pointed at the sipmesh edge.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { freePort, freeUdpPort, releasePorts, requireInfra } from './infra.js';
import { kamailioConfigPath, requireKamailio, startKamailio, type KamailioHandle } from './kamailio.js';
import {
  callId,
  cseq,
  headerElements,
  headerValues,
  requestMethod,
  responseStatus,
  startLine,
  viaBranch,
  viaSentBy,
} from './sip-message-text.js';
import { runSipp, scenarioPath, stopAllSipp, type SippOptions, type SippResult } from './sipp.js';
import type { SippTraceMessage } from './sipp-trace.js';

type Direction = SippTraceMessage['direction'];

/** Messages of one direction that are requests of `method` or responses with `status`. */
function pick(result: SippResult, direction: Direction, what: string | number): SippTraceMessage[] {
  return result.messages.filter(
    (m) =>
      m.direction === direction &&
      (typeof what === 'number' ? responseStatus(m.text) === what : requestMethod(m.text) === what),
  );
}

/** How many times each Call-ID occurs among the messages. */
function perCall(messages: readonly SippTraceMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const id = callId(m.text) ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every call's `method` reached the callee, and all copies of it are the same
 * bytes: at most retransmissions of one client transaction of the proxy, never
 * a caller's duplicate relayed as a new request (new branch, new bytes).
 */
function expectOneTransactionPerCall(callee: SippResult, method: string, calls: number): void {
  const copies = pick(callee, 'received', method);
  const byCall = new Map<string, Set<string>>();
  for (const m of copies) {
    const id = callId(m.text) ?? '';
    byCall.set(id, (byCall.get(id) ?? new Set()).add(m.text));
  }
  expect(byCall.size, `${method}: calls that reached the callee`).toBe(calls);
  for (const [id, texts] of byCall) {
    expect(texts.size, `${method} of ${id} reached the callee as ${texts.size} different requests`).toBe(1);
  }
}

function expectOk(result: SippResult, calls: number): void {
  expect(result.exitCode, result.summary).toBe(0);
  expect(result.successfulCalls, result.summary).toBe(calls);
  expect(result.failedCalls, result.summary).toBe(0);
}

describe('SIPp scenarios through Kamailio', async () => {
  if (!(await requireInfra('sipp'))) return;
  if (!(await requireKamailio())) return;

  // UAS ports are bound only while a test runs: lease them for the whole suite.
  const proxyPort = await freePort('udp+tcp', { leaseMs: Number.POSITIVE_INFINITY });
  const uas1Port = await freeUdpPort({ leaseMs: Number.POSITIVE_INFINITY });
  const uas2Port = await freeUdpPort({ leaseMs: Number.POSITIVE_INFINITY });
  let kam: KamailioHandle;

  beforeAll(async () => {
    kam = startKamailio({
      config: kamailioConfigPath('proxy.cfg'),
      port: proxyPort,
      defines: { UAS1_URI: `sip:127.0.0.1:${uas1Port}`, UAS2_URI: `sip:127.0.0.1:${uas2Port}` },
    });
    await kam.ready;
  });
  beforeEach(({ onTestFailed }) => {
    // What the proxy logged is half of the story when a scenario fails.
    onTestFailed(async () => {
      const tail = (await kam.log()).split('\n').slice(-40).join('\n');
      console.log(`kamailio ${kam.address}, last log lines:\n${tail}`);
    });
  });
  afterEach(async () => {
    await stopAllSipp();
  });
  afterAll(async () => {
    await kam?.stop();
    await releasePorts(proxyPort, uas1Port, uas2Port);
  });

  async function startUas(scenario: string, port: number, options: Partial<SippOptions> = {}) {
    const handle = runSipp({
      scenario: scenarioPath(scenario),
      role: 'uas',
      localPort: port,
      name: `uas ${scenario} :${port}`,
      ...options,
    });
    await handle.ready;
    return handle;
  }

  async function runUac(scenario: string, options: Partial<SippOptions> = {}): Promise<SippResult> {
    const tcp = options.transport === 't1' || options.transport === 'tn';
    const localPort = tcp ? await freePort('udp+tcp') : await freeUdpPort();
    return runSipp({
      scenario: scenarioPath(scenario),
      role: 'uac',
      localPort,
      remote: kam.address,
      name: `uac ${scenario}`,
      ...options,
    }).done;
  }

  test('MESSAGE: relayed to the UAS and answered 200, with the proxy Via on top', async () => {
    const uas = await startUas('uas-message.xml', uas1Port, { calls: 3 });
    const uac = await runUac('uac-message.xml', { calls: 3, rate: 50, service: 'message' });
    expectOk(uac, 3);
    const callee = await uas.done;
    expectOk(callee, 3);
    const relayed = pick(callee, 'received', 'MESSAGE');
    expect(relayed).toHaveLength(3);
    for (const m of relayed) {
      const vias = headerElements(m.text, 'Via');
      expect(vias).toHaveLength(2);
      expect(viaSentBy(vias[0] ?? '')).toBe(kam.address);
      expect(headerValues(m.text, 'Max-Forwards')).toEqual(['69']);
    }
  });

  test('call: record-routed INVITE, ACK and BYE follow the route set, both sides check it', async () => {
    const uas = await startUas('uas-call.xml', uas1Port, { calls: 1 });
    const uac = await runUac('uac-call.xml', { calls: 1, service: 'direct' });
    expectOk(uac, 1);
    const callee = await uas.done;
    expectOk(callee, 1);

    const rr = `<sip:${kam.address};lr>`;
    const [invite] = pick(callee, 'received', 'INVITE');
    expect(headerElements(invite?.text ?? '', 'Record-Route')).toEqual([rr]);
    const [ok] = pick(uac, 'received', 200);
    expect(headerElements(ok?.text ?? '', 'Record-Route')).toEqual([rr]);

    // In-dialog requests: Request-URI = the callee's Contact, Route = the record-route set.
    for (const method of ['ACK', 'BYE']) {
      const [sent] = pick(uac, 'sent', method);
      expect(startLine(sent?.text ?? '')).toBe(`${method} sip:uas@127.0.0.1:${uas1Port};transport=UDP SIP/2.0`);
      expect(headerElements(sent?.text ?? '', 'Route')).toEqual([rr]);
      const [arrived] = pick(callee, 'received', method);
      expect(viaSentBy(headerElements(arrived?.text ?? '', 'Via')[0] ?? '')).toBe(kam.address);
    }
    // The callee answered the BYE, the caller got that 200.
    expect(pick(uac, 'received', 200).map((m) => cseq(m.text)?.method)).toEqual(['INVITE', 'BYE']);
  });

  test('CANCEL: 200 for the CANCEL before 487 for the INVITE; the callee is cancelled and ACKed', async () => {
    const uas = await startUas('uas-ring-no-answer.xml', uas1Port, { calls: 1 });
    const uac = await runUac('uac-cancel.xml', { calls: 1, service: 'direct' });
    expectOk(uac, 1);
    const callee = await uas.done;
    expectOk(callee, 1);

    const finals = uac.messages
      .filter((m) => m.direction === 'received' && (responseStatus(m.text) ?? 0) >= 200)
      .map((m) => `${responseStatus(m.text)} ${cseq(m.text)?.method}`);
    expect(finals).toEqual(['200 CANCEL', '487 INVITE']);

    // The CANCEL the callee got belongs to its INVITE's branch (RFC 3261 9.1).
    const [invite] = pick(callee, 'received', 'INVITE');
    const [cancel] = pick(callee, 'received', 'CANCEL');
    const [ack] = pick(callee, 'received', 'ACK');
    const branchOf = (m: SippTraceMessage | undefined) => viaBranch(headerElements(m?.text ?? '', 'Via')[0] ?? '');
    expect(branchOf(cancel)).toBe(branchOf(invite));
    expect(branchOf(ack)).toBe(branchOf(invite));
    // The callee's 487 carried the INVITE's whole Via set.
    const [sent487] = pick(callee, 'sent', 487);
    expect(headerElements(sent487?.text ?? '', 'Via')).toEqual(headerElements(invite?.text ?? '', 'Via'));
  });

  test('serial failover: UAS1 answers 503, UAS2 takes the call; the caller never sees the 503', async () => {
    const first = await startUas('uas-503.xml', uas1Port, { calls: 1 });
    const second = await startUas('uas-call.xml', uas2Port, { calls: 1 });
    const uac = await runUac('uac-call.xml', { calls: 1, service: 'serial' });
    expectOk(uac, 1);
    expectOk(await first.done, 1);
    expectOk(await second.done, 1);
    expect(pick(uac, 'received', 503)).toEqual([]);
    // ACK and BYE went to the UAS that answered.
    expect(startLine(pick(uac, 'sent', 'BYE')[0]?.text ?? '')).toContain(`127.0.0.1:${uas2Port}`);
  });

  test('parallel fork: UAS1 answers after ringing, UAS2 is CANCELled (200 + 487, ACK)', async () => {
    const winner = await startUas('uas-ring-then-answer.xml', uas1Port, { calls: 1 });
    const loser = await startUas('uas-ring-expect-cancel.xml', uas2Port, { calls: 1 });
    const uac = await runUac('uac-call.xml', { calls: 1, service: 'parallel' });
    expectOk(uac, 1);
    expectOk(await winner.done, 1);
    const cancelled = await loser.done;
    expectOk(cancelled, 1);
    expect(pick(cancelled, 'received', 'CANCEL')).toHaveLength(1);
    expect(pick(cancelled, 'received', 'ACK')).toHaveLength(1);
    // The caller heard both ring (one To tag per callee; a loaded machine may add a 180 that a
    // callee re-sent for a retransmitted INVITE), got one 200 and never the losing branch's 487.
    const ringTags = pick(uac, 'received', 180).map((m) => /;\s*tag=([^;>\s]+)/i.exec(headerValues(m.text, 'to')[0] ?? '')?.[1]);
    expect(new Set(ringTags).size).toBe(2);
    expect(ringTags).not.toContain(undefined);
    expect(pick(uac, 'received', 200).filter((m) => cseq(m.text)?.method === 'INVITE')).toHaveLength(1);
    expect(pick(uac, 'received', 487)).toEqual([]);
  });

  test('busy: the 486 reaches the caller and no other destination is tried', async () => {
    const busy = await startUas('uas-486.xml', uas1Port, { calls: 1 });
    const never = await startUas('uas-call.xml', uas2Port);
    const uac = await runUac('uac-call-486.xml', { calls: 1, service: 'serial' });
    expectOk(uac, 1);
    expectOk(await busy.done, 1);
    const untouched = await never.stop();
    expect(untouched.exitCode, untouched.summary).toBe(0);
    expect(untouched.calls?.created).toBe(0);
    expect(untouched.messages).toEqual([]);
  });

  test('503 from the proxy: Retry-After required, unless the run says it is optional', async () => {
    const withHeader = await runUac('uac-expect-503.xml', { calls: 1, service: 'unavailable' });
    expectOk(withHeader, 1);
    expect(headerValues(pick(withHeader, 'received', 503)[0]?.text ?? '', 'Retry-After')).toEqual(['5']);

    const without = await runUac('uac-expect-503.xml', { calls: 1, service: 'unavailable-bare', keepDir: 'never' });
    expect(without.exitCode, without.summary).toBe(1);
    expect(without.failedCalls).toBe(1);
    expect(without.steps.find((s) => s.label === 'RETRY-AFTER-MISSING')?.timeouts).toBe(1);

    const tolerated = await runUac('uac-expect-503.xml', {
      calls: 1,
      service: 'unavailable-bare',
      variables: { retry_after_optional: '1' },
    });
    expectOk(tolerated, 1);
  });

  test('503 expected but the call is answered: the scenario fails (it cannot pass by accident)', async () => {
    const uas = await startUas('uas-call.xml', uas1Port, { calls: 1, keepDir: 'never' });
    const uac = await runUac('uac-expect-503.xml', { calls: 1, service: 'direct', keepDir: 'never' });
    expect(uac.exitCode, uac.summary).toBe(1);
    expect(uac.calls?.failures).toHaveProperty('FailedUnexpectedMessage');
    await uas.stop();
  });

  test('a call whose ACK and BYE never leave fails: a late 200 to the INVITE is not taken for the BYE\'s', async () => {
    // uac-call.xml with the ACK and every BYE copy dropped: the callee keeps
    // retransmitting its 200 (INVITE) while the caller waits for the BYE's 200.
    const dir = await mkdtemp(join(tmpdir(), 'sipmesh-scenario-'));
    try {
      const original = await readFile(scenarioPath('uac-call.xml'), 'utf8');
      const mute = original
        .replace('<send ack_txn="invite">', '<send ack_txn="invite" lost="100">')
        .replace('<send retrans="500" start_rtd="2" start_txn="bye">', '<send retrans="500" start_rtd="2" start_txn="bye" lost="100">');
      expect(mute.match(/lost="100"/g)).toHaveLength(2);
      const scenario = join(dir, 'uac-call-mute.xml');
      await writeFile(scenario, mute);
      const uas = await startUas('uas-call.xml', uas1Port, { keepDir: 'never' });
      const uac = await runSipp({
        scenario,
        keepDir: 'never',
        role: 'uac',
        localPort: await freeUdpPort(),
        remote: kam.address,
        calls: 1,
        service: 'direct',
      }).done;
      expect(uac.exitCode, uac.summary).toBe(1);
      expect(uac.calls?.failures).toEqual({ FailedTimeoutOnRecv: 1 });
      expect(pick(uac, 'received', 200).every((m) => cseq(m.text)?.method === 'INVITE')).toBe(true);
      const callee = await uas.stop();
      expect(pick(callee, 'received', 'BYE')).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('retransmissions', () => {
    test('lossy caller (lost="10"): every call completes, the proxy absorbs the duplicates', { timeout: 60_000 }, async () => {
      const calls = 20;
      const uas = await startUas('uas-call.xml', uas1Port, { calls });
      // the scenario waits up to 30 s for a 200 (its BYE's tries can all be lost): SIPp's run limit above that
      const uac = await runUac('uac-call-lossy.xml', { calls, rate: 20, service: 'direct', timeoutS: 45 });
      expectOk(uac, calls);
      const callee = await uas.done;
      expectOk(callee, calls);
      // SIPp really dropped messages (P(no loss in 100 chances at 10 %) < 1e-4).
      const lost = uac.lostSends + uac.steps.reduce((sum, s) => sum + s.lost, 0);
      expect(lost, uac.summary).toBeGreaterThan(0);
      // Whatever the caller retransmitted, no copy became a new transaction
      // towards the callee.
      for (const method of ['INVITE', 'BYE']) expectOneTransactionPerCall(callee, method, calls);
    });

    test('lossy callee (lost="10"): the proxy retransmits INVITE and BYE, every call completes', { timeout: 60_000 }, async () => {
      const calls = 20;
      // No -m for this UAS: SIPp exits once its open-call counter reaches 0
      // after the -m-th call, and messages dropped by lost="N" can upset that
      // counter; stopping it after the caller is done is exact.
      const uas = await startUas('uas-call-lossy.xml', uas1Port);
      const uac = await runUac('uac-call.xml', { calls, rate: 20, service: 'direct' });
      expectOk(uac, calls);
      const callee = await uas.stop();
      expectOk(callee, calls);
      const lost = callee.lostSends + callee.steps.reduce((sum, s) => sum + s.lost, 0);
      expect(lost, callee.summary).toBeGreaterThan(0);
      // Each INVITE/BYE dropped on arrival was sent again by the proxy.
      for (const method of ['INVITE', 'BYE']) {
        const dropped = pick(callee, 'received', method).filter((m) => m.lost);
        const perCallReceived = perCall(pick(callee, 'received', method));
        for (const m of dropped) expect(perCallReceived.get(callId(m.text) ?? '')).toBeGreaterThan(1);
      }
    });

    test('slow callee: the proxy retransmits INVITE and BYE itself (Timer A / Timer E), byte for byte', async () => {
      const uas = await startUas('uas-call-slow.xml', uas1Port, { calls: 2 });
      const uac = await runUac('uac-call.xml', { calls: 2, rate: 10, service: 'direct' });
      expectOk(uac, 2);
      const callee = await uas.done;
      expectOk(callee, 2);
      for (const method of ['INVITE', 'BYE']) {
        const copies = pick(callee, 'received', method);
        const counts = perCall(copies);
        expect(counts.size).toBe(2);
        for (const [id, n] of counts) {
          expect(n, `${method} copies for ${id}`).toBeGreaterThanOrEqual(2);
          const texts = new Set(copies.filter((m) => callId(m.text) === id).map((m) => m.text));
          expect(texts.size, `${method} retransmissions differ from the original`).toBe(1);
        }
      }
    });

    test('retransmitting caller: the proxy absorbs INVITE and BYE copies, none reaches the callee as a new request', async () => {
      const uas = await startUas('uas-call-late-answer.xml', uas1Port, { calls: 3 });
      const uac = await runUac('uac-call-retransmit.xml', { calls: 3, rate: 10, service: 'direct' });
      expectOk(uac, 3);
      const callee = await uas.done;
      expectOk(callee, 3);
      const step = (label: string) => uac.steps.find((s) => s.direction === 'sent' && s.label === label);
      expect(step('INVITE')?.retransmissions, uac.summary).toBeGreaterThanOrEqual(3);
      expect(step('BYE')?.retransmissions, uac.summary).toBeGreaterThanOrEqual(3);
      for (const method of ['INVITE', 'BYE']) {
        expectOneTransactionPerCall(callee, method, 3);
        // Absorbed: far fewer copies reached the callee than the caller sent
        // (normally one per call; the proxy's own retransmission at most, when
        // a loaded machine delays the callee's 100 beyond Timer A / E).
        const reached = pick(callee, 'received', method).length;
        const sent = pick(uac, 'sent', method).length;
        expect(reached, `${method}: ${reached} reached the callee, the caller sent ${sent}`).toBeLessThan(sent);
      }
    });
  });

  test('TCP caller to UDP callee: double record-route, in-dialog requests cross transports', async () => {
    const uas = await startUas('uas-call.xml', uas1Port, { calls: 2 });
    const uac = await runUac('uac-call.xml', { calls: 2, rate: 10, service: 'direct', transport: 't1' });
    expectOk(uac, 2);
    const callee = await uas.done;
    expectOk(callee, 2);
    expect(new Set(uac.messages.map((m) => m.transport))).toEqual(new Set(['TCP']));
    expect(new Set(callee.messages.map((m) => m.transport))).toEqual(new Set(['UDP']));
    const [bye] = pick(uac, 'sent', 'BYE');
    const route = headerElements(bye?.text ?? '', 'Route');
    expect(route).toHaveLength(2);
    expect(route[0]).toContain('transport=tcp');
    expect(pick(callee, 'received', 'BYE')).toHaveLength(2);
  });

  describe('load', () => {
    test('500 MESSAGEs at 250/s', async () => {
      const calls = 500;
      const uas = await startUas('uas-message.xml', uas1Port, { calls, traceMessages: false });
      const uac = await runUac('uac-message.xml', { calls, rate: 250, service: 'message', traceMessages: false });
      expectOk(uac, calls);
      expectOk(await uas.done, calls);
      expect(uac.messages).toEqual([]);
    });

    test('200 calls at 100/s', async () => {
      const calls = 200;
      const uas = await startUas('uas-call.xml', uas1Port, { calls, traceMessages: false });
      const uac = await runUac('uac-call.xml', { calls, rate: 100, service: 'direct', traceMessages: false });
      expectOk(uac, calls);
      expectOk(await uas.done, calls);
    });
  });
});
