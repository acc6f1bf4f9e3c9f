/**
 * Nonce counts in Redis, so that every registrar instance refuses a replay whichever instance saw
 * the nonce first. One key per nonce holding the highest nc, compared and raised in one Lua script
 * (atomic: two instances cannot both accept the same nc), gone when the nonce expires.
 */
import type { Redis } from 'ioredis';
import { luaScript, runLua } from '@sipmesh/runtime';
import type { NonceCountTracker } from './nonce-count.js';

export interface RedisNonceCountOptions {
  /** Default `sipmesh:nc:`. */
  readonly keyPrefix?: string;
  /** Wall clock in ms; default Date.now. */
  readonly now?: () => number;
}

/** KEYS[1] nonce key; ARGV[1] nc; ARGV[2] ms until the nonce expires. 1: accepted, 0: replay. */
const ACCEPT = luaScript(`
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local nc = tonumber(ARGV[1])
if nc <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

export class RedisNonceCountTracker implements NonceCountTracker {
  private readonly keyPrefix: string;
  private readonly now: () => number;

  /** The connection is the caller's: it is neither opened nor closed here. */
  constructor(
    private readonly redis: Redis,
    options: RedisNonceCountOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'sipmesh:nc:';
    this.now = options.now ?? Date.now;
  }

  async accept(nonce: string, nc: number, expiresAtMs: number): Promise<boolean> {
    const ttlMs = Math.ceil(expiresAtMs - this.now());
    if (!Number.isInteger(nc) || nc < 1 || ttlMs <= 0) return false;
    // By hash: the script text is not sent with every REGISTER.
    return (await runLua(this.redis, ACCEPT, [this.keyOf(nonce)], [nc, ttlMs])) === 1;
  }

  /** The key holding the highest nc of `nonce` (RedisAuthAcceptor writes it too). */
  keyOf(nonce: string): string {
    return this.keyPrefix + nonce;
  }
}
