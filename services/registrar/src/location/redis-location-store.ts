/**
 * Location store in Redis, shared by every registrar process and surviving their restarts.
 *
 * Key layout (prefix configurable, default `sipmesh:loc:`):
 * - `<prefix>aor:<aor>`  HASH  `#v` -> version; `<ruid>` -> binding as JSON (binding-codec.ts).
 *                              PEXPIRE = latest binding expiry (+ keyGraceMs): Redis itself drops
 *                              an AoR whose bindings all expired, even with no registrar running.
 * - `<prefix>aors`       ZSET  member = aor, score = earliest binding expiry (epoch ms): the work
 *                              list of `sweep` and the index `dump` walks.
 * - `<prefix>version`    STRING counter; every write of an AoR takes the next value as its
 *                              version, so a version is never reused (no ABA after an AoR expired).
 * - `<prefix>nat`        SET   the AoRs with a binding behind NAT: what the NAT keep-alive walks
 *                              (`dumpNat`) instead of every AoR.
 *
 * Writes are one Lua script per AoR (compare-and-set on `#v`, then DEL + HSET + PEXPIRE + ZADD),
 * atomic and one round trip; reads are one script that also deletes expired bindings. Scripts go
 * by EVALSHA with an EVAL fallback after a Redis restart. Not Redis Cluster ready: a script
 * touches the AoR key and the shared index, which would need one hash slot.
 */
import type { Redis } from 'ioredis';
import { runLua, type LuaScript } from '@sipmesh/runtime';
import { isLive, type Binding } from './binding.js';
import { decodeBinding, encodeBinding } from './binding-codec.js';
import { systemClock, type Clock } from './clock.js';
import {
  assertReplaceable,
  LocationErrorCode,
  type AorRecord,
  type AorSnapshot,
  type ExpiredListener,
  type LocationCount,
  type LocationStore,
  type ReplaceResult,
  type SweepResult,
} from './location-store.js';
import { READ_AOR, REPLACE_AOR } from './redis-location-scripts.js';
import { removeBindings, removeContactBindings } from './update-aor.js';

export const DEFAULT_LOCATION_KEY_PREFIX = 'sipmesh:loc:';

export interface RedisLocationStoreOptions {
  readonly redis: Redis;
  /** Default `sipmesh:loc:`. */
  readonly keyPrefix?: string;
  readonly clock?: Clock;
  readonly onExpired?: ExpiredListener;
  /**
   * Extra life of an AoR key past its last binding's expiry, ms; default 0 (the key is gone when
   * the binding is). With 0, an AoR whose last binding nobody read before it expired is announced
   * with an empty binding list; a grace of at least the sweep interval lets `sweep` announce the
   * contacts instead.
   */
  readonly keyGraceMs?: number;
  /** `close()` also quits the connection; default false (the caller owns it). */
  readonly ownsConnection?: boolean;
  /**
   * AoRs whose last snapshot this store read or wrote are kept, the most recent this many
   * (default 10,000; 0: none), as the snapshot a write may presume (`presume`) without reading
   * first. A wrong presumption costs nothing but the round trip it tried to save: the write's
   * compare-and-set fails and returns the AoR as it is.
   */
  readonly recentAors?: number;
}

/** The arguments of `writeAor` (redis-location-scripts.ts) for a next binding set. */
export interface WriteArguments {
  /** Key TTL ms, earliest expiry ms, behind NAT ('1' / '0'), then ruid, JSON pairs (none: remove the AoR). */
  readonly args: readonly (string | number)[];
  /** The bindings written: those of the next set still live now. */
  readonly live: readonly Binding[];
  /** Bindings of the next set that expired before they could be written (announced once written). */
  readonly dead: readonly Binding[];
}

export const DEFAULT_RECENT_AORS = 10_000;

export interface ReadReply {
  readonly version: number;
  readonly live: Binding[];
  readonly dead: Binding[];
  /** The AoR key had vanished (TTL) while the index still named it. */
  readonly vanished: boolean;
}

export class RedisLocationStore implements LocationStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly clock: Clock;
  private readonly onExpired: ExpiredListener;
  private readonly keyGraceMs: number;
  private readonly ownsConnection: boolean;
  private readonly recentLimit: number;
  /** Last snapshots read or written, oldest first (Map order): see `recentAors`. */
  private readonly recent = new Map<string, AorSnapshot>();

  constructor(options: RedisLocationStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix ?? DEFAULT_LOCATION_KEY_PREFIX;
    this.clock = options.clock ?? systemClock;
    this.onExpired = options.onExpired ?? (() => undefined);
    this.keyGraceMs = options.keyGraceMs ?? 0;
    this.ownsConnection = options.ownsConnection ?? false;
    this.recentLimit = options.recentAors ?? DEFAULT_RECENT_AORS;
  }

  /** The store's clock, epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /** Key of the hash holding `aor`'s bindings (tests and admin tools read it). */
  aorKey(aor: string): string {
    return `${this.prefix}aor:${aor}`;
  }

  get indexKey(): string {
    return `${this.prefix}aors`;
  }

  get versionKey(): string {
    return `${this.prefix}version`;
  }

  get natKey(): string {
    return `${this.prefix}nat`;
  }

  async get(aor: string): Promise<Binding[]> {
    return (await this.read(aor)).bindings;
  }

  async read(aor: string): Promise<AorSnapshot & { bindings: Binding[] }> {
    const r = await this.readAor(aor, this.clock.now());
    return { aor, version: r.version, bindings: r.live };
  }

  async replace(aor: string, expect: { readonly version: number }, next: readonly Binding[]): Promise<ReplaceResult> {
    assertReplaceable(aor, next);
    const w = this.writeArguments(next, this.clock.now());
    const reply = await this.run(REPLACE_AOR, [this.aorKey(aor), this.indexKey, this.versionKey, this.natKey], [String(expect.version), aor, ...w.args]);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`location: unexpected reply to replace: ${String(reply)}`);
    const version = Number(reply[1]);
    if (Number(reply[0]) !== 1) {
      this.recent.delete(aor);
      return { ok: false, code: LocationErrorCode.versionConflict, currentVersion: version };
    }
    this.written(aor, version, w);
    return { ok: true, version };
  }

  /**
   * The snapshot a write of `aor` at `nowMs` may presume: the last one this store read or wrote
   * when it still has a binding live then, else "no AoR" (version 0). A guess, never a read:
   * only a compare-and-set on its version makes it true.
   */
  presume(aor: string, nowMs: number = this.clock.now()): AorSnapshot {
    const last = this.recent.get(aor);
    if (last !== undefined) {
      const live = last.bindings.filter((b) => isLive(b, nowMs));
      if (live.length > 0) return live.length === last.bindings.length ? last : { aor, version: last.version, bindings: live };
    }
    return { aor, version: 0, bindings: [] };
  }

  /** `writeAor`'s arguments for `next` at `nowMs` (for scripts that write an AoR after checks of their own). */
  writeArguments(next: readonly Binding[], nowMs: number): WriteArguments {
    const live = next.filter((b) => isLive(b, nowMs));
    const dead = next.filter((b) => !isLive(b, nowMs));
    const args: (string | number)[] = [];
    if (live.length > 0) {
      let latest = -Infinity;
      let earliest = Infinity;
      for (const b of live) {
        latest = Math.max(latest, b.expiresAtMs);
        earliest = Math.min(earliest, b.expiresAtMs);
      }
      args.push(Math.ceil(latest - nowMs + this.keyGraceMs), earliest, live.some((b) => b.nat) ? '1' : '0');
      for (const b of live) args.push(b.ruid, encodeBinding(b));
    } else {
      args.push(0, 0, '0');
    }
    return { args, live, dead };
  }

  /** After a script wrote `w` as `version` of `aor`: announces what expired unwritten and remembers the snapshot. */
  written(aor: string, version: number, w: WriteArguments): void {
    if (w.dead.length > 0) this.onExpired(aor, w.dead);
    if (w.live.length === 0) this.recent.delete(aor);
    else this.remember({ aor, version, bindings: w.live });
  }

  /**
   * Reads the reply of `readAor` from `values[offset..]` (live JSON values first, `liveCount` of
   * them, then expired ones), announcing the expired bindings (or the vanished key) and, unless
   * told not to, remembering the snapshot.
   */
  readValues(aor: string, version: number, values: readonly unknown[], offset: number, liveCount: number, vanished: boolean, remember = true): ReadReply {
    const live: Binding[] = [];
    const dead: Binding[] = [];
    for (let i = offset; i < values.length; i++) {
      const raw = values[i];
      // An entry that does not decode is dropped: written by a foreign or broken writer, it can't be routed to.
      const b = typeof raw === 'string' ? decodeBinding(raw) : undefined;
      if (b === undefined) continue;
      (i - offset < liveCount ? live : dead).push(b);
    }
    if (dead.length > 0) this.onExpired(aor, dead);
    else if (vanished) this.onExpired(aor, []);
    if (!remember) return { version, live, dead, vanished };
    if (live.length === 0) this.recent.delete(aor);
    else this.remember({ aor, version, bindings: live });
    return { version, live, dead, vanished };
  }

  private remember(snapshot: AorSnapshot): void {
    if (this.recentLimit <= 0) return;
    this.recent.delete(snapshot.aor);
    this.recent.set(snapshot.aor, snapshot);
    if (this.recent.size > this.recentLimit) {
      const oldest = this.recent.keys().next();
      if (oldest.done !== true) this.recent.delete(oldest.value);
    }
  }

  remove(aor: string): Promise<Binding[]> {
    return removeBindings(this, aor, () => true);
  }

  removeContact(aor: string, contact: string): Promise<Binding[]> {
    return removeContactBindings(this, aor, contact);
  }

  async *dump(options: { readonly pageSize?: number } = {}): AsyncIterable<AorRecord> {
    const pageSize = options.pageSize ?? 100;
    // ZSCAN may return a member twice while the set is rehashed; the set of seen AoRs is the price.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [nextCursor, flat] = await this.redis.zscan(this.indexKey, cursor, 'COUNT', pageSize);
      cursor = nextCursor;
      const aors: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const aor = flat[i];
        if (aor !== undefined && !seen.has(aor)) {
          seen.add(aor);
          aors.push(aor);
        }
      }
      // Issued together, the reads share round trips on the connection.
      const snapshots = await Promise.all(aors.map((aor) => this.read(aor)));
      for (const s of snapshots) if (s.bindings.length > 0) yield { aor: s.aor, bindings: s.bindings };
    } while (cursor !== '0');
  }

  async *dumpNat(options: { readonly pageSize?: number } = {}): AsyncIterable<AorRecord> {
    const pageSize = options.pageSize ?? 100;
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [nextCursor, members] = await this.redis.sscan(this.natKey, cursor, 'COUNT', pageSize);
      cursor = nextCursor;
      const aors = members.filter((aor) => !seen.has(aor));
      for (const aor of aors) seen.add(aor);
      const snapshots = await Promise.all(aors.map((aor) => this.read(aor)));
      for (const s of snapshots) {
        const nat = s.bindings.filter((b) => b.nat);
        if (nat.length > 0) yield { aor: s.aor, bindings: nat };
      }
    } while (cursor !== '0');
  }

  async count(): Promise<LocationCount> {
    let aors = 0;
    let bindings = 0;
    for await (const r of this.dump({ pageSize: 500 })) {
      aors++;
      bindings += r.bindings.length;
    }
    return { aors, bindings };
  }

  async sweep(nowMs: number = this.clock.now(), pageSize = 100): Promise<SweepResult> {
    let aors = 0;
    let bindings = 0;
    const visited = new Set<string>();
    for (;;) {
      // Every AoR read below leaves the due list (its score moves past now, or it is removed),
      // so asking again from the start makes progress; `visited` guards against a stuck member.
      const due = await this.redis.zrangebyscore(this.indexKey, '-inf', nowMs, 'LIMIT', 0, pageSize);
      const fresh = due.filter((aor) => !visited.has(aor));
      if (fresh.length === 0) break;
      for (const aor of fresh) visited.add(aor);
      const replies = await Promise.all(fresh.map((aor) => this.readAor(aor, nowMs)));
      aors += fresh.length;
      for (const r of replies) bindings += r.dead.length;
      if (due.length < pageSize) break;
    }
    return { aors, bindings };
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.redis.quit();
  }

  private async readAor(aor: string, nowMs: number): Promise<ReadReply> {
    const reply = await this.run(READ_AOR, [this.aorKey(aor), this.indexKey, this.natKey], [nowMs, aor]);
    if (!Array.isArray(reply) || reply.length < 3) throw new Error(`location: unexpected reply to read: ${String(reply)}`);
    return this.readValues(aor, Number(reply[0]), reply, 3, Number(reply[1]), Number(reply[2]) === 1);
  }

  private run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return runLua(this.redis, script, keys, args);
  }
}
