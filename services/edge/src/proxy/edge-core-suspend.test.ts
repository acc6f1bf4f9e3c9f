/**
 * A new INVITE at the edge (DESIGN §2 steps 7): `100 Trying` at once (RFC 3261 §16.2, §8.2.6.1),
 * then the transaction is suspended while a route request carries the parsed facts to the router;
 * nothing is forwarded before the answer.
 */
import { describe, expect, it } from 'vitest';
import { CALLER, ProxyHarness, sip, startLine } from './proxy-harness.fixture.js';
import { invite, SDP } from './sip-peers.fixture.js';

describe('INVITE received', () => {
  it('answers 100 Trying at once, to the source address, with received/rport and an untagged To', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    const sent = h.takeOne();
    expect(sent.dest).toEqual(CALLER);
    expect(sent.connectionId).toBeUndefined();
    expect(sent.text).toBe(
      'SIP/2.0 100 Trying\r\n' +
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 1 INVITE\r\n' +
        'Server: sipmesh\r\n' +
        'Content-Length: 0\r\n' +
        '\r\n',
    );
  });

  it('copies Timestamp into the 100 Trying (§8.2.6.1) and omits Server when configured empty', () => {
    const h = new ProxyHarness({ config: { 'sip.serverHeader': '' } });
    h.receive(invite({ extra: ['Timestamp: 54'] }));
    const text = h.takeOne().text;
    expect(text).toContain('\r\nTimestamp: 54\r\n');
    expect(text).not.toContain('Server:');
  });

  it('publishes one route request with the facts a policy needs, and forwards nothing before the answer', () => {
    const h = new ProxyHarness();
    h.receive(invite());
    expect(h.router.asks).toHaveLength(1);
    const ask = h.router.last();
    expect(ask.tx.askId).toMatch(/^edge1\.1\.\d+$/);
    expect(ask.params).toEqual({
      version: '1.0',
      edge: 'edge1',
      tx: ask.tx.askId,
      method: 'INVITE',
      ruri: 'sip:bob@example.com',
      ruri_parts: { scheme: 'sip', user: 'bob', host: 'example.com' },
      from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 'a73kszlfl', display: 'Alice' },
      to: { uri: 'sip:bob@example.com', user: 'bob', host: 'example.com' },
      call_id: 'f81d4fae@10.0.0.5',
      cseq: { seq: 1, method: 'INVITE' },
      contact: ['<sip:alice@10.0.0.5:5062>'],
      headers: {
        via: ['SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport'],
        'max-forwards': ['70'],
        from: ['"Alice" <sip:alice@example.com>;tag=a73kszlfl'],
        to: ['<sip:bob@example.com>'],
        'call-id': ['f81d4fae@10.0.0.5'],
        cseq: ['1 INVITE'],
        contact: ['<sip:alice@10.0.0.5:5062>'],
        'content-type': ['application/sdp'],
        'content-length': [String(Buffer.byteLength(SDP))],
      },
      source: { ip: '198.51.100.7', port: 5062, transport: 'udp' },
      socket: { transport: 'udp', ip: '192.0.2.10', port: 5060, advertise: '192.0.2.10:5060' },
      ours: { ruri: true, from: true },
      auth: null,
      body: { content_type: 'application/sdp', length: Buffer.byteLength(SDP) },
      attempt: 1,
      received_at: '1970-01-01T00:00:00.000Z',
    });
    expect(ask.params.failure).toBeUndefined();
    expect(h.take().map((d) => startLine(d.text))).toEqual(['SIP/2.0 100 Trying']);
    h.advance(1000);
    expect(h.take()).toHaveLength(0);
    expect(h.counter('route_requests')).toBe(1);
  });

  it('splits list headers into values, keeps repeated lines in order and names headers by their full lower-case name', () => {
    const h = new ProxyHarness();
    h.receive(
      sip([
        'OPTIONS sip:carol@other.example.net;user=phone SIP/2.0',
        'v: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKopt1',
        'Max-Forwards: 70',
        'f: <sip:alice@elsewhere.example.org>;tag=x1',
        't: "Carol" <sip:carol@other.example.net>',
        'i: opt-1@10.0.0.5',
        'CSeq: 4 OPTIONS',
        'Supported: timer, 100rel',
        'Supported: path',
        'Accept: application/sdp',
        'X-Custom: a, b',
        'l: 0',
      ]),
    );
    const p = h.router.last().params;
    expect(p.method).toBe('OPTIONS');
    expect(p.ruri_parts).toEqual({ scheme: 'sip', user: 'carol', host: 'other.example.net', params: { user: 'phone' } });
    expect(p.ours).toEqual({ ruri: false, from: false });
    expect(p.to).toEqual({ uri: 'sip:carol@other.example.net', user: 'carol', host: 'other.example.net', display: 'Carol' });
    expect(p.headers['supported']).toEqual(['timer', '100rel', 'path']);
    expect(p.headers['via']).toEqual(['SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKopt1']);
    expect(p.headers['call-id']).toEqual(['opt-1@10.0.0.5']);
    expect(p.headers['x-custom']).toEqual(['a, b']);
    expect(p.body).toBeUndefined();
    expect(p.contact).toBeUndefined();
    // A non-INVITE gets no 100 Trying (§16.2: only INVITE).
    expect(h.take()).toHaveLength(0);
  });

  it('gives each transaction its own id', () => {
    const h = new ProxyHarness();
    h.receive(invite({ branch: 'z9hG4bKa', callId: 'c1' }));
    h.receive(invite({ branch: 'z9hG4bKb', callId: 'c2' }));
    const [a, b] = h.router.asks;
    expect(a?.tx.askId).toMatch(/^edge1\.1\./);
    expect(b?.tx.askId).toMatch(/^edge1\.2\./);
    expect(b?.params.tx).toBe(b?.tx.askId);
  });
});
