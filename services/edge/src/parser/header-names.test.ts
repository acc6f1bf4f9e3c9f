import { describe, expect, it } from 'vitest';
import { canonicalHeaderName, HeaderName, isListHeader, lookupHeaderName, wireHeaderName } from './header-names.js';

function lookup(name: string): string {
  const buf = Buffer.from(`xx${name}:`, 'latin1');
  return lookupHeaderName(buf, 2, 2 + name.length);
}

describe('header names', () => {
  it('resolves every compact form of RFC 3261 §7.3.3 and later RFCs, in either case', () => {
    const compact: Record<string, string> = {
      i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type', f: 'from', s: 'subject',
      k: 'supported', t: 'to', v: 'via', r: 'refer-to', b: 'referred-by', o: 'event', u: 'allow-events', x: 'session-expires',
      a: 'accept-contact', j: 'reject-contact', d: 'request-disposition', y: 'identity', n: 'identity-info',
    };
    for (const [letter, full] of Object.entries(compact)) {
      expect(lookup(letter)).toBe(full);
      expect(lookup(letter.toUpperCase())).toBe(full);
      expect(canonicalHeaderName(letter.toUpperCase())).toBe(full);
    }
  });

  it('looks up full names case-insensitively and returns the interned constant', () => {
    expect(lookup('MaX-fOrWaRdS')).toBe(HeaderName.maxForwards);
    expect(lookup('CALL-ID')).toBe(HeaderName.callId);
    expect(lookup('www-authenticate')).toBe(HeaderName.wwwAuthenticate);
    expect(lookup('Via')).toBe(HeaderName.via);
  });

  it('lower-cases unknown names, without confusing look-alikes', () => {
    expect(lookup('NewFangledHeader')).toBe('newfangledheader');
    expect(lookup('C%6Fntact')).toBe('c%6fntact');
    expect(lookup('q')).toBe('q');
    expect(lookup('Vias')).toBe('vias');
    expect(lookup("extensionHeader-!.%*+_`'~")).toBe("extensionheader-!.%*+_`'~");
  });

  it('knows which headers are comma lists and which carry commas inside one value', () => {
    for (const n of ['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require', 'unsupported', 'path', 'accept', 'allow-events']) {
      expect(isListHeader(n)).toBe(true);
    }
    for (const n of ['www-authenticate', 'authorization', 'proxy-authenticate', 'proxy-authorization', 'date', 'subject', 'call-id', 'from', 'to']) {
      expect(isListHeader(n)).toBe(false);
    }
  });

  it('spells names for the wire', () => {
    expect(wireHeaderName('call-id')).toBe('Call-ID');
    expect(wireHeaderName('cseq')).toBe('CSeq');
    expect(wireHeaderName('www-authenticate')).toBe('WWW-Authenticate');
    expect(wireHeaderName('record-route')).toBe('Record-Route');
    expect(wireHeaderName('x-custom-thing')).toBe('X-Custom-Thing');
  });
});
