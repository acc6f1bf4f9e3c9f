/**
 * A router on the real PostgreSQL: it migrates its database at start, serves a dispatcher set from
 * the dispatcher table, reloads when the table changes and a NOTIFY says so, and keeps serving the
 * data it has when the table cannot be read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRouterApp, migrate, type RouterApp } from '@sipmesh/router';
import { createLogger, createMetricsRegistry, LocalBus } from '@sipmesh/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

describe('router reloads from the database', async () => {
  if (!(await requireInfra('postgres'))) return;
  let schema: TestSchema;
  let router: RouterApp;
  let dir: string;
  const channel = `sm_reload_${process.pid}`;
  const bus = new LocalBus();
  const registry = createMetricsRegistry({ service: 'router', processMetrics: false });

  beforeAll(async () => {
    schema = await createTestSchema('smrel');
    dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-reload-'));
    const routesFile = path.join(dir, 'routes.yaml');
    writeFileSync(routesFile, 'dispatcher: { table: dispatcher }\npolicies:\n  p:\n    steps:\n      - dispatcher: { set: 1, algorithm: priority }\n');
    // The policy names set 1, so it must exist when the router starts (migrate here, then seed).
    await migrate(schema.pool);
    await schema.pool.query("INSERT INTO dispatcher (setid, destination, priority) VALUES (1, 'sip:192.0.2.10:5060', 10)");
    router = await createRouterApp({
      id: 'r-reload',
      routesFile,
      validateRequests: true,
      database: { url: schema.url, migrate: true, notifyChannel: channel },
      bus,
      logger: createLogger({ service: 'router', level: 'silent' }),
      registry,
      tracing: false,
    });
  });

  afterAll(async () => {
    await router?.stop();
    await bus.close();
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const destinations = (): string[] => [...(router.dispatcher().sets.get(1)?.destinations ?? [])].map((d) => d.uri).sort();
  const reloads = async (result: string): Promise<number> => {
    const m = await registry.getSingleMetricAsString('sipmesh_router_reloads_total');
    return Number(new RegExp(`result="${result}"[^}]*} (\\d+)`).exec(m)?.[1] ?? 0);
  };

  it('reloads when the data changes and a NOTIFY says so', async () => {
    expect(destinations()).toEqual(['sip:192.0.2.10:5060']);
    await schema.pool.query("INSERT INTO dispatcher (setid, destination, priority) VALUES (1, 'sip:192.0.2.11:5060', 5)");
    await schema.pool.query(`NOTIFY ${channel}`);
    await expect.poll(destinations, { timeout: 5000 }).toEqual(['sip:192.0.2.10:5060', 'sip:192.0.2.11:5060']);
  });

  it('keeps the loaded data serving when the table cannot be read, and recovers', async () => {
    const failedBefore = await reloads('error');
    await schema.pool.query('ALTER TABLE dispatcher RENAME TO dispatcher_away');
    await schema.pool.query(`NOTIFY ${channel}`);
    await expect.poll(() => reloads('error'), { timeout: 5000 }).toBe(failedBefore + 1);
    expect(destinations()).toEqual(['sip:192.0.2.10:5060', 'sip:192.0.2.11:5060']);
    expect(router.service.policyNames).toEqual(['p']);
    await schema.pool.query('ALTER TABLE dispatcher_away RENAME TO dispatcher');
    await schema.pool.query("DELETE FROM dispatcher WHERE destination = 'sip:192.0.2.11:5060'");
    await schema.pool.query(`NOTIFY ${channel}`);
    await expect.poll(destinations, { timeout: 5000 }).toEqual(['sip:192.0.2.10:5060']);
  });
});
