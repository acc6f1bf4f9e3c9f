/** Types of rate-search.mjs. */
export function findMaxCleanRate<R extends { clean: boolean }>(o: {
  rates: number[];
  gran: number;
  confirmRuns: number;
  maxConfirmRuns?: number;
  run: (rate: number) => Promise<R>;
}): Promise<{ maxCleanRate: number; firstDirtyRate: number | null; runs: { rate: number; result: R }[] }>;
export function reusingRun<R>(earlier: Map<number, R[]>, measure: (rate: number) => Promise<R>): (rate: number) => Promise<R>;
