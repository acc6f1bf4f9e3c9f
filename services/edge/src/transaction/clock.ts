/**
 * Time source for the transaction layer. Everything that measures time takes a `Clock`, so tests
 * drive it by hand instead of waiting.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale; only differences are meaningful. */
  now(): number;
}

/** The process clock: `performance.now()` is monotonic, unlike `Date.now()`, which jumps with NTP. */
export const systemClock: Clock = { now: () => performance.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  private currentMs: number;

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  now(): number {
    return this.currentMs;
  }

  /** Moves time to `ms`; time never goes backwards. */
  set(ms: number): void {
    if (ms < this.currentMs) throw new RangeError(`ManualClock cannot go back from ${this.currentMs} to ${ms}`);
    this.currentMs = ms;
  }

  advance(ms: number): void {
    this.set(this.currentMs + ms);
  }
}
