/**
 * The randomness the dispatcher uses (random selection, shuffling of weight tables), injected so
 * tests and replays can seed it. Production uses Math.random.
 */

/** Returns a number in [0, 1), uniformly distributed. */
export type RandomSource = () => number;

/**
 * A small deterministic generator (mulberry32). Its spread is more than enough for load-balancing
 * statistics; it is not for anything secret.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randomIndex(random: RandomSource, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Fisher-Yates shuffle, in place. */
export function shuffle<T>(items: T[], random: RandomSource): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    const a = items[i] as T; // i and j are in range: the loop bounds guarantee it
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}
