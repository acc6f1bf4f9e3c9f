/**
 * The last step of a digest check, once the digest has proved good and the nonce is valid: the
 * user and the source must not be banned, the nonce count must grow (replay protection), and the
 * user's failure count is cleared. Three questions to two stores; in Redis they are one script,
 * so an accepted REGISTER costs the registrar one Redis round trip here instead of three (the
 * ban check, the nonce count, the cleared count). A store that fails rejects the promise.
 */
import type { Redis } from 'ioredis';
import { luaScript, runLua } from '@sipmesh/runtime';
import type { BanTracker } from './ban-tracker.js';
import type { NonceCountTracker } from './nonce-count.js';
import type { RedisBanTracker } from './redis-ban-tracker.js';
import type { RedisNonceCountTracker } from './redis-nonce-count.js';

export const Acceptance = { ok: 'ok', banned: 'banned', replayed: 'replayed' } as const;
export type Acceptance = (typeof Acceptance)[keyof typeof Acceptance];

export interface AuthAcceptor {
  /** `banUser` is `user@realm` as the ban tracker counts it; `nc` 1 for a nonce used without qop. */
  accept(banUser: string, ip: string, nonce: string, nc: number, expiresAtMs: number): Promise<Acceptance>;
}

/** Any ban tracker and nonce-count tracker, asked one after the other. */
export class SequentialAuthAcceptor implements AuthAcceptor {
  constructor(
    private readonly bans: BanTracker,
    private readonly nonceCounts: NonceCountTracker,
  ) {}

  async accept(banUser: string, ip: string, nonce: string, nc: number, expiresAtMs: number): Promise<Acceptance> {
    if (await this.bans.check(banUser, ip)) return Acceptance.banned;
    if (!(await this.nonceCounts.accept(nonce, nc, expiresAtMs))) return Acceptance.replayed;
    await this.bans.succeed(banUser);
    return Acceptance.ok;
  }
}

/**
 * KEYS[1] nonce-count key, KEYS[2] the user's failure count, KEYS[3..] ban keys (none when banning
 * is off); ARGV[1] nc, ARGV[2] ms until the nonce expires. The same keys and rules as
 * RedisBanTracker and RedisNonceCountTracker, so both go on working on what this one wrote.
 */
const ACCEPT = luaScript(`
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return 'banned' end
end
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) <= last then return 'replayed' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if #KEYS > 2 then redis.call('DEL', KEYS[2]) end
return 'ok'
`);

export class RedisAuthAcceptor implements AuthAcceptor {
  /** The connection is the caller's; the trackers name the keys (and say whether banning is on). */
  constructor(
    private readonly redis: Redis,
    private readonly bans: RedisBanTracker,
    private readonly nonceCounts: RedisNonceCountTracker,
    private readonly now: () => number = Date.now,
  ) {}

  async accept(banUser: string, ip: string, nonce: string, nc: number, expiresAtMs: number): Promise<Acceptance> {
    const ttlMs = Math.ceil(expiresAtMs - this.now());
    if (!Number.isInteger(nc) || nc < 1 || ttlMs <= 0) return Acceptance.replayed;
    const banKeys = this.bans.banKeys(banUser, ip);
    const keys = [this.nonceCounts.keyOf(nonce), this.bans.failureKey(banUser), ...banKeys];
    const outcome = await runLua(this.redis, ACCEPT, keys, [nc, ttlMs]);
    if (outcome === Acceptance.ok || outcome === Acceptance.banned || outcome === Acceptance.replayed) return outcome;
    throw new Error(`unexpected answer of the auth acceptance script: ${String(outcome)}`);
  }
}
