/**
 * A drouting gwlist (dr_rules.gwlist, dr_gw_lists.gwlist): gateway ids separated by `,` or `|`,
 * `;` closing a group (`1,2;3,4,5;6` is three groups), and the order the gateways are tried in
 * under Kamailio's `sort_order` module parameter, here named:
 *
 *   in_order          (0)  groups ignored, every gateway as listed: 1,2,3,4,5,6
 *   first_two_random  (1)  in each group the first two are drawn at random, the rest follow as
 *                           listed; groups keep their order: 2,1,4,3,5,6 or 1,2,3,5,4,6 ...
 *   one_per_group     (2)  one gateway drawn from each group, never one already drawn (a group
 *                           whose gateways were all drawn adds none): 2,4,6 or 1,5,6 ...
 */
import { randomIndex, type RandomSource } from '../dispatcher/random-source.js';

export const DR_SORT_ORDERS = ['in_order', 'first_two_random', 'one_per_group'] as const;
export type DrSortOrder = (typeof DR_SORT_ORDERS)[number];

/** Kamailio keeps the first 32 gateways of a list (DR_MAX_GWLIST). */
export const DR_MAX_GATEWAYS = 32;

export interface GwListEntry {
  readonly gwid: number;
  /** 0 for the first group, one more after each `;`. */
  readonly group: number;
}

export type GwListParse = { ok: true; entries: GwListEntry[] } | { ok: false; error: string };

/** Whitespace around ids is allowed, and a trailing separator (as Kamailio does); an empty id is not. */
export function parseGwList(text: string): GwListParse {
  const parts = text.split(/([,|;])/);
  const entries: GwListEntry[] = [];
  let group = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const id = (parts[i] ?? '').trim();
    if (id === '' && i > 0 && i === parts.length - 1) break;
    if (!/^\d+$/.test(id)) return { ok: false, error: `gwlist <${text}>: "${id}" is not a gateway id` };
    entries.push({ gwid: Number(id), group });
    if (parts[i + 1] === ';') group++;
  }
  return { ok: true, entries };
}

/** The entries in the order they are tried; `same` tells whether two entries name one gateway. */
export function orderGwList<T extends { readonly group: number }>(entries: readonly T[], order: DrSortOrder, random: RandomSource, same: (a: T, b: T) => boolean): T[] {
  if (order === 'in_order' || entries.length < 2) return [...entries];
  const out: T[] = [];
  for (const group of groupsOf(entries)) {
    if (order === 'first_two_random') {
      if (group.length === 1) {
        out.push(...group);
        continue;
      }
      const first = randomIndex(random, group.length);
      let second = randomIndex(random, group.length - 1);
      if (second >= first) second++;
      out.push(group[first] as T, group[second] as T, ...group.filter((_, i) => i !== first && i !== second)); // both indexes are in range
    } else {
      // Kamailio redraws until it hits a gateway not drawn yet: uniform over those places.
      const fresh = group.filter((e) => !out.some((o) => same(o, e)));
      if (fresh.length > 0) out.push(fresh[randomIndex(random, fresh.length)] as T); // the index is in range
    }
  }
  return out;
}

/** Runs of entries of one group, in list order. */
function groupsOf<T extends { readonly group: number }>(entries: readonly T[]): T[][] {
  const groups: T[][] = [];
  for (const e of entries) {
    const last = groups[groups.length - 1];
    if (last && (last[0] as T).group === e.group) last.push(e); // a run is never empty
    else groups.push([e]);
  }
  return groups;
}
