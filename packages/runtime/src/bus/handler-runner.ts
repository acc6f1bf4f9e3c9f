/**
 * Runs subscription handlers for both buses: isolates a throwing handler from the others,
 * and counts handlers still running asynchronously so `drain()` can wait for them. The
 * promise callbacks are bound once, so an async handler costs one `then`, not a closure.
 */
import type { BusHandler, BusMessage } from './bus.js';

/** Receives errors thrown or rejected by handlers; `subject` is absent for async rejections. */
export type HandlerErrorListener = (error: unknown, subject: string | undefined) => void;

/** Without a listener an error is rethrown outside the bus, where the process treats it as uncaught. */
function rethrowUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

export class HandlerRunner {
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly onError: HandlerErrorListener;

  constructor(onError: HandlerErrorListener | undefined) {
    this.onError = onError ?? rethrowUncaught;
  }

  get running(): number {
    return this.inFlight;
  }

  run(handler: BusHandler, msg: BusMessage): void {
    let result: unknown;
    try {
      result = handler(msg);
    } catch (error) {
      this.onError(error, msg.subject);
      return;
    }
    if (isThenable(result)) {
      this.inFlight++;
      result.then(this.settled, this.failed);
    }
  }

  /** Resolves when no handler is running asynchronously. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly settled = (): void => {
    this.inFlight--;
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  private readonly failed = (error: unknown): void => {
    this.settled();
    this.onError(error, undefined);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
