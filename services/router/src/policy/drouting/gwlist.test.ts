/** gwlist syntax (`,` `|` `;`) and Kamailio's three sort orders, with a seeded random source. */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../dispatcher/random-source.js';
import { orderGwList, parseGwList, type DrSortOrder, type GwListEntry } from './gwlist.js';

function entries(text: string): GwListEntry[] {
  const r = parseGwList(text);
  if (!r.ok) throw new Error(r.error);
  return r.entries;
}

/** `runs` orders of the list, as id strings ("2,1,4,3,5,6"), counted. */
function orders(text: string, order: DrSortOrder, runs = 2000): Map<string, number> {
  const random = seededRandom(42);
  const seen = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    const key = orderGwList(entries(text), order, random, (a, b) => a.gwid === b.gwid)
      .map((e) => e.gwid)
      .join(',');
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

describe('gwlist', () => {
  it('reads ids separated by , or |, a ; closing each group, spaces and a trailing separator allowed', () => {
    expect(entries('1,2;3,4,5;6')).toEqual([
      { gwid: 1, group: 0 },
      { gwid: 2, group: 0 },
      { gwid: 3, group: 1 },
      { gwid: 4, group: 1 },
      { gwid: 5, group: 1 },
      { gwid: 6, group: 2 },
    ]);
    expect(entries(' 7 | 8 ; 9,')).toEqual([
      { gwid: 7, group: 0 },
      { gwid: 8, group: 0 },
      { gwid: 9, group: 1 },
    ]);
  });

  it('refuses empty ids and anything but numbers', () => {
    expect(parseGwList('')).toEqual({ ok: false, error: 'gwlist <>: "" is not a gateway id' });
    expect(parseGwList('1,,2')).toEqual({ ok: false, error: 'gwlist <1,,2>: "" is not a gateway id' });
    expect(parseGwList('1,gw2')).toEqual({ ok: false, error: 'gwlist <1,gw2>: "gw2" is not a gateway id' });
    expect(parseGwList('#5')).toEqual({ ok: false, error: 'gwlist <#5>: "#5" is not a gateway id' });
  });

  it('keeps the listed order with in_order, groups ignored (sort_order 0)', () => {
    expect([...orders('1,2;3,4,5;6', 'in_order', 10).keys()]).toEqual(['1,2,3,4,5,6']);
  });

  it('draws the first two of each group at random and keeps the rest and the groups in order (sort_order 1)', () => {
    const seen = orders('1,2;3,4,5;6', 'first_two_random', 3000);
    // 2 orders of the first group x 6 ordered pairs of the second
    expect([...seen.keys()].sort()).toEqual([
      '1,2,3,4,5,6',
      '1,2,3,5,4,6',
      '1,2,4,3,5,6',
      '1,2,4,5,3,6',
      '1,2,5,3,4,6',
      '1,2,5,4,3,6',
      '2,1,3,4,5,6',
      '2,1,3,5,4,6',
      '2,1,4,3,5,6',
      '2,1,4,5,3,6',
      '2,1,5,3,4,6',
      '2,1,5,4,3,6',
    ]);
    for (const n of seen.values()) expect(Math.abs(n / 3000 - 1 / 12)).toBeLessThan(0.03);
    // past the first two, a group keeps its listed order
    expect([...orders('1,2,3,4', 'first_two_random').keys()].every((k) => /^\d,\d,(1,2|1,3|1,4|2,3|2,4|3,4)$/.test(k))).toBe(true);
  });

  it('draws one gateway per group, never one drawn before (sort_order 2)', () => {
    const seen = orders('1,2;3,4,5;6', 'one_per_group');
    expect([...seen.keys()].sort()).toEqual(['1,3,6', '1,4,6', '1,5,6', '2,3,6', '2,4,6', '2,5,6']);
    // "1,2,3; 1,2,3; 1,2,3": all three, in every order
    const thrice = orders('1,2,3;1,2,3;1,2,3', 'one_per_group', 3000);
    expect([...thrice.keys()].sort()).toEqual(['1,2,3', '1,3,2', '2,1,3', '2,3,1', '3,1,2', '3,2,1']);
    for (const n of thrice.values()) expect(Math.abs(n / 3000 - 1 / 6)).toBeLessThan(0.03);
    // a group whose gateways were all drawn adds none
    expect([...orders('1;1;2', 'one_per_group', 10).keys()]).toEqual(['1,2']);
  });

  it('leaves a list of one gateway alone in every order', () => {
    for (const order of ['in_order', 'first_two_random', 'one_per_group'] as const) expect([...orders('9', order, 5).keys()]).toEqual(['9']);
  });
});
