/**
 * Nonce counts in Redis, so that every registrar instance refuses a replay whichever instance saw
 * the nonce first. One key per nonce holding the highest nc, compared and raised in one Lua script
 * (atomic: two instances cannot both accept the same nc), gone when the nonce expires.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { NonceCountTracker } from './nonce-count.js';

export interface RedisNonceCountOptions {
  /** Default `sipmesh:nc:`. */
  readonly keyPrefix?: string;
  /** Wall clock in ms; default Date.now. */
  readonly now?: () => number;
}

/** KEYS[1] nonce key; ARGV[1] nc; ARGV[2] ms until the nonce expires. 1: accepted, 0: replay. */
const ACCEPT_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local nc = tonumber(ARGV[1])
if nc <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

const ACCEPT_SHA = createHash('sha1').update(ACCEPT_SCRIPT).digest('hex');

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
    const key = this.keyPrefix + nonce;
    let accepted: unknown;
    try {
      // By hash: the script text is not sent with every REGISTER.
      accepted = await this.redis.evalsha(ACCEPT_SHA, 1, key, nc, ttlMs);
    } catch (e) {
      if (!String((e as Error).message).includes('NOSCRIPT')) throw e;
      accepted = await this.redis.eval(ACCEPT_SCRIPT, 1, key, nc, ttlMs);
    }
    return accepted === 1;
  }
}
