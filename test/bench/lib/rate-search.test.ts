import { describe, expect, it } from 'vitest';
import { findMaxCleanRate, reusingRun } from './rate-search.mjs';

/** A system that is clean up to `limit`, with optional scripted verdicts per rate (consumed in order). */
function fakeSystem(limit: number, script: Record<number, boolean[]> = {}) {
  const calls: number[] = [];
  const run = async (rate: number): Promise<{ clean: boolean; rate: number }> => {
    calls.push(rate);
    const scripted = script[rate]?.shift();
    return { clean: scripted ?? rate <= limit, rate };
  };
  return { calls, run };
}

describe('findMaxCleanRate', () => {
  it('steps up to the first dirty rate, bisects to gran, and confirms', async () => {
    const s = fakeSystem(2600);
    const r = await findMaxCleanRate({ rates: [1000, 2000, 3000, 4000], gran: 250, confirmRuns: 2, run: s.run });
    expect(s.calls).toEqual([1000, 2000, 3000, 2500, 2750, 2500]);
    expect(r.maxCleanRate).toBe(2500);
    expect(r.firstDirtyRate).toBe(2750);
  });

  it('abandons a rate with a dirty confirmation for the next one gran lower', async () => {
    const s = fakeSystem(2000, { 2000: [true, false] });
    const r = await findMaxCleanRate({ rates: [1000, 2000, 3000], gran: 500, confirmRuns: 2, run: s.run });
    expect(s.calls).toEqual([1000, 2000, 3000, 2500, 2000, 1500, 1500]);
    expect(r.maxCleanRate).toBe(1500);
  });

  it('answers 0 when the first rate is already dirty', async () => {
    const s = fakeSystem(100);
    const r = await findMaxCleanRate({ rates: [500, 1000], gran: 250, confirmRuns: 2, run: s.run });
    expect(s.calls).toEqual([500]);
    expect(r).toMatchObject({ maxCleanRate: 0, firstDirtyRate: 500 });
  });

  it('confirms the top of the list when nothing is dirty', async () => {
    const s = fakeSystem(1e9);
    const r = await findMaxCleanRate({ rates: [1000, 2000], gran: 500, confirmRuns: 3, run: s.run });
    expect(s.calls).toEqual([1000, 2000, 2000, 2000]);
    expect(r).toMatchObject({ maxCleanRate: 2000, firstDirtyRate: null });
  });

  it('gives up after the confirmation budget', async () => {
    const s = fakeSystem(2000, { 2000: [true, false], 1500: [false], 1000: [true, false], 500: [true, false] });
    const r = await findMaxCleanRate({ rates: [500, 1000, 1500, 2000, 2500], gran: 500, confirmRuns: 2, maxConfirmRuns: 2, run: s.run });
    expect(r.maxCleanRate).toBe(0);
  });
});

describe('reusingRun', () => {
  it('hands out earlier results per rate first, then measures', async () => {
    const measured: number[] = [];
    const run = reusingRun(new Map([[1000, [{ clean: true, n: 1 }]]]), async (rate) => {
      measured.push(rate);
      return { clean: false, n: 2 };
    });
    expect(await run(1000)).toEqual({ clean: true, n: 1 });
    expect(await run(1000)).toEqual({ clean: false, n: 2 });
    expect(await run(2000)).toEqual({ clean: false, n: 2 });
    expect(measured).toEqual([1000, 2000]);
  });
});
