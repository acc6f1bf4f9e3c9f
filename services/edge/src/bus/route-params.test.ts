/**
 * Route request params (contracts route-request.json): the facts of a received request, checked
 * against the contract schema so a policy in any language can rely on them.
 */
import { createValidators, type RouteRequest } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../parser/parse-message.js';
import type { SipRequest } from '../parser/sip-message.js';
import { OurAddresses } from '../proxy/our-addresses.js';
import { CALLER, sip, TCP_LISTENER, UDP_LISTENER } from '../proxy/proxy-harness.fixture.js';
import { buildRouteParams } from './route-params.js';

function request(lines: string[], body = ''): SipRequest {
  const r = parseMessage(sip(lines, body));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse as a request');
  return r.message;
}

const OURS = new OurAddresses([UDP_LISTENER, TCP_LISTENER], ['example.com']);

const BYE_FROM_STRICT_ROUTER = request([
  'BYE sip:192.0.2.10;lr SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKs1',
  'Route: <sip:bob@203.0.113.20:5060;transport=udp>',
  'Max-Forwards: 70',
  'From: Alice <sip:alice@example.com>;tag=a1',
  'To: <tel:+4930123456>;tag=b1',
  'Call-ID: s1@10.0.0.5',
  'CSeq: 9 BYE',
  'Content-Type: text/plain',
  'Content-Length: 2',
], 'hi');

describe('buildRouteParams', () => {
  it('describes the Request-URI after Route processing, not the one received', () => {
    const p = buildRouteParams({
      edgeId: 'edge1',
      txId: 'edge1.3.99',
      req: BYE_FROM_STRICT_ROUTER,
      requestUri: 'sip:bob@203.0.113.20:5060;transport=udp',
      inbound: { data: BYE_FROM_STRICT_ROUTER.raw, source: { ...CALLER, transport: 'tcp' }, listener: TCP_LISTENER, connectionId: 4 },
      ours: OURS,
      attempt: 1,
      receivedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    });
    expect(p.ruri).toBe('sip:bob@203.0.113.20:5060;transport=udp');
    expect(p.ruri_parts).toEqual({ scheme: 'sip', user: 'bob', host: '203.0.113.20', port: 5060, params: { transport: 'udp' } });
    expect(p.ours).toEqual({ ruri: false, from: true });
    expect(p.to).toEqual({ uri: 'tel:+4930123456', user: '+4930123456', host: '', tag: 'b1' });
    expect(p.from).toEqual({ uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 'a1', display: 'Alice' });
    expect(p.source).toEqual({ ip: '198.51.100.7', port: 5062, transport: 'tcp' });
    expect(p.socket).toEqual({ transport: 'tcp', ip: '192.0.2.10', port: 5060, advertise: '192.0.2.10:5060' });
    expect(p.body).toEqual({ content_type: 'text/plain', length: 2 });
    expect(p.received_at).toBe('2026-01-02T03:04:05.006Z');
    expect(p.headers['route']).toEqual(['<sip:bob@203.0.113.20:5060;transport=udp>']);
  });

  it('carries the failure of a re-ask, and the result satisfies the route-request schema', () => {
    const p = buildRouteParams({
      edgeId: 'edge1',
      txId: 'edge1.3.99',
      req: BYE_FROM_STRICT_ROUTER,
      requestUri: BYE_FROM_STRICT_ROUTER.requestUri,
      inbound: { data: BYE_FROM_STRICT_ROUTER.raw, source: CALLER, listener: UDP_LISTENER, connectionId: undefined },
      ours: OURS,
      attempt: 2,
      failure: { status: 503, reason: 'Service Unavailable', branches: [{ uri: 'sip:bob@203.0.113.20', dst_uri: 'sip:203.0.113.20', status: 503, reason: 'Service Unavailable' }, { uri: 'sip:bob@203.0.113.21', status: 408, reason: 'Request Timeout', timeout: true }] },
      receivedAt: 0,
    });
    expect(p.attempt).toBe(2);
    expect(p.failure?.branches).toHaveLength(2);
    expect(p.ours.ruri).toBe(true);
    const message: RouteRequest = { jsonrpc: '2.0', id: 'edge1.3.99', method: 'route', params: p };
    const v = createValidators().routeRequest(JSON.parse(JSON.stringify(message)));
    expect(v.ok ? [] : v.errors).toEqual([]);
  });

  it('leaves out contact and body when the request has none', () => {
    const req = request(['OPTIONS sip:example.com SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKo', 'From: <sip:a@example.com>;tag=1', 'To: <sip:example.com>', 'Call-ID: o', 'CSeq: 1 OPTIONS', 'Content-Length: 0']);
    const p = buildRouteParams({ edgeId: 'edge1', txId: 'edge1.1.1', req, requestUri: req.requestUri, inbound: { data: req.raw, source: CALLER, listener: UDP_LISTENER, connectionId: undefined }, ours: OURS, attempt: 1, receivedAt: 0 });
    expect('contact' in p).toBe(false);
    expect('body' in p).toBe(false);
    expect('failure' in p).toBe(false);
    expect(p.ruri_parts).toEqual({ scheme: 'sip', host: 'example.com' });
  });
});
