/**
 * The location service (RFC 3261 §10): bindings per address of record, shared by every registrar
 * process. Writers never patch single bindings: they read a versioned snapshot of an AoR, compute
 * the whole next set and write it with compare-and-set on the version (`replace`); a lost race is a
 * value (`conflict`) and the caller recomputes from a fresh snapshot (see `updateAor`). That keeps a
 * REGISTER all-or-nothing (RFC 3261 §10.3 step 7 is decided over the whole binding set) and makes
 * concurrent REGISTERs for one AoR safe across processes without locks.
 *
 * Expiry: reads return live bindings only, and every operation that meets expired bindings
 * deletes them and announces them once through `onExpired` (Kamailio's UL_CONTACT_EXPIRE
 * callback); `sweep` finds the ones nobody read.
 */
import type { Binding } from './binding.js';

/** A consistent view of one AoR. `version` 0: the AoR has no bindings. */
export interface AorSnapshot {
  readonly aor: string;
  readonly version: number;
  /** Live bindings, in no particular order. */
  readonly bindings: readonly Binding[];
}

export const LocationErrorCode = {
  /** The AoR changed since the snapshot the write was computed from. */
  versionConflict: 'LOCATION_ERR_VERSION_CONFLICT',
  /** Still conflicting after every retry of `updateAor`. */
  tooMuchContention: 'LOCATION_ERR_TOO_MUCH_CONTENTION',
} as const;
export type LocationErrorCode = (typeof LocationErrorCode)[keyof typeof LocationErrorCode];

export type ReplaceResult =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly code: typeof LocationErrorCode.versionConflict; readonly currentVersion: number };

/** One AoR and its live bindings, as `dump` yields them (admin `ul.dump`). */
export interface AorRecord {
  readonly aor: string;
  readonly bindings: readonly Binding[];
}

export interface LocationCount {
  readonly aors: number;
  readonly bindings: number;
}

export interface SweepResult {
  /** AoRs looked at. */
  readonly aors: number;
  /** Expired bindings removed (and announced). */
  readonly bindings: number;
}

/**
 * Called once for every batch of expired bindings a store removes. `bindings` is empty when the
 * store lost the contents before it could read them (Redis dropped the AoR key at its TTL).
 */
export type ExpiredListener = (aor: string, bindings: readonly Binding[]) => void;

export interface LocationStore {
  /** Live bindings of `aor` (empty when none). */
  get(aor: string): Promise<Binding[]>;
  /** Live bindings of `aor` with the version to write against. */
  read(aor: string): Promise<AorSnapshot>;
  /**
   * Replaces every binding of `aor` with `next` when the AoR is still at `expect.version`.
   * Bindings of `next` that have expired by now are dropped (and announced as expired); an empty
   * set removes the AoR. Each binding must belong to `aor` and have a distinct ruid (else throws:
   * a programming error, not an outcome).
   */
  replace(aor: string, expect: { readonly version: number }, next: readonly Binding[]): Promise<ReplaceResult>;
  /** Removes every binding of `aor` (admin `ul.rm`); resolves to the removed live bindings. */
  remove(aor: string): Promise<Binding[]>;
  /** Removes the bindings of `aor` whose contact equals `contact` (RFC 3261 §19.1.4; `ul.rm_contact`). */
  removeContact(aor: string, contact: string): Promise<Binding[]>;
  /** Every AoR with live bindings, a page at a time; safe to run while bindings change. */
  dump(options?: { readonly pageSize?: number }): AsyncIterable<AorRecord>;
  /** The live bindings behind NAT (`nat`), by AoR: what the NAT keep-alive pings, without walking every AoR. */
  dumpNat(options?: { readonly pageSize?: number }): AsyncIterable<AorRecord>;
  /** Number of AoRs with live bindings and of live bindings (walks everything: admin use). */
  count(): Promise<LocationCount>;
  /** Removes and announces every binding expired at `nowMs` (default: the store's clock). */
  sweep(nowMs?: number): Promise<SweepResult>;
  close(): Promise<void>;
}

/** Checks the preconditions of `replace` shared by every implementation. */
export function assertReplaceable(aor: string, next: readonly Binding[]): void {
  const ruids = new Set<string>();
  for (const b of next) {
    if (b.aor !== aor) throw new Error(`binding ${b.ruid} belongs to ${b.aor}, not ${aor}`);
    if (ruids.has(b.ruid)) throw new Error(`duplicate ruid ${b.ruid} for ${aor}`);
    ruids.add(b.ruid);
  }
}
