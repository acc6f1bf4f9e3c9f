import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireInfra } from '../../../test/helpers/infra.js';
import { MemoryAffinityStore, RedisAffinityStore, type AffinityEntry, type AffinityStore } from './affinity.js';

const entry = (instance: string, extra: Partial<AffinityEntry> = {}): AffinityEntry => ({ instance, set: 'default', created: 1, updated: 1, lastMethod: 'offer', ...extra });

/** The same behaviour from both stores; `clock` moves time forward (memory) or waits (Redis). */
function storeContract(name: string, make: () => { store: AffinityStore; advance: (ms: number) => Promise<void> }, ttlSec: number): void {
  describe(name, () => {
    test('claim, get, put (move), remove', async () => {
      const { store } = make();
      expect(await store.get('c1')).toBeUndefined();
      expect(await store.claim('c1', entry('a:1'))).toBeUndefined();
      expect(await store.claim('c1', entry('b:1'))).toEqual(entry('a:1'));
      expect(await store.get('c1')).toEqual(entry('a:1'));
      await store.put('c1', entry('b:1', { lastMethod: 'answer' }), 'a:1');
      expect(await store.get('c1')).toEqual(entry('b:1', { lastMethod: 'answer' }));
      expect(Object.fromEntries(await store.count(['a:1', 'b:1']))).toEqual({ 'a:1': 0, 'b:1': 1 });
      await store.remove('c1', 'b:1');
      expect(await store.get('c1')).toBeUndefined();
      expect(Object.fromEntries(await store.count(['a:1', 'b:1']))).toEqual({ 'a:1': 0, 'b:1': 0 });
    });

    test('count and list by instance, with a limit', async () => {
      const { store } = make();
      for (let i = 0; i < 5; i++) await store.claim(`x${i}`, entry(i < 3 ? 'a:1' : 'b:1', { edge: 'e1' }));
      expect(Object.fromEntries(await store.count(['a:1', 'b:1', 'c:1']))).toEqual({ 'a:1': 3, 'b:1': 2, 'c:1': 0 });
      const all = await store.list(['a:1', 'b:1'], 100);
      expect(all.map((s) => s.callId).sort()).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
      expect(all[0]?.entry.edge).toBe('e1');
      expect(await store.list(['a:1', 'b:1'], 4)).toHaveLength(4);
      expect((await store.list(['b:1'], 100)).map((s) => s.callId).sort()).toEqual(['x3', 'x4']);
    });

    test('an entry expires ttlSec after its last write; a put refreshes it', async () => {
      const { store, advance } = make();
      await store.claim('old', entry('a:1'));
      await store.claim('kept', entry('a:1'));
      await advance(ttlSec * 600);
      await store.put('kept', entry('a:1', { lastMethod: 'answer' }));
      await advance(ttlSec * 600);
      expect(await store.get('old')).toBeUndefined();
      expect((await store.get('kept'))?.lastMethod).toBe('answer');
      await store.prune(['a:1']);
      expect(Object.fromEntries(await store.count(['a:1']))).toEqual({ 'a:1': 1 });
      // The claim of an expired call succeeds again.
      expect(await store.claim('old', entry('b:1'))).toBeUndefined();
    });
  });
}

let now = 1_000_000;
storeContract(
  'MemoryAffinityStore',
  () => ({
    store: new MemoryAffinityStore(10, () => now),
    advance: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  }),
  10,
);

describe('RedisAffinityStore', async () => {
  if (!(await requireInfra('redis'))) return;
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const prefixes: string[] = [];
  beforeAll(() => redis.ping());
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });
  storeContract(
    'in Redis (1 s TTL, real time)',
    () => {
      const prefix = `sipmesh:test:media:${randomBytes(4).toString('hex')}:`;
      prefixes.push(prefix);
      return { store: new RedisAffinityStore(redis, prefix, 1), advance: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
    },
    1,
  );

  test('the keys are the documented ones, with their TTL', async () => {
    const prefix = `sipmesh:test:media:${randomBytes(4).toString('hex')}:`;
    prefixes.push(prefix);
    const store = new RedisAffinityStore(redis, prefix, 300);
    await store.claim('call@host', entry('127.0.0.1:2223'));
    expect(JSON.parse((await redis.get(`${prefix}call:call@host`)) ?? 'null')).toEqual(entry('127.0.0.1:2223'));
    expect(await redis.ttl(`${prefix}call:call@host`)).toBeGreaterThan(290);
    expect(await redis.zrange(`${prefix}instance:127.0.0.1:2223`, '0', '-1')).toEqual(['call@host']);
  });
});
