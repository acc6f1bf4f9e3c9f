import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryNonceCountTracker, type NonceCountTracker } from './nonce-count.js';
import { RedisNonceCountTracker } from './redis-nonce-count.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** What every tracker must do; `now` is the wall clock the tracker was given. */
function behavesAsATracker(make: () => { tracker: NonceCountTracker; now: () => number }): void {
  it('accepts rising counts and refuses a repeated or lower one', async () => {
    const { tracker, now } = make();
    const exp = now() + 300_000;
    expect(await tracker.accept('n1', 1, exp)).toBe(true);
    expect(await tracker.accept('n1', 1, exp)).toBe(false);
    expect(await tracker.accept('n1', 2, exp)).toBe(true);
    expect(await tracker.accept('n1', 5, exp)).toBe(true);
    expect(await tracker.accept('n1', 4, exp)).toBe(false);
    expect(await tracker.accept('n1', 5, exp)).toBe(false);
  });

  it('keeps nonces apart', async () => {
    const { tracker, now } = make();
    const exp = now() + 300_000;
    expect(await tracker.accept('a', 1, exp)).toBe(true);
    expect(await tracker.accept('b', 1, exp)).toBe(true);
  });

  it('lets an RFC 2069 nonce (always nc=1) be used once', async () => {
    const { tracker, now } = make();
    const exp = now() + 300_000;
    expect(await tracker.accept('once', 1, exp)).toBe(true);
    expect(await tracker.accept('once', 1, exp)).toBe(false);
  });

  it('refuses counts below 1 and nonces already expired', async () => {
    const { tracker, now } = make();
    expect(await tracker.accept('z', 0, now() + 300_000)).toBe(false);
    expect(await tracker.accept('z', 1.5, now() + 300_000)).toBe(false);
    expect(await tracker.accept('old', 1, now() - 1)).toBe(false);
  });
}

describe('MemoryNonceCountTracker', () => {
  behavesAsATracker(() => {
    const now = (): number => 1_000_000;
    return { tracker: new MemoryNonceCountTracker({ now }), now };
  });

  it('drops a nonce when it expires', async () => {
    let t = 0;
    const tracker = new MemoryNonceCountTracker({ now: () => t });
    await tracker.accept('a', 3, 1000);
    await tracker.accept('b', 1, 2000);
    expect(tracker.size).toBe(2);
    t = 1000;
    await tracker.accept('c', 1, 5000);
    expect(tracker.size).toBe(2);
    // the nonce itself is stale by now, so the verifier never asks about it again
  });

  it('stays within its bound, dropping the nonce seen first', async () => {
    const tracker = new MemoryNonceCountTracker({ maxEntries: 3, now: () => 0 });
    for (const n of ['a', 'b', 'c', 'd']) expect(await tracker.accept(n, 1, 10_000)).toBe(true);
    expect(tracker.size).toBe(3);
    expect(await tracker.accept('d', 1, 10_000)).toBe(false);
    expect(await tracker.accept('b', 1, 10_000)).toBe(false);
  });
});

describe('RedisNonceCountTracker (real Redis)', () => {
  const prefix = `sipmesh:test:nc:${process.pid}:${randomBytes(4).toString('hex')}:`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  behavesAsATracker(() => ({ tracker: new RedisNonceCountTracker(redis, { keyPrefix: `${prefix}${randomBytes(3).toString('hex')}:` }), now: Date.now }));

  it('is shared by instances: a count one accepted is refused by the other', async () => {
    const one = new RedisNonceCountTracker(redis, { keyPrefix: prefix });
    const two = new RedisNonceCountTracker(redis, { keyPrefix: prefix });
    const exp = Date.now() + 300_000;
    expect(await one.accept('shared', 1, exp)).toBe(true);
    expect(await two.accept('shared', 1, exp)).toBe(false);
    expect(await two.accept('shared', 2, exp)).toBe(true);
    expect(await one.accept('shared', 2, exp)).toBe(false);
  });

  it('lets only one of many simultaneous requests with the same count through', async () => {
    const trackers = Array.from({ length: 5 }, () => new RedisNonceCountTracker(redis, { keyPrefix: prefix }));
    const exp = Date.now() + 300_000;
    const results = await Promise.all(trackers.map((t) => t.accept('race', 1, exp)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the key only as long as the nonce lives', async () => {
    const tracker = new RedisNonceCountTracker(redis, { keyPrefix: prefix });
    await tracker.accept('ttl', 1, Date.now() + 60_000);
    const ttl = await redis.pttl(`${prefix}ttl`);
    expect(ttl).toBeGreaterThan(58_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await redis.get(`${prefix}ttl`)).toBe('1');
  });
});
