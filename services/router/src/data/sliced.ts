/**
 * Index builds that share the event loop with route requests. A build is written once as a
 * generator that yields at checkpoints (every few hundred rows); at start-up and in tests it runs
 * straight through (`runAtOnce`), on a reload it runs in slices of a few milliseconds with the event
 * loop free between them (`runSliced`), so requests keep being answered while 100,000-row tables
 * are rebuilt and the old index serves until the new one is ready.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A build that pauses at checkpoints and returns T. */
export type SlicedWork<T> = Generator<void, T, void>;

/** Rows handled between two checkpoints. */
export const ROWS_PER_CHECKPOINT = 256;

/** Runs the work to its end without pausing. */
export function runAtOnce<T>(work: SlicedWork<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** Runs the work, letting the event loop run whenever a slice has taken `sliceMs`. */
export async function runSliced<T>(
  work: SlicedWork<T>,
  sliceMs = 4,
): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

/** True at every ROWS_PER_CHECKPOINT-th index: where a row loop yields. */
export function atCheckpoint(i: number): boolean {
  return i % ROWS_PER_CHECKPOINT === ROWS_PER_CHECKPOINT - 1;
}
