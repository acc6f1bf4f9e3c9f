/**
 * How keepalive results move a destination between states (Kamailio dispatcher `ds_probing_mode`,
 * `ds_probing_threshold`, `ds_inactive_threshold`, `ds_ping_reply_codes`), as pure rules:
 *
 * - which destinations are probed: never disabled or no-ping ones; mode 0 and 3 probe those flagged
 *   probing, mode 1 every one, mode 2 only those both inactive and flagged probing;
 * - a reply counts as up when it is a 2xx or one of the configured codes/classes; a locally made
 *   408 (no answer) is a failure whatever the configuration says;
 * - failures: an active destination becomes trying, and inactive after `threshold` failures in a row;
 * - successes: an inactive or trying destination becomes active after `inactiveThreshold`
 *   successes in a row; the probing flag stays in mode 1 and 3 (continuous probing) and is
 *   cleared in modes 0 and 2 (probe until it is back);
 * - a failure always sets the probing flag, so a failing destination keeps being watched.
 */
import type { DestinationStatus } from './dispatcher-list.js';

export type ProbingMode = 0 | 1 | 2 | 3;

export interface ProbeRules {
  readonly mode: ProbingMode;
  /** Failures in a row before a destination goes inactive (Kamailio default 1). */
  readonly threshold: number;
  /** Successes in a row before an inactive destination comes back (Kamailio default 1). */
  readonly inactiveThreshold: number;
  /** Extra reply codes and classes that count as up. */
  readonly upCodes: ReplyCodes;
}

export interface ReplyCodes {
  readonly codes: ReadonlySet<number>;
  /** Classes 1..6 (2 = any 2xx). */
  readonly classes: ReadonlySet<number>;
}

/** Kamailio's `ds_ping_reply_codes` syntax: `class=2;code=403;code=488;class=3`. */
export function parseReplyCodes(text: string): { ok: true; value: ReplyCodes } | { ok: false; error: string } {
  const codes = new Set<number>();
  const classes = new Set<number>();
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^(class|code)\s*=\s*(\d+)$/i.exec(item);
    if (!m) return { ok: false, error: `reply code item "${item}" is not class=N or code=NNN` };
    const n = Number(m[2]);
    if ((m[1] ?? '').toLowerCase() === 'class') {
      if (n < 1 || n > 6) return { ok: false, error: `reply class ${n} is not 1-6` };
      classes.add(n);
    } else {
      if (n < 100 || n > 699) return { ok: false, error: `reply code ${n} is not 100-699` };
      codes.add(n);
    }
  }
  return { ok: true, value: { codes, classes } };
}

export function shouldProbe(status: DestinationStatus, noPing: boolean, mode: ProbingMode): boolean {
  if (status.state === 'disabled' || noPing) return false;
  if (mode === 1) return true;
  if (mode === 2) return status.probing && status.state === 'inactive';
  return status.probing;
}

export function countsAsUp(status: number, local: boolean, up: ReplyCodes): boolean {
  if (local && status === 408) return false;
  if (status >= 200 && status <= 299) return true;
  return up.codes.has(status) || up.classes.has(Math.floor(status / 100));
}

/** Consecutive results of one destination. */
export interface ProbeStreak {
  failures: number;
  successes: number;
}

/** The next status after one keepalive result; `streak` is updated in place. */
export function nextStatus(current: DestinationStatus, up: boolean, streak: ProbeStreak, rules: ProbeRules): DestinationStatus {
  if (current.state === 'disabled') return current; // an administrator's choice; probes never override it
  // After a success the flag stays where probing is continuous (mode 1, and mode 3 for flagged ones);
  // modes 0 and 2 probe a destination until it is back, then stop.
  const probingAfter = rules.mode === 1 || (rules.mode === 3 && current.probing);
  if (up) {
    streak.failures = 0;
    streak.successes++;
    if (current.state === 'active') return { state: 'active', probing: probingAfter };
    if (streak.successes >= rules.inactiveThreshold) {
      streak.successes = 0;
      return { state: 'active', probing: probingAfter };
    }
    return current;
  }
  streak.successes = 0;
  streak.failures++;
  if (current.state === 'inactive') return { state: 'inactive', probing: true };
  if (streak.failures >= rules.threshold) {
    streak.failures = 0;
    return { state: 'inactive', probing: true };
  }
  return { state: 'trying', probing: true };
}
