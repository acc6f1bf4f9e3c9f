/**
 * The ban tracker in Redis, shared by every registrar instance. Per user and per IP:
 * `<prefix>fail:<subject>` counts failures (INCR, then EXPIRE NX so the window starts at the first
 * failure and is never extended; Redis >= 7.0), `<prefix>ban:<subject>` exists while banned.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_BAN_POLICY, ipKey, userKey, type BanPolicy, type BanTracker } from './ban-tracker.js';

export interface RedisBanOptions {
  /** Default `sipmesh:authban:`. */
  readonly keyPrefix?: string;
}

export class RedisBanTracker implements BanTracker {
  private readonly keyPrefix: string;

  /** The connection is the caller's: it is neither opened nor closed here. */
  constructor(
    private readonly redis: Redis,
    private readonly policy: BanPolicy = DEFAULT_BAN_POLICY,
    options: RedisBanOptions = {},
  ) {
    this.keyPrefix = options.keyPrefix ?? 'sipmesh:authban:';
  }

  async check(user: string | undefined, ip: string): Promise<boolean> {
    // Banning off: nobody is ever banned, and no Redis round trip is spent finding that out.
    if (this.policy.maxFailures <= 0) return false;
    const keys = this.subjects(user, ip).map((s) => this.banKey(s));
    return (await this.redis.exists(...keys)) > 0;
  }

  async fail(user: string | undefined, ip: string): Promise<boolean> {
    if (this.policy.maxFailures <= 0) return false;
    const subjects = this.subjects(user, ip);
    const counting = this.redis.multi();
    for (const s of subjects) counting.incr(this.failKey(s)).expire(this.failKey(s), this.policy.windowSec, 'NX');
    const replies = await counting.exec();
    if (!replies) throw new Error('ban tracker: transaction aborted');
    const reached = subjects.filter((_, i) => {
      const [error, count] = replies[i * 2] ?? [null, 0];
      if (error) throw error;
      return Number(count) >= this.policy.maxFailures;
    });
    if (reached.length === 0) return false;
    const banning = this.redis.multi();
    for (const s of reached) banning.set(this.banKey(s), '1', 'EX', this.policy.banSec).del(this.failKey(s));
    await banning.exec();
    return true;
  }

  async succeed(user: string): Promise<void> {
    if (this.policy.maxFailures <= 0) return;
    await this.redis.del(this.failKey(userKey(user)));
  }

  /** The keys whose existence means banned (none when banning is off), for RedisAuthAcceptor. */
  banKeys(user: string, ip: string): string[] {
    return this.policy.maxFailures <= 0 ? [] : this.subjects(user, ip).map((s) => this.banKey(s));
  }

  /** The key counting the user's failures, for RedisAuthAcceptor. */
  failureKey(user: string): string {
    return this.failKey(userKey(user));
  }

  private subjects(user: string | undefined, ip: string): string[] {
    return user === undefined ? [ipKey(ip)] : [userKey(user), ipKey(ip)];
  }

  private failKey(subject: string): string {
    return `${this.keyPrefix}fail:${subject}`;
  }

  private banKey(subject: string): string {
    return `${this.keyPrefix}ban:${subject}`;
  }
}
