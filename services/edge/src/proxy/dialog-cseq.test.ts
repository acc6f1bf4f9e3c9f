/**
 * The dialog CSeq offset of a uac_auth re-send, carried on our Record-Route / Route URI
 * (`cs`/`ftag`, dialog-cseq.ts): written, read back from our Route entry (also after a double
 * Record-Route or a strict router), and applied only to the caller's in-dialog requests.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../parser/parse-message.js';
import type { SipRequest } from '../parser/sip-message.js';
import { parseUri } from '../parser/sip-uri.js';
import { createsDialog, offsetCseq, offsetRecordRouteParams, readCseqOffset } from './dialog-cseq.js';
import { OurAddresses } from './our-addresses.js';
import { sip, TCP_LISTENER, UDP_LISTENER } from './proxy-harness.fixture.js';
import { processRoutes } from './route-set.js';

const OURS = new OurAddresses([UDP_LISTENER, TCP_LISTENER], ['example.com']);

function request(o: { method?: string; ruri?: string; routes?: string[]; fromTag?: string; toTag?: string | null; cseq?: number } = {}): SipRequest {
  const method = o.method ?? 'BYE';
  const r = parseMessage(
    sip([
      `${method} ${o.ruri ?? 'sip:b@203.0.113.20'} SIP/2.0`,
      'Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1',
      ...(o.routes ?? []),
      `From: <sip:a@example.com>;tag=${o.fromTag ?? 'ft1'}`,
      `To: <sip:b@example.com>${o.toTag === null ? '' : `;tag=${o.toTag ?? 'tt1'}`}`,
      'Call-ID: c',
      `CSeq: ${String(o.cseq ?? 5)} ${method}`,
      'Content-Length: 0',
    ]),
  );
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture does not parse');
  return r.message;
}

describe('offsetRecordRouteParams / readCseqOffset', () => {
  it('round-trips through a URI, escaping the tag characters a URI parameter cannot hold', () => {
    for (const tag of ['a73kszlfl', 'x%y`z.~!*_+\'-']) {
      const uri = parseUri(`sip:192.0.2.10;lr${offsetRecordRouteParams(1, tag)}`);
      expect(uri && readCseqOffset(uri.params)).toEqual({ by: 1, ftag: tag });
    }
    expect(offsetRecordRouteParams(1, 'a%b`')).toBe(';cs=1;ftag=a%25b%60');
  });

  it('ignores a missing, empty, zero, huge or non-numeric offset and a missing ftag', () => {
    for (const params of [';cs=1', ';ftag=x', ';cs;ftag=x', ';cs=0;ftag=x', ';cs=99;ftag=x', ';cs=-1;ftag=x', ';cs=1x;ftag=x', ';cs=1;ftag']) {
      const uri = parseUri(`sip:192.0.2.10;lr${params}`);
      expect({ params, offset: uri && readCseqOffset(uri.params) }).toEqual({ params, offset: undefined });
    }
  });
});

describe('processRoutes reads the offset of our own entry', () => {
  it('from a single entry, from a double Record-Route (r2=on), never from an entry that is not ours', () => {
    const one = processRoutes(request({ routes: ['Route: <sip:192.0.2.10;lr;cs=1;ftag=ft1>'] }), OURS);
    expect(one.cseqOffset).toEqual({ by: 1, ftag: 'ft1' });
    const two = processRoutes(request({ routes: ['Route: <sip:192.0.2.10;lr;r2=on;cs=1;ftag=ft1>, <sip:192.0.2.10:5060;transport=tcp;lr;r2=on;cs=1;ftag=ft1>'] }), OURS);
    expect([two.popped, two.cseqOffset]).toEqual([2, { by: 1, ftag: 'ft1' }]);
    const foreign = processRoutes(request({ routes: ['Route: <sip:192.0.2.10;lr>, <sip:203.0.113.50;lr;cs=1;ftag=ft1>'] }), OURS);
    expect(foreign.cseqOffset).toBeUndefined();
  });

  it('from our URI in the Request-URI after a strict router (§16.4)', () => {
    const set = processRoutes(request({ ruri: 'sip:192.0.2.10;lr;cs=1;ftag=ft1', routes: ['Route: <sip:b@203.0.113.20>'] }), OURS);
    expect([set.lastMovedToRuri, set.cseqOffset]).toEqual([true, { by: 1, ftag: 'ft1' }]);
  });
});

describe('offsetCseq', () => {
  const offset = { by: 1, ftag: 'ft1' };
  it('raises the caller’s in-dialog requests only', () => {
    expect(offsetCseq(offset, request({ cseq: 5 }))).toBe(6);
    expect(offsetCseq(offset, request({ fromTag: 'tt1', toTag: 'ft1' }))).toBeUndefined();
    expect(offsetCseq(offset, request({ toTag: null }))).toBeUndefined();
    expect(offsetCseq(undefined, request())).toBeUndefined();
  });
});

describe('createsDialog', () => {
  it('is true for initial INVITE, SUBSCRIBE and REFER', () => {
    expect(['INVITE', 'SUBSCRIBE', 'REFER', 'MESSAGE', 'OPTIONS'].map((method) => createsDialog(request({ method, toTag: null })))).toEqual([true, true, true, false, false]);
    expect(createsDialog(request({ method: 'INVITE' }))).toBe(false);
  });
});
