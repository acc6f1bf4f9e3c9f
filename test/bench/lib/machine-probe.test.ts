import { describe, expect, it } from 'vitest';
import { probeMachine } from './machine-probe.mjs';

describe('probeMachine', () => {
  it('times the fixed workload in a fresh process: CPU µs per iteration', async () => {
    const us = await probeMachine({ iterations: 2_000, warmup: 200 });
    expect(Number.isFinite(us)).toBe(true);
    // a UDP round trip over loopback and the JSON of a route request cost at least a microsecond
    expect(us).toBeGreaterThan(1);
    expect(us).toBeLessThan(10_000);
  });

  it('rejects with the reason when the workload does not finish', async () => {
    await expect(probeMachine({ iterations: 2_000, warmup: 200, timeoutMs: 1 })).rejects.toThrow(/machine probe failed/);
  });
});
