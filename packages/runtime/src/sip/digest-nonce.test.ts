import { describe, expect, it } from 'vitest';
import { NonceIssuer, NonceStatus } from './digest-nonce.js';

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
