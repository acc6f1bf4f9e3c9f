/**
 * Serial routing (rtjson `routing: serial`, Kamailio failure_route + next route): a branch that
 * fails with a failover code (default 408, 480, 5xx; never 486/600/603) gives way to the next route
 * with a new branch id; a branch that times out (fr_timer) fails as a local 408; `on_failure: ask`
 * asks the router again with the failure; when nothing is left the best response goes upstream
 * (RFC 3261 §16.7 step 6, a 503 becoming 500).
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLEE_B, CALLER, type ProxyHarness as Harness, ProxyHarness, startLine, topBranch, type SentDatagram } from './proxy-harness.fixture.js';
import { invite, responseTo } from './sip-peers.fixture.js';

const TWO_ROUTES = { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }, { dst_uri: 'sip:203.0.113.21:5060' }] };

function to(h: Harness, ip: string): SentDatagram[] {
  return h.take().filter((d) => d.dest.ip === ip);
}

function start(h: Harness, answer: Parameters<Harness['router']['answer']>[0] = TWO_ROUTES): SentDatagram {
  h.receive(invite());
  h.take();
  h.router.answer(answer);
  return h.takeOne();
}

describe('serial failover', () => {
  it('tries the next route with a new branch after a 503, ACKs the 503, and forwards the 200', () => {
    const h = new ProxyHarness();
    const a = start(h);
    expect(a.dest).toEqual(CALLEE_A);
    h.receive(responseTo(a.text, 503, 'Service Unavailable', { toTag: 'x1' }), CALLEE_A);
    const sent = h.take();
    const ackA = sent.find((d) => d.dest.ip === CALLEE_A.ip);
    const b = sent.find((d) => d.dest.ip === CALLEE_B.ip);
    expect(startLine(ackA?.text ?? '')).toBe('ACK sip:bob@example.com SIP/2.0');
    expect(startLine(b?.text ?? '')).toBe('INVITE sip:bob@example.com SIP/2.0');
    expect(sent.filter((d) => d.dest.ip === CALLER.ip)).toEqual([]);
    const branchA = topBranch(a.text);
    const branchB = topBranch(b?.text ?? '');
    expect(branchB).not.toBe(branchA);
    expect(branchB.slice(0, -1)).toBe(branchA.slice(0, -1)); // same transaction prefix, next index
    expect(branchB.endsWith('.1')).toBe(true);
    // The second branch carries the same received request: only our Via differs.
    expect((b?.text ?? '').replace(branchB, 'X')).toBe(a.text.replace(branchA, 'X'));

    h.receive(responseTo(b?.text ?? '', 200, 'OK'), CALLEE_B);
    const ok = h.takeOne();
    expect(ok.dest).toEqual(CALLER);
    expect(startLine(ok.text)).toBe('SIP/2.0 200 OK');
    expect(h.completed[0]?.tx.branches).toEqual([
      { uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.20:5060', status: 503, reason: 'Service Unavailable' },
      { uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.21:5060', status: 200, reason: 'OK' },
    ]);
  });

  it('forwards a 486 without trying the next route', () => {
    const h = new ProxyHarness();
    const a = start(h);
    h.receive(responseTo(a.text, 486, 'Busy Here'), CALLEE_A);
    const sent = h.take();
    expect(sent.filter((d) => d.dest.ip === CALLER.ip).map((d) => startLine(d.text))).toEqual(['SIP/2.0 486 Busy Here']);
    expect(sent.filter((d) => d.dest.ip === CALLEE_B.ip)).toEqual([]);
    expect(h.counter('branches_started')).toBe(1);
    expect(h.completed.map((c) => [c.tx.status, c.tx.outcome])).toEqual([[486, 'relayed']]);
  });

  it('fails over on the codes of on_failure.codes instead of the defaults', () => {
    const h = new ProxyHarness();
    const a = start(h, { ...TWO_ROUTES, on_failure: { codes: [404] } });
    h.receive(responseTo(a.text, 404, 'Not Found'), CALLEE_A);
    expect(to(h, CALLEE_B.ip).map((d) => startLine(d.text))).toEqual(['INVITE sip:bob@example.com SIP/2.0']);
  });

  it('turns a final 503 into 500 when every route failed (§16.7 step 6)', () => {
    const h = new ProxyHarness();
    const a = start(h);
    h.receive(responseTo(a.text, 503, 'Service Unavailable'), CALLEE_A);
    const b = to(h, CALLEE_B.ip)[0];
    h.receive(responseTo(b?.text ?? '', 503, 'Service Unavailable'), CALLEE_B);
    const up = to(h, CALLER.ip);
    expect(up.map((d) => startLine(d.text))).toEqual(['SIP/2.0 500 Server Internal Error']);
    expect(h.completed[0]?.tx.branches.map((o) => o.status)).toEqual([503, 503]);
  });

  it('forwards the 503 itself when sip.convert503To500 is off', () => {
    const h = new ProxyHarness({ config: { 'sip.convert503To500': false } });
    const a = start(h, { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }] });
    h.receive(responseTo(a.text, 503, 'Service Unavailable', { extra: ['Retry-After: 30'] }), CALLEE_A);
    const up = to(h, CALLER.ip)[0]?.text ?? '';
    expect(startLine(up)).toBe('SIP/2.0 503 Service Unavailable');
    expect(up).toContain('\r\nRetry-After: 30\r\n');
  });

  it('forwards the best of several failures: the lowest class (§16.7 step 6)', () => {
    const h = new ProxyHarness();
    const a = start(h, { ...TWO_ROUTES, on_failure: { codes: ['4xx', '5xx'] } });
    h.receive(responseTo(a.text, 500, 'Server Internal Error'), CALLEE_A);
    const b = to(h, CALLEE_B.ip)[0];
    h.receive(responseTo(b?.text ?? '', 404, 'Not Found', { toTag: 'nf' }), CALLEE_B);
    const up = to(h, CALLER.ip)[0]?.text ?? '';
    expect(startLine(up)).toBe('SIP/2.0 404 Not Found');
    expect(up).toContain(';tag=nf\r\n');
  });
});

describe('branch timeout (fr_timer)', () => {
  it('fails the silent branch as 408 and goes to the next route', () => {
    const h = new ProxyHarness();
    start(h, { routes: [{ dst_uri: 'sip:203.0.113.20:5060', fr_timer: 2000 }, { dst_uri: 'sip:203.0.113.21:5060' }] });
    h.advance(1999);
    expect(to(h, CALLEE_B.ip)).toEqual([]);
    h.advance(1);
    const b = to(h, CALLEE_B.ip);
    expect(b.map((d) => startLine(d.text))).toEqual(['INVITE sip:bob@example.com SIP/2.0']);
    expect(h.counter('branch_timeouts')).toBe(1);
    h.receive(responseTo(b[0]?.text ?? '', 486, 'Busy Here'), CALLEE_B);
    expect(h.completed[0]?.tx.branches).toEqual([
      { uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.20:5060', status: 408, reason: 'Request Timeout', timeout: true },
      { uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.21:5060', status: 486, reason: 'Busy Here' },
    ]);
  });

  it('answers 408 when the only route times out, using the configured timers.frTimerMs', () => {
    const h = new ProxyHarness({ config: { 'timers.frTimerMs': 8000 } });
    start(h, { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }] });
    h.advance(7999);
    expect(to(h, CALLER.ip)).toEqual([]);
    h.advance(1);
    expect(to(h, CALLER.ip).map((d) => startLine(d.text))).toEqual(['SIP/2.0 408 Request Timeout']);
  });

  it('CANCELs a timed-out branch that starts ringing late and does not forward its 180', () => {
    const h = new ProxyHarness();
    const a = start(h, { routes: [{ dst_uri: 'sip:203.0.113.20:5060', fr_timer: 2000 }, { dst_uri: 'sip:203.0.113.21:5060' }] });
    h.advance(2000);
    h.take();
    h.receive(responseTo(a.text, 180, 'Ringing'), CALLEE_A);
    const sent = h.take();
    expect(sent.filter((d) => d.dest.ip === CALLER.ip)).toEqual([]);
    expect(sent.filter((d) => d.dest.ip === CALLEE_A.ip).map((d) => startLine(d.text))).toEqual(['CANCEL sip:bob@example.com SIP/2.0']);
  });
});

describe('on_failure: ask', () => {
  it('asks the router again with attempt 2 and the failure, then relays the new answer', () => {
    const h = new ProxyHarness();
    const a = start(h, { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], on_failure: { action: 'ask' } });
    h.receive(responseTo(a.text, 480, 'Temporarily Unavailable'), CALLEE_A);
    expect(to(h, CALLER.ip)).toEqual([]);
    expect(h.router.asks).toHaveLength(2);
    const p = h.router.last().params;
    expect(p.attempt).toBe(2);
    // Same transaction index, a new label for the new request.
    expect(p.tx.split('.').slice(0, 2)).toEqual((h.router.asks[0]?.params.tx ?? '').split('.').slice(0, 2));
    expect(p.tx).not.toBe(h.router.asks[0]?.params.tx);
    expect(p.failure).toEqual({
      status: 480,
      reason: 'Temporarily Unavailable',
      branches: [{ uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.20:5060', status: 480, reason: 'Temporarily Unavailable' }],
    });
    h.router.answer({ routes: [{ uri: 'sip:bob@203.0.113.21:5060' }] });
    const b = to(h, CALLEE_B.ip);
    expect(b.map((d) => startLine(d.text))).toEqual(['INVITE sip:bob@203.0.113.21:5060 SIP/2.0']);
    h.receive(responseTo(b[0]?.text ?? '', 200, 'OK'), CALLEE_B);
    expect(h.completed.map((c) => [c.tx.status, c.tx.attempts])).toEqual([[200, 2]]);
  });

  it('stops asking after route.maxAttempts and forwards the best failure', () => {
    const h = new ProxyHarness({ config: { 'route.maxAttempts': 2 } });
    const answer = { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], on_failure: { action: 'ask' as const } };
    const a = start(h, answer);
    h.receive(responseTo(a.text, 480, 'Temporarily Unavailable'), CALLEE_A);
    h.take();
    h.router.answer(answer);
    const again = to(h, CALLEE_A.ip).find((d) => startLine(d.text).startsWith('INVITE'));
    h.receive(responseTo(again?.text ?? '', 480, 'Temporarily Unavailable', { toTag: 'second' }), CALLEE_A);
    expect(h.router.asks).toHaveLength(2);
    expect(to(h, CALLER.ip).map((d) => startLine(d.text))).toEqual(['SIP/2.0 480 Temporarily Unavailable']);
    expect(h.completed.map((c) => c.tx.outcome)).toEqual(['no_more_routes']);
  });

  it("replies with on_failure.reply when action is 'reply'", () => {
    const h = new ProxyHarness();
    const a = start(h, { ...TWO_ROUTES, on_failure: { action: 'reply', reply: { code: 480, reason: 'All Carriers Busy' } } });
    h.receive(responseTo(a.text, 503, 'Service Unavailable'), CALLEE_A);
    const sent = h.take();
    expect(sent.filter((d) => d.dest.ip === CALLER.ip).map((d) => startLine(d.text))).toEqual(['SIP/2.0 480 All Carriers Busy']);
    expect(sent.filter((d) => d.dest.ip === CALLEE_B.ip)).toEqual([]);
  });
});
