/**
 * Location store of the embedded mode: one Map in this process, lost on restart. No timers: reads
 * skip and delete expired bindings, and `sweep` (called periodically by the service) finds the
 * rest. Versions come from one counter per store, so a version is never reused for an AoR that
 * was emptied and registered again.
 */
import { isLive, type Binding } from './binding.js';
import { systemClock, type Clock } from './clock.js';
import {
  assertReplaceable,
  LocationErrorCode,
  type AorRecord,
  type AorSnapshot,
  type ExpiredListener,
  type LocationCount,
  type LocationStore,
  type ReplaceResult,
  type SweepResult,
} from './location-store.js';
import { removeBindings, removeContactBindings } from './update-aor.js';

export interface MemoryLocationStoreOptions {
  readonly clock?: Clock;
  readonly onExpired?: ExpiredListener;
}

interface AorEntry {
  version: number;
  bindings: Binding[];
}

export class MemoryLocationStore implements LocationStore {
  private readonly aors = new Map<string, AorEntry>();
  private readonly clock: Clock;
  private readonly onExpired: ExpiredListener;
  private lastVersion = 0;

  constructor(options: MemoryLocationStoreOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.onExpired = options.onExpired ?? (() => undefined);
  }

  async get(aor: string): Promise<Binding[]> {
    return [...(await this.read(aor)).bindings];
  }

  async read(aor: string): Promise<AorSnapshot> {
    const entry = this.liveEntry(aor, this.clock.now());
    return entry === undefined ? { aor, version: 0, bindings: [] } : { aor, version: entry.version, bindings: [...entry.bindings] };
  }

  async replace(aor: string, expect: { readonly version: number }, next: readonly Binding[]): Promise<ReplaceResult> {
    assertReplaceable(aor, next);
    const now = this.clock.now();
    const current = this.liveEntry(aor, now)?.version ?? 0;
    if (current !== expect.version) return { ok: false, code: LocationErrorCode.versionConflict, currentVersion: current };
    const live = next.filter((b) => isLive(b, now));
    const dead = next.filter((b) => !isLive(b, now));
    if (live.length === 0) {
      this.aors.delete(aor);
    } else {
      this.aors.set(aor, { version: ++this.lastVersion, bindings: live });
    }
    if (dead.length > 0) this.onExpired(aor, dead);
    return { ok: true, version: live.length === 0 ? 0 : this.lastVersion };
  }

  remove(aor: string): Promise<Binding[]> {
    return removeBindings(this, aor, () => true);
  }

  removeContact(aor: string, contact: string): Promise<Binding[]> {
    return removeContactBindings(this, aor, contact);
  }

  async *dump(options: { readonly pageSize?: number } = {}): AsyncIterable<AorRecord> {
    void options.pageSize; // one process, one Map: nothing to page
    for (const aor of [...this.aors.keys()]) {
      const entry = this.liveEntry(aor, this.clock.now());
      if (entry !== undefined) yield { aor, bindings: [...entry.bindings] };
    }
  }

  async *dumpNat(options: { readonly pageSize?: number } = {}): AsyncIterable<AorRecord> {
    // In one process the walk is cheap: no separate index.
    for await (const r of this.dump(options)) {
      const nat = r.bindings.filter((b) => b.nat);
      if (nat.length > 0) yield { aor: r.aor, bindings: nat };
    }
  }

  async count(): Promise<LocationCount> {
    let aors = 0;
    let bindings = 0;
    for await (const r of this.dump()) {
      aors++;
      bindings += r.bindings.length;
    }
    return { aors, bindings };
  }

  async sweep(nowMs: number = this.clock.now()): Promise<SweepResult> {
    let aors = 0;
    let bindings = 0;
    for (const [aor, entry] of [...this.aors]) {
      aors++;
      const before = entry.bindings.length;
      const after = this.liveEntry(aor, nowMs)?.bindings.length ?? 0;
      bindings += before - after;
    }
    return { aors, bindings };
  }

  async close(): Promise<void> {
    this.aors.clear();
  }

  /** The entry of `aor` after deleting (and announcing) its bindings expired at `now`. */
  private liveEntry(aor: string, now: number): AorEntry | undefined {
    const entry = this.aors.get(aor);
    if (entry === undefined) return undefined;
    const dead = entry.bindings.filter((b) => !isLive(b, now));
    if (dead.length === 0) return entry;
    // Dropping expired bindings changes no live state, so the version stays: a writer holding
    // this version computed its next set without them as well.
    entry.bindings = entry.bindings.filter((b) => isLive(b, now));
    if (entry.bindings.length === 0) this.aors.delete(aor);
    this.onExpired(aor, dead);
    return entry.bindings.length === 0 ? undefined : entry;
  }
}
