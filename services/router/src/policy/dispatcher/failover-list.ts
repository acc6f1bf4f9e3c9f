/**
 * From a position picked by an algorithm to the destinations of the answer (Kamailio
 * `ds_manage_routes` and `ds_manage_routes_fill_xavp`):
 * - a picked destination that cannot take calls gives way to the next usable one in set order,
 *   wrapping around, so a hash keeps its callers when another destination goes down;
 * - with `useDefault` the last destination of the set is left out of the picking and of the
 *   failover order and only comes last, as the final fallback;
 * - the failover list (Kamailio flags bit 2, `ds_next_dst`) is the chosen destination, then the ones
 *   after it in set order, then the ones before it, usable ones only, up to `limit` in all.
 */

export interface AnswerShape {
  /** Positions after the first are failover routes (Kamailio flags bit 2); otherwise only the first. */
  failover: boolean;
  /** The last destination of the set is kept as the final fallback (Kamailio `use_default`). */
  useDefault: boolean;
  /** Most destinations in the answer, the first included; 0 or undefined for no limit. */
  limit?: number;
}

/** How many positions take part in picking: all, or all but the default destination. */
export function pickSpan(n: number, useDefault: boolean): number {
  return useDefault && n > 1 ? n - 1 : n;
}

/**
 * The first usable position from `hash % span` on. When none is usable, the default destination if
 * `useDefault` and it is usable, else undefined (the caller answers 404).
 */
export function firstUsable(hash: number, n: number, usable: (i: number) => boolean, useDefault: boolean): number | undefined {
  if (n === 0) return undefined;
  const span = pickSpan(n, useDefault);
  const start = hash % span;
  for (let k = 0; k < span; k++) {
    const i = (start + k) % span;
    if (usable(i)) return i;
  }
  return useDefault && usable(n - 1) ? n - 1 : undefined;
}

/** Kamailio's failover order: the chosen position, the ones after it, then the ones before it. */
export function failoverOrder(chosen: number, n: number): number[] {
  const order = [chosen];
  for (let i = chosen + 1; i < n; i++) order.push(i);
  for (let i = 0; i < chosen; i++) order.push(i);
  return order;
}

/**
 * The answer from an order whose first element is the chosen position: eligible positions only, the
 * default destination moved to the end, at most `limit`. Kamailio adds the default destination even
 * when it is down; here it is left out then, since it would fail anyway.
 */
export function answerPositions(order: readonly number[], n: number, eligible: (i: number) => boolean, shape: AnswerShape): number[] {
  const [chosen] = order;
  if (chosen === undefined) return [];
  const limit = shape.limit ? shape.limit : Infinity;
  const out = [chosen];
  if (!shape.failover) return out;
  const fallback = shape.useDefault && n > 1 ? n - 1 : undefined;
  for (const i of order.slice(1)) {
    if (out.length >= limit) break;
    if (i !== fallback && eligible(i)) out.push(i);
  }
  if (fallback !== undefined && chosen !== fallback && out.length < limit && eligible(fallback)) out.push(fallback);
  return out;
}
