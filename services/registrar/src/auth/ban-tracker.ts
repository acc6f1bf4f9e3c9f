/**
 * Bans after repeated authentication failures: the book's userban (spec §10.2.4), corrected.
 * Failures are counted per authentication user and per source IP, separately, in a fixed window
 * that starts at the first failure; either count reaching `maxFailures` bans that user or that
 * source for `banSec`. The book counted per user only, let the ban lapse into a state that left
 * requests unanswered, and counted stale nonces; what counts as a failure is the authenticator's
 * decision (digest-authenticator.ts), this module only counts.
 */

export interface BanTracker {
  /** True while the user (when known) or the source IP is banned. */
  check(user: string | undefined, ip: string): Promise<boolean>;
  /** Counts a failure of the user (when known) and of the IP; true when this failure bans one of them. */
  fail(user: string | undefined, ip: string): Promise<boolean>;
  /** A successful authentication clears the user's count (not the IP's: one good account must not shield a scan). */
  succeed(user: string): Promise<void>;
}

export interface BanPolicy {
  /** Failures within the window that ban; 0: never ban. Default 10 (the book's limit). */
  readonly maxFailures: number;
  /** Default 300 s. */
  readonly windowSec: number;
  /** Default 300 s (the book's htable autoexpire). */
  readonly banSec: number;
}

export const DEFAULT_BAN_POLICY: BanPolicy = Object.freeze({ maxFailures: 10, windowSec: 300, banSec: 300 });

/** Kinds of things counted: user and source IP keys never collide. */
export const BanSubject = { user: 'u', ip: 'ip' } as const;
export type BanSubject = (typeof BanSubject)[keyof typeof BanSubject];

export interface MemoryBanOptions {
  /** Most users plus IPs tracked; the oldest entry goes when full. Default 100 000. */
  readonly maxEntries?: number;
  /** Wall or monotonic ms; default Date.now. */
  readonly now?: () => number;
}

interface Entry {
  failures: number;
  windowEndsMs: number;
  bannedUntilMs: number;
}

export class MemoryBanTracker implements BanTracker {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly policy: BanPolicy = DEFAULT_BAN_POLICY,
    options: MemoryBanOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  check(user: string | undefined, ip: string): Promise<boolean> {
    const now = this.now();
    const banned = (key: string): boolean => (this.entries.get(key)?.bannedUntilMs ?? 0) > now;
    return Promise.resolve((user !== undefined && banned(userKey(user))) || banned(ipKey(ip)));
  }

  fail(user: string | undefined, ip: string): Promise<boolean> {
    if (this.policy.maxFailures <= 0) return Promise.resolve(false);
    const now = this.now();
    const userBanned = user !== undefined && this.count(userKey(user), now);
    const ipBanned = this.count(ipKey(ip), now);
    return Promise.resolve(userBanned || ipBanned);
  }

  succeed(user: string): Promise<void> {
    const entry = this.entries.get(userKey(user));
    if (entry && entry.bannedUntilMs <= this.now()) this.entries.delete(userKey(user));
    return Promise.resolve();
  }

  private count(key: string, now: number): boolean {
    let entry = this.entries.get(key);
    if (entry && entry.windowEndsMs <= now && entry.bannedUntilMs <= now) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) {
      this.makeRoom(now);
      entry = { failures: 0, windowEndsMs: now + this.policy.windowSec * 1000, bannedUntilMs: 0 };
      this.entries.set(key, entry);
    } else if (entry.windowEndsMs <= now) {
      entry.failures = 0;
      entry.windowEndsMs = now + this.policy.windowSec * 1000;
    }
    entry.failures++;
    if (entry.failures < this.policy.maxFailures) return false;
    entry.bannedUntilMs = now + this.policy.banSec * 1000;
    entry.failures = 0;
    entry.windowEndsMs = entry.bannedUntilMs;
    return true;
  }

  private makeRoom(now: number): void {
    if (this.entries.size < this.maxEntries) return;
    for (const [key, e] of this.entries) if (e.windowEndsMs <= now && e.bannedUntilMs <= now) this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}

export function userKey(user: string): string {
  return `${BanSubject.user}:${user}`;
}

export function ipKey(ip: string): string {
  return `${BanSubject.ip}:${ip.toLowerCase()}`;
}
