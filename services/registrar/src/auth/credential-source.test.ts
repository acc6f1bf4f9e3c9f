import { describe, expect, it } from 'vitest';
import { DigestAlgorithm } from '@sipmesh/runtime';
import { computeHa1 } from './digest.js';
import { makeSubscriber, splitDigestUsername, subscriberHa1, subscriberKey } from './credential-source.js';

const md5 = (s: string): string => computeHa1(DigestAlgorithm.md5, ...(s.split(':') as [string, string, string]));

describe('which secret checks a response (Kamailio auth_db get_ha1)', () => {
  const stored = makeSubscriber({
    username: 'alice',
    domain: 'example.com',
    ha1: md5('alice:example.com:secret'),
    ha1b: md5('alice@example.com:example.com:secret'),
    ha1Sha256: computeHa1(DigestAlgorithm.sha256, 'alice', 'example.com', 'secret'),
  });

  it('uses ha1 for a plain username and ha1b for user@domain', () => {
    expect(subscriberHa1(stored, 'alice', 'example.com', DigestAlgorithm.md5)).toBe(md5('alice:example.com:secret'));
    expect(subscriberHa1(stored, 'alice@example.com', 'example.com', DigestAlgorithm.md5Sess)).toBe(md5('alice@example.com:example.com:secret'));
  });

  it('uses ha1Sha256 for SHA-256, which has no user@domain form', () => {
    expect(subscriberHa1(stored, 'alice', 'example.com', DigestAlgorithm.sha256)).toBe(computeHa1(DigestAlgorithm.sha256, 'alice', 'example.com', 'secret'));
    expect(subscriberHa1(stored, 'alice@example.com', 'example.com', DigestAlgorithm.sha256)).toBeUndefined();
  });

  it('computes HA1 from a stored password, with the username as sent and the realm given', () => {
    const withPassword = makeSubscriber({ username: 'bob', domain: 'example.com', password: 'pw', ha1: 'ignored' });
    expect(subscriberHa1(withPassword, 'bob@example.com', 'Example.COM', DigestAlgorithm.md5)).toBe(md5('bob@example.com:Example.COM:pw'));
    expect(subscriberHa1(withPassword, 'bob', 'example.com', DigestAlgorithm.sha256)).toBe(computeHa1(DigestAlgorithm.sha256, 'bob', 'example.com', 'pw'));
  });

  it('has nothing when no column fits', () => {
    expect(subscriberHa1(makeSubscriber({ username: 'c', domain: 'd', ha1: md5('c:d:x') }), 'c', 'd', DigestAlgorithm.sha256)).toBeUndefined();
  });

  it('treats empty columns as absent and lowercases stored hashes', () => {
    expect(makeSubscriber({ username: 'u', domain: 'd', password: '', ha1: 'ABCDEF', ha1b: '', ha1Sha256: null })).toEqual({ username: 'u', domain: 'd', ha1: 'abcdef' });
  });

  it('splits a digest username at its first @ and keys subscribers with or without domains', () => {
    expect(splitDigestUsername('alice')).toEqual({ user: 'alice', domain: undefined });
    expect(splitDigestUsername('alice@example.com@x')).toEqual({ user: 'alice', domain: 'example.com@x' });
    expect(subscriberKey('Alice', 'Example.com', true)).toBe(subscriberKey('Alice', 'example.COM', true));
    expect(subscriberKey('Alice', 'a.com', true)).not.toBe(subscriberKey('alice', 'a.com', true));
    expect(subscriberKey('alice', 'a.com', false)).toBe(subscriberKey('alice', 'b.com', false));
  });
});
