/**
 * Read-decide-write with retry: the one way bindings change. `decide` is a pure function of a
 * snapshot; when another registrar wrote the AoR in between, the write loses the compare-and-set
 * and `decide` runs again on fresh data, so the final state is always one that `decide` chose
 * from what was really there (optimistic concurrency; no lock survives a crashed process).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Binding } from './binding.js';
import { LocationErrorCode, type AorSnapshot, type LocationStore } from './location-store.js';
import { sameContactUri } from './contact-uri-equality.js';

export interface AorDecision<T> {
  /** The whole next binding set; absent: nothing to write (a query or a refusal). */
  readonly next?: readonly Binding[];
  readonly result: T;
}

export type UpdateAorResult<T> =
  | { readonly ok: true; readonly result: T; readonly snapshot: AorSnapshot; readonly attempts: number }
  | { readonly ok: false; readonly code: typeof LocationErrorCode.tooMuchContention; readonly attempts: number };

export interface UpdateAorOptions {
  /** Attempts before giving up; default 16 (each lost attempt means another writer won). */
  readonly maxAttempts?: number;
  /** Waits before attempt `n` (n >= 2); default a random 0..min(2^n, 64) ms, which spreads colliding writers. */
  readonly backoff?: (attempt: number) => Promise<void>;
  /**
   * The first attempt's snapshot, read earlier (while the request was being authenticated: the
   * two round trips overlap). Safe however old: a write from it that another writer beat loses
   * the compare-and-set and the next attempt reads afresh.
   */
  readonly readFirst?: Promise<AorSnapshot>;
}

const DEFAULT_MAX_ATTEMPTS = 16;

export async function updateAor<T>(
  store: LocationStore,
  aor: string,
  decide: (snapshot: AorSnapshot) => AorDecision<T>,
  options: UpdateAorOptions = {},
): Promise<UpdateAorResult<T>> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const backoff = options.backoff ?? randomBackoff;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) await backoff(attempt);
    const snapshot = await (attempt === 1 && options.readFirst !== undefined ? options.readFirst : store.read(aor));
    const decision = decide(snapshot);
    if (decision.next === undefined) return { ok: true, result: decision.result, snapshot, attempts: attempt };
    const written = await store.replace(aor, { version: snapshot.version }, decision.next);
    if (written.ok) {
      return { ok: true, result: decision.result, snapshot: { aor, version: written.version, bindings: decision.next }, attempts: attempt };
    }
  }
  return { ok: false, code: LocationErrorCode.tooMuchContention, attempts: maxAttempts };
}

/** Removes the live bindings of `aor` that `match` selects; resolves to them. */
export async function removeBindings(store: LocationStore, aor: string, match: (b: Binding) => boolean): Promise<Binding[]> {
  const r = await updateAor(store, aor, (snap) => {
    const removed = snap.bindings.filter(match);
    if (removed.length === 0) return { result: removed };
    return { next: snap.bindings.filter((b) => !match(b)), result: removed };
  });
  if (!r.ok) throw new Error(`${r.code}: ${aor} kept changing while removing bindings`);
  return r.result;
}

/** `removeContact` of every store. */
export function removeContactBindings(store: LocationStore, aor: string, contact: string): Promise<Binding[]> {
  return removeBindings(store, aor, (b) => sameContactUri(b.contact, contact));
}

function randomBackoff(attempt: number): Promise<void> {
  const ceilingMs = Math.min(2 ** attempt, 64);
  return sleep(Math.floor(Math.random() * ceilingMs)).then(() => undefined);
}
