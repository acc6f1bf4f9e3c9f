/**
 * One behaviour suite for every CallProfiles: the embedded memory store and the Redis store (real
 * Redis on 127.0.0.1:6379, a unique key prefix per test, removed afterwards). For Redis, `peer` is
 * a second store on its own connection, as another router would have it.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallProfiles } from './call-profiles.js';
import { MemoryCallProfiles } from './memory-call-profiles.js';
import { RedisCallProfiles } from './redis-call-profiles.js';

interface Harness {
  store: CallProfiles;
  /** The same profiles as another router sees them. */
  peer: CallProfiles;
  /** Stores on further connections (the concurrency test spreads its calls over them). */
  more: CallProfiles[];
}

type HarnessFactory = (now: () => number) => Harness;

const runId = randomUUID().slice(0, 8);
const connections: Redis[] = [];
let redisTestNo = 0;

function redisConnection(): Redis {
  const r = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  connections.push(r);
  return r;
}

const factories: [string, HarnessFactory][] = [
  [
    'memory',
    (now) => {
      const store = new MemoryCallProfiles({ now });
      return { store, peer: store, more: [store] };
    },
  ],
  [
    'redis',
    (now) => {
      const keyPrefix = `sipmesh:test:calls:${runId}:${++redisTestNo}:`;
      const open = (): RedisCallProfiles => new RedisCallProfiles({ redis: redisConnection(), keyPrefix, now });
      return { store: open(), peer: open(), more: [open(), open(), open()] };
    },
  ],
];

afterAll(async () => {
  const r = connections[0];
  if (r !== undefined) {
    const keys = await r.keys(`sipmesh:test:calls:${runId}:*`);
    if (keys.length > 0) await r.del(...keys);
  }
  await Promise.all(connections.map((c) => c.quit()));
});

const T0 = Date.now();
const TTL = 60_000;
const caller = (value: string, max: number) => ({ profile: 'caller', value, max });

describe.each(factories)('CallProfiles (%s)', (_name, factory) => {
  let now = T0;
  let h: Harness;

  beforeEach(() => {
    now = T0;
    h = factory(() => now);
  });

  it('adds calls until the limit and then refuses, naming the full profile and its size', async () => {
    expect(await h.store.tryAdd([caller('1001@example.com', 2)], 'd1', TTL)).toEqual({ ok: true });
    expect(await h.peer.tryAdd([caller('1001@example.com', 2)], 'd2', TTL)).toEqual({ ok: true });
    expect(await h.store.tryAdd([caller('1001@example.com', 2)], 'd3', TTL)).toEqual({ ok: false, profile: 'caller', value: '1001@example.com', size: 2 });
    expect(await h.peer.size('caller', '1001@example.com')).toBe(2);
    // another value of the same profile has its own count
    expect(await h.store.tryAdd([caller('1002@example.com', 2)], 'd3', TTL)).toEqual({ ok: true });
    expect(await h.store.list('caller')).toEqual([
      { value: '1001@example.com', size: 2 },
      { value: '1002@example.com', size: 1 },
    ]);
  });

  it('refuses everything with max 0 and counts nothing for an empty list of entries', async () => {
    expect(await h.store.tryAdd([caller('a', 0)], 'd1', TTL)).toEqual({ ok: false, profile: 'caller', value: 'a', size: 0 });
    expect(await h.store.tryAdd([], 'd1', TTL)).toEqual({ ok: true });
    expect(await h.store.list('caller')).toEqual([]);
  });

  it('adds the same dialog again without counting it twice, even at the limit', async () => {
    expect((await h.store.tryAdd([caller('a', 1)], 'd1', TTL)).ok).toBe(true);
    expect((await h.peer.tryAdd([caller('a', 1)], 'd1', TTL)).ok).toBe(true);
    expect(await h.store.size('caller', 'a')).toBe(1);
    expect(await h.store.tryAdd([caller('a', 1)], 'd2', TTL)).toEqual({ ok: false, profile: 'caller', value: 'a', size: 1 });
  });

  it('frees the slot when the call is removed, from every profile it is in', async () => {
    const entries = [caller('a', 1), { profile: 'trunk', value: 'gw1', max: 10 }];
    expect((await h.store.tryAdd(entries, 'd1', TTL)).ok).toBe(true);
    expect((await h.store.tryAdd(entries, 'd2', TTL)).ok).toBe(false);
    expect(await h.peer.remove(['d1', 'unknown'])).toBe(1);
    expect(await h.store.size('caller', 'a')).toBe(0);
    expect(await h.store.size('trunk', 'gw1')).toBe(0);
    expect(await h.store.list('caller')).toEqual([]);
    expect((await h.store.tryAdd(entries, 'd2', TTL)).ok).toBe(true);
    // removing again finds nothing
    expect(await h.store.remove(['d1'])).toBe(0);
    expect(await h.store.remove([])).toBe(0);
  });

  it('stops counting a call at its expiry (its end event never came)', async () => {
    expect((await h.store.tryAdd([caller('a', 1)], 'd1', 10_000)).ok).toBe(true);
    now = T0 + 9_999;
    expect((await h.store.tryAdd([caller('a', 1)], 'd2', TTL)).ok).toBe(false);
    now = T0 + 10_000; // the expiry is exclusive: at that instant the call no longer counts
    expect(await h.peer.size('caller', 'a')).toBe(0);
    expect(await h.peer.list('caller')).toEqual([]);
    expect(await h.store.tryAdd([caller('a', 1)], 'd2', TTL)).toEqual({ ok: true });
    expect(await h.store.size('caller', 'a')).toBe(1);
    // the expired call is gone for remove too
    expect(await h.store.remove(['d1'])).toBe(0);
  });

  it('renews the expiry of a call added again', async () => {
    expect((await h.store.tryAdd([caller('a', 1)], 'd1', 10_000)).ok).toBe(true);
    now = T0 + 5_000;
    expect((await h.store.tryAdd([caller('a', 1)], 'd1', 10_000)).ok).toBe(true);
    now = T0 + 12_000;
    expect(await h.store.size('caller', 'a')).toBe(1);
  });

  it('adds to none of several profiles when the second is full', async () => {
    expect((await h.store.tryAdd([{ profile: 'trunk', value: 'gw1', max: 1 }], 'd0', TTL)).ok).toBe(true);
    const r = await h.store.tryAdd([caller('a', 5), { profile: 'trunk', value: 'gw1', max: 1 }, { profile: 'domain', value: 'example.com', max: 5 }], 'd1', TTL);
    expect(r).toEqual({ ok: false, profile: 'trunk', value: 'gw1', size: 1 });
    expect(await h.peer.size('caller', 'a')).toBe(0);
    expect(await h.peer.size('domain', 'example.com')).toBe(0);
    expect(await h.peer.size('trunk', 'gw1')).toBe(1);
    expect(await h.store.remove(['d1'])).toBe(0);
  });

  it('lets exactly max of 50 simultaneous calls in', async () => {
    const stores = [h.store, h.peer, ...h.more];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (stores[i % stores.length] as CallProfiles).tryAdd([caller('busy', 10)], `d${i}`, TTL)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.size === 10)).toBe(true);
    expect(await h.store.size('caller', 'busy')).toBe(10);
  });

  it('keeps values apart whatever characters they hold', async () => {
    expect((await h.store.tryAdd([caller('x:y', 1)], 'd1', TTL)).ok).toBe(true);
    expect((await h.store.tryAdd([caller('x', 1)], 'd2', TTL)).ok).toBe(true);
    expect((await h.store.tryAdd([caller('', 1)], 'd3', TTL)).ok).toBe(true);
    expect(await h.store.list('caller')).toEqual([
      { value: '', size: 1 },
      { value: 'x', size: 1 },
      { value: 'x:y', size: 1 },
    ]);
    expect(await h.store.remove(['d1', 'd2', 'd3'])).toBe(3);
    expect(await h.store.list('caller')).toEqual([]);
  });

  it('rejects a profile name that is not an identifier, a negative max and a bad ttl', async () => {
    await expect(h.store.tryAdd([{ profile: 'a:b', value: 'x', max: 1 }], 'd1', TTL)).rejects.toMatchObject({ code: 'CALLS_ERR_BAD_ARGUMENT' });
    await expect(h.store.tryAdd([caller('x', -1)], 'd1', TTL)).rejects.toMatchObject({ code: 'CALLS_ERR_BAD_ARGUMENT' });
    await expect(h.store.tryAdd([caller('x', 1)], 'd1', 0)).rejects.toMatchObject({ code: 'CALLS_ERR_BAD_ARGUMENT' });
    await expect(h.store.tryAdd([caller('x', 1)], '', TTL)).rejects.toMatchObject({ code: 'CALLS_ERR_BAD_ARGUMENT' });
    await expect(h.store.size('a b', 'x')).rejects.toMatchObject({ code: 'CALLS_ERR_BAD_ARGUMENT' });
  });
});
