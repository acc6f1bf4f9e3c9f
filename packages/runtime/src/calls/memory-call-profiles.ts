/**
 * Call profiles in this process (embedded mode): one router, nothing shared, lost on restart.
 * Each method runs to completion without awaiting, so a check-and-add is atomic on the event loop.
 * Expired entries are dropped where they are read, and by a sweep of everything at most once a
 * minute, so calls that never got their end event do not pile up.
 */
import { checkProfile, checkTryAdd, type CallProfileEntry, type CallProfiles, type CallProfileSize, type TryAddResult } from './call-profiles.js';

export interface MemoryCallProfilesOptions {
  /** Milliseconds since the epoch; default Date.now (tests move time by hand). */
  readonly now?: () => number;
}

const SWEEP_INTERVAL_MS = 60_000;

/** dialog id -> expiry (epoch ms); a call is live while its expiry is after now. */
type Members = Map<string, number>;

export class MemoryCallProfiles implements CallProfiles {
  private readonly now: () => number;
  /** profile -> value -> members. */
  private readonly profiles = new Map<string, Map<string, Members>>();
  /** dialog id -> profile -> values it is in (what `remove` walks). */
  private readonly dialogs = new Map<string, Map<string, Set<string>>>();
  private lastSweepMs: number;

  constructor(options: MemoryCallProfilesOptions = {}) {
    this.now = options.now ?? Date.now;
    this.lastSweepMs = this.now();
  }

  async tryAdd(entries: readonly CallProfileEntry[], dialogId: string, ttlMs: number): Promise<TryAddResult> {
    checkTryAdd(entries, dialogId, ttlMs);
    const now = this.now();
    if (now - this.lastSweepMs >= SWEEP_INTERVAL_MS) this.sweep(now);
    for (const e of entries) {
      const members = this.members(e.profile, e.value, now);
      const size = members?.size ?? 0;
      const others = members?.has(dialogId) ? size - 1 : size;
      if (others >= e.max) return { ok: false, profile: e.profile, value: e.value, size };
    }
    const expiresAtMs = now + ttlMs;
    for (const e of entries) {
      let values = this.profiles.get(e.profile);
      if (!values) this.profiles.set(e.profile, (values = new Map()));
      let members = values.get(e.value);
      if (!members) values.set(e.value, (members = new Map()));
      members.set(dialogId, expiresAtMs);
      let joined = this.dialogs.get(dialogId);
      if (!joined) this.dialogs.set(dialogId, (joined = new Map()));
      let joinedValues = joined.get(e.profile);
      if (!joinedValues) joined.set(e.profile, (joinedValues = new Set()));
      joinedValues.add(e.value);
    }
    return { ok: true };
  }

  async remove(dialogIds: readonly string[]): Promise<number> {
    const now = this.now();
    let removed = 0;
    for (const id of dialogIds) {
      const joined = this.dialogs.get(id);
      if (!joined) continue;
      this.dialogs.delete(id);
      let live = false;
      for (const [profile, values] of joined) {
        for (const value of values) {
          const members = this.profiles.get(profile)?.get(value);
          const expiresAtMs = members?.get(id);
          if (members === undefined || expiresAtMs === undefined) continue;
          if (expiresAtMs > now) live = true;
          members.delete(id);
          if (members.size === 0) this.dropValue(profile, value);
        }
      }
      if (live) removed++;
    }
    return removed;
  }

  async size(profile: string, value: string): Promise<number> {
    checkProfile(profile);
    return this.members(profile, value, this.now())?.size ?? 0;
  }

  async list(profile: string): Promise<CallProfileSize[]> {
    checkProfile(profile);
    const now = this.now();
    const out: CallProfileSize[] = [];
    for (const value of [...(this.profiles.get(profile)?.keys() ?? [])]) {
      const size = this.members(profile, value, now)?.size ?? 0;
      if (size > 0) out.push({ value, size });
    }
    return out.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  }

  async close(): Promise<void> {
    this.profiles.clear();
    this.dialogs.clear();
  }

  /** The live members of a profile/value, after dropping the expired ones. */
  private members(profile: string, value: string, now: number): Members | undefined {
    const members = this.profiles.get(profile)?.get(value);
    if (!members) return undefined;
    for (const [id, expiresAtMs] of members) if (expiresAtMs <= now) this.forget(profile, value, id);
    if (members.size === 0) {
      this.dropValue(profile, value);
      return undefined;
    }
    return members;
  }

  private sweep(now: number): void {
    this.lastSweepMs = now;
    for (const [profile, values] of this.profiles) for (const value of [...values.keys()]) this.members(profile, value, now);
  }

  /** Takes an expired dialog out of one profile/value and out of the dialog index. */
  private forget(profile: string, value: string, id: string): void {
    this.profiles.get(profile)?.get(value)?.delete(id);
    const joined = this.dialogs.get(id);
    const values = joined?.get(profile);
    values?.delete(value);
    if (values?.size === 0) joined?.delete(profile);
    if (joined?.size === 0) this.dialogs.delete(id);
  }

  private dropValue(profile: string, value: string): void {
    const values = this.profiles.get(profile);
    values?.delete(value);
    if (values?.size === 0) this.profiles.delete(profile);
  }
}
