import { describe, expect, it } from 'vitest';
import { adjustedPriority, latencyRanking, rankingLatency, seededLatencyStats, updateLatencyStats, type LatencyStats } from './latency.js';

const TC58_LATENCIES = [21, 91, 61, 19, 32, 0, 201];

describe('latency-optimised priority', () => {
  it('TC-58: priorities 30 with latencies 21,91,61,19,32,0,201 adjust to 30,27,28,30,29,30,24', () => {
    expect(TC58_LATENCIES.map((ms) => adjustedPriority(30, ms))).toEqual([30, 27, 28, 30, 29, 30, 24]);
  });

  it('handicaps only a latency above the priority, and keeps a positive priority at 1 or more', () => {
    expect(adjustedPriority(30, 30)).toBe(30);
    expect(adjustedPriority(30, 60)).toBe(28);
    expect(adjustedPriority(5, 1000)).toBe(1);
    expect(adjustedPriority(0, 50)).toBe(0);
  });

  it('ranks usable destinations by adjusted priority, ties in rotation order from the start position', () => {
    const candidates = TC58_LATENCIES.map((latencyMs) => ({ priority: 30, latencyMs, usable: true }));
    expect(latencyRanking(candidates, 0)).toEqual([0, 3, 5, 4, 2, 1, 6]);
    expect(latencyRanking(candidates, 1)).toEqual([3, 5, 0, 4, 2, 1, 6]);
    expect(latencyRanking(candidates, 4)).toEqual([5, 0, 3, 4, 2, 1, 6]);
    candidates[3]!.usable = false;
    expect(latencyRanking(candidates, 1)).toEqual([5, 0, 4, 2, 1, 6]);
  });
});

describe('latency estimator', () => {
  const feed = (samples: number[], start?: LatencyStats): LatencyStats => samples.reduce<LatencyStats | undefined>((s, ms) => updateLatencyStats(s, ms, 0.9), start)!;

  it('is the running mean for the first samples', () => {
    const s = feed([10, 20, 30]);
    expect(s).toMatchObject({ count: 3, average: 20, estimate: 20, min: 10, max: 30 });
    expect(s.stdev).toBeCloseTo(10, 10);
  });

  it('then an exponentially weighted average; a steady destination counts as trained at once', () => {
    const steady = feed(new Array<number>(10).fill(100));
    expect(steady).toMatchObject({ count: 10, estimate: 100, stdev: 0 });
    const spike = feed([200], steady);
    expect(spike.count).toBe(10_000);
    expect(spike.estimate).toBeCloseTo(110, 10);
    expect(spike.average).toBeCloseTo(100.01, 10);
  });

  it('ranks on the estimate, or on the congestion (estimate minus mean) with cc=1', () => {
    const s = feed([50, 250], seededLatencyStats(50));
    expect(s.estimate).toBeCloseTo(70, 10);
    expect(rankingLatency(s, true)).toBe(19);
    expect(rankingLatency(s, false)).toBe(Math.trunc(s.estimate));
    expect(rankingLatency(s, true)).toBe(Math.trunc(s.estimate - s.average));
    expect(rankingLatency(undefined, false)).toBe(0);
  });
});
