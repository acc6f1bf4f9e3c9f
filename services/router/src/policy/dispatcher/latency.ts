/**
 * Latency statistics per destination, fed by the OPTIONS prober, and the latency-optimised algorithm
 * (13) built on them.
 *
 * The estimator follows Kamailio's `latency_stats_update`: a running mean and standard deviation
 * (Welford's online algorithm), and an estimate that is the mean for the first 10 samples and then an
 * exponentially weighted moving average (alpha 0.9 by default, `ds_latency_estimator_alpha`). A
 * steady destination (stdev < 0.5 after 10 samples) counts as trained at once, so the long-term mean
 * stops moving. After 2^21 samples (~24 days at one a second) the mean becomes a weighted one.
 */

export interface LatencyStats {
  count: number;
  /** Long-term mean, ms ("normal" latency for congestion control). */
  average: number;
  stdev: number;
  /** Short-term estimate, ms (EST). */
  estimate: number;
  min: number;
  max: number;
  /** Sum of squared deviations (Welford). */
  m2: number;
}

const TRAINED = 10_000;
const COUNT_CAP = 2_097_152;

/** Stats seeded from a `latency=` attribute: already trained, as Kamailio seeds them. */
export function seededLatencyStats(ms: number): LatencyStats {
  return { count: TRAINED, average: ms, stdev: 0, estimate: ms, min: ms, max: ms, m2: 0 };
}

export function updateLatencyStats(previous: LatencyStats | undefined, ms: number, alpha: number): LatencyStats {
  const s: LatencyStats = previous ? { ...previous } : { count: 0, average: ms, stdev: 0, estimate: ms, min: ms, max: ms, m2: 0 };
  if (s.count < COUNT_CAP) s.count++;
  else s.m2 -= s.m2 / s.count;
  if (s.count === 1) Object.assign(s, { average: ms, stdev: 0, estimate: ms, min: ms, max: ms, m2: 0 });
  if (s.count > 10 && s.count < TRAINED && s.stdev < 0.5) s.count = TRAINED;
  s.min = Math.min(s.min, ms);
  s.max = Math.max(s.max, ms);
  if (s.count > 1) {
    const delta = ms - s.average;
    s.average += delta / s.count;
    s.m2 += delta * (ms - s.average);
    s.stdev = Math.sqrt(s.m2 / (s.count - 1));
  }
  s.estimate = s.count < 10 ? s.average : s.estimate * alpha + ms * (1 - alpha);
  return s;
}

/**
 * The latency the algorithm ranks on, whole ms: the estimate, or with congestion control the
 * congestion (estimate minus the long-term mean). No stats yet means 0.
 */
export function rankingLatency(stats: LatencyStats | undefined, congestionControl: boolean): number {
  if (!stats) return 0;
  return Math.trunc(congestionControl ? stats.estimate - stats.average : stats.estimate);
}

/**
 * The book's formula ADJ = PRIO - floor(LATENCY / PRIO), as Kamailio applies it: only when the latency
 * exceeds the priority and the priority is positive, and never below 1 for a positive priority.
 * TC-58: priority 30 with 91 ms gives 27, with 201 ms gives 24, with 21 ms stays 30.
 */
export function adjustedPriority(priority: number, latencyMs: number): number {
  const handicap = latencyMs > priority && priority > 0 ? Math.floor(latencyMs / priority) : 0;
  const adjusted = priority - handicap;
  return priority > 0 ? Math.max(1, adjusted) : adjusted;
}

export interface LatencyCandidate {
  priority: number;
  latencyMs: number;
  usable: boolean;
}

/**
 * Positions of the usable candidates, best adjusted priority first. Among equals the order is the
 * rotation that starts at `start`, so moving `start` past the chosen one after each call
 * round-robins among the top destinations (Kamailio's `last` index).
 */
export function latencyRanking(candidates: readonly LatencyCandidate[], start: number): number[] {
  const n = candidates.length;
  const rotation: { index: number; adjusted: number }[] = [];
  for (let k = 0; k < n; k++) {
    const index = (start + k) % n;
    const c = candidates[index];
    if (c?.usable) rotation.push({ index, adjusted: adjustedPriority(c.priority, c.latencyMs) });
  }
  // Array.prototype.sort is stable, which keeps the rotation order among equal priorities.
  return rotation.sort((a, b) => b.adjusted - a.adjusted).map((r) => r.index);
}
