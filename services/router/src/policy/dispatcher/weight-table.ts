/**
 * The 100-slot tables of the weight (9) and relative-weight (11) algorithms. Each slot holds a
 * destination position; a set walks its table in a cycle, so over any 100 calls the split is exact,
 * and the table is shuffled so a destination with weight 20 does not take 20 calls in a row
 * (Kamailio `dp_init_weights` / `dp_init_relative_weights`).
 */
import { shuffle, type RandomSource } from './random-source.js';

export const WEIGHT_SLOTS = 100;

/**
 * Weight (alg 9): each destination takes `weight` slots in set order; slots past 100 are dropped and a
 * sum under 100 leaves the rest to the LAST destination of the set, so 20/20 is 20%/80%. As in
 * Kamailio, the table is only built when the first destination has a weight; otherwise every slot
 * names the first destination.
 */
export function buildWeightTable(weights: readonly number[], random: RandomSource): number[] {
  const table: number[] = [];
  if (weights.length === 0 || !weights[0]) return new Array<number>(WEIGHT_SLOTS).fill(0);
  weights.forEach((w, i) => {
    for (let k = 0; k < w && table.length < WEIGHT_SLOTS; k++) table.push(i);
  });
  while (table.length < WEIGHT_SLOTS) table.push(weights.length - 1);
  return shuffle(table, random);
}

/**
 * Relative weight (alg 11): over the usable destinations only, each takes floor(100 * rweight / sum)
 * slots; what truncation leaves goes to the last usable destination that got slots. Undefined when
 * there is nothing to share (fewer than two destinations, or no usable one with an rweight): the
 * caller keeps its previous table, as Kamailio does.
 */
export function buildRelativeWeightTable(rweights: readonly number[], usable: readonly boolean[], random: RandomSource): number[] | undefined {
  if (rweights.length < 2) return undefined;
  const sum = rweights.reduce((s, w, i) => (usable[i] ? s + w : s), 0);
  if (sum === 0) return undefined;
  const table: number[] = [];
  rweights.forEach((w, i) => {
    if (!usable[i]) return;
    const slots = Math.floor((w * WEIGHT_SLOTS) / sum);
    for (let k = 0; k < slots; k++) table.push(i);
  });
  const last = table.at(-1) ?? rweights.length - 1;
  while (table.length < WEIGHT_SLOTS) table.push(last);
  return shuffle(table, random);
}
