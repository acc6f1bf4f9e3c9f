import { describe, expect, it } from 'vitest';
import { parseMessage } from './parse-message.js';
import { checkSanity } from './sanity.js';
import type { SanityFailure, SanityOptions } from './sanity.js';
import type { SipRequest } from './sip-message.js';
import * as rfc4475 from './testdata/rfc4475-messages.js';

function req(buf: Buffer | string): SipRequest {
  const r = parseMessage(typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf);
  if (!r.ok || r.message.kind !== 'request') throw new Error('not a request');
  return r.message;
}

function sanity(buf: Buffer | string, opts?: SanityOptions): SanityFailure | undefined {
  return checkSanity(req(buf), opts);
}

const GOOD =
  'OPTIONS sip:user@example.com SIP/2.0\r\n' +
  'Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw\r\n' +
  'Max-Forwards: 70\r\n' +
  'To: <sip:user@example.com>\r\n' +
  'From: <sip:caller@example.net>;tag=1\r\n' +
  'Call-ID: sanity.1\r\n' +
  'CSeq: 8 OPTIONS\r\n' +
  'Content-Length: 0\r\n' +
  '\r\n';

function variant(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`fixture has no ${from}`);
  return GOOD.replace(from, to);
}

describe('checkSanity on RFC 4475 messages', () => {
  it('passes the valid ones', () => {
    for (const m of [rfc4475.wsinv, rfc4475.intmeth, rfc4475.esc01, rfc4475.escnull, rfc4475.esc02, rfc4475.lwsdisp, rfc4475.longreq, rfc4475.dblreq, rfc4475.semiuri, rfc4475.transports]) {
      expect(sanity(m)).toBeUndefined();
    }
  });

  it('badvers: 505', () => {
    expect(sanity(rfc4475.badvers)).toEqual({ check: 'ruri-version', status: 505, reason: 'Version Not Supported (R-URI)' });
  });

  it('unkscm: 416', () => {
    expect(sanity(rfc4475.unkscm)).toEqual({ check: 'ruri-scheme', status: 416, reason: 'Unsupported URI Scheme in Request URI' });
  });

  it('insuf: 400 Missing Required Header in Request', () => {
    expect(sanity(rfc4475.insuf)).toEqual({ check: 'required-headers', status: 400, reason: 'Missing Required Header in Request' });
  });

  it('mismatch01: 400 CSeq method does not match request method', () => {
    expect(sanity(rfc4475.mismatch01)).toEqual({ check: 'cseq-method', status: 400, reason: 'CSeq method does not match request method' });
  });

  it('scalar02: 400 CSeq number is illegal', () => {
    expect(sanity(rfc4475.scalar02)).toEqual({ check: 'cseq-value', status: 400, reason: 'CSeq number is illegal' });
  });

  it('clerr: 400 Content-Length mis-match', () => {
    expect(sanity(rfc4475.clerr)).toEqual({ check: 'content-length', status: 400, reason: 'Content-Length mis-match' });
  });

  it('bext01: 420 listing every unsupported Proxy-Require tag', () => {
    expect(sanity(rfc4475.bext01)).toEqual({
      check: 'proxy-require',
      status: 420,
      reason: 'Bad Proxy Require Extension',
      headers: ['Unsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis'],
    });
    expect(sanity(rfc4475.bext01, { supportedExtensions: ['NOPROXIESSUPPORTTHIS', 'nordoanyproxiessupportthis'] })).toBeUndefined();
  });
});

describe('checkSanity: each check', () => {
  it('passes a good request', () => {
    expect(sanity(GOOD)).toBeUndefined();
  });

  it('R-URI that is not a URI: 400 Bad Request URI', () => {
    expect(sanity(variant('OPTIONS sip:user@example.com SIP', 'OPTIONS <sip:user@example.com> SIP'))).toEqual({ check: 'ruri-scheme', status: 400, reason: 'Bad Request URI' });
    expect(sanity(variant('OPTIONS sip:user@example.com SIP', 'OPTIONS sip:user@exa%mple.com SIP'))).toEqual({ check: 'parse-uris', status: 400, reason: 'Bad Request URI' });
  });

  it('tel and sips R-URIs are supported schemes', () => {
    expect(sanity(variant('OPTIONS sip:user@example.com SIP', 'OPTIONS tel:+1-201-555-0123 SIP'))).toBeUndefined();
    expect(sanity(variant('OPTIONS sip:user@example.com SIP', 'OPTIONS SIPS:user@example.com SIP'))).toBeUndefined();
  });

  it('duplicated Call-ID: 400 naming the header', () => {
    expect(sanity(variant('Call-ID: sanity.1\r\n', 'Call-ID: sanity.1\r\ni: sanity.2\r\n'))).toEqual({ check: 'required-headers', status: 400, reason: 'Duplicate Call-ID Header' });
  });

  it('CSeq without method or number', () => {
    expect(sanity(variant('CSeq: 8 OPTIONS', 'CSeq: 8'))).toEqual({ check: 'cseq-method', status: 400, reason: 'Missing method in CSeq header' });
    expect(sanity(variant('CSeq: 8 OPTIONS', 'CSeq: 4294967295 OPTIONS'))).toBeUndefined();
    expect(sanity(variant('CSeq: 8 OPTIONS', 'CSeq: 4294967296 OPTIONS'))).toEqual({ check: 'cseq-value', status: 400, reason: 'CSeq number is illegal' });
    expect(sanity(variant('CSeq: 8 OPTIONS', 'CSeq: x8 OPTIONS'))).toEqual({ check: 'cseq-value', status: 400, reason: 'CSeq number is illegal' });
  });

  it('CSeq method is compared case-sensitively', () => {
    expect(sanity(variant('CSeq: 8 OPTIONS', 'CSeq: 8 options'))).toEqual({ check: 'cseq-method', status: 400, reason: 'CSeq method does not match request method' });
  });

  it('Content-Length that is not a number: 400 Content-Length Failure', () => {
    expect(sanity(variant('Content-Length: 0', 'Content-Length: -999'))).toEqual({ check: 'content-length', status: 400, reason: 'Content-Length Failure' });
  });

  it('Expires', () => {
    expect(sanity(variant('Content-Length: 0', 'Expires: 3600\r\nContent-Length: 0'))).toBeUndefined();
    expect(sanity(variant('Content-Length: 0', 'Expires: soon\r\nContent-Length: 0'))).toEqual({ check: 'expires', status: 400, reason: 'Bad Expires Header' });
    expect(sanity(variant('Content-Length: 0', 'Expires:\r\nContent-Length: 0'))).toEqual({ check: 'expires', status: 400, reason: 'Missing number in Expires header' });
    expect(sanity(variant('Content-Length: 0', 'Expires: 99999999999\r\nContent-Length: 0'))).toEqual({ check: 'expires', status: 400, reason: 'Expires value is illegal' });
  });

  it('From and To URIs', () => {
    expect(sanity(variant('From: <sip:caller@example.net>;tag=1', 'From: <http://www.example.com>;tag=1'))).toEqual({ check: 'parse-uris', status: 400, reason: 'Invalid From Header' });
    expect(sanity(variant('To: <sip:user@example.com>', 'To: "Mr. J. User <sip:j.user@example.com>'))).toEqual({ check: 'parse-uris', status: 400, reason: 'Invalid To Header' });
    expect(sanity(variant('To: <sip:user@example.com>', 'To: isbn:2983792873'))).toEqual({ check: 'parse-uris', status: 400, reason: 'Invalid To Header' });
  });

  it('Max-Forwards', () => {
    expect(sanity(variant('Max-Forwards: 70', 'Max-Forwards: 0'))).toBeUndefined();
    expect(sanity(variant('Max-Forwards: 70', 'Max-Forwards: 256'))).toEqual({ check: 'max-forwards', status: 400, reason: 'Bad Max-Forwards' });
    expect(sanity(variant('Max-Forwards: 70', 'Max-Forwards: seventy'))).toEqual({ check: 'max-forwards', status: 400, reason: 'Bad Max-Forwards' });
  });

  it('checks can be selected', () => {
    expect(sanity(rfc4475.badvers, { checks: ['cseq-value'] })).toBeUndefined();
    expect(sanity(rfc4475.scalar02, { checks: ['max-forwards'] })).toEqual({ check: 'max-forwards', status: 400, reason: 'Bad Max-Forwards' });
  });
});
