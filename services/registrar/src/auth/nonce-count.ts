/**
 * Replay protection by nonce count (RFC 7616 §3.4 / RFC 2617 §3.2.2: "the server can detect request
 * replays by maintaining its own copy of this count"). A request is accepted when its nc is higher
 * than every nc seen with the same nonce; a reordered or repeated request is refused. A nonce used
 * without qop (RFC 2069 form) has no count, so the caller passes nc=1 and it is good once.
 *
 * The memory tracker is bounded: entries leave when their nonce expires, and when the table is
 * full the entry seen first goes. That entry's nonce could then be replayed until it expires;
 * refusing new nonces instead would lock every client out, which is worse.
 */

export interface NonceCountTracker {
  /** True when `nc` is greater than every nc seen for `nonce` (and records it). */
  accept(nonce: string, nc: number, expiresAtMs: number): Promise<boolean>;
}

export interface MemoryNonceCountOptions {
  /** Default 100 000 nonces. */
  readonly maxEntries?: number;
  /** Wall clock in ms; default Date.now. */
  readonly now?: () => number;
}

interface Seen {
  nc: number;
  readonly expiresAtMs: number;
}

export class MemoryNonceCountTracker implements NonceCountTracker {
  private readonly seen = new Map<string, Seen>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryNonceCountOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.seen.size;
  }

  accept(nonce: string, nc: number, expiresAtMs: number): Promise<boolean> {
    const now = this.now();
    this.dropExpired(now);
    if (!Number.isInteger(nc) || nc < 1 || expiresAtMs <= now) return Promise.resolve(false);
    const entry = this.seen.get(nonce);
    if (entry && entry.expiresAtMs > now) {
      if (nc <= entry.nc) return Promise.resolve(false);
      entry.nc = nc;
      return Promise.resolve(true);
    }
    if (entry) this.seen.delete(nonce);
    while (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done) break;
      this.seen.delete(oldest.value);
    }
    this.seen.set(nonce, { nc, expiresAtMs });
    return Promise.resolve(true);
  }

  /**
   * Nonces share one lifetime and are first seen soon after being issued, so insertion order is
   * close to expiry order: dropping from the front until a live entry is enough.
   */
  private dropExpired(now: number): void {
    for (const [nonce, entry] of this.seen) {
      if (entry.expiresAtMs > now) break;
      this.seen.delete(nonce);
    }
  }
}
