import { describe, expect, it } from 'vitest';
import { DigestAlgorithm, digestHash } from '@sipmesh/runtime';
import { computeHa1, computeHa2, computeResponse, digestsEqual, DigestErrorCode, sessionHa1 } from './digest.js';

describe('digest computation', () => {
  it('reproduces the RFC 2617 §3.5 example byte for byte', () => {
    const ha1 = computeHa1(DigestAlgorithm.md5, 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    expect(ha1).toBe('939e7578ed9e3c518a452acee763bce9');
    const r = computeResponse({
      algorithm: DigestAlgorithm.md5,
      ha1,
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
    expect(r).toEqual({ ok: true, response: '6629fae49393a05397450978507c4ef1' });
  });

  const rfc7616 = {
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    method: 'GET',
    uri: '/dir/index.html',
    qop: 'auth',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };

  it('reproduces the RFC 7616 §3.9.1 MD5 example', () => {
    const ha1 = computeHa1(DigestAlgorithm.md5, 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    expect(computeResponse({ ...rfc7616, algorithm: DigestAlgorithm.md5, ha1 })).toEqual({ ok: true, response: '8ca523f5e9506fed4657c9700eebdbec' });
  });

  it('reproduces the RFC 7616 §3.9.1 SHA-256 example', () => {
    const ha1 = computeHa1(DigestAlgorithm.sha256, 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    expect(ha1).toHaveLength(64);
    expect(computeResponse({ ...rfc7616, algorithm: DigestAlgorithm.sha256, ha1 })).toEqual({
      ok: true,
      response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    });
  });

  it('computes the RFC 2069 form, H(HA1:nonce:HA2), without qop', () => {
    // RFC 2069 §2.4 prints e966c932a9242554e42c8ee200cec7f6 for this example, which does not follow
    // from its own inputs (a known error of that RFC); the value here is H(HA1:nonce:HA2) worked by hand.
    const ha1 = computeHa1(DigestAlgorithm.md5, 'Mufasa', 'testrealm@host.com', 'CircleOfLife');
    const r = computeResponse({ algorithm: DigestAlgorithm.md5, ha1, nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html' });
    const ha2 = computeHa2(DigestAlgorithm.md5, 'GET', '/dir/index.html');
    expect(r).toEqual({ ok: true, response: digestHash(DigestAlgorithm.md5, `${ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${ha2}`) });
    expect(r).toEqual({ ok: true, response: '1949323746fe6a43ef61f9606e7febea' });
  });

  it('hashes the client nonce into HA1 for -sess algorithms (RFC 7616 §3.4.2)', () => {
    const ha1 = computeHa1(DigestAlgorithm.md5, 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const sess = sessionHa1(DigestAlgorithm.md5Sess, ha1, 'n', 'c');
    expect(sess).toBe(digestHash(DigestAlgorithm.md5, `${ha1}:n:c`));
    const r = computeResponse({ algorithm: DigestAlgorithm.md5Sess, ha1, nonce: 'n', method: 'REGISTER', uri: 'sip:example.com', qop: 'auth', nc: '00000001', cnonce: 'c' });
    const ha2 = computeHa2(DigestAlgorithm.md5, 'REGISTER', 'sip:example.com');
    expect(r).toEqual({ ok: true, response: digestHash(DigestAlgorithm.md5, `${sess}:n:00000001:c:auth:${ha2}`) });
    const sha = computeResponse({ algorithm: DigestAlgorithm.sha256Sess, ha1: computeHa1(DigestAlgorithm.sha256, 'u', 'r', 'p'), nonce: 'n', method: 'M', uri: 'sip:x', qop: 'auth', nc: '00000001', cnonce: 'c' });
    expect(sha.ok && sha.response.length).toBe(64);
  });

  it('refuses auth-int and incomplete qop answers with a clear code', () => {
    const base = { algorithm: DigestAlgorithm.md5, ha1: '0'.repeat(32), nonce: 'n', method: 'INVITE', uri: 'sip:a@b' };
    expect(computeResponse({ ...base, qop: 'auth-int', nc: '00000001', cnonce: 'c' })).toMatchObject({ ok: false, error: { code: DigestErrorCode.unsupportedQop } });
    expect(computeResponse({ ...base, qop: 'auth', nc: '00000001' })).toMatchObject({ ok: false, error: { code: DigestErrorCode.missingCnonce } });
    expect(computeResponse({ ...base, qop: 'auth', cnonce: 'c' })).toMatchObject({ ok: false, error: { code: DigestErrorCode.missingNonceCount } });
    expect(computeResponse({ ...base, algorithm: DigestAlgorithm.md5Sess })).toMatchObject({ ok: false, error: { code: DigestErrorCode.missingCnonce } });
  });

  it('uses a stored HA1 whatever its case', () => {
    const ha1 = computeHa1(DigestAlgorithm.md5, 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const input = { algorithm: DigestAlgorithm.md5, nonce: 'n', method: 'GET', uri: '/' };
    expect(computeResponse({ ...input, ha1: ha1.toUpperCase() })).toEqual(computeResponse({ ...input, ha1 }));
  });

  it('compares digests case-insensitively and refuses different lengths', () => {
    expect(digestsEqual('6629FAE49393A05397450978507C4EF1', '6629fae49393a05397450978507c4ef1')).toBe(true);
    expect(digestsEqual('6629fae49393a05397450978507c4ef1', '6629fae49393a05397450978507c4ef0')).toBe(false);
    expect(digestsEqual('6629fae4', '6629fae49393a05397450978507c4ef1')).toBe(false);
  });
});
