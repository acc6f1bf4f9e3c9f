/**
 * Highest clean offered rate, searched the way the anchor harness's find_max.sh does it:
 *   1. coarse: the listed rates in order, up to the first run that is not clean;
 *   2. refine: bisect between the last clean and the first dirty rate down to `gran`;
 *   3. confirm: the answer is the highest rate with `confirmRuns` clean runs and no dirty run in
 *      this search; a rate with a dirty run is abandoned for the one `gran` lower.
 * `run(rate)` does one measured run and resolves with at least `{ clean }`.
 */

/**
 * @template {{clean: boolean}} R
 * @param {{rates: number[], gran: number, confirmRuns: number, maxConfirmRuns?: number, run: (rate: number) => Promise<R>}} o
 * @returns {Promise<{maxCleanRate: number, firstDirtyRate: number | null, runs: {rate: number, result: R}[]}>}
 */
export async function findMaxCleanRate(o) {
  const clean = new Map();
  const dirty = new Map();
  const runs = [];
  const once = async (rate) => {
    const result = await o.run(rate);
    runs.push({ rate, result });
    const tally = result.clean ? clean : dirty;
    tally.set(rate, (tally.get(rate) ?? 0) + 1);
    return result.clean;
  };

  let lo = 0;
  let hi = 0;
  for (const rate of o.rates) {
    if (await once(rate)) lo = rate;
    else {
      hi = rate;
      break;
    }
  }
  if (hi !== 0 && lo !== 0) {
    while (hi - lo > o.gran) {
      const mid = Math.floor((lo + hi) / 2 / o.gran) * o.gran;
      if (mid <= lo) break;
      if (await once(mid)) lo = mid;
      else hi = mid;
    }
  }

  let best = lo;
  let budget = o.maxConfirmRuns ?? 6;
  let confirmed = false;
  while (best > 0 && budget > 0) {
    if ((dirty.get(best) ?? 0) > 0) {
      best -= o.gran;
      continue;
    }
    if ((clean.get(best) ?? 0) >= o.confirmRuns) {
      confirmed = true;
      break;
    }
    await once(best);
    budget--;
  }
  if (!confirmed && best > 0 && (dirty.get(best) ?? 0) === 0 && (clean.get(best) ?? 0) >= o.confirmRuns) confirmed = true;
  const dirtyRates = [...dirty.keys()].sort((a, b) => a - b);
  return { maxCleanRate: confirmed ? best : 0, firstDirtyRate: dirtyRates[0] ?? null, runs };
}

/**
 * A `run` that first hands out results measured earlier (per rate, oldest first) and only then
 * measures: the second system of an interleaved comparison reuses the runs it already made at
 * the first system's rates.
 * @template R
 * @param {Map<number, R[]>} earlier
 * @param {(rate: number) => Promise<R>} measure
 * @returns {(rate: number) => Promise<R>}
 */
export function reusingRun(earlier, measure) {
  return async (rate) => {
    const queue = earlier.get(rate);
    if (queue && queue.length > 0) return /** @type {R} */ (queue.shift());
    return measure(rate);
  };
}
