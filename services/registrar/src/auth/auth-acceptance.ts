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
 * `acceptDigest(ncKey, failureKey, banKeys, nc, ttlMs)`: 'banned', 'replayed' or 'ok' (the nonce
 * count recorded, the failures cleared). The same keys and rules as RedisBanTracker and
 * RedisNonceCountTracker, so both go on working on what this one wrote. A Lua function of its own
 * so a script of another module can run it first in the same atomic step (service/accept-and-save.ts).
 */
export const ACCEPT_DIGEST_LUA = `
local function acceptDigest(ncKey, failureKey, banKeys, nc, ttlMs)
  for _, k in ipairs(banKeys) do
    if redis.call('EXISTS', k) == 1 then return 'banned' end
  end
  local last = tonumber(redis.call('GET', ncKey) or '0')
  if tonumber(nc) <= last then return 'replayed' end
  redis.call('SET', ncKey, nc, 'PX', ttlMs)
  if #banKeys > 0 then redis.call('DEL', failureKey) end
  return 'ok'
end
`;

/** KEYS[1] nonce-count key, KEYS[2] the user's failure count, KEYS[3..] ban keys (none when banning is off); ARGV[1] nc, ARGV[2] ms until the nonce expires. */
const ACCEPT = luaScript(`${ACCEPT_DIGEST_LUA}
return acceptDigest(KEYS[1], KEYS[2], { unpack(KEYS, 3) }, ARGV[1], ARGV[2])
`);

/** What the acceptance script needs of one good digest: its keys and arguments. */
export interface DigestAcceptanceInputs {
  readonly nonceCountKey: string;
  readonly failureKey: string;
  /** Empty when banning is off. */
  readonly banKeys: readonly string[];
  readonly nc: number;
  readonly ttlMs: number;
}

export class RedisAuthAcceptor implements AuthAcceptor {
  /** The connection is the caller's; the trackers name the keys (and say whether banning is on). */
  constructor(
    private readonly redis: Redis,
    private readonly bans: RedisBanTracker,
    private readonly nonceCounts: RedisNonceCountTracker,
    private readonly now: () => number = Date.now,
  ) {}

  async accept(banUser: string, ip: string, nonce: string, nc: number, expiresAtMs: number): Promise<Acceptance> {
    const a = this.inputs(banUser, ip, nonce, nc, expiresAtMs);
    if (a === undefined) return Acceptance.replayed;
    return acceptanceOf(await runLua(this.redis, ACCEPT, [a.nonceCountKey, a.failureKey, ...a.banKeys], [a.nc, a.ttlMs]));
  }

  /** The inputs of `acceptDigest`; undefined when the nonce count cannot be accepted at all (bad nc, nonce expired). */
  inputs(banUser: string, ip: string, nonce: string, nc: number, expiresAtMs: number): DigestAcceptanceInputs | undefined {
    const ttlMs = Math.ceil(expiresAtMs - this.now());
    if (!Number.isInteger(nc) || nc < 1 || ttlMs <= 0) return undefined;
    return { nonceCountKey: this.nonceCounts.keyOf(nonce), failureKey: this.bans.failureKey(banUser), banKeys: this.bans.banKeys(banUser, ip), nc, ttlMs };
  }
}

/** The answer of `acceptDigest`, checked. */
export function acceptanceOf(outcome: unknown): Acceptance {
  if (outcome === Acceptance.ok || outcome === Acceptance.banned || outcome === Acceptance.replayed) return outcome;
  throw new Error(`unexpected answer of the auth acceptance script: ${String(outcome)}`);
}
