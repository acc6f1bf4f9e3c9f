/**
 * Route pre-processing (RFC 3261 §16.4), next-hop choice (§16.6 steps 6-7), Record-Route values
 * (§16.6 step 4) and "is this us" (Kamailio `myself`).
 */
import { describe, expect, it } from 'vitest';
import { MessageEdits } from '../parser/message-edits.js';
import { parseMessage } from '../parser/parse-message.js';
import { serializeRequest } from '../parser/serialize.js';
import type { SipRequest } from '../parser/sip-message.js';
import { OurAddresses } from './our-addresses.js';
import { sip, TCP_LISTENER, UDP_LISTENER } from './proxy-harness.fixture.js';
import { recordRouteLines, recordRouteUri } from './record-route.js';
import { applyRouteEdits, chooseNextHop, processRoutes } from './route-set.js';

const OURS = new OurAddresses([UDP_LISTENER, TCP_LISTENER, { ...UDP_LISTENER, ip: '10.1.0.1', port: 5070, advertiseHost: 'sip.example.net', advertisePort: 5060 }], ['example.com']);

function request(ruri: string, routes: string[]): SipRequest {
  const r = parseMessage(sip([`BYE ${ruri} SIP/2.0`, 'Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1', ...routes, 'From: <sip:a@example.com>;tag=1', 'To: <sip:b@example.com>;tag=2', 'Call-ID: c', 'CSeq: 2 BYE', 'Content-Length: 0']));
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

/** The request with the route edits applied, header lines only. */
function edited(req: SipRequest): string[] {
  const edits = new MessageEdits();
  const set = processRoutes(req, OURS);
  applyRouteEdits(req, set, edits);
  if (set.requestUri !== req.requestUri) edits.setRequestUri(set.requestUri);
  const text = serializeRequest(req, edits).toString('utf8');
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n').filter((l) => l.startsWith('BYE') || l.startsWith('Route'));
}

describe('processRoutes', () => {
  it('pops our entry, by address, advertised name or domain', () => {
    for (const ours of ['<sip:192.0.2.10;lr>', '<sip:192.0.2.10:5060;lr>', '<sip:sip.example.net;lr>', '<sip:example.com;lr>', '<sip:192.0.2.10;transport=tcp;lr>']) {
      const set = processRoutes(request('sip:b@203.0.113.20', [`Route: ${ours}, <sip:203.0.113.50;lr>`]), OURS);
      expect({ ours, popped: set.popped, remaining: set.remaining.map((r) => r.uri), had: set.hadOurRoute }).toEqual({ ours, popped: 1, remaining: ['sip:203.0.113.50;lr'], had: true });
    }
  });

  it('does not pop an entry for another port of our address', () => {
    const set = processRoutes(request('sip:b@203.0.113.20', ['Route: <sip:192.0.2.10:5099;lr>']), OURS);
    expect(set.popped).toBe(0);
    expect(set.hadOurRoute).toBe(false);
  });

  it('pops two entries only when the first carries r2', () => {
    expect(processRoutes(request('sip:b@203.0.113.20', ['Route: <sip:192.0.2.10;lr;r2=on>, <sip:192.0.2.10;transport=tcp;lr;r2=on>']), OURS).popped).toBe(2);
    expect(processRoutes(request('sip:b@203.0.113.20', ['Route: <sip:192.0.2.10;lr>, <sip:192.0.2.10;transport=tcp;lr>']), OURS).popped).toBe(1);
  });

  it('repairs a strict-router previous hop: the last Route becomes the Request-URI (§16.4)', () => {
    const req = request('sip:192.0.2.10;lr', ['Route: <sip:203.0.113.50;lr>', 'Route: <sip:b@203.0.113.20>']);
    const set = processRoutes(req, OURS);
    expect(set).toMatchObject({ requestUri: 'sip:b@203.0.113.20', popped: 0, lastMovedToRuri: true, hadOurRoute: true });
    expect(set.remaining.map((r) => r.uri)).toEqual(['sip:203.0.113.50;lr']);
    expect(edited(req)).toEqual(['BYE sip:b@203.0.113.20 SIP/2.0', 'Route: <sip:203.0.113.50;lr>']);
  });

  it('removes popped values across lines and keeps the rest as received', () => {
    expect(edited(request('sip:b@203.0.113.20', ['Route: <sip:192.0.2.10;lr;r2=on>', 'Route: <sip:192.0.2.10;transport=tcp;lr;r2=on>, <sip:203.0.113.50;lr>']))).toEqual([
      'BYE sip:b@203.0.113.20 SIP/2.0',
      'Route: <sip:203.0.113.50;lr>',
    ]);
  });
});

describe('chooseNextHop', () => {
  it('prefers dst_uri, then the first Route, then the Request-URI', () => {
    expect(chooseNextHop('sip:b@203.0.113.20', ['sip:203.0.113.50;lr'], 'sip:203.0.113.60')?.uri.host).toBe('203.0.113.60');
    expect(chooseNextHop('sip:b@203.0.113.20', ['sip:203.0.113.50;lr'], undefined)?.uri.host).toBe('203.0.113.50');
    expect(chooseNextHop('sip:b@203.0.113.20', [], undefined)?.uri.host).toBe('203.0.113.20');
  });

  it('treats a Route without lr as a strict router (§16.6 step 7)', () => {
    expect(chooseNextHop('sip:b@203.0.113.20', ['sip:203.0.113.50'], undefined)?.strict).toEqual({ requestUri: 'sip:203.0.113.50', appendRoute: '<sip:b@203.0.113.20>' });
    expect(chooseNextHop('sip:b@203.0.113.20', ['sip:203.0.113.50;lr'], undefined)?.strict).toBeUndefined();
  });

  it('gives nothing for an unparsable next hop', () => {
    expect(chooseNextHop('sip:b@203.0.113.20', [], 'garbage')).toBeUndefined();
  });
});

describe('Record-Route', () => {
  it('writes one entry when the request leaves where it came in, two (r2=on) across transports', () => {
    expect(recordRouteLines(UDP_LISTENER, UDP_LISTENER)).toEqual(['Record-Route: <sip:192.0.2.10;lr>']);
    expect(recordRouteLines(TCP_LISTENER, UDP_LISTENER)).toEqual(['Record-Route: <sip:192.0.2.10;lr;r2=on>', 'Record-Route: <sip:192.0.2.10:5060;transport=tcp;lr;r2=on>']);
    expect(recordRouteUri({ ...UDP_LISTENER, advertiseHost: 'sip.example.net', advertisePort: 5080 }, false)).toBe('sip:sip.example.net:5080;lr');
  });

  it('writes entries that the edge recognises as its own when they come back as Route', () => {
    const [outbound, inbound] = recordRouteLines(TCP_LISTENER, UDP_LISTENER).map((l) => l.slice('Record-Route: '.length));
    const set = processRoutes(request('sip:b@203.0.113.20', [`Route: ${String(outbound)}, ${String(inbound)}`]), OURS);
    expect(set.popped).toBe(2);
  });
});
