/**
 * The prefix routing tables in the real PostgreSQL: the migration creates Kamailio's lcr, mtree and
 * prefix_route tables with their version rows, and rows inserted with the book's SQL serve the lcr,
 * mtree and prefix_route steps of a routes file.
 */
import { createValidators, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { compileRoutes, migrate, PgTableReader, type Policy } from '@sipmesh/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

const validators = createValidators();

function params(user: string): RouteParams {
  return {
    version: '1.0',
    edge: 'e',
    tx: 'e.1.1',
    method: 'INVITE',
    ruri: `sip:${user}@example.com`,
    ruri_parts: { scheme: 'sip', user, host: 'example.com' },
    from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 't' },
    to: { uri: `sip:${user}@example.com`, user, host: 'example.com' },
    call_id: 'c',
    cseq: { seq: 1, method: 'INVITE' },
    headers: {},
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
    ours: { ruri: true, from: true },
    attempt: 1,
  };
}

async function decide(policy: Policy | undefined, user: string): Promise<RouteAnswer> {
  if (!policy) throw new Error('no such policy');
  const a = await policy.decide(params(user));
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const lcrStep = { lcr: { gateways: { table: 'lcr_gw' }, rules: { table: 'lcr_rule' }, targets: { table: 'lcr_rule_target' }, on_no_route: 'reply' } };

describe('prefix routing tables', async () => {
  if (!(await requireInfra('postgres'))) return;
  let schema: TestSchema;
  let db: PgTableReader;

  async function policies(doc: unknown): Promise<ReadonlyMap<string, Policy>> {
    const r = await compileRoutes(doc, '.', validators, { db });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    return r.policies;
  }

  beforeAll(async () => {
    schema = await createTestSchema('smpfx');
    db = new PgTableReader(schema.pool);
    const first = await migrate(schema.pool);
    expect(first.applied).toContain('003-prefix-routing.sql');
    // The book's rows (§8.3), its INSERTs without ids: SERIAL numbers them 1, 2, 3…
    await schema.pool.query(`
      INSERT INTO lcr_gw (lcr_id, gw_name, ip_addr, hostname, port, uri_scheme, transport, strip, prefix, flags) VALUES
        (1, 'gw1', '10.1.1.101', NULL, 5060, 1, NULL, NULL, NULL, 0),
        (1, 'gw2', '10.1.1.102', 'gw.com', 5070, 1, NULL, NULL, NULL, 0),
        (1, 'gw3', '10.1.1.103', NULL, 5060, 1, NULL, NULL, NULL, 0);
      INSERT INTO lcr_rule (lcr_id, prefix, from_uri, stopper, enabled) VALUES
        (1, '44', NULL, 0, 1), (1, '442', NULL, 0, 1), (1, '443', NULL, 0, 1),
        (1, '49', NULL, 0, 1), (1, '49800', NULL, 0, 1), (1, '491', NULL, 0, 1);
      INSERT INTO lcr_rule_target (lcr_id, rule_id, gw_id, priority, weight) VALUES
        (1, 1, 1, 10, 1), (1, 2, 2, 10, 1), (1, 3, 2, 10, 1), (1, 4, 2, 10, 1),
        (1, 5, 1, 10, 1), (1, 5, 3, 20, 1), (1, 6, 1, 10, 1);
      INSERT INTO mtrees (tname, tprefix, tvalue) VALUES
        ('mytree', '9', 'sip:1.2.3.4:5060'), ('mytree', '9196', 'sip:5.6.7.8:5060'), ('other', '9', 'sip:9.9.9.9');
      INSERT INTO prefix_route (prefix, route, comment) VALUES
        ('010', 'BJ', 'BeiJing'), ('020', 'GZ', 'GuangZhou'), ('021', 'SH', 'ShangHai'), ('0535', 'YT', 'YanTai');
    `);
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('creates the tables once, with the version rows Kamailio expects', async () => {
    expect((await migrate(schema.pool)).applied).toEqual([]);
    const versions = await schema.pool.query<{ table_name: string; table_version: number }>('SELECT table_name, table_version FROM version ORDER BY table_name');
    expect(versions.rows).toEqual(
      expect.arrayContaining([
        { table_name: 'lcr_gw', table_version: 3 },
        { table_name: 'lcr_rule', table_version: 3 },
        { table_name: 'lcr_rule_target', table_version: 1 },
        { table_name: 'mtree', table_version: 1 },
        { table_name: 'mtrees', table_version: 2 },
      ]),
    );
  });

  it("routes the book's numbers through the lcr tables (TC-89, TC-90)", async () => {
    const p = (await policies({ policies: { pstn: { steps: [lcrStep] } } })).get('pstn');
    expect((await decide(p, '441000')).routes).toEqual([{ uri: 'sip:441000@10.1.1.101:5060' }]);
    expect((await decide(p, '442000')).routes).toEqual([{ uri: 'sip:442000@gw.com', dst_uri: 'sip:10.1.1.102:5070' }, { uri: 'sip:442000@10.1.1.101:5060' }]);
    expect((await decide(p, '49800123')).routes).toEqual([
      { uri: 'sip:49800123@10.1.1.101:5060' },
      { uri: 'sip:49800123@10.1.1.103:5060' },
      { uri: 'sip:49800123@gw.com', dst_uri: 'sip:10.1.1.102:5070' },
    ]);
    expect((await decide(p, '45000')).reply).toEqual({ code: 503, reason: 'No available gateways' });
  });

  it('sees changed rows when the routes are compiled again (a reload)', async () => {
    await schema.pool.query('UPDATE lcr_rule SET stopper = 1 WHERE id = 2');
    await schema.pool.query('UPDATE lcr_rule SET enabled = 0 WHERE id = 5');
    try {
      const p = (await policies({ policies: { pstn: { steps: [lcrStep] } } })).get('pstn');
      expect((await decide(p, '442000')).routes).toEqual([{ uri: 'sip:442000@gw.com', dst_uri: 'sip:10.1.1.102:5070' }]);
      expect((await decide(p, '49800123')).routes).toEqual([{ uri: 'sip:49800123@gw.com', dst_uri: 'sip:10.1.1.102:5070' }]);
    } finally {
      await schema.pool.query('UPDATE lcr_rule SET stopper = 0, enabled = 1');
    }
  });

  it('serves an mtree from the mtrees table and prefix routes from the prefix_route table', async () => {
    const all = await policies({
      policies: {
        mt: { steps: [{ mtree: { tree: 'mytree', source: { table: 'mtrees' }, use_as: 'dst_uri', on_no_match: 'reply' } }] },
        pr: {
          steps: [
            {
              prefix_route: {
                source: { table: 'prefix_route' },
                routes: {
                  BJ: { routes: [{ dst_uri: 'sip:kb-fs1:5080' }] },
                  GZ: { routes: [{ dst_uri: 'sip:192.168.1.101:5060' }] },
                  SH: { routes: [{ dst_uri: 'sip:192.168.1.102:5060' }] },
                  YT: { routes: [{ dst_uri: 'sip:192.168.1.103:5060' }] },
                },
              },
            },
          ],
        },
      },
    });
    expect((await decide(all.get('mt'), '9196')).routes).toEqual([{ dst_uri: 'sip:5.6.7.8:5060' }]);
    expect((await decide(all.get('mt'), '9123')).routes).toEqual([{ dst_uri: 'sip:1.2.3.4:5060' }]);
    expect((await decide(all.get('mt'), '8000')).reply).toEqual({ code: 404, reason: 'Not Found' });
    expect((await decide(all.get('pr'), '0215551234')).routes).toEqual([{ dst_uri: 'sip:192.168.1.102:5060' }]);
    expect((await decide(all.get('pr'), '0755123456')).reply).toEqual({ code: 404, reason: 'No route' });
  });
});
