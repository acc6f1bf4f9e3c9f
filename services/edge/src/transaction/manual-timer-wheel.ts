/**
 * A timer wheel on a hand-driven clock, for tests: `advance(ms)` moves time tick by tick and fires
 * what is due in order, so a timer scheduled from inside another timer's callback is measured from
 * the exact tick it was scheduled on. The default 1 ms tick makes fire times exact.
 */
import { ManualClock } from './clock.js';
import { HashedTimerWheel } from './timer-wheel.js';
import type { TimerHandle, TimerTarget, TimerWheel } from './timer-wheel.js';

export interface ManualTimerWheelOptions {
  readonly startMs?: number;
  readonly tickMs?: number;
  readonly slotCount?: number;
}

export class ManualTimerWheel implements TimerWheel {
  readonly clock: ManualClock;
  private readonly wheel: HashedTimerWheel;

  constructor(options: ManualTimerWheelOptions = {}) {
    this.clock = new ManualClock(options.startMs ?? 0);
    this.wheel = new HashedTimerWheel({
      clock: this.clock,
      tickMs: options.tickMs ?? 1,
      slotCount: options.slotCount ?? 4096,
      autoRun: false,
    });
  }

  get size(): number {
    return this.wheel.size;
  }

  now(): number {
    return this.clock.now();
  }

  schedule<K extends string>(delayMs: number, target: TimerTarget<K>, kind: K): TimerHandle {
    return this.wheel.schedule(delayMs, target, kind);
  }

  cancel(handle: TimerHandle): void {
    this.wheel.cancel(handle);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.clock.now() + ms);
  }

  advanceTo(endMs: number): void {
    const tickMs = this.wheel.tickMs;
    for (;;) {
      if (this.wheel.size === 0) break;
      const nextTickMs = (Math.floor(this.clock.now() / tickMs) + 1) * tickMs;
      if (nextTickMs > endMs) break;
      this.clock.set(nextTickMs);
      this.wheel.runDue();
    }
    this.clock.set(endMs);
    this.wheel.runDue();
  }
}
