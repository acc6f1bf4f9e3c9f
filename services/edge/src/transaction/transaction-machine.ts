/**
 * The engine under the four transaction machines: a transition table (data) plus the timers a
 * transaction holds on the shared wheel. Each machine supplies its table and the code for its
 * actions; the engine looks up `table[state][input]`, moves to the row's next state and runs the
 * row's actions in order.
 *
 * Rules the engine enforces, so that rows stay short:
 * - no row for (state, input): the input is ignored and the call returns false;
 * - the state changes before the actions run, so a TU callback sees the new state;
 * - if an action causes a nested transition (a TU callback or a zero-length timer), the rest of the
 *   outer row is skipped: the nested transition already decided what happens next;
 * - entering the terminal state cancels every timer and then tells the TU, exactly once;
 * - a timer started with 0 ms fires at once (RFC 3261 Table 4: "0s for reliable transports").
 */
import type { TimerHandle, TimerTarget, TimerWheel } from './timer-wheel.js';
import type { TransactionKind } from './transaction-kind.js';
import type { TransitionObserver } from './transaction-user.js';

/**
 * The bytes a server transaction keeps to answer retransmissions (Timer J, H or L: up to 32 s over
 * UDP), in a buffer of their own. A message built with Buffer.allocUnsafe, or cut from a larger
 * buffer, is a view of a shared slab (8 KiB of Node's pool): kept for that long, each view would
 * hold its whole slab, several times its own size, outside the V8 heap.
 */
export function ownBytes(payload: Buffer): Buffer {
  if (payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength) return payload;
  const own = Buffer.allocUnsafeSlow(payload.length);
  payload.copy(own);
  return own;
}

export interface TransitionRow<S extends string, A extends string> {
  readonly next: S;
  readonly actions: readonly A[];
  /** The RFC section that mandates the transition. */
  readonly rfc: string;
}

export type TransitionTable<S extends string, I extends string, A extends string> = {
  readonly [state in S]: { readonly [input in I]?: TransitionRow<S, A> };
};

export interface MachineOptions<S extends string, I extends string, A extends string, T extends I> {
  readonly key: string;
  readonly kind: TransactionKind;
  readonly table: TransitionTable<S, I, A>;
  readonly initial: S;
  readonly terminal: S;
  readonly timerKinds: readonly T[];
  readonly wheel: TimerWheel;
  readonly observer: TransitionObserver | undefined;
}

export abstract class TransactionMachine<S extends string, I extends string, A extends string, T extends I> implements TimerTarget<T> {
  readonly key: string;
  readonly kind: TransactionKind;
  private currentState: S;
  private readonly table: TransitionTable<S, I, A>;
  private readonly terminal: S;
  private readonly timerKinds: readonly T[];
  private readonly handles: (TimerHandle | undefined)[];
  private readonly wheel: TimerWheel;
  private readonly observer: TransitionObserver | undefined;

  protected constructor(options: MachineOptions<S, I, A, T>) {
    this.key = options.key;
    this.kind = options.kind;
    this.currentState = options.initial;
    this.table = options.table;
    this.terminal = options.terminal;
    this.timerKinds = options.timerKinds;
    this.handles = new Array<TimerHandle | undefined>(options.timerKinds.length).fill(undefined);
    this.wheel = options.wheel;
    this.observer = options.observer;
  }

  get state(): S {
    return this.currentState;
  }

  get terminated(): boolean {
    return this.currentState === this.terminal;
  }

  toString(): string {
    return `${this.kind} ${this.key} ${this.currentState}`;
  }

  /** Called by the wheel; the timer's name is also the machine input it produces. */
  onTimer(kind: T): void {
    const index = this.timerKinds.indexOf(kind);
    if (index >= 0) this.handles[index] = undefined;
    this.dispatch(kind, 0, undefined);
  }

  /** Whether a timer is currently running (for tests and diagnostics). */
  isTimerRunning(kind: T): boolean {
    const index = this.timerKinds.indexOf(kind);
    return index >= 0 && this.handles[index] !== undefined;
  }

  protected abstract perform(action: A, status: number, payload: Buffer | undefined): void;

  /** Tells the TU the transaction is over; called once, after all timers are cancelled. */
  protected abstract notifyTerminated(): void;

  protected dispatch(input: I, status: number, payload: Buffer | undefined): boolean {
    const from = this.currentState;
    const row = this.table[from][input];
    if (row === undefined) return false;
    const next = row.next;
    this.currentState = next;
    if (this.observer !== undefined) this.observer(this, from, input, next);
    const actions = row.actions;
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i];
      if (action !== undefined) this.perform(action, status, payload);
      if (this.currentState !== next) return true;
    }
    if (next === this.terminal && from !== this.terminal) {
      this.cancelAllTimers();
      this.notifyTerminated();
    }
    return true;
  }

  /** (Re)starts a timer; 0 ms fires it synchronously, as Table 4 intends for reliable transports. */
  protected startTimer(kind: T, delayMs: number): void {
    this.cancelTimer(kind);
    if (delayMs <= 0) {
      this.dispatch(kind, 0, undefined);
      return;
    }
    const index = this.timerKinds.indexOf(kind);
    if (index >= 0) this.handles[index] = this.wheel.schedule(delayMs, this, kind);
  }

  protected cancelTimer(kind: T): void {
    const index = this.timerKinds.indexOf(kind);
    const handle = index >= 0 ? this.handles[index] : undefined;
    if (handle === undefined) return;
    this.wheel.cancel(handle);
    this.handles[index] = undefined;
  }

  protected cancelAllTimers(): void {
    for (let i = 0; i < this.handles.length; i++) {
      const handle = this.handles[i];
      if (handle === undefined) continue;
      this.wheel.cancel(handle);
      this.handles[i] = undefined;
    }
  }
}
