/**
 * Concurrent-call limits as Kamailio's dialog profiles (book §10.2.5): a profile with a value
 * (`caller` / `1001@example.com`) holds the calls counted against it, each named by its dialog id.
 *
 * Membership is added when the call is routed, in the same atomic step as the check
 * (`tryAdd`), so two INVITEs in the same millisecond cannot both take the last slot, and removed
 * when the call ends (`remove`, by whoever consumes the edge's dialog.ended events). Each entry
 * also expires on its own after a TTL, the edge's longest dialog: a call whose end event never
 * comes (its edge crashed for good) stops counting then instead of locking the caller out.
 */

/** One limit to check and join: at most `max` live calls in `profile` with `value`. */
export interface CallProfileEntry {
  readonly profile: string;
  readonly value: string;
  readonly max: number;
}

/** `ok: false` names the first full profile/value and how many calls it holds. */
export type TryAddResult = { ok: true } | { ok: false; profile: string; value: string; size: number };

export interface CallProfileSize {
  readonly value: string;
  readonly size: number;
}

export interface CallProfiles {
  /**
   * When every entry's profile/value holds fewer than `max` live calls (the call itself, if it is
   * already in, not counted: adding the same dialog again, e.g. for a re-asked INVITE, is a no-op
   * that only renews its expiry), adds the dialog to all of them with an expiry `ttlMs` from now;
   * otherwise adds it to none and reports the first full one. Rejects when the store fails.
   */
  tryAdd(entries: readonly CallProfileEntry[], dialogId: string, ttlMs: number): Promise<TryAddResult>;
  /** Removes the dialogs from every profile they are in; resolves to how many were in one. */
  remove(dialogIds: readonly string[]): Promise<number>;
  /** Live calls of a profile/value (Kamailio `get_profile_size`, RPC `dlg.profile_get_size`). */
  size(profile: string, value: string): Promise<number>;
  /** The values of a profile that hold live calls, with their sizes, sorted by value (RPC `dlg.profile_list`). */
  list(profile: string): Promise<CallProfileSize[]>;
  close(): Promise<void>;
}

export const CallProfilesErrorCode = {
  badArgument: 'CALLS_ERR_BAD_ARGUMENT',
  unexpectedReply: 'CALLS_ERR_UNEXPECTED_REPLY',
} as const;
export type CallProfilesErrorCode = (typeof CallProfilesErrorCode)[keyof typeof CallProfilesErrorCode];

export class CallProfilesError extends Error {
  override readonly name = 'CallProfilesError';

  constructor(
    readonly code: CallProfilesErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Profile names are identifiers (Kamailio declares them in modparams). Keeping `:` and newlines
 * out lets the Redis keys `<prefix>p:<profile>:<value>` stay unambiguous whatever the value is.
 */
const PROFILE_NAME = /^[A-Za-z0-9_.-]+$/;

export function isCallProfileName(s: string): boolean {
  return PROFILE_NAME.test(s);
}

function bad(message: string): CallProfilesError {
  return new CallProfilesError(CallProfilesErrorCode.badArgument, message);
}

export function checkProfile(profile: string): void {
  if (!isCallProfileName(profile)) throw bad(`call profile name ${JSON.stringify(profile)} is not [A-Za-z0-9_.-]+`);
}

/** The arguments of `tryAdd`, checked alike by every store. */
export function checkTryAdd(entries: readonly CallProfileEntry[], dialogId: string, ttlMs: number): void {
  if (dialogId === '') throw bad('dialog id is empty');
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw bad(`call profile ttl ${ttlMs} ms is not a positive integer`);
  for (const e of entries) {
    checkProfile(e.profile);
    if (!Number.isInteger(e.max) || e.max < 0) throw bad(`call profile ${e.profile} max ${e.max} is not an integer >= 0`);
  }
}
