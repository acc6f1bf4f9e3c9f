/**
 * Next-hop resolution for IP literals (RFC 3263 §4.1-4.2 without DNS): transport from the URI
 * parameter or the scheme, port from the URI or the transport default, transports this edge does
 * not serve refused with a stable code. Host names go to DNS and are covered end to end.
 */
import { describe, expect, it } from 'vitest';
import { parseUri, type SipUri } from '../parser/sip-uri.js';
import { NextHopResolver } from './next-hop.js';

function uri(s: string): SipUri {
  const u = parseUri(s);
  if (!u) throw new Error(`bad URI ${s}`);
  return u;
}

describe('NextHopResolver with IP literals', () => {
  const resolver = new NextHopResolver(new Set(['udp', 'tcp'] as const));

  it('answers synchronously with transport and default or explicit port', () => {
    expect(resolver.resolve(uri('sip:bob@203.0.113.20'))).toEqual({ ok: true, address: { transport: 'udp', ip: '203.0.113.20', port: 5060 } });
    expect(resolver.resolve(uri('sip:203.0.113.20:5080;transport=TCP'))).toEqual({ ok: true, address: { transport: 'tcp', ip: '203.0.113.20', port: 5080 } });
    expect(resolver.resolve(uri('sip:[2001:db8::20]:5070'))).toEqual({ ok: true, address: { transport: 'udp', ip: '2001:db8::20', port: 5070 } });
  });

  it('refuses transports the edge does not serve, sips meaning TLS', () => {
    const tls = resolver.resolve(uri('sips:bob@203.0.113.20'));
    expect(tls).toMatchObject({ ok: false, code: 'EDGE_ERR_UNSUPPORTED_TRANSPORT' });
    expect(resolver.resolve(uri('sip:203.0.113.20;transport=sctp'))).toMatchObject({ ok: false, code: 'EDGE_ERR_UNSUPPORTED_TRANSPORT' });
  });
});
