/**
 * One behaviour suite for every LocationStore: the embedded memory store and the Redis store
 * (real Redis on 127.0.0.1:6379, a unique key prefix per run, removed afterwards).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Binding } from './binding.js';
import type { Clock } from './clock.js';
import type { ExpiredListener, LocationStore } from './location-store.js';
import { MemoryLocationStore } from './memory-location-store.js';
import { RedisLocationStore } from './redis-location-store.js';
import { updateAor } from './update-aor.js';

interface Harness {
  /** The store under test. */
  store: LocationStore;
  /** A second store on the same data, as another registrar process would have it. */
  peer: LocationStore;
}

type HarnessFactory = (clock: Clock, onExpired: ExpiredListener) => Harness;

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
    (clock, onExpired) => {
      const store = new MemoryLocationStore({ clock, onExpired });
      return { store, peer: store };
    },
  ],
  [
    'redis',
    (clock, onExpired) => {
      const keyPrefix = `sipmesh:test:${runId}:${++redisTestNo}:`;
      return {
        store: new RedisLocationStore({ redis: redisConnection(), keyPrefix, clock, onExpired }),
        peer: new RedisLocationStore({ redis: redisConnection(), keyPrefix, clock, onExpired }),
      };
    },
  ],
];

afterAll(async () => {
  const r = connections[0];
  if (r !== undefined) {
    const keys = await r.keys(`sipmesh:test:${runId}:*`);
    if (keys.length > 0) await r.del(...keys);
  }
  await Promise.all(connections.map((c) => c.quit()));
});

const T0 = Date.now();

function binding(aor: string, contact: string, over: Partial<Binding> = {}): Binding {
  return {
    aor,
    contact,
    ruid: randomUUID(),
    expiresAtMs: T0 + 60_000,
    q: undefined,
    callId: 'call-1',
    cseq: 1,
    edge: 'edge1',
    nat: false,
    lastModifiedMs: T0,
    ...over,
  };
}

describe.each(factories)('LocationStore (%s)', (_name, factory) => {
  let now = T0;
  let expired: { aor: string; contacts: string[] }[] = [];
  let h: Harness;

  beforeEach(() => {
    now = T0;
    expired = [];
    h = factory({ now: () => now }, (aor, bs) => expired.push({ aor, contacts: bs.map((b) => b.contact) }));
  });

  it('reads an unknown AoR as empty at version 0', async () => {
    expect(await h.store.get('nobody@example.com')).toEqual([]);
    expect(await h.store.read('nobody@example.com')).toEqual({ aor: 'nobody@example.com', version: 0, bindings: [] });
  });

  it('creates, reads back and versions an AoR', async () => {
    const b = binding('alice@example.com', 'sip:alice@192.0.2.1:5060', { q: 0.5, path: ['<sip:edge1;lr>'], instance: '<urn:uuid:1>', regId: 1 });
    const w = await h.store.replace('alice@example.com', { version: 0 }, [b]);
    expect(w.ok).toBe(true);
    const snap = await h.peer.read('alice@example.com');
    expect(snap.bindings).toEqual([b]);
    expect(snap.version).toBeGreaterThan(0);
    expect(w.ok && w.version).toBe(snap.version);
  });

  it('refuses a write computed from a stale version and changes nothing', async () => {
    const a = binding('bob@example.com', 'sip:bob@192.0.2.2');
    await h.store.replace('bob@example.com', { version: 0 }, [a]);
    const v1 = (await h.store.read('bob@example.com')).version;
    await h.peer.replace('bob@example.com', { version: v1 }, [a, binding('bob@example.com', 'sip:bob@192.0.2.3')]);
    const stale = await h.store.replace('bob@example.com', { version: v1 }, []);
    expect(stale.ok).toBe(false);
    expect(!stale.ok && stale.currentVersion).toBeGreaterThan(v1);
    expect(await h.store.get('bob@example.com')).toHaveLength(2);
  });

  it('never reuses a version for an AoR that was emptied and registered again', async () => {
    const aor = 'carol@example.com';
    const w1 = await h.store.replace(aor, { version: 0 }, [binding(aor, 'sip:carol@192.0.2.4')]);
    const v1 = w1.ok ? w1.version : -1;
    expect((await h.store.replace(aor, { version: v1 }, [])).ok).toBe(true);
    expect((await h.store.read(aor)).version).toBe(0);
    const w2 = await h.store.replace(aor, { version: 0 }, [binding(aor, 'sip:carol@192.0.2.5')]);
    expect(w2.ok && w2.version).not.toBe(v1);
  });

  it('hides expired bindings, deletes them and announces them once, keeping the version', async () => {
    const aor = 'dave@example.com';
    const short = binding(aor, 'sip:dave@192.0.2.6', { expiresAtMs: T0 + 10_000 });
    const long = binding(aor, 'sip:dave@192.0.2.7', { expiresAtMs: T0 + 60_000 });
    await h.store.replace(aor, { version: 0 }, [short, long]);
    const v = (await h.store.read(aor)).version;
    now = T0 + 10_000; // expiresAtMs is exclusive: at that instant the binding is gone
    expect((await h.store.get(aor)).map((b) => b.contact)).toEqual(['sip:dave@192.0.2.7']);
    expect(await h.peer.get(aor)).toHaveLength(1);
    expect(expired).toEqual([{ aor, contacts: ['sip:dave@192.0.2.6'] }]);
    expect((await h.store.read(aor)).version).toBe(v);
    now = T0 + 60_000;
    expect(await h.store.get(aor)).toEqual([]);
    expect(expired).toHaveLength(2);
    expect((await h.store.read(aor)).version).toBe(0);
  });

  it('drops bindings that expire between snapshot and write, announcing them', async () => {
    const aor = 'erin@example.com';
    const b = binding(aor, 'sip:erin@192.0.2.8', { expiresAtMs: T0 + 1_000 });
    now = T0 + 2_000;
    const w = await h.store.replace(aor, { version: 0 }, [b]);
    expect(w.ok && w.version).toBe(0);
    expect(await h.store.get(aor)).toEqual([]);
    expect(expired).toEqual([{ aor, contacts: ['sip:erin@192.0.2.8'] }]);
  });

  it('rejects a binding of another AoR or a duplicate ruid', async () => {
    const b = binding('frank@example.com', 'sip:frank@192.0.2.9');
    await expect(h.store.replace('other@example.com', { version: 0 }, [b])).rejects.toThrow(/belongs to/);
    await expect(h.store.replace('frank@example.com', { version: 0 }, [b, b])).rejects.toThrow(/duplicate ruid/);
  });

  it('removes an AoR, and one contact by RFC 3261 URI equality', async () => {
    const aor = 'gina@example.com';
    await h.store.replace(aor, { version: 0 }, [binding(aor, 'sip:gina@PC.Example.com;transport=TCP'), binding(aor, 'sip:gina@192.0.2.10')]);
    const one = await h.store.removeContact(aor, 'sip:gina@pc.example.com;transport=tcp');
    expect(one.map((b) => b.contact)).toEqual(['sip:gina@PC.Example.com;transport=TCP']);
    expect(await h.store.removeContact(aor, 'sip:gina@192.0.2.10:5060')).toEqual([]);
    expect(await h.store.remove(aor)).toHaveLength(1);
    expect(await h.store.get(aor)).toEqual([]);
    expect(expired).toEqual([]);
  });

  it('dumps every AoR with live bindings once, in pages, and counts them', async () => {
    for (let i = 0; i < 25; i++) {
      const aor = `user${i}@example.com`;
      const bs = [binding(aor, `sip:u${i}@192.0.2.1`)];
      if (i % 5 === 0) bs.push(binding(aor, `sip:u${i}@192.0.2.2`));
      await h.store.replace(aor, { version: 0 }, bs);
    }
    await h.store.replace('gone@example.com', { version: 0 }, [binding('gone@example.com', 'sip:g@192.0.2.3', { expiresAtMs: T0 + 5 })]);
    now = T0 + 10;
    const seen: string[] = [];
    for await (const r of h.store.dump({ pageSize: 7 })) seen.push(r.aor);
    expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `user${i}@example.com`).sort());
    expect(await h.peer.count()).toEqual({ aors: 25, bindings: 30 });
  });

  it('lists the bindings behind NAT without the others, and forgets an AoR once it has none', async () => {
    const mixed = 'mixed@example.com';
    await h.store.replace(mixed, { version: 0 }, [binding(mixed, 'sip:m@10.0.0.1', { nat: true, received: 'sip:198.51.100.1:4000' }), binding(mixed, 'sip:m@192.0.2.9')]);
    await h.store.replace('plain@example.com', { version: 0 }, [binding('plain@example.com', 'sip:p@192.0.2.4')]);
    const natted = 'natted@example.com';
    await h.store.replace(natted, { version: 0 }, [binding(natted, 'sip:n@10.0.0.2', { nat: true, expiresAtMs: T0 + 5 })]);
    const list = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const r of h.peer.dumpNat({ pageSize: 2 })) for (const b of r.bindings) out.push(`${r.aor} ${b.contact}`);
      return out.sort();
    };
    expect(await list()).toEqual(['mixed@example.com sip:m@10.0.0.1', 'natted@example.com sip:n@10.0.0.2']);
    // the NAT'ed binding of mixed is replaced by a plain one; natted's expires
    const v = (await h.store.read(mixed)).version;
    await h.store.replace(mixed, { version: v }, [binding(mixed, 'sip:m@192.0.2.9')]);
    now = T0 + 10;
    expect(await list()).toEqual([]);
    if (h.store instanceof RedisLocationStore) expect(await redisConnection().scard(h.store.natKey)).toBe(0);
  });

  it('sweeps expired bindings nobody read, announcing each once', async () => {
    await h.store.replace('h1@example.com', { version: 0 }, [binding('h1@example.com', 'sip:h1@192.0.2.1', { expiresAtMs: T0 + 1_000 })]);
    await h.store.replace('h2@example.com', { version: 0 }, [
      binding('h2@example.com', 'sip:h2@192.0.2.1', { expiresAtMs: T0 + 1_000 }),
      binding('h2@example.com', 'sip:h2@192.0.2.2', { expiresAtMs: T0 + 90_000 }),
    ]);
    await h.store.replace('h3@example.com', { version: 0 }, [binding('h3@example.com', 'sip:h3@192.0.2.1')]);
    now = T0 + 5_000;
    const r = await h.peer.sweep(now);
    expect(r.bindings).toBe(2);
    expect(expired.map((e) => e.aor).sort()).toEqual(['h1@example.com', 'h2@example.com']);
    expect((await h.peer.sweep(now)).bindings).toBe(0);
    expect(expired).toHaveLength(2);
    expect(await h.store.count()).toEqual({ aors: 2, bindings: 2 });
  });

  it('keeps every binding when many writers register one AoR at once (compare-and-set with retry)', async () => {
    const aor = 'busy@example.com';
    const writers = Array.from({ length: 20 }, (_, i) =>
      updateAor(i % 2 === 0 ? h.store : h.peer, aor, (snap) => ({
        next: [...snap.bindings, binding(aor, `sip:busy@192.0.2.${i + 1}`)],
        result: i,
      })),
    );
    const results = await Promise.all(writers);
    expect(results.every((r) => r.ok)).toBe(true);
    const contacts = (await h.store.get(aor)).map((b) => b.contact).sort();
    expect(contacts).toEqual(Array.from({ length: 20 }, (_, i) => `sip:busy@192.0.2.${i + 1}`).sort());
  });

  it('uses a snapshot read ahead for the first attempt, and reads afresh when another writer beat it', async () => {
    const aor = 'ahead@example.com';
    const early = h.store.read(aor);
    await early;
    // another registrar writes the AoR after the read ahead was taken
    await h.peer.replace(aor, { version: 0 }, [binding(aor, 'sip:other@192.0.2.1')]);
    const seen: number[] = [];
    const r = await updateAor(
      h.store,
      aor,
      (snap) => {
        seen.push(snap.bindings.length);
        return { next: [...snap.bindings, binding(aor, 'sip:mine@192.0.2.2')], result: 'mine' };
      },
      { readFirst: early, backoff: () => Promise.resolve() },
    );
    expect(r).toMatchObject({ ok: true, attempts: 2 });
    // attempt 1 decided on the read ahead (empty), attempt 2 on what the other writer left
    expect(seen).toEqual([0, 1]);
    expect((await h.store.get(aor)).map((b) => b.contact).sort()).toEqual(['sip:mine@192.0.2.2', 'sip:other@192.0.2.1']);
  });

  it('gives up with a stable code when the AoR never stops changing', async () => {
    const aor = 'storm@example.com';
    const s = h.store;
    let n = 0;
    // Another process writes the AoR between every read and write of this one.
    const meddled: LocationStore = {
      get: (a) => s.get(a),
      read: (a) => s.read(a),
      remove: (a) => s.remove(a),
      removeContact: (a, c) => s.removeContact(a, c),
      dump: (o) => s.dump(o),
      dumpNat: (o) => s.dumpNat(o),
      count: () => s.count(),
      sweep: (t) => s.sweep(t),
      close: () => s.close(),
      replace: async (a, expect, next) => {
        const cur = await h.peer.read(a);
        await h.peer.replace(a, { version: cur.version }, [binding(a, `sip:storm@192.0.2.${++n}`)]);
        return s.replace(a, expect, next);
      },
    };
    const r = await updateAor(meddled, aor, () => ({ next: [binding(aor, 'sip:mine@192.0.2.200')], result: 'mine' }), {
      maxAttempts: 3,
      backoff: () => Promise.resolve(),
    });
    expect(r).toEqual({ ok: false, code: 'LOCATION_ERR_TOO_MUCH_CONTENTION', attempts: 3 });
    expect((await h.store.get(aor)).map((b) => b.contact)).toEqual(['sip:storm@192.0.2.3']);
  });
});
