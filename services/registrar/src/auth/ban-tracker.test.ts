import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BAN_POLICY, MemoryBanTracker, type BanPolicy, type BanTracker } from './ban-tracker.js';
import { RedisBanTracker } from './redis-ban-tracker.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function failTimes(t: BanTracker, n: number, user: string | undefined, ip: string): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(await t.fail(user, ip));
  return out;
}

/** What every ban tracker must do (a 3-failure policy keeps the tests short). */
function behavesAsABanTracker(make: (policy: BanPolicy) => BanTracker): void {
  const three = { maxFailures: 3, windowSec: 300, banSec: 300 };

  it('bans a user after maxFailures failures, from any address', async () => {
    const t = make(three);
    expect(await failTimes(t, 3, 'alice@example.com', '192.0.2.1')).toEqual([false, false, true]);
    expect(await t.check('alice@example.com', '198.51.100.7')).toBe(true);
    expect(await t.check('bob@example.com', '198.51.100.7')).toBe(false);
  });

  it('bans a source address after maxFailures failures, whatever the users', async () => {
    const t = make(three);
    expect(await t.fail('u1@example.com', '192.0.2.9')).toBe(false);
    expect(await t.fail('u2@example.com', '192.0.2.9')).toBe(false);
    expect(await t.fail(undefined, '192.0.2.9')).toBe(true);
    expect(await t.check(undefined, '192.0.2.9')).toBe(true);
    expect(await t.check('u4@example.com', '192.0.2.9')).toBe(true);
    expect(await t.check('u1@example.com', '192.0.2.10')).toBe(false);
  });

  it('clears the user count on success, not the source count', async () => {
    const t = make(three);
    await failTimes(t, 2, 'carol@example.com', '192.0.2.20');
    await t.succeed('carol@example.com');
    expect(await t.fail('carol@example.com', '192.0.2.21')).toBe(false);
    expect(await t.fail('carol@example.com', '192.0.2.21')).toBe(false);
    // the first address has two failures left from before the success
    expect(await t.fail('dave@example.com', '192.0.2.20')).toBe(true);
  });

  it('never bans with maxFailures 0', async () => {
    const t = make({ ...three, maxFailures: 0 });
    expect(await failTimes(t, 20, 'eve@example.com', '192.0.2.30')).not.toContain(true);
    expect(await t.check('eve@example.com', '192.0.2.30')).toBe(false);
  });
}

describe('MemoryBanTracker', () => {
  behavesAsABanTracker((policy) => new MemoryBanTracker(policy));

  it('defaults to the book: 10 failures in 300 s ban for 300 s', () => {
    expect(DEFAULT_BAN_POLICY).toEqual({ maxFailures: 10, windowSec: 300, banSec: 300 });
  });

  it('counts within a window that starts at the first failure, and lifts the ban after banSec', async () => {
    let t = 0;
    const bans = new MemoryBanTracker({ maxFailures: 3, windowSec: 60, banSec: 120 }, { now: () => t });
    await bans.fail('u', '192.0.2.1');
    t = 30_000;
    await bans.fail('u', '192.0.2.2');
    t = 60_000; // the window of the first failure is over
    expect(await bans.fail('u', '192.0.2.3')).toBe(false);
    t = 70_000;
    expect(await bans.fail('u', '192.0.2.4')).toBe(false);
    expect(await bans.fail('u', '192.0.2.5')).toBe(true);
    t = 70_000 + 119_999;
    expect(await bans.check('u', '203.0.113.1')).toBe(true);
    t = 70_000 + 120_000;
    expect(await bans.check('u', '203.0.113.1')).toBe(false);
    // a fresh count after the ban
    expect(await bans.fail('u', '192.0.2.6')).toBe(false);
  });

  it('stays within its bound', async () => {
    const bans = new MemoryBanTracker({ maxFailures: 5, windowSec: 60, banSec: 60 }, { maxEntries: 4, now: () => 0 });
    for (let i = 0; i < 10; i++) await bans.fail(`user${i}`, `192.0.2.${i}`);
    // no way to look inside but through behaviour: old entries are gone, the newest still count
    expect(await failTimes(bans, 4, 'user9', '192.0.2.99')).toEqual([false, false, false, true]);
  });
});

describe('RedisBanTracker (real Redis)', () => {
  const prefix = `sipmesh:test:ban:${process.pid}:${randomBytes(4).toString('hex')}:`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  behavesAsABanTracker((policy) => new RedisBanTracker(redis, policy, { keyPrefix: `${prefix}${randomBytes(3).toString('hex')}:` }));

  it('is shared by instances', async () => {
    const p = `${prefix}shared:`;
    const policy = { maxFailures: 2, windowSec: 300, banSec: 300 };
    const one = new RedisBanTracker(redis, policy, { keyPrefix: p });
    const two = new RedisBanTracker(redis, policy, { keyPrefix: p });
    expect(await one.fail('frank@example.com', '192.0.2.40')).toBe(false);
    expect(await two.fail('frank@example.com', '192.0.2.41')).toBe(true);
    expect(await one.check('frank@example.com', '203.0.113.9')).toBe(true);
  });

  it('counts in a fixed window (EXPIRE NX) and lets bans expire', async () => {
    const p = `${prefix}window:`;
    const bans = new RedisBanTracker(redis, { maxFailures: 2, windowSec: 1, banSec: 1 }, { keyPrefix: p });
    await bans.fail('gina', '192.0.2.50');
    const ttl = await redis.pttl(`${p}fail:u:gina`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    await sleep(1100);
    expect(await bans.fail('gina', '192.0.2.51')).toBe(false);
    expect(await bans.fail('gina', '192.0.2.52')).toBe(true);
    expect(await redis.exists(`${p}fail:u:gina`)).toBe(0);
    expect(await bans.check('gina', '203.0.113.1')).toBe(true);
    await sleep(1100);
    expect(await bans.check('gina', '203.0.113.1')).toBe(false);
  });
});
