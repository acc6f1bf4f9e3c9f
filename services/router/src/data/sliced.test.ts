/**
 * Sliced builds: the same result whether run at once or in slices, and in slices the event loop
 * runs between them (route requests are answered while a big table is rebuilt).
 */
import { describe, expect, it } from 'vitest';
import { MTree } from '../policy/prefix/mtree.js';
import { atCheckpoint, ROWS_PER_CHECKPOINT, runAtOnce, runSliced, type SlicedWork } from './sliced.js';
import { csvRows, parseCsv } from './table-rows.js';

/** Busy work of `rows` rows, about `msPerRow` each, yielding at checkpoints. */
function* busy(rows: number, msPerRow: number): SlicedWork<{ rows: number; spins: number }> {
  let spins = 0;
  for (let i = 0; i < rows; i++) {
    const until = performance.now() + msPerRow;
    while (performance.now() < until) spins++;
    if (atCheckpoint(i)) yield;
  }
  return { rows, spins };
}

describe('sliced builds', () => {
  it('yields every ROWS_PER_CHECKPOINT rows', () => {
    const hits = Array.from({ length: 3 * ROWS_PER_CHECKPOINT }, (_, i) => i).filter(atCheckpoint);
    expect(hits).toEqual([ROWS_PER_CHECKPOINT - 1, 2 * ROWS_PER_CHECKPOINT - 1, 3 * ROWS_PER_CHECKPOINT - 1]);
  });

  it('lets timers and I/O callbacks run while a long build goes on, and returns its result', async () => {
    const gaps: number[] = [];
    let last = performance.now();
    let done = false;
    const tick = (): void => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    // about 200 ms of work in one build, 2.5 ms between checkpoints
    const rows = 80 * ROWS_PER_CHECKPOINT;
    const result = await runSliced(busy(rows, 200 / rows), 4);
    done = true;
    expect(result.rows).toBe(rows);
    expect(result.spins).toBeGreaterThan(0);
    // the loop turned many times during the build (at once, it would turn once or twice)
    expect(gaps.length).toBeGreaterThan(10);
  });

  it('gives the same rows and trees at once and in slices', async () => {
    const csv = ['tprefix,tvalue', ...Array.from({ length: 2000 }, (_, i) => `${1000 + i},v${i}`)].join('\n');
    const rows = await runSliced(csvRows(csv));
    expect(rows).toEqual(parseCsv(csv));
    expect(rows).toHaveLength(2000);
    const sliced = await runSliced(MTree.buildRows(rows, { name: 't' }));
    const once = runAtOnce(MTree.buildRows(rows, { name: 't' }));
    if (!sliced.ok || !once.ok) throw new Error('tree refused');
    expect(sliced.tree.size).toBe(2000);
    expect(sliced.tree.match('19991234')?.values).toEqual(once.tree.match('19991234')?.values);
  });
});
