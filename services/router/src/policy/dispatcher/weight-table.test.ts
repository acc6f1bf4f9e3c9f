import { describe, expect, it } from 'vitest';
import { seededRandom } from './random-source.js';
import { buildRelativeWeightTable, buildWeightTable } from './weight-table.js';

function shares(table: readonly number[]): number[] {
  const counts: number[] = [];
  for (const i of table) counts[i] = (counts[i] ?? 0) + 1;
  return Array.from(counts, (c) => c ?? 0);
}

describe('weight tables', () => {
  it('weight: 80/20 gives 80 and 20 slots; 20/20 leaves the remainder to the last destination (20/80)', () => {
    const random = seededRandom(1);
    expect(shares(buildWeightTable([80, 20], random))).toEqual([80, 20]);
    expect(shares(buildWeightTable([20, 20], random))).toEqual([20, 80]);
    expect(shares(buildWeightTable([50, 0, 10], random))).toEqual([50, 0, 50]);
  });

  it('weight: slots past 100 are dropped; no weight on the first destination means always the first', () => {
    const random = seededRandom(2);
    expect(shares(buildWeightTable([70, 70, 10], random))).toEqual([70, 30]);
    expect(shares(buildWeightTable([0, 50], random))).toEqual([100]);
  });

  it('the table is shuffled: a weight of 20 does not mean 20 calls in a row', () => {
    const table = buildWeightTable([20, 80], seededRandom(3));
    expect(table.slice(0, 20)).not.toEqual(new Array(20).fill(0));
    expect(table.filter((i) => i === 0)).toHaveLength(20);
  });

  it('relative weight: 1 and 4 give 20/80; only usable destinations share', () => {
    const random = seededRandom(4);
    expect(shares(buildRelativeWeightTable([1, 4], [true, true], random)!)).toEqual([20, 80]);
    expect(shares(buildRelativeWeightTable([1, 4, 5], [true, false, true], random)!)).toEqual([16, 0, 84]);
    expect(shares(buildRelativeWeightTable([1, 1, 1], [true, true, true], random)!)).toEqual([33, 33, 34]);
  });

  it('relative weight: nothing to share keeps the previous table', () => {
    expect(buildRelativeWeightTable([5], [true], seededRandom(5))).toBeUndefined();
    expect(buildRelativeWeightTable([5, 5], [false, false], seededRandom(5))).toBeUndefined();
    expect(buildRelativeWeightTable([0, 0], [true, true], seededRandom(5))).toBeUndefined();
  });
});
