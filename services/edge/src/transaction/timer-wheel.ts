/**
 * One scheduler for every transaction timer: a hashed timing wheel (Varghese & Lauck) driven by a
 * single unref'd Node interval that is armed only while something is scheduled.
 *
 * Trade-off: schedule and cancel are O(1) and a hundred thousand live transactions cost one Node
 * timer, at the price of resolution. A timer fires on the first tick at or after its deadline: never
 * early, at most `tickMs` late (plus event-loop latency). The default tick, 10 ms, is far below T1
 * (500 ms), the shortest interval RFC 3261 Table 4 derives. Timers due on the same tick fire in the
 * order they were scheduled; ticks are processed in order, also when catching up after a stall.
 *
 * No closure is allocated per timer: the target is an object with an `onTimer(kind)` method and the
 * wheel keeps one small entry per scheduled timer, which doubles as the handle.
 */
import type { Clock } from './clock.js';

/** Whatever a timer calls back; a transaction implements it with its timer names as `K`. */
export interface TimerTarget<K extends string = string> {
  onTimer(kind: K): void;
}

/** Returned by `schedule`; opaque apart from telling whether the timer is still due to fire. */
export interface TimerHandle {
  readonly pending: boolean;
}

export interface TimerWheel {
  /** Calls `target.onTimer(kind)` once, `delayMs` (>= 0, finite) from now. */
  schedule<K extends string>(delayMs: number, target: TimerTarget<K>, kind: K): TimerHandle;
  /** Stops a pending timer; a handle that already fired or was cancelled is ignored. */
  cancel(handle: TimerHandle): void;
  /** Timers scheduled and not yet fired or cancelled. */
  readonly size: number;
}

export interface HashedTimerWheelOptions {
  readonly clock: Clock;
  /** Resolution in ms (default 10). */
  readonly tickMs?: number;
  /** Slots per revolution, a power of two (default 4096: 41 s per revolution at 10 ms). */
  readonly slotCount?: number;
  /**
   * true (default): a Node interval drives the wheel while timers are pending. false: the owner calls
   * `runDue()` itself (tests, or an external loop).
   */
  readonly autoRun?: boolean;
  /** Receives exceptions thrown by timer targets; without it the first one is rethrown after the tick. */
  readonly onError?: (error: unknown) => void;
}

const IDLE = -1; // fired or cancelled
const DUE = -2; // taken off its slot, about to fire in the current tick

class WheelEntry implements TimerHandle {
  prev: WheelEntry | null = null;
  next: WheelEntry | null = null;
  slot = IDLE;

  constructor(
    readonly owner: HashedTimerWheel,
    readonly deadlineTick: number,
    // Method parameters are bivariant, so a TimerTarget<K> is stored as TimerTarget<string>; the wheel
    // only ever passes back the `kind` it was given with this target.
    readonly target: TimerTarget<string>,
    readonly kind: string,
  ) {}

  get pending(): boolean {
    return this.slot !== IDLE;
  }
}

export class HashedTimerWheel implements TimerWheel {
  readonly tickMs: number;
  private readonly clock: Clock;
  private readonly mask: number;
  private readonly heads: (WheelEntry | null)[];
  private readonly tails: (WheelEntry | null)[];
  private readonly autoRun: boolean;
  private readonly onError: ((error: unknown) => void) | undefined;
  private readonly due: WheelEntry[] = [];
  private readonly intervalCallback: () => void;
  private interval: NodeJS.Timeout | undefined;
  /** The last tick whose slot has been processed. */
  private currentTick: number;
  private count = 0;
  private running = false;

  constructor(options: HashedTimerWheelOptions) {
    const tickMs = options.tickMs ?? 10;
    const slotCount = options.slotCount ?? 4096;
    if (!(tickMs > 0) || !Number.isFinite(tickMs)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
    if (!Number.isInteger(slotCount) || slotCount < 1 || (slotCount & (slotCount - 1)) !== 0) {
      throw new RangeError(`slotCount must be a power of two, got ${slotCount}`);
    }
    this.clock = options.clock;
    this.tickMs = tickMs;
    this.mask = slotCount - 1;
    this.heads = new Array<WheelEntry | null>(slotCount).fill(null);
    this.tails = new Array<WheelEntry | null>(slotCount).fill(null);
    this.autoRun = options.autoRun ?? true;
    this.onError = options.onError;
    this.currentTick = Math.floor(this.clock.now() / tickMs);
    this.intervalCallback = () => this.runDue();
  }

  get size(): number {
    return this.count;
  }

  schedule<K extends string>(delayMs: number, target: TimerTarget<K>, kind: K): TimerHandle {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new RangeError(`timer delay must be finite and >= 0, got ${delayMs}`);
    const now = this.clock.now();
    // An empty wheel has nothing to catch up on: skip the idle ticks instead of walking them later.
    if (this.count === 0 && !this.running) this.currentTick = Math.max(this.currentTick, Math.floor(now / this.tickMs));
    let tick = Math.ceil((now + delayMs) / this.tickMs);
    if (tick <= this.currentTick) tick = this.currentTick + 1;
    const entry = new WheelEntry(this, tick, target, kind);
    this.link(entry, tick & this.mask);
    this.count++;
    if (this.autoRun && this.interval === undefined) {
      this.interval = setInterval(this.intervalCallback, this.tickMs);
      this.interval.unref();
    }
    return entry;
  }

  cancel(handle: TimerHandle): void {
    if (!(handle instanceof WheelEntry) || handle.owner !== this) return;
    if (handle.slot >= 0) this.unlink(handle);
    else if (handle.slot === DUE) handle.slot = IDLE;
    else return;
    this.count--;
    if (this.count === 0) this.disarm();
  }

  /** Fires every timer due at `clock.now()`, tick by tick. */
  runDue(): void {
    if (this.running) return;
    const targetTick = Math.floor(this.clock.now() / this.tickMs);
    let failed = false;
    let firstError: unknown;
    this.running = true;
    try {
      while (this.currentTick < targetTick) {
        if (this.count === 0) {
          this.currentTick = targetTick;
          break;
        }
        const tick = ++this.currentTick;
        this.collectDue(tick);
        const due = this.due;
        for (let i = 0; i < due.length; i++) {
          const entry = due[i];
          // An earlier timer of this tick may have cancelled this one.
          if (entry === undefined || entry.slot !== DUE) continue;
          entry.slot = IDLE;
          this.count--;
          try {
            entry.target.onTimer(entry.kind);
          } catch (error) {
            if (this.onError !== undefined) this.onError(error);
            else if (!failed) {
              failed = true;
              firstError = error;
            }
          }
        }
        due.length = 0;
      }
    } finally {
      this.running = false;
      if (this.count === 0) this.disarm();
    }
    if (failed) throw firstError;
  }

  /** Cancels everything and releases the Node timer. */
  close(): void {
    for (let slot = 0; slot <= this.mask; slot++) {
      let entry = this.heads[slot] ?? null;
      while (entry !== null) {
        const next = entry.next;
        entry.slot = IDLE;
        entry.prev = null;
        entry.next = null;
        entry = next;
      }
      this.heads[slot] = null;
      this.tails[slot] = null;
    }
    for (const entry of this.due) entry.slot = IDLE;
    this.count = 0;
    this.disarm();
  }

  /** Moves the entries of `tick` that are due now (not those a revolution or more away) to `due`. */
  private collectDue(tick: number): void {
    let entry = this.heads[tick & this.mask] ?? null;
    while (entry !== null) {
      const next = entry.next;
      if (entry.deadlineTick <= tick) {
        this.unlink(entry);
        entry.slot = DUE;
        this.due.push(entry);
      }
      entry = next;
    }
  }

  private link(entry: WheelEntry, slot: number): void {
    const tail = this.tails[slot] ?? null;
    entry.slot = slot;
    entry.prev = tail;
    entry.next = null;
    if (tail === null) this.heads[slot] = entry;
    else tail.next = entry;
    this.tails[slot] = entry;
  }

  private unlink(entry: WheelEntry): void {
    const slot = entry.slot;
    if (entry.prev === null) this.heads[slot] = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) this.tails[slot] = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = null;
    entry.next = null;
    entry.slot = IDLE;
  }

  private disarm(): void {
    if (this.interval === undefined) return;
    clearInterval(this.interval);
    this.interval = undefined;
  }
}
