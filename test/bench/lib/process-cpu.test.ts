import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { processSwitches } from './process-cpu.mjs';

describe('processSwitches', () => {
  it('counts the waits of a process over its threads: sleeping adds voluntary switches', async () => {
    const before = processSwitches(process.pid);
    for (let i = 0; i < 5; i++) await sleep(5);
    const after = processSwitches(process.pid);
    expect(after.voluntary - before.voluntary).toBeGreaterThanOrEqual(5);
    expect(after.involuntary).toBeGreaterThanOrEqual(before.involuntary);
  });

  it('reads zeros for a process that is gone', () => {
    expect(processSwitches(2 ** 22 + 1)).toEqual({ voluntary: 0, involuntary: 0 });
  });
});
