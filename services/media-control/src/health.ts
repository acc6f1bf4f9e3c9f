/**
 * An rtpengine instance's health as a state machine, one table (state x input -> next state
 * and counters). Pings and commands that time out feed it; an operator's disable/enable is
 * kept apart (`enabled`), so a disabled instance is still pinged and shows its real health.
 *
 *   unknown --ok--> up      unknown --fail--> down      (the first round decides at once)
 *   up --ok--> up (failures 0)    up --fail--> up, or down after `downAfterFailures` in a row
 *   down --ok--> down, or up after `upAfterSuccesses` in a row    down --fail--> down
 *
 * A load-limit reply is not a failure: the instance is alive and says so; it is only skipped
 * for the new call that got it.
 */

export const HealthState = { unknown: 'unknown', up: 'up', down: 'down' } as const;
export type HealthState = (typeof HealthState)[keyof typeof HealthState];

export const HealthInput = {
  /** The instance answered (a ping with pong, or any command). */
  ok: 'ok',
  /** A ping or a command got no answer in time (or could not be sent). */
  fail: 'fail',
} as const;
export type HealthInput = (typeof HealthInput)[keyof typeof HealthInput];

export interface HealthCounters {
  readonly state: HealthState;
  /** Failures in a row (reset by an answer). */
  readonly failures: number;
  /** Answers in a row while down (reset by a failure). */
  readonly successes: number;
}

export interface HealthThresholds {
  readonly downAfterFailures: number;
  readonly upAfterSuccesses: number;
}

type Transition = (c: HealthCounters, t: HealthThresholds) => HealthCounters;

const TRANSITIONS: Readonly<Record<`${HealthState}:${HealthInput}`, Transition>> = {
  'unknown:ok': () => ({ state: HealthState.up, failures: 0, successes: 0 }),
  'unknown:fail': (c) => ({ state: HealthState.down, failures: c.failures + 1, successes: 0 }),
  'up:ok': () => ({ state: HealthState.up, failures: 0, successes: 0 }),
  'up:fail': (c, t) => ({ state: c.failures + 1 >= t.downAfterFailures ? HealthState.down : HealthState.up, failures: c.failures + 1, successes: 0 }),
  'down:ok': (c, t) =>
    c.successes + 1 >= t.upAfterSuccesses ? { state: HealthState.up, failures: 0, successes: 0 } : { state: HealthState.down, failures: c.failures, successes: c.successes + 1 },
  'down:fail': (c) => ({ state: HealthState.down, failures: c.failures + 1, successes: 0 }),
};

export const INITIAL_HEALTH: HealthCounters = Object.freeze({ state: HealthState.unknown, failures: 0, successes: 0 });

export function nextHealth(current: HealthCounters, input: HealthInput, thresholds: HealthThresholds): HealthCounters {
  return TRANSITIONS[`${current.state}:${input}`](current, thresholds);
}
