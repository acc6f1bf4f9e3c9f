/**
 * What the edge answers before any route request (DESIGN §2 steps 2-3): size, sanity, Max-Forwards,
 * OPTIONS to the edge itself, loops (RFC 3261 §16.3), the transaction limit; and retransmissions
 * absorbed by their server transaction (§17.2.1, §17.2.2).
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, CALLER, headerLine, headerLines, ProxyHarness, relay, sip, startLine } from './proxy-harness.fixture.js';
import { invite, message, responseTo } from './sip-peers.fixture.js';

function options(ruri: string, extra: string[] = []): Buffer {
  return sip([
    `OPTIONS ${ruri} SIP/2.0`,
    'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKka1;rport',
    'Max-Forwards: 70',
    'From: <sip:monitor@example.com>;tag=k1',
    'To: <sip:192.0.2.10>',
    'Call-ID: ka-1@10.0.0.5',
    'CSeq: 1 OPTIONS',
    ...extra,
    'Content-Length: 0',
  ]);
}

describe('stateless checks', () => {
  it('answers a CSeq method mismatch with 400 (sanity)', () => {
    const h = new ProxyHarness();
    h.receive(invite({ cseqMethod: 'BYE' }));
    const sent = h.takeOne();
    expect(sent.dest).toEqual(CALLER);
    expect(startLine(sent.text)).toBe('SIP/2.0 400 CSeq method does not match request method');
    expect(headerLine(sent.text, 'via')).toBe('Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7');
    expect(headerLine(sent.text, 'to')).toMatch(/^To: <sip:bob@example\.com>;tag=[0-9a-z]+$/);
    expect(h.router.asks).toHaveLength(0);
    expect(h.counter('sanity_failures')).toBe(1);
  });

  it('answers an unsupported Proxy-Require with 420 and Unsupported (§16.3 step 5)', () => {
    const h = new ProxyHarness();
    h.receive(invite({ extra: ['Proxy-Require: foo'] }));
    const text = h.takeOne().text;
    expect(startLine(text)).toBe('SIP/2.0 420 Bad Proxy Require Extension');
    expect(headerLines(text, 'unsupported')).toEqual(['Unsupported: foo']);
  });

  it('answers Max-Forwards: 0 with 483 (§16.3 step 3)', () => {
    const h = new ProxyHarness();
    h.receive(invite({ maxForwards: 0 }));
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 483 Too Many Hops');
    expect(h.router.asks).toHaveLength(0);
  });

  it('answers an unparsable Max-Forwards with 400', () => {
    const h = new ProxyHarness();
    h.receive(Buffer.from(invite().toString('utf8').replace('Max-Forwards: 70', 'Max-Forwards: seventy')));
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 400 Bad Max-Forwards');
  });

  it('answers a request larger than sip.maxMessageBytes with 513', () => {
    const h = new ProxyHarness({ config: { 'sip.maxMessageBytes': 1024 } });
    h.receive(invite({ extra: [`X-Padding: ${'p'.repeat(1000)}`] }));
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 513 Message Too Large');
    expect(h.counter('oversize')).toBe(1);
  });

  it('ignores what does not parse, without an answer', () => {
    const h = new ProxyHarness();
    h.receive(Buffer.from('INVITE\r\n\r\n'));
    expect(h.take()).toHaveLength(0);
    expect(h.counter('parse_errors')).toBe(1);
  });

  it('never answers an ACK, even a bad one', () => {
    const h = new ProxyHarness();
    h.receive(sip(['ACK sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKx', 'Max-Forwards: 0', 'From: <sip:a@example.com>;tag=1', 'To: <sip:bob@example.com>;tag=2', 'Call-ID: x', 'CSeq: 1 INVITE', 'Content-Length: 0']));
    expect(h.take()).toHaveLength(0);
  });
});

describe('OPTIONS to the edge itself', () => {
  it('is answered 200 Keepalive when the Request-URI has no user and names the edge', () => {
    const h = new ProxyHarness();
    h.receive(options('sip:192.0.2.10'));
    const sent = h.takeOne();
    expect(sent.dest).toEqual(CALLER);
    expect(sent.text.replace(/(To: [^\r]*;tag=)[0-9a-z]+\r\n/, '$1T\r\n')).toBe(
      'SIP/2.0 200 Keepalive\r\n' +
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKka1;rport=5062;received=198.51.100.7\r\n' +
        'From: <sip:monitor@example.com>;tag=k1\r\n' +
        'To: <sip:192.0.2.10>;tag=T\r\n' +
        'Call-ID: ka-1@10.0.0.5\r\n' +
        'CSeq: 1 OPTIONS\r\n' +
        'Server: sipmesh\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
    expect(h.router.asks).toHaveLength(0);
  });

  it('is answered for our port and for one of our domains', () => {
    const h = new ProxyHarness();
    h.receive(options('sip:192.0.2.10:5060'));
    h.receive(options('sip:example.com'));
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 200 Keepalive', 'SIP/2.0 200 Keepalive']);
  });

  it('goes to the router when it has a user part or names another port', () => {
    const h = new ProxyHarness();
    h.receive(options('sip:bob@192.0.2.10'));
    h.receive(Buffer.from(options('sip:192.0.2.10:5070').toString('utf8').replace('z9hG4bKka1', 'z9hG4bKka2')));
    expect(h.take()).toHaveLength(0);
    expect(h.router.asks.map((a) => a.params.ruri)).toEqual(['sip:bob@192.0.2.10', 'sip:192.0.2.10:5070']);
  });
});

describe('loop detection (§16.3 step 4)', () => {
  it('answers 482 when our forwarded request comes back unchanged', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(fw.bytes, CALLEE_A);
    const sent = h.take();
    expect(sent.map((d) => [d.dest, startLine(d.text)])).toEqual([[CALLEE_A, 'SIP/2.0 482 Loop Detected']]);
    expect(h.router.asks).toHaveLength(1);
    expect(h.counter('loops_detected')).toBe(1);
  });

  it('answers 482 when a request that arrived with a Route to us loops back', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite({ extra: ['Route: <sip:192.0.2.10;lr>'] }));
    expect(headerLines(fw.text, 'route')).toEqual([]);
    h.receive(fw.bytes, CALLEE_A);
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 482 Loop Detected']);
  });

  it('lets through a request that comes back along its pre-loaded Route set (edge, AS, edge)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite({ extra: ['Route: <sip:192.0.2.10;lr>, <sip:203.0.113.20;lr>, <sip:192.0.2.10;lr>'] }));
    expect(headerLines(fw.text, 'route')).toEqual(['Route: <sip:203.0.113.20;lr>, <sip:192.0.2.10;lr>']);
    // The application server pops its own entry and sends the request back.
    const back = Buffer.from(fw.text.replace('Route: <sip:203.0.113.20;lr>, <sip:192.0.2.10;lr>', 'Route: <sip:192.0.2.10;lr>'));
    h.receive(back, CALLEE_A);
    expect(h.counter('loops_detected')).toBe(0);
    expect(h.router.asks).toHaveLength(2);
  });

  it('lets a spiral through: the request comes back with another Request-URI', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ uri: 'sip:bob@pbx.example.com', dst_uri: 'sip:203.0.113.20' }] });
    h.receive(fw.bytes, CALLEE_A);
    expect(h.counter('loops_detected')).toBe(0);
    expect(h.router.asks).toHaveLength(2);
    expect(h.router.last().params.ruri).toBe('sip:bob@pbx.example.com');
  });
});

describe('retransmissions', () => {
  it('absorbs a retransmitted INVITE while suspended: the 100 is resent, no second route request', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    const trying = h.takeOne().text;
    h.receive(invite());
    expect(h.takeOne().text).toBe(trying);
    expect(h.router.asks).toHaveLength(1);
    expect(h.counter('retransmissions_absorbed')).toBe(1);
  });

  it('answers a retransmitted INVITE with the last provisional forwarded', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    const ringing = h.takeOne().text;
    h.receive(invite());
    expect(h.takeOne().text).toBe(ringing);
    expect(h.counter('branches_started')).toBe(1);
  });

  it('absorbs a retransmitted non-INVITE before the final, and resends the final after it', () => {
    const h = new ProxyHarness();
    h.receive(message());
    h.receive(message());
    expect(h.take()).toHaveLength(0);
    h.router.answer({ reply: { code: 404, reason: 'Not Found' } });
    const final = h.takeOne().text;
    h.receive(message());
    expect(h.takeOne().text).toBe(final);
    expect(h.router.asks).toHaveLength(1);
  });
});

describe('transaction limit', () => {
  it('answers 503 with Retry-After when transactions.maxActive are live', () => {
    const h = new ProxyHarness({ config: { 'transactions.maxActive': 100 } });
    for (let i = 0; i < 100; i++) h.receive(message({ branch: `z9hG4bKm${String(i)}` }));
    expect(h.take()).toHaveLength(0);
    h.receive(message({ branch: 'z9hG4bKone-more' }));
    const text = h.takeOne().text;
    expect(startLine(text)).toBe('SIP/2.0 503 Service Unavailable');
    expect(headerLines(text, 'retry-after')).toEqual(['Retry-After: 5']);
    expect(h.router.asks).toHaveLength(100);
  });
});

describe('scanner User-Agents (book §10.2.1, TC-125)', () => {
  it('drops a scanner without a word, whatever the case, and counts it', () => {
    const h = new ProxyHarness();
    h.receive(invite({ extra: ['User-Agent: friendly-scanner'] }));
    h.receive(invite({ branch: 'z9hG4bKscan2', extra: ['User-Agent: SIPVicious/0.3'] }));
    h.receive(invite({ branch: 'z9hG4bKscan3', extra: ['User-Agent: sip-scan 1.0'] }));
    expect(h.take()).toEqual([]);
    expect(h.router.asks).toHaveLength(0);
    expect(h.counter('scanners_refused')).toBe(3);
  });

  it('routes requests without a User-Agent, or with an ordinary one, as usual', () => {
    const h = new ProxyHarness();
    h.receive(invite({ extra: ['User-Agent: Zoiper rv2.10'] }));
    h.receive(message());
    expect(h.router.asks).toHaveLength(2);
    expect(h.counter('scanners_refused')).toBe(0);
  });

  it('answers scanners with the configured reply instead when asked to (book chapter 2: 200 OK)', () => {
    const h = new ProxyHarness({ config: { 'security.scannerAction': 'reply' } });
    h.receive(invite({ extra: ['User-Agent: friendly-scanner'] }));
    expect(startLine(h.takeOne().text)).toBe('SIP/2.0 200 OK');
    expect(h.router.asks).toHaveLength(0);
  });

  it('checks nothing with an empty list', () => {
    const h = new ProxyHarness({ config: { 'security.scannerUserAgents': [] } });
    h.receive(invite({ extra: ['User-Agent: friendly-scanner'] }));
    expect(h.router.asks).toHaveLength(1);
  });
});
