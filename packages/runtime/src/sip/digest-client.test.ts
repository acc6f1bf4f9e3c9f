/**
 * The digest client (edge uac_auth, registrar outbound registrations): RFC 2617 §3.5 and RFC 7616 §3.9.1 test vectors, challenge
 * reading (WWW-/Proxy-Authenticate) and the choice of the challenge answered.
 */
import { describe, expect, it } from 'vitest';
import { digestHash } from './digest-algorithm.js';
import { answerChallenge, digestResponse, parseChallengeParams, parseChallenges } from './digest-client.js';

describe('digestResponse', () => {
  it('computes the RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    const ha1 = digestHash('MD5', 'Mufasa:testrealm@host.com:Circle Of Life');
    const r = digestResponse({ algorithm: 'MD5', ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html', qop: { nc: '00000001', cnonce: '0a4f113b' } });
    expect(r).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('computes the RFC 7616 §3.9.1 examples (MD5 and SHA-256)', () => {
    const common = { nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', method: 'GET', uri: '/dir/index.html', qop: { nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' } };
    const secret = 'Mufasa:http-auth@example.org:Circle of Life';
    expect(digestResponse({ algorithm: 'MD5', ha1: digestHash('MD5', secret), ...common })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ algorithm: 'SHA-256', ha1: digestHash('SHA-256', secret), ...common })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('uses H(HA1:nonce:HA2) without qop (RFC 2069) and refuses -sess without qop', () => {
    const ha1 = digestHash('MD5', 'u:r:p');
    expect(digestResponse({ algorithm: 'MD5', ha1, nonce: 'n', method: 'INVITE', uri: 'sip:a@b' })).toBe(digestHash('MD5', `${ha1}:n:${digestHash('MD5', 'INVITE:sip:a@b')}`));
    expect(digestResponse({ algorithm: 'MD5-sess', ha1, nonce: 'n', method: 'INVITE', uri: 'sip:a@b' })).toBeUndefined();
  });
});

describe('parseChallengeParams / parseChallenges', () => {
  it('reads quoted and bare values, names in any case, a quoted-pair, and stops at a second scheme', () => {
    const p = parseChallengeParams('Digest REALM="a \\"b\\"", nonce=abc,  algorithm=sha-256 , stale=TRUE, Basic realm="x"');
    expect(p && [...p]).toEqual([
      ['realm', 'a "b"'],
      ['nonce', 'abc'],
      ['algorithm', 'sha-256'],
      ['stale', 'TRUE'],
    ]);
    expect(parseChallengeParams('Basic realm="x"')).toBeUndefined();
    expect(parseChallengeParams('Digest realm="open')).toBeUndefined();
  });

  it('keeps usable challenges: MD5 by default, qop lists, opaque, stale; drops auth-int only, -sess without qop, unknown algorithms', () => {
    expect(
      parseChallenges([
        'Digest realm="r", nonce="n1"',
        'Digest realm="r", nonce="n2", qop="auth-int,auth", algorithm=SHA-256-sess, opaque="o", stale=true',
        'Digest realm="r", nonce="n3", qop="auth-int"',
        'Digest realm="r", nonce="n4", algorithm=MD5-sess',
        'Digest realm="r", nonce="n5", algorithm=SHA-512-256',
        'Digest realm="r"',
      ]),
    ).toEqual([
      { realm: 'r', nonce: 'n1', algorithm: 'MD5', qopAuth: false, stale: false },
      { realm: 'r', nonce: 'n2', algorithm: 'SHA-256-sess', qopAuth: true, opaque: 'o', stale: true },
    ]);
  });
});

describe('answerChallenge', () => {
  const request = { method: 'INVITE', uri: 'sip:bob@example.com' };

  it('answers with every parameter of RFC 7616 §3.4, qop=auth with nc 00000001 and the cnonce', () => {
    const a = answerChallenge(['Digest realm="r", nonce="n", qop="auth", opaque="o"'], { username: 'u', password: 'p' }, request, 'c0ffee');
    const ha1 = digestHash('MD5', 'u:r:p');
    const response = digestHash('MD5', `${ha1}:n:00000001:c0ffee:auth:${digestHash('MD5', 'INVITE:sip:bob@example.com')}`);
    expect(a).toMatchObject({ ok: true, value: `Digest username="u", realm="r", nonce="n", uri="sip:bob@example.com", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee", opaque="o"` });
  });

  it('answers only the realm of the credentials when one is set', () => {
    const values = ['Digest realm="a", nonce="n1"', 'Digest realm="b", nonce="n2"'];
    expect(answerChallenge(values, { username: 'u', password: 'p', realm: 'b' }, request)).toMatchObject({ ok: true, challenge: { realm: 'b' } });
    expect(answerChallenge(values, { username: 'u', password: 'p' }, request)).toMatchObject({ ok: true, challenge: { realm: 'a' } });
    expect(answerChallenge(values, { username: 'u', password: 'p', realm: 'c' }, request)).toEqual({ ok: false, reason: 'challenge realm a, b is not c' });
    expect(answerChallenge(['Basic realm="a"'], { username: 'u', password: 'p' }, request)).toEqual({ ok: false, reason: 'no usable digest challenge' });
  });

  it('uses a stored HA1 only for its algorithm family (32 hex digits MD5, 64 SHA-256)', () => {
    const md5Ha1 = digestHash('MD5', 'u:r:p');
    expect(answerChallenge(['Digest realm="r", nonce="n", algorithm=SHA-256'], { username: 'u', ha1: md5Ha1 }, request)).toMatchObject({ ok: false });
    const a = answerChallenge(['Digest realm="r", nonce="n", algorithm=SHA-256', 'Digest realm="r", nonce="n", algorithm=MD5'], { username: 'u', ha1: md5Ha1.toUpperCase() }, request);
    expect(a).toMatchObject({ ok: true, challenge: { algorithm: 'MD5' } });
    const sha = answerChallenge(['Digest realm="r", nonce="n", algorithm=SHA-256'], { username: 'u', ha1: digestHash('SHA-256', 'u:r:p') }, request);
    expect(sha).toEqual(answerChallenge(['Digest realm="r", nonce="n", algorithm=SHA-256'], { username: 'u', password: 'p' }, request));
  });

  it('quotes the username it sends (no header injection)', () => {
    const a = answerChallenge(['Digest realm="r", nonce="n"'], { username: 'a"b\r\nX: y', password: 'p' }, request);
    expect(a.ok && a.value.startsWith('Digest username="a\\"bX: y", ')).toBe(true);
  });
});
