/**
 * Call affinity: Call-ID -> the rtpengine instance that holds the call's session, so the
 * answer, a re-offer and the delete reach that instance whichever media-control process gets
 * them. In memory for one process, or in Redis shared by all of them:
 *
 *   <prefix>call:<Call-ID>        SET (JSON entry) EX ttlSec     refreshed by every command
 *   <prefix>instance:<host:port>  ZSET Call-ID, score = expiry ms  the per-instance index
 *
 * The index gives the session count of an instance (ZCOUNT of the unexpired) and the session
 * list without a SCAN of the keyspace; stale members (calls that expired without a delete)
 * are pruned on each health round. A new call is claimed with SET NX before its offer is sent,
 * so two media-control processes offering the same new call at once agree on one instance.
 */
import type { Redis } from 'ioredis';

export interface AffinityEntry {
  /** `host:port` of the instance. */
  readonly instance: string;
  readonly set: string;
  /** ms since the epoch. */
  readonly created: number;
  readonly updated: number;
  readonly lastMethod: string;
  readonly edge?: string;
  readonly dialogId?: string;
}

export interface AffinitySession {
  readonly callId: string;
  readonly entry: AffinityEntry;
}

export interface AffinityStore {
  readonly kind: 'memory' | 'redis';
  get(callId: string): Promise<AffinityEntry | undefined>;
  /** Stores `entry` unless the call has one; resolves to the existing entry then (undefined: claimed). */
  claim(callId: string, entry: AffinityEntry): Promise<AffinityEntry | undefined>;
  /** Stores or refreshes (TTL restarts); `previous` is the instance it moves from, if any. */
  put(callId: string, entry: AffinityEntry, previous?: string): Promise<void>;
  remove(callId: string, instance: string): Promise<void>;
  /** Unexpired sessions per instance. */
  count(instances: readonly string[]): Promise<Map<string, number>>;
  /** Up to `limit` sessions of the instances, in the order of the list. */
  list(instances: readonly string[], limit: number): Promise<AffinitySession[]>;
  /** Drops expired index members (Redis) or entries (memory). */
  prune(instances: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export class MemoryAffinityStore implements AffinityStore {
  readonly kind = 'memory';
  private readonly calls = new Map<string, { entry: AffinityEntry; expiresAt: number }>();

  constructor(
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  private live(callId: string): AffinityEntry | undefined {
    const hit = this.calls.get(callId);
    if (hit === undefined) return undefined;
    if (hit.expiresAt <= this.now()) {
      this.calls.delete(callId);
      return undefined;
    }
    return hit.entry;
  }

  get(callId: string): Promise<AffinityEntry | undefined> {
    return Promise.resolve(this.live(callId));
  }

  claim(callId: string, entry: AffinityEntry): Promise<AffinityEntry | undefined> {
    const existing = this.live(callId);
    if (existing !== undefined) return Promise.resolve(existing);
    this.calls.set(callId, { entry, expiresAt: this.now() + this.ttlSec * 1000 });
    return Promise.resolve(undefined);
  }

  put(callId: string, entry: AffinityEntry): Promise<void> {
    this.calls.set(callId, { entry, expiresAt: this.now() + this.ttlSec * 1000 });
    return Promise.resolve();
  }

  remove(callId: string): Promise<void> {
    this.calls.delete(callId);
    return Promise.resolve();
  }

  count(instances: readonly string[]): Promise<Map<string, number>> {
    const out = new Map(instances.map((i) => [i, 0]));
    const now = this.now();
    for (const { entry, expiresAt } of this.calls.values()) {
      if (expiresAt > now && out.has(entry.instance)) out.set(entry.instance, (out.get(entry.instance) ?? 0) + 1);
    }
    return Promise.resolve(out);
  }

  list(instances: readonly string[], limit: number): Promise<AffinitySession[]> {
    const out: AffinitySession[] = [];
    const now = this.now();
    for (const instance of instances) {
      for (const [callId, { entry, expiresAt }] of this.calls) {
        if (out.length >= limit) return Promise.resolve(out);
        if (entry.instance === instance && expiresAt > now) out.push({ callId, entry });
      }
    }
    return Promise.resolve(out);
  }

  prune(): Promise<void> {
    const now = this.now();
    for (const [callId, { expiresAt }] of this.calls) if (expiresAt <= now) this.calls.delete(callId);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.calls.clear();
    return Promise.resolve();
  }
}

function parseEntry(text: string | null): AffinityEntry | undefined {
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<AffinityEntry> | null;
    // Written by this module; anything without an instance is treated as absent.
    return typeof value?.instance === 'string' ? (value as AffinityEntry) : undefined;
  } catch {
    return undefined;
  }
}

export class RedisAffinityStore implements AffinityStore {
  readonly kind = 'redis';

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly ttlSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  private callKey(callId: string): string {
    return `${this.keyPrefix}call:${callId}`;
  }

  private indexKey(instance: string): string {
    return `${this.keyPrefix}instance:${instance}`;
  }

  async get(callId: string): Promise<AffinityEntry | undefined> {
    return parseEntry(await this.redis.get(this.callKey(callId)));
  }

  async claim(callId: string, entry: AffinityEntry): Promise<AffinityEntry | undefined> {
    // Twice at most: the existing entry may expire between the SET NX and the GET.
    for (let attempt = 0; attempt < 2; attempt++) {
      const set = await this.redis.set(this.callKey(callId), JSON.stringify(entry), 'EX', this.ttlSec, 'NX');
      if (set === 'OK') {
        await this.redis.zadd(this.indexKey(entry.instance), this.now() + this.ttlSec * 1000, callId);
        return undefined;
      }
      const existing = await this.get(callId);
      if (existing !== undefined) return existing;
    }
    throw new Error(`affinity of call ${callId} could not be claimed`);
  }

  async put(callId: string, entry: AffinityEntry, previous?: string): Promise<void> {
    const multi = this.redis
      .multi()
      .set(this.callKey(callId), JSON.stringify(entry), 'EX', this.ttlSec)
      .zadd(this.indexKey(entry.instance), this.now() + this.ttlSec * 1000, callId);
    if (previous !== undefined && previous !== entry.instance) multi.zrem(this.indexKey(previous), callId);
    await multi.exec();
  }

  async remove(callId: string, instance: string): Promise<void> {
    await this.redis.multi().del(this.callKey(callId)).zrem(this.indexKey(instance), callId).exec();
  }

  async count(instances: readonly string[]): Promise<Map<string, number>> {
    const now = this.now();
    const counts = await Promise.all(instances.map((i) => this.redis.zcount(this.indexKey(i), now, '+inf')));
    return new Map(instances.map((i, n) => [i, counts[n] ?? 0]));
  }

  async list(instances: readonly string[], limit: number): Promise<AffinitySession[]> {
    const out: AffinitySession[] = [];
    for (const instance of instances) {
      if (out.length >= limit) break;
      const callIds = await this.redis.zrangebyscore(this.indexKey(instance), this.now(), '+inf', 'LIMIT', 0, limit - out.length);
      if (callIds.length === 0) continue;
      const values = await this.redis.mget(callIds.map((c) => this.callKey(c)));
      callIds.forEach((callId, n) => {
        const entry = parseEntry(values[n] ?? null);
        // The index may lag a move to another instance by one command; the key is the truth.
        if (entry !== undefined && entry.instance === instance) out.push({ callId, entry });
      });
    }
    return out;
  }

  async prune(instances: readonly string[]): Promise<void> {
    const now = this.now();
    await Promise.all(instances.map((i) => this.redis.zremrangebyscore(this.indexKey(i), '-inf', now)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
