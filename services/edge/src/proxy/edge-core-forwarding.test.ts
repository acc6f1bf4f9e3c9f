/**
 * The request of a branch (RFC 3261 §16.6): our Via on top with a unique z9hG4bK branch, the
 * previous hop's Via with received/rport, Max-Forwards decremented or added, Record-Route for
 * dialog-creating requests, the route answer's Request-URI, next hop, Path and header changes, the
 * body untouched; and the From/To a route changed put back into the responses (rtjson headers).
 */
import { describe, expect, it } from 'vitest';
import { CALLEE_A, headerLine, headerLines, ProxyHarness, relay, startLine, topBranch } from './proxy-harness.fixture.js';
import { invite, message, responseTo, SDP } from './sip-peers.fixture.js';

const BRANCH = /^z9hG4bK[0-9a-f]{8}\.[0-9a-z]+\.0$/;

describe('forwarded INVITE', () => {
  it('is the received INVITE with our Via, the fixed previous Via, Max-Forwards - 1 and our Record-Route', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    expect(fw.dest).toEqual(CALLEE_A);
    const branch = topBranch(fw.text);
    expect(branch).toMatch(BRANCH);
    expect(fw.text).toBe(
      'INVITE sip:bob@example.com SIP/2.0\r\n' +
        'Record-Route: <sip:192.0.2.10;lr>\r\n' +
        `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${branch}\r\n` +
        'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKcaller1;rport=5062;received=198.51.100.7\r\n' +
        'Max-Forwards: 69\r\n' +
        'From: "Alice" <sip:alice@example.com>;tag=a73kszlfl\r\n' +
        'To: <sip:bob@example.com>\r\n' +
        'Call-ID: f81d4fae@10.0.0.5\r\n' +
        'CSeq: 1 INVITE\r\n' +
        // the caller is behind NAT (private Contact, sent from 198.51.100.7): its Contact gets the alias
        'Contact: <sip:alice@10.0.0.5:5062;alias=198.51.100.7~5062~1>\r\n' +
        'Content-Type: application/sdp\r\n' +
        `Content-Length: ${String(Buffer.byteLength(SDP))}\r\n` +
        '\r\n' +
        SDP,
    );
    expect(h.counter('branches_started')).toBe(1);
  });

  it('adds Max-Forwards: 70 when the request has none (§16.6 step 3)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite({ maxForwards: null }));
    expect(headerLines(fw.text, 'max-forwards')).toEqual(['Max-Forwards: 70']);
  });

  it('forwards Max-Forwards: 1 as 0', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite({ maxForwards: 1 }));
    expect(headerLines(fw.text, 'max-forwards')).toEqual(['Max-Forwards: 0']);
  });

  it('sends to the route uri when there is no dst_uri, with that uri as Request-URI', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ uri: 'sip:bob@203.0.113.21:5070' }] });
    expect(fw.dest).toEqual({ transport: 'udp', ip: '203.0.113.21', port: 5070 });
    expect(startLine(fw.text)).toBe('INVITE sip:bob@203.0.113.21:5070 SIP/2.0');
  });

  it('keeps the Request-URI and sends to dst_uri (Kamailio $du) when both are given', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ uri: 'sip:bob@pbx.example.net', dst_uri: 'sip:203.0.113.21:5080' }] });
    expect(fw.dest).toEqual({ transport: 'udp', ip: '203.0.113.21', port: 5080 });
    expect(startLine(fw.text)).toBe('INVITE sip:bob@pbx.example.net SIP/2.0');
  });

  it('appends headers.extra lines (rtjson string form) after the last header', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20', headers: { extra: 'X-Tenant: 42\r\nX-Route: carrier-b\r\n' } }] });
    const head = fw.text.slice(0, fw.text.indexOf('\r\n\r\n'));
    expect(head.endsWith(`Content-Length: ${String(Buffer.byteLength(SDP))}\r\nX-Tenant: 42\r\nX-Route: carrier-b`)).toBe(true);
    expect(fw.text.endsWith(`\r\n\r\n${SDP}`)).toBe(true);
  });

  it('appends headers.extra given as a list and removes headers.remove', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite({ extra: ['X-Internal: secret', 'x-internal: again'] }), {
      routes: [{ dst_uri: 'sip:203.0.113.20', headers: { extra: ['P-Asserted-Identity: <sip:alice@example.com>'], remove: ['X-Internal'] } }],
    });
    expect(headerLines(fw.text, 'x-internal')).toEqual([]);
    expect(headerLines(fw.text, 'p-asserted-identity')).toEqual(['P-Asserted-Identity: <sip:alice@example.com>']);
  });

  it('sends Path URIs given bare as Route lines and goes to the first of them', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ uri: 'sip:bob@10.1.1.1:5060', path: 'sip:203.0.113.21:5070;lr, sip:203.0.113.22;lr' }] });
    expect(fw.dest).toEqual({ transport: 'udp', ip: '203.0.113.21', port: 5070 });
    expect(headerLines(fw.text, 'route')).toEqual(['Route: <sip:203.0.113.21:5070;lr>', 'Route: <sip:203.0.113.22;lr>']);
  });

  it('sends Path URIs given in header form (<uri>) as Route lines without doubling the angles', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ uri: 'sip:bob@10.1.1.1:5060', path: '<sip:203.0.113.21:5070;lr>, <sip:203.0.113.22;lr>' }] });
    expect(fw.dest).toEqual({ transport: 'udp', ip: '203.0.113.21', port: 5070 });
    expect(startLine(fw.text)).toBe('INVITE sip:bob@10.1.1.1:5060 SIP/2.0');
    expect(headerLines(fw.text, 'route')).toEqual(['Route: <sip:203.0.113.21:5070;lr>', 'Route: <sip:203.0.113.22;lr>']);
  });

  it('leaves over TCP with a TCP Via, Content-Length, and a double Record-Route (r2=on)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20:5060;transport=tcp' }] });
    expect(fw.dest).toEqual({ transport: 'tcp', ip: '203.0.113.20', port: 5060 });
    expect(headerLines(fw.text, 'via')[0]).toMatch(/^Via: SIP\/2\.0\/TCP 192\.0\.2\.10:5060;branch=z9hG4bK/);
    // The entry facing the callee first: the UAS uses the list as is, the UAC reversed (§12.1.1-2).
    expect(headerLines(fw.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10:5060;transport=tcp;lr;r2=on>', 'Record-Route: <sip:192.0.2.10;lr;r2=on>']);
    expect(headerLine(fw.text, 'content-length')).toBe(`Content-Length: ${String(Buffer.byteLength(SDP))}`);
  });
});

describe('route header changes put back in responses', () => {
  it('rewrites From for the branch and restores it in the responses sent upstream', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20', headers: { from: { display: 'Anonymous', uri: 'sip:anonymous@anonymous.invalid' } } }] });
    expect(headerLine(fw.text, 'from')).toBe('From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=a73kszlfl');
    h.receive(responseTo(fw.text, 180, 'Ringing'), CALLEE_A);
    h.receive(responseTo(fw.text, 200, 'OK', { body: SDP }), CALLEE_A);
    const [ringing, ok] = h.take();
    expect(headerLine(ringing?.text ?? '', 'from')).toBe('From: "Alice" <sip:alice@example.com>;tag=a73kszlfl');
    expect(headerLine(ok?.text ?? '', 'from')).toBe('From: "Alice" <sip:alice@example.com>;tag=a73kszlfl');
  });

  it('rewrites To for the branch and restores it, keeping the callee tag', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20', headers: { to: { uri: 'sip:+4930123@carrier.example.net' } } }] });
    expect(headerLine(fw.text, 'to')).toBe('To: <sip:+4930123@carrier.example.net>');
    h.receive(responseTo(fw.text, 183, 'Session Progress', { toTag: 'c1' }), CALLEE_A);
    expect(headerLine(h.takeOne().text, 'to')).toBe('To: <sip:bob@example.com>;tag=c1');
  });
});

describe('Record-Route by method', () => {
  it('does not record-route a MESSAGE by default', () => {
    const h = new ProxyHarness();
    const fw = relay(h, message());
    expect(startLine(fw.text)).toBe('MESSAGE sip:bob@example.com SIP/2.0');
    expect(headerLines(fw.text, 'record-route')).toEqual([]);
    expect(fw.text.endsWith('Content-Length: 5\r\n\r\nhello')).toBe(true);
  });

  it('record-routes a MESSAGE when the answer says record_route: true', () => {
    const h = new ProxyHarness();
    const fw = relay(h, message(), { routes: [{ dst_uri: 'sip:203.0.113.20' }], record_route: true });
    expect(headerLines(fw.text, 'record-route')).toEqual(['Record-Route: <sip:192.0.2.10;lr>']);
  });

  it('does not record-route an INVITE when the answer says record_route: false', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20' }], record_route: false });
    expect(headerLines(fw.text, 'record-route')).toEqual([]);
  });
});
