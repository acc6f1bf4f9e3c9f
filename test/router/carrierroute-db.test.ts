/**
 * The carrierroute tables in the real PostgreSQL: the migration creates Kamailio's four tables with
 * their version rows, and the book's rows (§8.8, inserted as its SQL does, ids from SERIAL) serve a
 * carrierroute step: the 50/50 split over many Call-IDs, one host per Call-ID, the blocklisted
 * prefix, a failure routed in the next domain, and a reload seeing changed rows (TC-98).
 */
import { createValidators, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { compileRoutes, migrate, PgTableReader, type Policy } from '@sipmesh/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

const validators = createValidators();

function params(user: string, callId: string, failure?: RouteParams['failure']): RouteParams {
  return {
    version: '1.0',
    edge: 'e',
    tx: 'e.1.1',
    method: 'INVITE',
    ruri: `sip:${user}@example.com`,
    ruri_parts: { scheme: 'sip', user, host: 'example.com' },
    from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 't' },
    to: { uri: `sip:${user}@example.com`, user, host: 'example.com' },
    call_id: callId,
    cseq: { seq: 1, method: 'INVITE' },
    headers: {},
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
    ours: { ruri: true, from: true },
    attempt: failure ? failure.branches.length + 1 : 1,
    ...(failure ? { failure } : {}),
  };
}

async function decide(policy: Policy | undefined, p: RouteParams): Promise<RouteAnswer> {
  if (!policy) throw new Error('no such policy');
  const a = await policy.decide(p);
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const tables = { routes: { table: 'carrierroute' }, carriers: { table: 'carrier_name' }, domains: { table: 'domain_name' }, failure_routes: { table: 'carrierfailureroute' } };
const doc = {
  policies: {
    mobile: { steps: [{ carrierroute: { ...tables, carrier: 'mobile', domain: 'prepaid' } }] },
    unicom: { steps: [{ carrierroute: { ...tables, carrier: 'unicom', domain: 'prepaid' } }] },
  },
};

describe('carrierroute tables', async () => {
  if (!(await requireInfra('postgres'))) return;
  let schema: TestSchema;
  let db: PgTableReader;

  async function policies(): Promise<ReadonlyMap<string, Policy>> {
    const r = await compileRoutes(doc, '.', validators, { db });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    return r.policies;
  }

  beforeAll(async () => {
    schema = await createTestSchema('smcr');
    db = new PgTableReader(schema.pool);
    const first = await migrate(schema.pool);
    expect(first.applied).toContain('006-carrierroute.sql');
    // The book's rows (its table name corrected), TC-98's blocklisted 139, and one failure rule:
    // a 5xx from .122 goes on in postpaid, which routes everything to .123.
    await schema.pool.query(`
      INSERT INTO carrier_name (carrier) VALUES ('mobile'), ('unicom');
      INSERT INTO domain_name (domain) VALUES ('prepaid'), ('postpaid');
      INSERT INTO carrierroute (carrier, domain, scan_prefix, flags, mask, prob, strip, rewrite_host, rewrite_prefix, rewrite_suffix) VALUES
        (1, 1, '137', 0, 0, 0.5, 0, '192.168.1.120:9999', '', ''),
        (1, 1, '137', 0, 0, 0.5, 0, '192.168.1.121:9999', '', ''),
        (1, 1, '', 0, 0, 1, 0, '192.168.1.122:9999', '', ''),
        (2, 1, '133', 0, 0, 1, 0, '192.168.2.100:5060', '', ''),
        (2, 1, '', 0, 0, 1, 0, '192.168.2.101:5060', '', ''),
        (1, 1, '139', 0, 0, 1, 0, '', '', ''),
        (1, 2, '', 0, 0, 1, 0, '192.168.1.123:9999', '', '');
      INSERT INTO carrierfailureroute (carrier, domain, scan_prefix, host_name, reply_code, flags, mask, next_domain) VALUES
        (1, 1, '', '192.168.1.122:9999', '5..', 0, 0, 2);
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
        { table_name: 'carrier_name', table_version: 1 },
        { table_name: 'carrierfailureroute', table_version: 2 },
        { table_name: 'carrierroute', table_version: 3 },
        { table_name: 'domain_name', table_version: 1 },
      ]),
    );
  });

  it("splits 137 between .120 and .121 (45-55% each over 2,000 Call-IDs), one host per Call-ID (TC-98 a, b)", async () => {
    const p = (await policies()).get('mobile');
    const counts = new Map<string | undefined, number>();
    for (let i = 0; i < 2_000; i++) {
      const uri = (await decide(p, params('13712345678', `call-${i}@192.0.2.4`))).routes?.[0]?.uri;
      counts.set(uri, (counts.get(uri) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['sip:13712345678@192.168.1.120:9999', 'sip:13712345678@192.168.1.121:9999']);
    for (const n of counts.values()) expect(Math.abs(n / 2_000 - 0.5)).toBeLessThanOrEqual(0.05);
    const once = (await decide(p, params('13712345678', 'sticky@192.0.2.4'))).routes;
    for (let i = 0; i < 10; i++) expect((await decide(p, params('13712345678', 'sticky@192.0.2.4'))).routes).toEqual(once);
  });

  it('routes other numbers and carriers, and refuses the blocklisted prefix (TC-98 c, d)', async () => {
    const all = await policies();
    expect((await decide(all.get('mobile'), params('13812345678', 'c'))).routes).toEqual([{ uri: 'sip:13812345678@192.168.1.122:9999' }]);
    expect((await decide(all.get('unicom'), params('13300000000', 'c'))).routes).toEqual([{ uri: 'sip:13300000000@192.168.2.100:5060' }]);
    expect((await decide(all.get('unicom'), params('15000000000', 'c'))).routes).toEqual([{ uri: 'sip:15000000000@192.168.2.101:5060' }]);
    expect((await decide(all.get('mobile'), params('13912345678', 'c'))).reply).toEqual({ code: 403, reason: 'Blocked' });
  });

  it('asks again on a 5xx from .122 and routes the re-ask in postpaid', async () => {
    const p = (await policies()).get('mobile');
    const first = await decide(p, params('13812345678', 'f'));
    expect(first.on_failure).toEqual({ action: 'ask', codes: ['5xx'] });
    const failure = { status: 503, reason: 'Service Unavailable', branches: [{ uri: 'sip:13812345678@192.168.1.122:9999', status: 503, reason: 'Service Unavailable' }] };
    expect((await decide(p, params('13812345678', 'f', failure))).routes).toEqual([{ uri: 'sip:13812345678@192.168.1.123:9999' }]);
  });

  it('sees changed rows when the routes are compiled again (a reload)', async () => {
    await schema.pool.query("UPDATE carrierroute SET rewrite_host = '' WHERE rewrite_host = '192.168.2.100:5060'");
    try {
      expect((await decide((await policies()).get('unicom'), params('13300000000', 'c'))).reply).toEqual({ code: 403, reason: 'Blocked' });
    } finally {
      await schema.pool.query("UPDATE carrierroute SET rewrite_host = '192.168.2.100:5060' WHERE carrier = 2 AND scan_prefix = '133'");
    }
  });
});
