/**
 * Reloads of a running router: one load at a time, a reload asked for during a load runs after it
 * (so it reads data at least as new as the request), and askers meanwhile share that one load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, createMetricsRegistry, LocalBus } from '@sipmesh/runtime';
import { describe, expect, it } from 'vitest';
import { createRouterApp } from './app.js';

const routes = (policy: string): string => JSON.stringify({ policies: { [policy]: { rules: [{ reply: { code: 404, reason: 'Nowhere' } }] } } });

describe('router reloads', () => {
  it('runs one load at a time and ends with the newest data', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-reload-'));
    const file = path.join(dir, 'routes.json');
    writeFileSync(file, routes('first'));
    const bus = new LocalBus();
    const registry = createMetricsRegistry({ service: 'router', processMetrics: false });
    const router = await createRouterApp({ routesFile: file, validateRequests: true, bus, logger: createLogger({ service: 'router', level: 'silent' }), registry, tracing: false });
    try {
      const a = router.reload();
      writeFileSync(file, routes('second'));
      const b = router.reload();
      const c = router.reload();
      const results = await Promise.all([a, b, c]);
      expect(results.every((r) => r.ok)).toBe(true);
      // b and c share the load queued behind a, which read the file after the change
      expect(results[1]).toEqual({ ok: true, policies: ['second'] });
      expect(router.service.policyNames).toEqual(['second']);
      const loads = (await registry.getSingleMetric('sipmesh_router_reloads_total')?.get())?.values.find((v) => v.labels['result'] === 'ok')?.value;
      // the start, a, and one load for b and c together
      expect(loads).toBe(3);
    } finally {
      await router.stop();
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
