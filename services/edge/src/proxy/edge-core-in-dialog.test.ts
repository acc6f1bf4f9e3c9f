/**
 * In-dialog requests (DESIGN §2 step 5, RFC 3261 §16.4, §16.6 steps 6-7, §16.12): routed along
 * Route without asking the router, our own entries popped (two after a double Record-Route), a
 * strict-router previous hop repaired, a strict next hop given the Request-URI; a To-tagged request
 * that does not route through us is `404 Not here`; an ACK that matches nothing is dropped.
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLER, headerLines, ProxyHarness, relay, sip, startLine, topBranch } from './proxy-harness.fixture.js';
import { invite, responseTo } from './sip-peers.fixture.js';

function bye(ruri: string, routes: readonly string[], branch = 'z9hG4bKbye1'): Buffer {
  return sip([
    `BYE ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 10.0.0.5:5062;branch=${branch};rport`,
    ...routes,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
    'To: <sip:bob@example.com>;tag=b5x9',
    'Call-ID: f81d4fae@10.0.0.5',
    'CSeq: 2 BYE',
    'Content-Length: 0',
  ]);
}

function ack(ruri: string, routes: readonly string[], branch: string, toTag = ';tag=b5x9'): Buffer {
  return sip([
    `ACK ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 10.0.0.5:5062;branch=${branch};rport`,
    ...routes,
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
    `To: <sip:bob@example.com>${toTag}`,
    'Call-ID: f81d4fae@10.0.0.5',
    'CSeq: 1 ACK',
    'Content-Length: 0',
  ]);
}

describe('in-dialog requests along Record-Route', () => {
  it('relays a BYE with our Route entry to the Request-URI, without a route request, Route popped', () => {
    const h = new ProxyHarness();
    h.receive(bye('sip:bob@203.0.113.20:5060', ['Route: <sip:192.0.2.10;lr>']));
    const fw = h.takeOne();
    expect(fw.dest).toEqual(CALLEE_A);
    const branch = topBranch(fw.text);
    expect(fw.text).toBe(
      'BYE sip:bob@203.0.113.20:5060 SIP/2.0\r\n' +
        `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}\r\n` +
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKbye1;rport=5062;received=198.51.100.7\r\n' +
        'Max-Forwards: 69\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>;tag=b5x9\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 2 BYE\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
    expect(h.router.asks).toHaveLength(0);
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    const ok = h.takeOne();
    expect(ok.dest).toEqual(CALLER);
    expect(startLine(ok.text)).toBe('SIP/2.0 200 OK');
    expect(h.completed.map((c) => [c.method, c.tx.status, c.tx.outcome, c.tx.attempts])).toEqual([['BYE', 200, 'relayed', 0]]);
  });

  it('pops both entries of a double Record-Route (r2=on), in one line or two', () => {
    for (const routes of [
      ['Route: <sip:192.0.2.10:5060;transport=tcp;lr;r2=on>, <sip:192.0.2.10;lr;r2=on>'],
      ['Route: <sip:192.0.2.10:5060;transport=tcp;lr;r2=on>', 'Route: <sip:192.0.2.10;lr;r2=on>'],
    ]) {
      const h = new ProxyHarness();
      h.receive(bye('sip:bob@203.0.113.20:5060', routes));
      const fw = h.takeOne();
      expect(fw.dest).toEqual(CALLEE_A);
      expect(headerLines(fw.text, 'route')).toEqual([]);
    }
  });

  it('keeps the Route entries after ours and sends to the first of them', () => {
    const h = new ProxyHarness();
    h.receive(bye('sip:bob@10.9.9.9:5060', ['Route: <sip:192.0.2.10;lr>, <sip:203.0.113.50;lr>', 'Route: <sip:203.0.113.51;lr>']));
    const fw = h.takeOne();
    expect(fw.dest).toEqual({ transport: 'udp', ip: '203.0.113.50', port: 5060 });
    expect(startLine(fw.text)).toBe('BYE sip:bob@10.9.9.9:5060 SIP/2.0');
    expect(headerLines(fw.text, 'route')).toEqual(['Route: <sip:203.0.113.50;lr>', 'Route: <sip:203.0.113.51;lr>']);
  });

  it('repairs a request from a strict router: our URI in the Request-URI, the target in the last Route (§16.4)', () => {
    const h = new ProxyHarness();
    h.receive(bye('sip:192.0.2.10;lr', ['Route: <sip:bob@203.0.113.20:5060>']));
    const fw = h.takeOne();
    expect(fw.dest).toEqual(CALLEE_A);
    expect(startLine(fw.text)).toBe('BYE sip:bob@203.0.113.20:5060 SIP/2.0');
    expect(headerLines(fw.text, 'route')).toEqual([]);
  });

  it('sends to a strict next hop with its URI as Request-URI and removes it from Route (§16.6 step 7)', () => {
    const h = new ProxyHarness();
    h.receive(bye('sip:bob@203.0.113.20:5060', ['Route: <sip:192.0.2.10;lr>, <sip:203.0.113.50>']));
    const fw = h.takeOne();
    expect(fw.dest).toEqual({ transport: 'udp', ip: '203.0.113.50', port: 5060 });
    expect(startLine(fw.text)).toBe('BYE sip:203.0.113.50 SIP/2.0');
    expect(headerLines(fw.text, 'route')).toEqual(['Route: <sip:bob@203.0.113.20:5060>']);
  });

  it('answers 404 Not here to a To-tagged request that does not route through us', () => {
    const h = new ProxyHarness();
    h.receive(bye('sip:bob@203.0.113.20:5060', []));
    h.receive(bye('sip:bob@203.0.113.20:5060', ['Route: <sip:203.0.113.50;lr>'], 'z9hG4bKbye2'));
    const sent = h.take();
    expect(sent.map((d) => [d.dest, startLine(d.text)])).toEqual([
      [CALLER, 'SIP/2.0 404 Not here'],
      [CALLER, 'SIP/2.0 404 Not here'],
    ]);
    // The To tag of the request is kept (§8.2.6.2).
    expect(headerLines(sent[0]?.text ?? '', 'to')).toEqual(['To: <sip:bob@example.com>;tag=b5x9']);
    expect(h.router.asks).toHaveLength(0);
    expect(h.counter('not_here')).toBe(2);
  });

  it('absorbs a retransmitted BYE and resends the final response', () => {
    const h = new ProxyHarness();
    const request = bye('sip:bob@203.0.113.20:5060', ['Route: <sip:192.0.2.10;lr>']);
    h.receive(request);
    const fw = h.takeOne();
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    const ok = h.takeOne().text;
    h.receive(request);
    expect(h.takeOne().text).toBe(ok);
  });
});

describe('ACK that matches nothing', () => {
  it('is dropped without a To tag or without our Route', () => {
    const h = new ProxyHarness();
    h.receive(ack('sip:bob@203.0.113.20:5060', ['Route: <sip:192.0.2.10;lr>'], 'z9hG4bKa1', ''));
    h.receive(ack('sip:bob@203.0.113.20:5060', [], 'z9hG4bKa2'));
    h.receive(ack('sip:bob@203.0.113.20:5060', ['Route: <sip:203.0.113.50;lr>'], 'z9hG4bKa3'));
    expect(h.take()).toHaveLength(0);
    expect(h.counter('acks_dropped')).toBe(3);
  });
});

describe('ACK with Max-Forwards: 0', () => {
  it('is dropped, not relayed with Max-Forwards: -1', () => {
    const h = new ProxyHarness();
    const zero = Buffer.from(ack('sip:bob@203.0.113.20:5060', ['Route: <sip:192.0.2.10;lr>'], 'z9hG4bKmf0').toString('utf8').replace('Max-Forwards: 70', 'Max-Forwards: 0'));
    h.receive(zero);
    expect(h.take().map((d) => headerLines(d.text, 'max-forwards'))).toEqual([]);
  });
});

describe('ACK for a 2xx that reuses the INVITE branch (RFC 2543 UAs)', () => {
  it('forwards it with the real source in received/rport', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 200, 'OK'), CALLEE_A);
    h.take();
    h.receive(ack('sip:bob@203.0.113.20:5060', ['Route: <sip:192.0.2.10;lr>'], 'z9hG4bKcaller1'));
    const sent = h.takeOne();
    expect(sent.dest).toEqual(CALLEE_A);
    expect(headerLines(sent.text, 'via')[1]).toBe('Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7');
  });
});
