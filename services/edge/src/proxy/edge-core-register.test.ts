/**
 * REGISTER at the edge (DESIGN §2 step 6): for one of our domains the registrar answers it, on its
 * own subject, like a router answers a route request; a REGISTER for a foreign domain, or with the
 * registrar switched off, goes to the routing policy (registration proxying, book §8.14.1).
 */
import { describe, expect, it } from 'vitest';
import { NonceIssuer, NonceStatus, parseChallenges } from '@sipmesh/runtime';
import { RegisterChallenger } from '../bus/register-challenge.js';
import { CALLER, ProxyHarness, sip, startLine } from './proxy-harness.fixture.js';

function register(domain = 'example.com', extra: readonly string[] = []): Buffer {
  return sip([
    `REGISTER sip:${domain} SIP/2.0`,
    'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKreg1;rport',
    'Max-Forwards: 70',
    `From: <sip:alice@${domain}>;tag=r1`,
    `To: <sip:alice@${domain}>`,
    'Call-ID: reg-1@10.0.0.5',
    'CSeq: 1 REGISTER',
    'Contact: <sip:alice@10.0.0.5:5062>;expires=600',
    ...extra,
    'Content-Length: 0',
  ]);
}

describe('REGISTER received', () => {
  it('asks the registrar, not a policy, and sends its reply with the contacts it lists', () => {
    const h = new ProxyHarness();
    h.receive(register());
    expect(h.router.asks).toHaveLength(1);
    const ask = h.router.last();
    expect(ask.policy).toBe('registrar');
    expect(ask.params.method).toBe('REGISTER');
    expect(ask.params.contact).toEqual(['<sip:alice@10.0.0.5:5062>;expires=600']);
    h.router.answer({ reply: { code: 200, reason: 'OK', headers: ['Contact: <sip:alice@10.0.0.5:5062>;expires=600'] } });
    const sent = h.take();
    expect(sent.map((d) => startLine(d.text))).toEqual(['SIP/2.0 200 OK']);
    expect(sent[0]?.text).toContain('\r\nContact: <sip:alice@10.0.0.5:5062>;expires=600\r\n');
  });

  it('keeps the TCP connection a phone registered over open while its longest binding lives', () => {
    const h = new ProxyHarness();
    h.receive(register(), { transport: 'tcp', ip: '10.0.0.5', port: 40123 }, 7);
    h.router.answer({ reply: { code: 200, reason: 'OK', headers: ['Contact: <sip:alice@10.0.0.5:5062;transport=tcp>;expires=600, <sip:alice@10.0.0.5:5064;transport=tcp>;expires=3600'] } });
    expect(h.take().map((d) => [startLine(d.text), d.connectionId])).toEqual([['SIP/2.0 200 OK', 7]]);
    expect(h.transports.keptOpen).toEqual([{ connectionId: 7, forMs: 3630_000 }]);
  });

  it('does not hold a connection open for a refused or a UDP registration', () => {
    const h = new ProxyHarness();
    h.receive(register(), { transport: 'tcp', ip: '10.0.0.5', port: 40123 }, 8);
    h.router.answer({ reply: { code: 401, reason: 'Unauthorized', headers: ['WWW-Authenticate: Digest realm="example.com", nonce="x"'] } });
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 401 Unauthorized']);
    const udp = new ProxyHarness();
    udp.receive(register());
    udp.router.answer({ reply: { code: 200, reason: 'OK', headers: ['Contact: <sip:alice@10.0.0.5:5062>;expires=600'] } });
    expect(udp.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 200 OK']);
    expect([...h.transports.keptOpen, ...udp.transports.keptOpen]).toEqual([]);
  });

  it('sends a REGISTER for a foreign domain to the routing policy', () => {
    const h = new ProxyHarness();
    h.receive(register('other.example.net'));
    expect(h.router.last().policy).toBe('default');
  });

  it('sends every REGISTER to the routing policy when the registrar is off', () => {
    const h = new ProxyHarness({ config: { 'registrar.enabled': false } });
    h.receive(register());
    expect(h.router.last().policy).toBe('default');
  });

  it('answers 503 at once when no registrar listens, and does not try the fallback policy', () => {
    const h = new ProxyHarness({ config: { 'route.fallbackPolicy': 'backup' } });
    h.receive(register());
    h.router.last().tx.onNoResponders();
    expect(h.router.asks).toHaveLength(1);
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 503 Service Unavailable']);
  });
});

describe("the edge's own challenge (registrar.challenge)", () => {
  const SECRET = 's3cret';
  function challenging(config: Record<string, unknown> = {}): ProxyHarness {
    return new ProxyHarness({
      config,
      wrapRouter: (router, counters) => new RegisterChallenger(router, { secret: SECRET, nonceLifetimeSec: 300, algorithms: ['MD5'], qop: 'auth', opaque: '' }, counters),
    });
  }

  it('answers a REGISTER without credentials 401 without a transaction: a retransmission gets a fresh challenge', () => {
    const h = challenging();
    h.receive(register());
    const first = h.takeOne();
    expect(startLine(first.text)).toBe('SIP/2.0 401 Unauthorized');
    expect(first.dest).toEqual(CALLER);
    const challenge = parseChallenges([/\r\nWWW-Authenticate: (.*)\r\n/.exec(first.text)?.[1] ?? ''])[0];
    expect(new NonceIssuer({ secret: SECRET }).verify(challenge?.nonce ?? '', 'example.com').status).toBe(NonceStatus.valid);
    expect(first.text).toMatch(/\r\nTo: <sip:alice@example\.com>;tag=\w+\r\n/);
    expect(h.core.liveTransactions).toBe(0);
    expect(h.table.size).toBe(0);
    h.receive(register());
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 401 Unauthorized');
    expect(h.counter('retransmissions_absorbed')).toBe(0);
    expect(h.counter('register_challenges_local')).toBe(2);
    expect(h.router.asks).toHaveLength(0);
    expect(h.completed).toHaveLength(0);
  });

  it('asks the registrar about a REGISTER with credentials, in a transaction', () => {
    const h = challenging();
    h.receive(register('example.com', ['Authorization: Digest username="alice", realm="example.com", nonce="n", uri="sip:example.com", response="0"']));
    expect(h.router.last().policy).toBe('registrar');
    expect(h.core.liveTransactions).toBe(1);
    expect(h.counter('register_challenges_local')).toBe(0);
  });

  it('keeps the transaction (and its event) with events.registrarTransactions', async () => {
    const h = challenging({ 'events.registrarTransactions': true });
    h.receive(register());
    await Promise.resolve(); // the local answer comes as a bus answer would: after the transaction asked
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 401 Unauthorized');
    expect(h.completed.map((c) => [c.method, c.tx.status])).toEqual([['REGISTER', 401]]);
    h.receive(register());
    expect(h.take()).toHaveLength(1);
    expect(h.counter('retransmissions_absorbed')).toBe(1);
    expect(h.counter('register_challenges_local')).toBe(1);
  });

  it('leaves a REGISTER for a foreign domain to the routing policy', () => {
    const h = challenging();
    h.receive(register('other.example.net'));
    expect(h.router.last().policy).toBe('default');
    expect(h.counter('register_challenges_local')).toBe(0);
  });
});

describe('a call for a phone registered through this edge, routed here by another edge', () => {
  function inviteVia(route: string): Buffer {
    return sip([
      'INVITE sip:alice@10.0.0.5:5062 SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKedgeb1',
      'Max-Forwards: 69',
      `Route: ${route}`,
      'From: <sip:bob@example.com>;tag=b1',
      'To: <sip:alice@example.com>',
      'Call-ID: call-b@192.0.2.20',
      'CSeq: 1 INVITE',
      'Contact: <sip:bob@192.0.2.20:5060>',
      'Content-Length: 0',
    ]);
  }

  it('goes straight to the received address without asking the router, record-routed', () => {
    const h = new ProxyHarness({ config: { 'registrar.relayPeers': ['198.51.100.0/24'] } });
    h.receive(inviteVia('<sip:192.0.2.10:5060;lr;received=sip%3A203.0.113.9%3A40112>'));
    expect(h.router.asks).toHaveLength(0);
    const sent = h.take();
    const out = sent.find((d) => startLine(d.text).startsWith('INVITE'));
    expect(out?.dest).toEqual({ transport: 'udp', ip: '203.0.113.9', port: 40112 });
    expect(startLine(out?.text ?? '')).toBe('INVITE sip:alice@10.0.0.5:5062 SIP/2.0');
    expect(out?.text).not.toContain('\r\nRoute:');
    expect(out?.text).toContain('\r\nRecord-Route: <sip:192.0.2.10');
  });

  it('ignores received= from a source that is not another edge, and asks the router', () => {
    const h = new ProxyHarness();
    h.receive(inviteVia('<sip:192.0.2.10:5060;lr;received=sip%3A203.0.113.9%3A40112>'));
    expect(h.router.asks).toHaveLength(1);
    expect(h.counter('untrusted_received_ignored')).toBe(1);
  });
});
