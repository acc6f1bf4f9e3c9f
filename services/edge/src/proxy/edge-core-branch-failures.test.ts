/**
 * Branches that fail without a final response from downstream: a transport error (RFC 3261 §16.9:
 * as a 503), a route that cannot be used (bad URI, transport not served), an empty route set, and
 * the INVITE timer after a provisional (fr_inv_timer / Timer C, §16.8). Each must end in the next
 * route or a final response upstream: a transaction never waits for nothing.
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLEE_B, CALLER, ProxyHarness, startLine } from './proxy-harness.fixture.js';
import { invite, responseTo } from './sip-peers.fixture.js';

function asked(h: ProxyHarness): void {
  h.receive(invite());
  h.take();
}

function upstream(h: ProxyHarness): string[] {
  return h.transports.sent.filter((d) => d.dest.ip === CALLER.ip && !startLine(d.text).startsWith('SIP/2.0 100')).map((d) => startLine(d.text));
}

function invitesTo(h: ProxyHarness, ip: string): number {
  return h.transports.sent.filter((d) => d.dest.ip === ip && startLine(d.text).startsWith('INVITE ')).length;
}

describe('local branch failures', () => {
  it('treats a send failure as a 503 from that hop and tries the next route (§16.9)', async () => {
    const h = new ProxyHarness();
    h.transports.refuse.add('udp:203.0.113.20:5060');
    asked(h);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060' }, { dst_uri: 'sip:203.0.113.21:5060' }] });
    await Promise.resolve();
    expect(invitesTo(h, CALLEE_B.ip)).toBe(1);
    expect(h.counter('branch_transport_errors')).toBe(1);
  });

  it('answers 503 when the only route cannot be reached (a local outcome, not a received 503)', async () => {
    const h = new ProxyHarness();
    h.transports.refuse.add('udp:203.0.113.20:5060');
    asked(h);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060' }] });
    await Promise.resolve();
    expect(upstream(h)).toEqual(['SIP/2.0 503 Service Unavailable']);
  });

  it('skips a route whose URI does not parse and uses the next one', () => {
    const h = new ProxyHarness();
    asked(h);
    h.router.answer({ routes: [{ dst_uri: 'not a uri' }, { dst_uri: 'sip:203.0.113.21:5060' }] });
    expect(invitesTo(h, CALLEE_B.ip)).toBe(1);
    expect(h.logs.map((l) => l.event)).toContain('route_unusable');
  });

  it('answers when no route can be used: transport not served by this edge', () => {
    const h = new ProxyHarness();
    asked(h);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20;transport=tls' }] });
    expect(upstream(h)).toEqual(['SIP/2.0 500 Unsupported Transport']);
    expect(h.completed.map((c) => c.tx.branches)).toEqual([[{ uri: 'sip:bob@example.com', dst_uri: 'sip:203.0.113.20;transport=tls', status: 500, reason: 'Unsupported Transport' }]]);
  });

  it('answers an empty route set instead of waiting forever', () => {
    const h = new ProxyHarness();
    asked(h);
    h.router.answer({ routes: [] });
    h.advance(100);
    const finals = upstream(h);
    expect(finals).toHaveLength(1);
    expect(finals[0]).toMatch(/^SIP\/2\.0 [45]\d\d /);
    expect(h.completed.map((c) => c.tx.outcome)).toEqual(['no_more_routes']);
  });
});

describe('fr_inv_timer (Timer C) after a provisional', () => {
  it('CANCELs the ringing branch when fr_inv_timer expires', () => {
    const h = new ProxyHarness();
    asked(h);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060', fr_inv_timer: 20_000 }] });
    const fw = h.takeOne();
    h.advance(1000);
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.take();
    h.advance(19_999);
    expect(h.take()).toEqual([]);
    h.advance(1);
    const down = h.take().filter((d) => d.dest.ip === CALLEE_A.ip);
    expect(down.map((d) => startLine(d.text))).toEqual(['CANCEL sip:bob@example.com SIP/2.0']);
  });

  it('fails the branch as 408 and goes to the next route when fr_inv_timer expires', () => {
    const h = new ProxyHarness();
    asked(h);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060', fr_inv_timer: 20_000 }, { dst_uri: 'sip:203.0.113.21:5060' }] });
    const fw = h.takeOne();
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.advance(20_000);
    const cancel = h.take().find((d) => startLine(d.text).startsWith('CANCEL'));
    h.receive(responseTo(cancel?.text ?? '', 200, 'OK'), CALLEE_A);
    h.receive(responseTo(fw.text, 487, 'Request Terminated'), CALLEE_A);
    expect(invitesTo(h, CALLEE_B.ip)).toBe(1);
    expect(upstream(h)).toEqual(['SIP/2.0 180 Ringing']);
  });

  it('answers 408 to the caller when the only ringing branch times out (Kamailio fr_inv_timer)', () => {
    const h = new ProxyHarness();
    asked(h);
    h.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060', fr_inv_timer: 20_000 }] });
    const fw = h.takeOne();
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.advance(20_000);
    h.receive(responseTo(fw.text, 487, 'Request Terminated'), CALLEE_A);
    expect(upstream(h)).toEqual(['SIP/2.0 180 Ringing', 'SIP/2.0 408 Request Timeout']);
  });
});

describe('on_failure.max_attempts', () => {
  it('makes at most on_failure.max_attempts route requests', () => {
    const h = new ProxyHarness();
    asked(h);
    const answer = { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], on_failure: { action: 'ask' as const, max_attempts: 2 } };
    for (let i = 0; i < 4 && h.completed.length === 0; i++) {
      h.router.answer(answer);
      const fw = h.take().find((d) => startLine(d.text).startsWith('INVITE'));
      if (!fw) break;
      h.receive(responseTo(fw.text, 480, 'Temporarily Unavailable', { toTag: `t${String(i)}` }), CALLEE_A);
    }
    expect(h.router.asks).toHaveLength(2);
    expect(upstream(h)).toEqual(['SIP/2.0 480 Temporarily Unavailable']);
  });
});
