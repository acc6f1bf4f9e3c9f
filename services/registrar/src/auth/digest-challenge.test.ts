import { describe, expect, it } from 'vitest';
import { quoteString } from '@sipmesh/runtime';
import { buildChallenge } from './digest-challenge.js';
import { digestConfig } from './digest-config.js';
import { NonceIssuer } from '@sipmesh/runtime';

const nonces = new NonceIssuer({ secret: 's', now: () => Date.UTC(2025, 0, 1), random: (n) => Buffer.alloc(n, 1) });
const nonce = nonces.issue('example.com');

describe('challenge replies', () => {
  it('are 401 with WWW-Authenticate for REGISTER, SHA-256 first by default (RFC 8760)', () => {
    expect(buildChallenge(digestConfig(), nonces, 'example.com', false, true)).toEqual({
      code: 401,
      reason: 'Unauthorized',
      headers: [
        `WWW-Authenticate: Digest realm="example.com", nonce="${nonce}", qop="auth", algorithm=SHA-256`,
        `WWW-Authenticate: Digest realm="example.com", nonce="${nonce}", qop="auth", algorithm=MD5`,
      ],
    });
  });

  it('are 407 with Proxy-Authenticate otherwise, with opaque and stale=true when asked', () => {
    const r = buildChallenge(digestConfig({ algorithms: ['MD5'], opaque: 'op' }), nonces, 'example.com', true, false);
    expect(r).toEqual({
      code: 407,
      reason: 'Proxy Authentication Required',
      headers: [`Proxy-Authenticate: Digest realm="example.com", nonce="${nonce}", opaque="op", qop="auth", algorithm=MD5, stale=true`],
    });
  });

  it('leave qop out in the RFC 2069 form', () => {
    const [h] = buildChallenge(digestConfig({ algorithms: ['MD5'], qop: 'none' }), nonces, 'example.com', false, true).headers;
    expect(h).toBe(`WWW-Authenticate: Digest realm="example.com", nonce="${nonce}", algorithm=MD5`);
  });

  it('quote strings safely', () => {
    expect(quoteString('a"b\\c\r\nd')).toBe('"a\\"b\\\\cd"');
  });
});
