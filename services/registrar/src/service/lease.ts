/**
 * A lease in Redis that one registrar at a time holds, for work that must not run twice (NAT
 * pings, outbound registrations): taken when free, renewed by its holder, lost to another
 * registrar within one lease time when the holder dies, handed over at once on a clean stop.
 * Without Redis (one registrar) it is always held.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Takes the lease when free, or renews it when this owner holds it. */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class Lease {
  private readonly owner = randomUUID();

  constructor(
    private readonly redis: Redis | undefined,
    private readonly key: string,
  ) {}

  /** True while this process holds the lease; takes or renews it for `ttlMs`. */
  async hold(ttlMs: number): Promise<boolean> {
    if (!this.redis) return true;
    return (await this.redis.eval(ACQUIRE, 1, this.key, this.owner, String(Math.ceil(ttlMs)))) === 1;
  }

  async release(): Promise<void> {
    if (!this.redis) return;
    await this.redis.eval(RELEASE, 1, this.key, this.owner).catch(() => undefined);
  }
}
