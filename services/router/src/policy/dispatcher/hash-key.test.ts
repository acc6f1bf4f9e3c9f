import { describe, expect, it } from 'vitest';
import { compileHashTemplate, fnv1a, uriHashKey } from './hash-key.js';
import { authUsername, type RequestFacts } from './request-facts.js';

const facts: RequestFacts = {
  method: 'INVITE',
  ruri: 'sip:9196@example.com;user=phone',
  ruri_parts: { scheme: 'sip', user: '9196', host: 'example.com' },
  from: { uri: 'sip:alice@example.com:5062', user: 'alice', host: 'example.com', tag: 't1' },
  to: { uri: 'sip:9196@example.com', user: '9196', host: 'example.com' },
  call_id: 'abc@10.0.0.1',
  headers: { 'proxy-authorization': ['Digest username="bob@example.com", realm="example.com", nonce="n"'] },
  source: { ip: '192.0.2.4', port: 5070, transport: 'udp' },
};

describe('hash keys', () => {
  it('a URI key is user@host[:port]: parameters and the default port do not count', () => {
    expect(uriHashKey('sip:alice@example.com:5062;transport=tcp', false)).toBe('alice@example.com:5062');
    expect(uriHashKey('sip:alice@example.com:5060', false)).toBe(uriHashKey('sip:alice@example.com;transport=udp', false));
    expect(uriHashKey('sips:alice@example.com:5061', false)).toBe('alice@example.com');
    expect(uriHashKey('sip:alice@example.com:5062', true)).toBe('alice');
    expect(uriHashKey('not a uri', false)).toBeUndefined();
  });

  it('takes the digest username, Proxy-Authorization first, user part only', () => {
    expect(authUsername(facts)).toBe('bob');
    expect(authUsername({ ...facts, headers: { authorization: ['Digest realm="x", username=carol'] } })).toBe('carol');
    expect(authUsername({ ...facts, headers: {}, auth: { user: 'dave', realm: 'x', verified: true } })).toBe('dave');
    expect(authUsername({ ...facts, headers: {} })).toBeUndefined();
  });

  it('renders a hash_pvar template from the request', () => {
    const all = compileHashTemplate('$fU|$fd|$fu|$tU|$td|$tu|$rU|$rd|$ru|$ci|$si|$sp|$au');
    if (!all.ok) throw new Error(all.error);
    expect(all.template.render(facts).split('|')).toEqual([
      'alice',
      'example.com',
      'sip:alice@example.com:5062',
      '9196',
      'example.com',
      'sip:9196@example.com',
      '9196',
      'example.com',
      'sip:9196@example.com;user=phone',
      'abc@10.0.0.1',
      '192.0.2.4',
      '5070',
      'bob',
    ]);
    const book = compileHashTemplate('$fU@$ci');
    expect(book.ok && book.template.render(facts)).toBe('alice@abc@10.0.0.1');
  });

  it('refuses unknown variables and templates without any', () => {
    expect(compileHashTemplate('$var(myhash)')).toEqual({ ok: false, error: expect.stringContaining('unknown variable $var') });
    expect(compileHashTemplate('$fUx')).toEqual({ ok: false, error: expect.stringContaining('unknown variable $fUx') });
    expect(compileHashTemplate('x$')).toEqual({ ok: false, error: expect.stringContaining('unknown variable $') });
    expect(compileHashTemplate('constant').ok).toBe(false);
  });

  it('FNV-1a matches the published test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });
});
