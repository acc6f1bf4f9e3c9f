/**
 * Time source of the location service. Every expiry decision reads the clock through this
 * interface, so tests move time by hand and several registrar processes agree as well as their
 * system clocks do.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
