/**
 * The drouting tables in the real PostgreSQL: the migration creates Kamailio's dr_gateways,
 * dr_rules, dr_gw_lists and dr_groups with their version rows, and rows inserted as the book and
 * kamctl would insert them serve the drouting step of a routes file (TC-93..95).
 */
import { createValidators, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { compileRoutes, createDroutingKind, migrate, PgTableReader, STEP_KINDS, type DrTable, type Policy, type StepKind } from '@sipmesh/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

const validators = createValidators();

function params(user: string, caller = 'alice'): RouteParams {
  return {
    version: '1.0',
    edge: 'e',
    tx: 'e.1.1',
    method: 'INVITE',
    ruri: `sip:${user}@proxy.example.com`,
    ruri_parts: { scheme: 'sip', user, host: 'proxy.example.com' },
    from: { uri: `sip:${caller}@example.com`, user: caller, host: 'example.com', tag: 't' },
    to: { uri: `sip:${user}@proxy.example.com`, user, host: 'proxy.example.com' },
    call_id: 'c',
    cseq: { seq: 1, method: 'INVITE' },
    headers: {},
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
    ours: { ruri: true, from: true },
    attempt: 1,
  };
}

async function decide(policy: Policy | undefined, user: string, caller?: string): Promise<RouteAnswer> {
  if (!policy) throw new Error('no such policy');
  const a = await policy.decide(params(user, caller));
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const tables = { gateways: { table: 'dr_gateways' }, rules: { table: 'dr_rules' }, gw_lists: { table: 'dr_gw_lists' } };
/** The book's `do_routing("0")`, replying 404 when it fails. */
const bookStep = { drouting: { ...tables, group: 0, on_no_route: 'reply' } };

describe('drouting tables', async () => {
  if (!(await requireInfra('postgres'))) return;
  let schema: TestSchema;
  let db: PgTableReader;

  async function load(doc: unknown, kinds: readonly StepKind[] = STEP_KINDS): Promise<{ policies: ReadonlyMap<string, Policy>; table: DrTable }> {
    const r = await compileRoutes(doc, '.', validators, { db, kinds });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    return { policies: r.policies, table: r.exposed.get('drouting')?.get('p step 1 (drouting)') as DrTable }; // the step exposes its DrTable
  }

  beforeAll(async () => {
    schema = await createTestSchema('smdr');
    db = new PgTableReader(schema.pool);
    const first = await migrate(schema.pool);
    expect(first.applied).toContain('005-drouting.sql');
    // The book's rows (§8.5) without ids: SERIAL numbers the gateways 1, 2, 3 and the rules 1, 2.
    await schema.pool.query(`
      INSERT INTO dr_gateways (address, description) VALUES
        ('192.168.1.100:5080', 'ivr'), ('192.168.1.101:5080', 'fax'), ('192.168.1.102:5080', 'conference');
      INSERT INTO dr_gateways (type, address, strip, pri_prefix, attrs, description) VALUES
        (1, '10.0.0.4:5060', 2, '00', 'carrier=a', 'pstn');
      INSERT INTO dr_rules (groupid, prefix, timerec, routeid, gwlist, description) VALUES
        ('0', '1234', '', '0', '1', 'route to ivr'), ('0', '5678', '', '0', '2', 'route to fax');
      INSERT INTO dr_gw_lists (gwlist, description) VALUES ('4,1;2', 'pstn then ivr, then fax');
      INSERT INTO dr_rules (groupid, prefix, timerec, priority, routeid, gwlist, description) VALUES
        ('0,1', '4455', '', 10, '0', '#1', 'pstn list'),
        ('0', '4455', '', 5, '0', '3', 'lower priority'),
        ('1', '1234', '', 0, '0', '3', 'group 1 to the conference'),
        ('0', '12345', '20220101T114900|00H05M|daily', 0, '0', '3', 'five minutes a day'),
        ('0', '9', '20220101T-114900|00H05M|daily', 0, '0', '1', 'the book''s misprint');
      INSERT INTO dr_groups (username, domain, groupid, description) VALUES ('bob', 'example.com', 1, 'group 1');
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
        { table_name: 'dr_gateways', table_version: 3 },
        { table_name: 'dr_groups', table_version: 2 },
        { table_name: 'dr_gw_lists', table_version: 1 },
        { table_name: 'dr_rules', table_version: 3 },
      ]),
    );
  });

  it("routes the book's numbers with do_routing(\"0\"), and answers 404 for the rest (TC-93)", async () => {
    const { policies, table } = await load({ policies: { p: { steps: [bookStep] } } });
    const p = policies.get('p');
    expect(await decide(p, '1234999')).toMatchObject({ routing: 'serial', routes: [{ uri: 'sip:1234999@192.168.1.100:5080' }] });
    expect((await decide(p, '5678')).routes).toEqual([{ uri: 'sip:5678@192.168.1.101:5080' }]);
    expect((await decide(p, '9999')).reply).toEqual({ code: 404, reason: 'Not Found' });
    // the misprinted dtstart is skipped and reported; the other rules route
    expect(table.skipped).toEqual([
      'rules (table dr_rules) row 7: rule 7 skipped: bad time definition <20220101T-114900|00H05M|daily>: dtstart 20220101T-114900 is not YYYYMMDDThhmmss',
    ]);
  });

  it('fails over through a #list in priority order, with strip and pri_prefix (TC-94)', async () => {
    const p = (await load({ policies: { p: { steps: [bookStep] } } })).policies.get('p');
    expect((await decide(p, '4455123')).routes).toEqual([
      { uri: 'sip:0055123@10.0.0.4:5060' },
      { uri: 'sip:4455123@192.168.1.100:5080' },
      { uri: 'sip:4455123@192.168.1.101:5080' },
    ]);
  });

  it("finds the caller's group in dr_groups (do_routing())", async () => {
    const p = (await load({ policies: { p: { steps: [{ drouting: { ...tables, groups: { table: 'dr_groups' }, group: 0 } }] } } })).policies.get('p');
    expect((await decide(p, '1234999', 'bob')).routes).toEqual([{ uri: 'sip:1234999@192.168.1.102:5080' }]);
    expect((await decide(p, '1234999', 'alice')).routes).toEqual([{ uri: 'sip:1234999@192.168.1.100:5080' }]);
  });

  it('uses the longer prefix only in its time window, on the injected clock (TC-95)', async () => {
    const at = async (iso: string): Promise<RouteAnswer> => {
      const kinds = [...STEP_KINDS, createDroutingKind({ nowMs: () => Date.parse(iso) })];
      const doc = { policies: { p: { steps: [{ drouting: { ...bookStep.drouting, time_zone: 'Europe/Berlin' } }] } } };
      return decide((await load(doc, kinds)).policies.get('p'), '1234599');
    };
    expect((await at('2024-02-01T10:49:00Z')).routes).toEqual([{ uri: 'sip:1234599@192.168.1.102:5080' }]);
    expect((await at('2024-02-01T10:54:00Z')).routes).toEqual([{ uri: 'sip:1234599@192.168.1.100:5080' }]);
  });

  it('sees changed rows when the routes are compiled again (a reload)', async () => {
    await schema.pool.query("UPDATE dr_rules SET priority = 20, gwlist = '1,2' WHERE description = 'lower priority'");
    try {
      const p = (await load({ policies: { p: { steps: [bookStep] } } })).policies.get('p');
      expect((await decide(p, '4455123')).routes).toEqual([{ uri: 'sip:4455123@192.168.1.100:5080' }, { uri: 'sip:4455123@192.168.1.101:5080' }]);
    } finally {
      await schema.pool.query("UPDATE dr_rules SET priority = 5, gwlist = '3' WHERE description = 'lower priority'");
    }
  });
});
