/**
 * Call profiles in Redis, shared by every router: a caller limited to one call is refused on the
 * second whichever router and edge the INVITEs reach (book §10.2.5 keeps profiles per Kamailio
 * instance unless DMQ syncs them; here the store is the one place).
 *
 * Key layout (prefix configurable, default `sipmesh:calls:`):
 * - `<prefix>p:<profile>:<value>` ZSET  member = dialog id, score = expiry (epoch ms): the calls
 *                                       counted against that value.
 * - `<prefix>v:<profile>`         ZSET  member = value, score = latest expiry of its calls: what
 *                                       `list` walks.
 * - `<prefix>d:<dialog id>`       SET   the value keys the dialog is in: what `remove` walks.
 *
 * The check-and-add is one Lua script (EVALSHA, EVAL after a Redis restart), so it is atomic across
 * routers; it trims expired members first. Every key carries a PEXPIRE of at least the TTL, so
 * Redis itself forgets calls nobody removed. Times are the caller's clock (ARGV), so routers agree
 * as well as their clocks do. Not Redis Cluster ready: `remove` builds the value keys inside the
 * script, and a check spans several keys, which would need one hash slot.
 */
import { Redis } from 'ioredis';
import { CallProfilesError, CallProfilesErrorCode, checkProfile, checkTryAdd, type CallProfileEntry, type CallProfiles, type CallProfileSize, type TryAddResult } from './call-profiles.js';
import { runLua, type LuaScript } from '../data/redis-lua.js';
import { REMOVE, TRY_ADD } from './redis-call-profile-scripts.js';

export const DEFAULT_CALL_PROFILES_KEY_PREFIX = 'sipmesh:calls:';

export interface RedisCallProfilesOptions {
  readonly redis: Redis;
  /** Default `sipmesh:calls:`. */
  readonly keyPrefix?: string;
  /** Milliseconds since the epoch; default Date.now. */
  readonly now?: () => number;
  /** `close()` also quits the connection; default false (the caller owns it). */
  readonly ownsConnection?: boolean;
}

export interface RedisCallProfilesConnectOptions {
  /** `redis://host:port/db`. */
  readonly url: string;
  readonly keyPrefix?: string;
  /**
   * Longest wait for one Redis command, ms (ioredis commandTimeout); past it the call fails like
   * an unreachable store. Keep it well below the edge's route deadline. Default 1000.
   */
  readonly timeoutMs?: number;
  /** Redis connection name (CLIENT LIST). */
  readonly connectionName?: string;
  /** Connection errors (ioredis reconnects by itself); default: ignored. */
  readonly onConnectionError?: (err: Error) => void;
  readonly now?: () => number;
}

export class RedisCallProfiles implements CallProfiles {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly ownsConnection: boolean;

  constructor(options: RedisCallProfilesOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix ?? DEFAULT_CALL_PROFILES_KEY_PREFIX;
    this.now = options.now ?? Date.now;
    this.ownsConnection = options.ownsConnection ?? false;
  }

  /**
   * Opens its own connection and checks it with a PING; rejects when Redis is unreachable. The
   * store owns the connection (close() quits it).
   */
  static async connect(options: RedisCallProfilesConnectOptions): Promise<RedisCallProfiles> {
    // One retry per command: a call waiting on a reconnecting Redis is a call the caller hangs up
    // on; failing fast lets the router answer (500) while ioredis keeps reconnecting.
    const redis = new Redis(options.url, {
      maxRetriesPerRequest: 1,
      commandTimeout: options.timeoutMs ?? 1000,
      enableAutoPipelining: true,
      lazyConnect: true,
      ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    });
    redis.on('error', options.onConnectionError ?? (() => undefined));
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw new Error(`call profiles: Redis at ${options.url} is unreachable: ${(e as Error).message}`, { cause: e });
    }
    return new RedisCallProfiles({ redis, ownsConnection: true, ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }), ...(options.now === undefined ? {} : { now: options.now }) });
  }

  /** Key of the sorted set of one profile/value (tests and admin tools read it). */
  valueKey(profile: string, value: string): string {
    return `${this.prefix}p:${profile}:${value}`;
  }

  /** Key of the index of a profile's values. */
  indexKey(profile: string): string {
    return `${this.prefix}v:${profile}`;
  }

  /** Key of the set of value keys a dialog is in. */
  dialogKey(dialogId: string): string {
    return `${this.prefix}d:${dialogId}`;
  }

  async tryAdd(entries: readonly CallProfileEntry[], dialogId: string, ttlMs: number): Promise<TryAddResult> {
    checkTryAdd(entries, dialogId, ttlMs);
    if (entries.length === 0) return { ok: true };
    const now = this.now();
    const keys = [this.dialogKey(dialogId)];
    const args: (string | number)[] = [now, now + ttlMs, ttlMs, dialogId];
    for (const e of entries) {
      keys.push(this.valueKey(e.profile, e.value), this.indexKey(e.profile));
      args.push(e.value, e.max);
    }
    const reply = await this.run(TRY_ADD, keys, args);
    if (!Array.isArray(reply) || reply.length < 1) throw unexpected('tryAdd', reply);
    if (Number(reply[0]) === 1) return { ok: true };
    const full = entries[Number(reply[1]) - 1];
    if (full === undefined) throw unexpected('tryAdd', reply);
    return { ok: false, profile: full.profile, value: full.value, size: Number(reply[2]) };
  }

  async remove(dialogIds: readonly string[]): Promise<number> {
    if (dialogIds.length === 0) return 0;
    const reply = await this.run(
      REMOVE,
      dialogIds.map((id) => this.dialogKey(id)),
      [this.now(), this.prefix, ...dialogIds],
    );
    if (typeof reply !== 'number') throw unexpected('remove', reply);
    return reply;
  }

  async size(profile: string, value: string): Promise<number> {
    checkProfile(profile);
    return this.redis.zcount(this.valueKey(profile, value), `(${this.now()}`, '+inf');
  }

  async list(profile: string): Promise<CallProfileSize[]> {
    checkProfile(profile);
    const now = this.now();
    // ZSCAN may return a member twice while the set is rehashed; `seen` drops the repeats.
    const seen = new Set<string>();
    const out: CallProfileSize[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.zscan(this.indexKey(profile), cursor, 'COUNT', 500);
      cursor = next;
      const values: string[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const value = flat[i];
        const latest = Number(flat[i + 1]);
        if (value === undefined || seen.has(value) || latest <= now) continue;
        seen.add(value);
        values.push(value);
      }
      // Issued together, the counts share round trips (auto-pipelining).
      const sizes = await Promise.all(values.map((v) => this.redis.zcount(this.valueKey(profile, v), `(${now}`, '+inf')));
      values.forEach((value, i) => {
        const size = sizes[i] ?? 0;
        if (size > 0) out.push({ value, size });
      });
    } while (cursor !== '0');
    return out.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }

  async close(): Promise<void> {
    if (!this.ownsConnection) return;
    // QUIT waits for Redis; one that is gone would hold the stop up.
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private run(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return runLua(this.redis, script, keys, args);
  }
}

function unexpected(what: string, reply: unknown): CallProfilesError {
  return new CallProfilesError(CallProfilesErrorCode.unexpectedReply, `call profiles: unexpected reply to ${what}: ${JSON.stringify(reply)}`);
}
