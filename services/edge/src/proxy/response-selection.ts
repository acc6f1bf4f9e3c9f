/**
 * Choosing the best final response of a response context (RFC 3261 §16.7 step 6) and what goes
 * with it (§16.7 step 7: the challenges of every 401/407 are collected into the one forwarded).
 */
export interface Candidate {
  status: number;
  /** Received (not made locally). */
  received: boolean;
}

/**
 * The index of the best final response: any 6xx first; otherwise the lowest class among 3xx-5xx.
 * Within a class the earliest one wins, except that a received response beats a local one (a real
 * 404 says more than our own 408). Undefined when the list is empty.
 */
export function bestResponseIndex(candidates: readonly Candidate[]): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!c || c.status < 300) continue;
    if (best === undefined) {
      best = i;
      continue;
    }
    const b = candidates[best];
    if (!b) continue;
    if (better(c, b)) best = i;
  }
  return best;
}

/**
 * §16.7 step 6: within 4xx, responses that let the UAC resubmit the request are preferred
 * (Kamailio t_pick_branch ranks them first too).
 */
const RESUBMITTABLE_4XX: ReadonlySet<number> = new Set([401, 407, 415, 420, 484]);

function better(c: Candidate, b: Candidate): boolean {
  const cSix = c.status >= 600;
  const bSix = b.status >= 600;
  if (cSix !== bSix) return cSix;
  const cClass = Math.floor(c.status / 100);
  const bClass = Math.floor(b.status / 100);
  if (cClass !== bClass) return cClass < bClass;
  if (cClass === 4) {
    const cResubmit = RESUBMITTABLE_4XX.has(c.status);
    if (cResubmit !== RESUBMITTABLE_4XX.has(b.status)) return cResubmit;
  }
  return c.received && !b.received;
}
