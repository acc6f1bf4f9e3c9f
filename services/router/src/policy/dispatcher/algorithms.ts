/**
 * Dispatcher selection algorithms (Kamailio dispatcher `ds_select_dst` algorithm numbers in
 * brackets, mapped at the config boundary). This increment carries the hash and round-robin
 * family; weight, call-load and latency algorithms follow with the full router.
 */
import type { RouteParams } from '@sipmesh/contracts';
import { isUsable, type Destination, type DispatcherSet } from './dispatcher-list.js';

export const DispatcherAlgorithm = {
  hashCallId: 'hash-call-id', // 0
  hashFrom: 'hash-from', // 1
  hashTo: 'hash-to', // 2
  hashRequestUri: 'hash-ruri', // 3
  roundRobin: 'round-robin', // 4
  random: 'random', // 6
  priority: 'priority', // 8
} as const;
export type DispatcherAlgorithm = (typeof DispatcherAlgorithm)[keyof typeof DispatcherAlgorithm];

export const kamailioAlgorithmNumbers: Readonly<Record<number, DispatcherAlgorithm>> = {
  0: 'hash-call-id',
  1: 'hash-from',
  2: 'hash-to',
  3: 'hash-ruri',
  4: 'round-robin',
  6: 'random',
  8: 'priority',
};

/** Per-set state that must survive between requests (round-robin position). */
export class SelectionState {
  private readonly next = new Map<number, number>();
  take(setId: number, modulo: number): number {
    const i = (this.next.get(setId) ?? 0) % modulo;
    this.next.set(setId, i + 1);
    return i;
  }
}

/**
 * Orders the usable destinations of a set for one request: the selected destination first, then
 * the others in set order as the failover list (Kamailio flags bit 2, `ds_next_dst`).
 */
export function orderDestinations(
  set: DispatcherSet,
  algorithm: DispatcherAlgorithm,
  params: RouteParams,
  state: SelectionState,
  random: () => number = Math.random,
): Destination[] {
  const usable = set.destinations.filter(isUsable);
  if (usable.length <= 1 || algorithm === 'priority') return usable;
  let first: number;
  switch (algorithm) {
    case 'round-robin':
      first = state.take(set.id, usable.length);
      break;
    case 'random':
      first = Math.floor(random() * usable.length);
      break;
    default:
      first = hashKey(algorithm, params) % usable.length;
  }
  return [...usable.slice(first), ...usable.slice(0, first)];
}

function hashKey(algorithm: DispatcherAlgorithm, p: RouteParams): number {
  switch (algorithm) {
    case 'hash-call-id':
      return fnv1a(p.call_id);
    case 'hash-from':
      return fnv1a(p.from.uri);
    case 'hash-to':
      return fnv1a(p.to.uri);
    default:
      return fnv1a(p.ruri);
  }
}

/** FNV-1a, 32 bit: cheap and well spread for short keys such as Call-IDs. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
