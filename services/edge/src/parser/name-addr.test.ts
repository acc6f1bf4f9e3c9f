import { describe, expect, it } from 'vitest';
import { parseNameAddr, quoteDisplayName } from './name-addr.js';

describe('parseNameAddr (RFC 3261 §20.10, §25.1)', () => {
  it('quoted display name with quoted-pairs', () => {
    const a = parseNameAddr('"J Rosenberg \\\\\\""       <sip:jdrosen@example.com> ; tag = 98asjd8');
    expect(a).toMatchObject({ display: 'J Rosenberg \\"', uri: 'sip:jdrosen@example.com', tag: '98asjd8' });
  });

  it('token display names, with and without LWS before <', () => {
    expect(parseNameAddr('Bob  Smith <sip:bob@example.com>')?.display).toBe('Bob Smith');
    expect(parseNameAddr('caller<sip:caller@example.com>;tag=323')).toMatchObject({ display: 'caller', uri: 'sip:caller@example.com', tag: '323' });
    expect(parseNameAddr('<sip:a@b>')?.display).toBeUndefined();
  });

  it('addr-spec: parameters after the URI belong to the header (§20.10)', () => {
    const a = parseNameAddr('sip:+19725552222@gw1.example.net;unknownparam;tag=x');
    expect(a?.uri).toBe('sip:+19725552222@gw1.example.net');
    expect([...(a?.params ?? [])]).toEqual([
      ['unknownparam', null],
      ['tag', 'x'],
    ]);
  });

  it('name-addr: URI parameters stay in the URI', () => {
    const a = parseNameAddr('<sip:+19725552222@gw1.example.net;unknownparam>');
    expect(a?.uri).toBe('sip:+19725552222@gw1.example.net;unknownparam');
    expect(a?.params.size).toBe(0);
  });

  it('keeps quoted parameter values as written', () => {
    const a = parseNameAddr('<sip:a@192.0.2.1>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1;expires=3600');
    expect(a?.params.get('+sip.instance')).toBe('"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
    expect(a?.params.get('reg-id')).toBe('1');
  });

  it('rejects malformed values', () => {
    for (const bad of ['', '"Mr. J. User <sip:j.user@example.com>', '<sip:a@b', 'Watson, Thomas <sip:t.watson@example.org>', '<sip:a@b>;;', '<sip:a@b> junk', '<>']) {
      expect(parseNameAddr(bad), bad).toBeUndefined();
    }
  });

  it('quotes display names for writing', () => {
    expect(quoteDisplayName('A "B" \\C')).toBe('"A \\"B\\" \\\\C"');
    expect(parseNameAddr(`${quoteDisplayName('A "B" \\C')} <sip:a@b>`)?.display).toBe('A "B" \\C');
  });
});
