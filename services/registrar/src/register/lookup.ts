/**
 * Where a request to an AoR goes (Kamailio `lookup("location")`): its live bindings in forking
 * order. Groups of equal q, highest first, are forked in parallel, and the next group is tried when
 * every branch of one failed (RFC 3261 §16.6; the location-lookup contract's `groups`). A contact
 * without q counts as 1.0. Within a group the most recently registered contact comes first, as
 * Kamailio's usrloc keeps them.
 */
import { effectiveQ, type Binding, type LocationStore } from '../location/index.js';
import { canonicalAor } from './address-of-record.js';

export interface ForkTarget {
  /** Request-URI of the branch: the Contact as registered. */
  readonly uri: string;
  /** Next hop instead of the URI's host: the NAT `received` address, when one was stored. */
  readonly destination?: string;
  /** Stored Path values, to become Route headers of the branch in this order (RFC 3327 §5.3). */
  readonly path: readonly string[];
  readonly binding: Binding;
}

/** Live bindings grouped by q, highest q first; within a group newest registration first. */
export function orderForForking(bindings: readonly Binding[]): Binding[][] {
  const sorted = [...bindings].sort(
    (a, b) => qKey(b) - qKey(a) || b.lastModifiedMs - a.lastModifiedMs || (a.ruid < b.ruid ? -1 : a.ruid > b.ruid ? 1 : 0),
  );
  const groups: Binding[][] = [];
  let last: number | undefined;
  for (const b of sorted) {
    const group = groups[groups.length - 1];
    if (group !== undefined && qKey(b) === last) group.push(b);
    else groups.push([b]);
    last = qKey(b);
  }
  return groups;
}

export function forkTarget(b: Binding): ForkTarget {
  return { uri: b.contact, ...(b.received !== undefined ? { destination: b.received } : {}), path: b.path ?? [], binding: b };
}

/** The fork plan of `aor`: empty when nothing is registered (the caller answers 404). */
export async function lookupTargets(store: LocationStore, aor: string, useDomain: boolean): Promise<ForkTarget[][]> {
  const canonical = canonicalAor(aor, useDomain);
  if (!canonical.ok) return [];
  return orderForForking(await store.get(canonical.aor)).map((group) => group.map(forkTarget));
}

/** q in thousandths: qvalues have at most three decimals (RFC 3261 §25.1), so equal q compares equal. */
function qKey(b: Binding): number {
  return Math.round(effectiveQ(b) * 1000);
}
