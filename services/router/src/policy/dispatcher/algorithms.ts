/**
 * The selection algorithms of Kamailio's `ds_select_dst`, by name. Kamailio's numbers (0-13) are part
 * of the routes-file format for people coming from Kamailio and are mapped here, at the boundary.
 */

export const DispatcherAlgorithm = {
  hashCallId: 'hash-call-id',
  hashFrom: 'hash-from',
  hashTo: 'hash-to',
  hashRequestUri: 'hash-ruri',
  roundRobin: 'round-robin',
  /** Hash of the Authorization/Proxy-Authorization username; round-robin when there is none. */
  hashAuthUser: 'hash-auth-user',
  random: 'random',
  /** Hash of a template over request variables (Kamailio `hash_pvar`). */
  hashPvar: 'hash-pvar',
  /** Highest priority first, the others as serial fallback (Kamailio calls it "serial"). */
  priority: 'priority',
  weight: 'weight',
  callLoad: 'call-load',
  relativeWeight: 'relative-weight',
  parallel: 'parallel',
  latency: 'latency',
} as const;
export type DispatcherAlgorithm = (typeof DispatcherAlgorithm)[keyof typeof DispatcherAlgorithm];

/** Kamailio's algorithm number is the position in this list (DS_ALG_HASHCALLID = 0 ... DS_ALG_LATENCY = 13). */
export const kamailioAlgorithmNumbers: readonly DispatcherAlgorithm[] = [
  'hash-call-id',
  'hash-from',
  'hash-to',
  'hash-ruri',
  'round-robin',
  'hash-auth-user',
  'random',
  'hash-pvar',
  'priority',
  'weight',
  'call-load',
  'relative-weight',
  'parallel',
  'latency',
];

export const dispatcherAlgorithmNames: readonly DispatcherAlgorithm[] = Object.values(DispatcherAlgorithm);

/** An algorithm by name or by Kamailio number; undefined when it is neither. */
export function resolveAlgorithm(a: string | number): DispatcherAlgorithm | undefined {
  if (typeof a === 'number') return Number.isInteger(a) ? kamailioAlgorithmNumbers[a] : undefined;
  return dispatcherAlgorithmNames.find((name) => name === a);
}
