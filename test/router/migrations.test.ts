/**
 * The router's migrations against the real PostgreSQL: Kamailio's tables and version rows appear,
 * a second run changes nothing, and a dispatcher table filled as Kamailio's kamctl would fill it
 * serves the router's dispatcher step.
 */
import { createValidators, type RouteParams } from '@sipmesh/contracts';
import { compileRoutes, migrate, PgTableReader } from '@sipmesh/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

describe('router database', async () => {
  if (!(await requireInfra('postgres'))) return;
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('smmig');
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('creates the Kamailio tables once, with their version rows', async () => {
    const first = await migrate(schema.pool);
    expect(first.applied).toContain('001-version-dispatcher.sql');
    const again = await migrate(schema.pool);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(first.applied);
    const versions = await schema.pool.query<{ table_name: string; table_version: number }>('SELECT table_name, table_version FROM version ORDER BY table_name');
    expect(versions.rows).toContainEqual({ table_name: 'dispatcher', table_version: 4 });
  });

  it('serves a dispatcher set from the dispatcher table', async () => {
    await migrate(schema.pool);
    await schema.pool.query("INSERT INTO dispatcher (setid, destination, flags, priority, attrs) VALUES (300, 'sip:192.0.2.10:5080', 0, 10, ''), (300, 'sip:192.0.2.11:5080', 0, 0, 'weight=50')");
    const r = await compileRoutes({ dispatcher: { table: 'dispatcher' }, policies: { p: { steps: [{ dispatcher: { set: 300, algorithm: 'priority' } }] } } }, '.', createValidators(), { db: new PgTableReader(schema.pool) });
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    const params = { version: '1.0', edge: 'e', tx: 'e.1.1', method: 'INVITE', ruri: 'sip:9196@example.com', ruri_parts: { scheme: 'sip', user: '9196', host: 'example.com' }, from: { uri: 'sip:a@example.com', host: 'example.com' }, to: { uri: 'sip:9196@example.com', host: 'example.com' }, call_id: 'c', cseq: { seq: 1, method: 'INVITE' }, headers: {}, source: { ip: '192.0.2.4', port: 5060, transport: 'udp' }, socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 }, ours: { ruri: true, from: true }, attempt: 1 } as RouteParams;
    const answer = await r.policies.get('p')?.decide(params);
    expect(answer?.routes?.map((x) => x.dst_uri)).toEqual(['sip:192.0.2.10:5080', 'sip:192.0.2.11:5080']);
  });
});
