import { describe, expect, it } from 'vitest';
import { DigestAlgorithm } from '@sipmesh/runtime';
import { CredentialsErrorCode, MAX_CREDENTIALS_LENGTH, parseDigestCredentials } from './digest-credentials.js';

const code = (value: string): string | undefined => {
  const r = parseDigestCredentials(value);
  return r.ok ? undefined : r.error.code;
};

describe('parseDigestCredentials', () => {
  it('reads the RFC 2617 §3.5 Authorization value', () => {
    const r = parseDigestCredentials(
      'Digest username="Mufasa",\r\n realm="testrealm@host.com",\r\n nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",\r\n uri="/dir/index.html",\r\n qop=auth,\r\n nc=00000001,\r\n cnonce="0a4f113b",\r\n response="6629fae49393a05397450978507c4ef1",\r\n opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    expect(r).toEqual({
      ok: true,
      credentials: {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        uri: '/dir/index.html',
        response: '6629fae49393a05397450978507c4ef1',
        algorithm: DigestAlgorithm.md5,
        qop: 'auth',
        nc: '00000001',
        nonceCount: 1,
        cnonce: '0a4f113b',
        opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      },
    });
  });

  it('reads a SIP phone answer with SHA-256, case-insensitive names and bare values', () => {
    const response = 'a'.repeat(64);
    const r = parseDigestCredentials(
      `digest USERNAME="alice",Realm="example.com" ,NONCE="abc", uri=sip:example.com, Response="${response.toUpperCase()}", ALGORITHM=sha-256, QOP="auth", NC=0000000a, CNONCE="x"`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.credentials).toMatchObject({ username: 'alice', realm: 'example.com', uri: 'sip:example.com', response, algorithm: 'SHA-256', qop: 'auth', nc: '0000000a', nonceCount: 10 });
  });

  it('knows every offered algorithm and defaults to MD5', () => {
    const v = (alg: string): string => `Digest username="a", realm="r", nonce="n", uri="sip:r", response="${'0'.repeat(alg.startsWith('SHA') ? 64 : 32)}", algorithm=${alg}`;
    for (const alg of ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess']) expect(parseDigestCredentials(v(alg))).toMatchObject({ ok: true, credentials: { algorithm: alg } });
    const plain = parseDigestCredentials(`Digest username="a", realm="r", nonce="n", uri="sip:r", response="${'0'.repeat(32)}"`);
    expect(plain).toMatchObject({ ok: true, credentials: { algorithm: 'MD5' } });
    expect(plain.ok && 'qop' in plain.credentials).toBe(false);
    expect(code(v('SHA-512-256'))).toBe(CredentialsErrorCode.unsupportedAlgorithm);
  });

  it('unescapes quoted-pairs and keeps commas and equals signs inside quotes', () => {
    const r = parseDigestCredentials(`Digest username="a\\"b\\\\c, d=e", realm="r", nonce="n", uri="sip:x;a=b,c", response="${'1'.repeat(32)}"`);
    expect(r).toMatchObject({ ok: true, credentials: { username: 'a"b\\c, d=e', uri: 'sip:x;a=b,c' } });
  });

  it('accepts username* in RFC 5987 form (RFC 7616 §3.4.4)', () => {
    const r = parseDigestCredentials(`Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r", nonce="n", uri="/", response="${'1'.repeat(32)}"`);
    expect(r).toMatchObject({ ok: true, credentials: { username: 'Jäsøn Doe' } });
    expect(code(`Digest username*=UTF-8''%E0%A4%A, realm="r", nonce="n", uri="/", response="${'1'.repeat(32)}"`)).toBe(CredentialsErrorCode.badUsername);
    expect(code(`Digest username="a", username*=UTF-8''a, realm="r", nonce="n", uri="/", response="${'1'.repeat(32)}"`)).toBe(CredentialsErrorCode.badUsername);
  });

  it('refuses userhash=true with its own code, and takes userhash=false', () => {
    const base = `Digest username="a", realm="r", nonce="n", uri="/", response="${'1'.repeat(32)}"`;
    expect(code(`${base}, userhash=true`)).toBe(CredentialsErrorCode.userhash);
    expect(code(`${base}, userhash="TRUE"`)).toBe(CredentialsErrorCode.userhash);
    expect(code(`${base}, userhash=false`)).toBeUndefined();
  });

  it('ignores unknown parameters and empty list elements', () => {
    expect(code(`Digest ,username="a",, realm="r", nonce="n", uri="/", response="${'1'.repeat(32)}", foo=bar, baz="q"`)).toBeUndefined();
  });

  it('gives a reason for every kind of bad input', () => {
    const resp = `response="${'1'.repeat(32)}"`;
    const cases: [string, string][] = [
      ['Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==', CredentialsErrorCode.notDigest],
      ['', CredentialsErrorCode.notDigest],
      ['Digest', CredentialsErrorCode.missingParam],
      [`Digest realm="r", nonce="n", uri="/", ${resp}`, CredentialsErrorCode.missingParam],
      [`Digest username="", realm="r", nonce="n", uri="/", ${resp}`, CredentialsErrorCode.badUsername],
      [`Digest username="a", nonce="n", uri="/", ${resp}`, CredentialsErrorCode.missingParam],
      [`Digest username="a", realm="r", uri="/", ${resp}`, CredentialsErrorCode.missingParam],
      [`Digest username="a", realm="r", nonce="n", ${resp}`, CredentialsErrorCode.missingParam],
      ['Digest username="a", realm="r", nonce="n", uri="/"', CredentialsErrorCode.missingParam],
      [`Digest username="a", username="b", realm="r", nonce="n", uri="/", ${resp}`, CredentialsErrorCode.duplicateParam],
      [`Digest username="a", USERNAME="b", realm="r", nonce="n", uri="/", ${resp}`, CredentialsErrorCode.duplicateParam],
      [`Digest username="a, realm="r"`, CredentialsErrorCode.syntax],
      [`Digest username="a" realm="r", nonce="n", uri="/", ${resp}`, CredentialsErrorCode.syntax],
      [`Digest username, realm="r"`, CredentialsErrorCode.syntax],
      [`Digest username=, realm="r"`, CredentialsErrorCode.syntax],
      [`Digest username="a\u0001", realm="r"`, CredentialsErrorCode.syntax],
      [`Digest username="a\\`, CredentialsErrorCode.syntax],
      [`Digest username="a", realm="r", nonce="n", uri="/", response="xyz"`, CredentialsErrorCode.badResponse],
      [`Digest username="a", realm="r", nonce="n", uri="/", ${resp}, algorithm=SHA-256`, CredentialsErrorCode.badResponse],
      [`Digest username="a", realm="r", nonce="n", uri="/", ${resp}, qop=auth, nc=00000001`, CredentialsErrorCode.missingParam],
      [`Digest username="a", realm="r", nonce="n", uri="/", ${resp}, qop=auth, cnonce="c"`, CredentialsErrorCode.missingParam],
      [`Digest username="a", realm="r", nonce="n", uri="/", ${resp}, qop=auth, cnonce="c", nc=0000000g`, CredentialsErrorCode.badNonceCount],
      [`Digest username="a", realm="r", nonce="n", uri="/", ${resp}, qop=auth, cnonce="c", nc=000000001`, CredentialsErrorCode.badNonceCount],
      [`Digest username="a", realm="r", nonce="n", uri="/", ${resp}, qop=auth, cnonce="c", nc=00000000`, CredentialsErrorCode.badNonceCount],
      [`Digest username="a", realm="r", nonce="n", uri="/", ${resp}, qop=auth, cnonce="c", nc="00000000"`, CredentialsErrorCode.badNonceCount],
      [`Digest username="${'a'.repeat(MAX_CREDENTIALS_LENGTH)}"`, CredentialsErrorCode.tooLong],
    ];
    for (const [value, expected] of cases) expect(code(value), value.slice(0, 80)).toBe(expected);
  });

  it('never throws, whatever it is given', () => {
    const alphabet = 'Digest ="\\,;:@abcNnqop=auth\r\n\t\u0000\u00ff\u{1F600}';
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 2000; n++) {
      let s = n % 2 === 0 ? 'Digest ' : '';
      const len = next() % 80;
      for (let i = 0; i < len; i++) s += alphabet[next() % alphabet.length];
      expect(() => parseDigestCredentials(s)).not.toThrow();
    }
  });
});
