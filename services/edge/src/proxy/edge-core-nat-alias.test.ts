/**
 * Dialogs with user agents behind NAT (Kamailio set_contact_alias / handle_ruri_alias): the edge
 * adds `;alias=ip~port~proto` to the Contact of a NAT'ed caller's request and of a NAT'ed callee's
 * answer, and sends in-dialog requests whose Request-URI carries an alias to that address with the
 * parameter removed.
 */
import { describe, expect, it } from 'vitest';
import { parseNameAddr } from '../parser/name-addr.js';
import { CALLEE_A, CALLER, headerLine, headerLines, ProxyHarness, relay, sip, startLine } from './proxy-harness.fixture.js';
import { contactWithAlias, ruriAlias } from './nat-alias.js';
import { invite, responseTo } from './sip-peers.fixture.js';

/** A caller that is not behind NAT: Via and Contact name the address it sends from. */
const PUBLIC_CALLER = { transport: 'udp', ip: '198.51.100.7', port: 5062 } as const;

function publicInvite(): Buffer {
  return sip(
    [
      'INVITE sip:bob@example.com SIP/2.0',
      'Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKpub1;rport',
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=p1',
      'To: <sip:bob@example.com>',
      'Call-ID: pub-1@198.51.100.7',
      'CSeq: 1 INVITE',
      'Contact: <sip:alice@198.51.100.7:5062>',
      'Content-Length: 0',
    ],
    '',
  );
}

function inDialog(method: string, ruri: string, routes: readonly string[], branch = 'z9hG4bKdlg1'): Buffer {
  return sip([
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 203.0.113.20:5060;branch=${branch}`,
    ...routes,
    'Max-Forwards: 70',
    'From: <sip:bob@example.com>;tag=b5x9',
    'To: "Alice" <sip:alice@example.com>;tag=a73kszlfl',
    'Call-ID: f81d4fae@10.0.0.5',
    `CSeq: 5 ${method}`,
    'Content-Length: 0',
  ]);
}

describe('Contact alias of user agents behind NAT', () => {
  it("gives a NAT'ed caller's Contact the address its request came from (first hop, record-routed)", () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    expect(headerLine(fw.text, 'contact')).toBe('Contact: <sip:alice@10.0.0.5:5062;alias=198.51.100.7~5062~1>');
  });

  it('leaves alone a caller not behind NAT, a request that came through another proxy, one not record-routed, and all when switched off', () => {
    const pub = new ProxyHarness();
    pub.receive(publicInvite(), PUBLIC_CALLER);
    pub.take();
    pub.router.answer({ routes: [{ dst_uri: 'sip:203.0.113.20:5060' }] });
    expect(headerLine(pub.takeOne().text, 'contact')).toBe('Contact: <sip:alice@198.51.100.7:5062>');

    // a second Via: the request was relayed by another proxy, whose job the alias was
    const viaProxy = relay(new ProxyHarness(), Buffer.from(invite().toString().replace('Via: ', 'Via: SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKp2\r\nVia: ')));
    expect(headerLine(viaProxy.text, 'contact')).toBe('Contact: <sip:alice@10.0.0.5:5062>');

    const off = relay(new ProxyHarness({ config: { 'nat.contactAlias': false } }), invite());
    expect(headerLine(off.text, 'contact')).toBe('Contact: <sip:alice@10.0.0.5:5062>');

    // not record-routed (a MESSAGE-like request the dialog does not come back through)
    const notRr = relay(new ProxyHarness(), invite(), { routes: [{ dst_uri: 'sip:203.0.113.20:5060' }], record_route: false });
    expect(headerLine(notRr.text, 'contact')).toBe('Contact: <sip:alice@10.0.0.5:5062>');
  });

  it("gives a NAT'ed callee's 2xx Contact the address the answer came from, not a reachable one", () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    h.receive(responseTo(fw.text, 180, 'Ringing', { extra: ['Contact: <sip:bob@192.168.1.20:5060>'] }), CALLEE_A);
    expect(headerLine(h.takeOne().text, 'contact')).toBe('Contact: <sip:bob@192.168.1.20:5060;alias=203.0.113.20~5060~1>');
    h.receive(responseTo(fw.text, 200, 'OK', { extra: ['Contact: "Bob" <sip:bob@192.168.1.20:5060;transport=udp>;+sip.instance="<urn:uuid:1>"'] }), CALLEE_A);
    const ok = h.takeOne();
    expect(startLine(ok.text)).toBe('SIP/2.0 200 OK');
    expect(headerLine(ok.text, 'contact')).toBe('Contact: "Bob" <sip:bob@192.168.1.20:5060;transport=udp;alias=203.0.113.20~5060~1>;+sip.instance="<urn:uuid:1>"');

    // a peer with a public Contact elsewhere (a carrier's media/signalling node) keeps it
    const h3 = new ProxyHarness();
    const fw3 = relay(h3, invite());
    h3.receive(responseTo(fw3.text, 200, 'OK', { extra: ['Contact: <sip:+15550100@203.0.113.77:5060>'] }), CALLEE_A);
    expect(headerLine(h3.takeOne().text, 'contact')).toBe('Contact: <sip:+15550100@203.0.113.77:5060>');

    // a callee whose Contact is where it answered from needs none
    const h2 = new ProxyHarness();
    const fw2 = relay(h2, invite());
    h2.receive(responseTo(fw2.text, 200, 'OK', { extra: ['Contact: <sip:bob@203.0.113.20>'] }), CALLEE_A);
    expect(headerLine(h2.takeOne().text, 'contact')).toBe('Contact: <sip:bob@203.0.113.20>');
  });

  it('gives the Contact of an answer over TCP the connection it came on, public or not', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite(), { routes: [{ dst_uri: 'sip:203.0.113.20:5060;transport=tcp' }] });
    expect(fw.dest).toEqual({ transport: 'tcp', ip: '203.0.113.20', port: 5060 });
    h.receive(responseTo(fw.text, 200, 'OK', { extra: ['Contact: <sip:bob@203.0.113.20:5070;transport=tcp>'] }), { transport: 'tcp', ip: '203.0.113.20', port: 5060 });
    expect(headerLine(h.takeOne().text, 'contact')).toBe('Contact: <sip:bob@203.0.113.20:5070;transport=tcp;alias=203.0.113.20~5060~2>');
  });

  it('leaves the Contact of an answer that another proxy below record-routed (it is not the answering hop)', () => {
    const h = new ProxyHarness();
    const fw = relay(h, invite());
    const rr = 'Record-Route: <sip:203.0.113.20;lr>';
    const res = responseTo(fw.text, 200, 'OK', { extra: ['Contact: <sip:bob@192.168.1.20:5060>'] })
      .toString()
      .replace('Record-Route: ', `${rr}\r\nRecord-Route: `);
    h.receive(Buffer.from(res), CALLEE_A);
    expect(headerLine(h.takeOne().text, 'contact')).toBe('Contact: <sip:bob@192.168.1.20:5060>');
  });

  it('sends an in-dialog request whose Request-URI has an alias to the alias address, without the parameter', () => {
    const h = new ProxyHarness();
    h.receive(inDialog('BYE', 'sip:alice@10.0.0.5:5062;alias=198.51.100.7~5062~1', ['Route: <sip:192.0.2.10;lr>']), CALLEE_A);
    const fw = h.takeOne();
    expect(fw.dest).toEqual(CALLER);
    expect(startLine(fw.text)).toBe('BYE sip:alice@10.0.0.5:5062 SIP/2.0');
    expect(headerLines(fw.text, 'route')).toEqual([]);
    expect(h.router.asks).toHaveLength(0);
    h.receive(responseTo(fw.text, 200, 'OK'), CALLER);
    expect(h.takeOne().dest).toEqual(CALLEE_A);
  });

  it('sends the ACK of a 2xx to the alias address too, and over TCP when the alias says so', () => {
    const h = new ProxyHarness();
    h.receive(inDialog('ACK', 'sip:alice@10.0.0.5:5062;transport=tcp;alias=198.51.100.7~40122~2', ['Route: <sip:192.0.2.10;lr>']), CALLEE_A);
    const fw = h.takeOne();
    expect(fw.dest).toEqual({ transport: 'tcp', ip: '198.51.100.7', port: 40122 });
    expect(startLine(fw.text)).toBe('ACK sip:alice@10.0.0.5:5062;transport=tcp SIP/2.0');
  });

  it('follows Route entries left after ours and ignores an alias it cannot read', () => {
    const h = new ProxyHarness();
    h.receive(inDialog('BYE', 'sip:alice@10.0.0.5:5062;alias=198.51.100.7~5062~1', ['Route: <sip:192.0.2.10;lr>', 'Route: <sip:203.0.113.21;lr>']), CALLEE_A);
    const fw = h.takeOne();
    expect(fw.dest).toEqual({ transport: 'udp', ip: '203.0.113.21', port: 5060 });
    // the next proxy decides: the Request-URI goes on as it is
    expect(startLine(fw.text)).toBe('BYE sip:alice@10.0.0.5:5062;alias=198.51.100.7~5062~1 SIP/2.0');

    const bad = new ProxyHarness();
    bad.receive(inDialog('BYE', 'sip:alice@203.0.113.30:5062;alias=nowhere~x~9', ['Route: <sip:192.0.2.10;lr>']), CALLEE_A);
    expect(bad.takeOne().dest).toEqual({ transport: 'udp', ip: '203.0.113.30', port: 5062 });
  });
});

describe('alias values', () => {
  it('reads IPv4 and IPv6 aliases with every protocol number, and refuses malformed ones', () => {
    expect(ruriAlias('sip:a@10.0.0.1;alias=192.0.2.1~5060~1')).toEqual({ requestUri: 'sip:a@10.0.0.1', dstUri: 'sip:192.0.2.1:5060;transport=udp' });
    expect(ruriAlias('sip:a@[fd00::1]:5062;ob;alias=[2001:db8::7]~40000~6;x=1?subject=hi')).toEqual({
      requestUri: 'sip:a@[fd00::1]:5062;ob;x=1?subject=hi',
      dstUri: 'sip:[2001:db8::7]:40000;transport=wss',
    });
    expect(ruriAlias('sip:a;ext=1@10.0.0.1;alias=192.0.2.1~5061~3')?.requestUri).toBe('sip:a;ext=1@10.0.0.1');
    for (const bad of ['sip:a@h;alias=192.0.2.1~5060', 'sip:a@h;alias=192.0.2.1~0~1', 'sip:a@h;alias=192.0.2.1~5060~7', 'sip:a@h;alias=host.example~5060~1', 'sip:a@h;alias', 'sip:a@h']) {
      expect(ruriAlias(bad), bad).toBeUndefined();
    }
  });

  it('writes the alias into the Contact URI, replacing an older one and keeping header parameters', () => {
    const c = (v: string): string => contactWithAlias(parseNameAddr(v) ?? (undefined as never), '192.0.2.1~5060~1');
    expect(c('sip:a@10.0.0.1:5062;expires=60')).toBe('<sip:a@10.0.0.1:5062;alias=192.0.2.1~5060~1>;expires=60');
    expect(c('<sip:a@10.0.0.1;alias=198.51.100.1~1~1;ob>')).toBe('<sip:a@10.0.0.1;ob;alias=192.0.2.1~5060~1>');
    expect(c('"A b" <sip:a@10.0.0.1?x=y>')).toBe('"A b" <sip:a@10.0.0.1;alias=192.0.2.1~5060~1?x=y>');
  });
});
