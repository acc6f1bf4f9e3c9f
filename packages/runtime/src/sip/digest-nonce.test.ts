import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacPads, hmacSha256, NonceIssuer, NonceStatus } from './digest-nonce.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function clock(startMs = T0): { now: () => number; advance: (ms: number) => void } {
  let t = startMs;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('stateless nonces', () => {
  it('are 44 base64url characters, different each time, and valid for their realm', () => {
    const c = clock();
    const issuer = new NonceIssuer({ secret: 'shared-secret', now: c.now });
    const a = issuer.issue('example.com');
    const b = issuer.issue('example.com');
    expect(a).toMatch(/^[A-Za-z0-9_-]{44}$/);
    expect(a).not.toBe(b);
    expect(issuer.verify(a, 'example.com')).toEqual({ status: NonceStatus.valid, issuedAtMs: T0, expiresAtMs: T0 + 300_000 });
    // realms are host names: case does not matter
    expect(issuer.verify(a, 'EXAMPLE.com').status).toBe(NonceStatus.valid);
  });

  it('are verified by any instance with the same secret, and by no other', () => {
    const c = clock();
    const one = new NonceIssuer({ secret: 'shared-secret', now: c.now });
    const two = new NonceIssuer({ secret: Buffer.from('shared-secret'), now: c.now });
    const other = new NonceIssuer({ secret: 'another-secret', now: c.now });
    const nonce = one.issue('example.com');
    expect(two.verify(nonce, 'example.com').status).toBe(NonceStatus.valid);
    expect(other.verify(nonce, 'example.com')).toEqual({ status: NonceStatus.forged });
  });

  it('are bound to the realm they were issued for', () => {
    const issuer = new NonceIssuer({ secret: 's' });
    expect(issuer.verify(issuer.issue('a.example.com'), 'b.example.com')).toEqual({ status: NonceStatus.forged });
  });

  it('go stale after the lifetime (300 s by default, configurable)', () => {
    const c = clock();
    const issuer = new NonceIssuer({ secret: 's', now: c.now });
    const nonce = issuer.issue('r');
    c.advance(299_999);
    expect(issuer.verify(nonce, 'r').status).toBe(NonceStatus.valid);
    c.advance(1);
    expect(issuer.verify(nonce, 'r')).toEqual({ status: NonceStatus.stale, issuedAtMs: T0, expiresAtMs: T0 + 300_000 });

    const short = new NonceIssuer({ secret: 's', lifetimeSec: 30, now: c.now });
    const n2 = short.issue('r');
    c.advance(29_000);
    expect(short.verify(n2, 'r').status).toBe(NonceStatus.valid);
    c.advance(1_000);
    expect(short.verify(n2, 'r').status).toBe(NonceStatus.stale);
  });

  it('tolerate an issuing instance a little ahead in time, and call one far ahead stale', () => {
    const ahead = clock(T0 + 20_000);
    const far = clock(T0 + 120_000);
    const here = clock();
    const verifier = new NonceIssuer({ secret: 's', now: here.now });
    expect(verifier.verify(new NonceIssuer({ secret: 's', now: ahead.now }).issue('r'), 'r').status).toBe(NonceStatus.valid);
    expect(verifier.verify(new NonceIssuer({ secret: 's', now: far.now }).issue('r'), 'r').status).toBe(NonceStatus.stale);
  });

  it('detect any changed byte, a wrong length or foreign text as forged', () => {
    const issuer = new NonceIssuer({ secret: 's' });
    const nonce = issuer.issue('r');
    const raw = Buffer.from(nonce, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const copy = Buffer.from(raw);
      copy[i] = (copy[i] as number) ^ 0x01;
      expect(issuer.verify(copy.toString('base64url'), 'r').status, `byte ${i}`).toBe(NonceStatus.forged);
    }
    for (const bad of ['', 'dcd98b7102dd2f0e8b11d0f600bfb0c093', `${nonce}A`, nonce.slice(1), `${nonce.slice(0, 43)}=`, nonce.replace(/./, '+')]) {
      expect(issuer.verify(bad, 'r').status).toBe(NonceStatus.forged);
    }
  });

  it('use a random per-process secret when none is configured', () => {
    const a = new NonceIssuer({ secret: '' });
    const b = new NonceIssuer({ secret: '' });
    const nonce = a.issue('r');
    expect(a.verify(nonce, 'r').status).toBe(NonceStatus.valid);
    expect(b.verify(nonce, 'r').status).toBe(NonceStatus.forged);
  });

  it('take their randomness from the injected source', () => {
    const issuer = new NonceIssuer({ secret: 's', now: () => T0, random: (n) => Buffer.alloc(n, 7) });
    expect(issuer.issue('r')).toBe(issuer.issue('r'));
  });
});

describe('the nonce MAC', () => {
  it('is HMAC-SHA-256 (RFC 4231 test case 2, short and block-long keys, a key longer than a block)', () => {
    // RFC 4231 §4.3
    expect(hmacSha256(hmacPads(Buffer.from('Jefe')), Buffer.from('what do ya want for nothing?')).toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    for (const keyLength of [1, 32, 64, 65, 200]) {
      const key = Buffer.alloc(keyLength, 0xa5);
      const message = Buffer.from(`time|random|example.com ${String(keyLength)}`);
      expect(hmacSha256(hmacPads(key), message).equals(createHmac('sha256', key).update(message).digest())).toBe(true);
    }
  });

  it('verifies nonces issued with the same secret by the previous createHmac code', () => {
    const secret = 'shared-secret';
    const raw = Buffer.alloc(33);
    raw.writeUIntBE(Math.floor(T0 / 1000), 0, 5);
    raw.fill(7, 5, 17);
    createHmac('sha256', secret).update(raw.subarray(0, 17)).update('example.com').digest().subarray(0, 16).copy(raw, 17);
    expect(new NonceIssuer({ secret, now: () => T0 + 1000 }).verify(raw.toString('base64url'), 'Example.com').status).toBe(NonceStatus.valid);
  });
});
