/**
 * The translation tables on the real PostgreSQL: migration 002 creates Kamailio's dialplan, pdt,
 * dbaliases and speed_dial tables with their version rows; the book's rows, inserted with SQL as
 * kamctl or an operator would, drive the dialplan, pdt, alias_db and speeddial steps.
 */
import { createValidators, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { compileRoutes, migrate, PgTableReader, type Policy } from '@sipmesh/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireInfra } from '../helpers/infra.js';
import { createTestSchema, type TestSchema } from '../helpers/pg-schema.js';

const relay = { rules: [{ routes: [{ dst_uri: 'sip:192.0.2.50:5060' }] }] };
const notFound = { reply: { code: 404, reason: 'Not Found' } };

function request(ruri: string, from = 'sip:1001@sip.xswitch.cn'): RouteParams {
  const parts = (uri: string): { user: string; host: string } => {
    const m = /^sip:([^@]+)@([^:;]+)/.exec(uri);
    if (!m) throw new Error(`test URI ${uri}`);
    return { user: m[1] ?? '', host: m[2] ?? '' };
  };
  const r = parts(ruri);
  const f = parts(from);
  return {
    version: '1.0',
    edge: 'e',
    tx: 'e.1.1',
    method: 'INVITE',
    ruri,
    ruri_parts: { scheme: 'sip', user: r.user, host: r.host },
    from: { uri: from, user: f.user, host: f.host, tag: 't' },
    to: { uri: ruri, user: r.user, host: r.host },
    call_id: 'c',
    cseq: { seq: 1, method: 'INVITE' },
    headers: {},
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
    ours: { ruri: true, from: true },
    attempt: 1,
  };
}

describe('translation tables in PostgreSQL', async () => {
  if (!(await requireInfra('postgres'))) return;
  let schema: TestSchema;
  let policies: ReadonlyMap<string, Policy>;

  const decide = async (policy: string, ruri: string, from?: string): Promise<RouteAnswer> => {
    const p = policies.get(policy);
    if (!p) throw new Error(`no policy ${policy}`);
    return p.decide(request(ruri, from));
  };
  const routedTo = async (policy: string, ruri: string, from?: string): Promise<string | undefined> => (await decide(policy, ruri, from)).routes?.[0]?.uri;

  beforeAll(async () => {
    schema = await createTestSchema('smtrans');
  });
  afterAll(async () => {
    await schema.drop();
  });

  it('creates the four Kamailio tables with their version rows', async () => {
    const result = await migrate(schema.pool);
    expect(result.applied).toContain('002-translation.sql');
    const versions = await schema.pool.query<{ table_name: string; table_version: number }>(
      "SELECT table_name, table_version FROM version WHERE table_name IN ('dialplan', 'pdt', 'dbaliases', 'speed_dial') ORDER BY table_name",
    );
    expect(versions.rows).toEqual([
      { table_name: 'dbaliases', table_version: 1 },
      { table_name: 'dialplan', table_version: 2 },
      { table_name: 'pdt', table_version: 1 },
      { table_name: 'speed_dial', table_version: 2 },
    ]);
  });

  it("serves the book's rows inserted with SQL", async () => {
    await migrate(schema.pool);
    const q = (sql: string): Promise<unknown> => schema.pool.query(sql);
    await q(`INSERT INTO dialplan (dpid, pr, match_op, match_exp, match_len, subst_exp, repl_exp, attrs) VALUES
      (1, 0, 0, '102', 0, '', '212341234', 'equal match'),
      (2, 0, 1, '0([0-9]{8})', 0, '0([0-9]{8})', '\\1', 'regexp match')`);
    await q("INSERT INTO pdt (sdomain, prefix, domain) VALUES ('sip.xswitch.cn', '123', 'rts.xswitch.cn'), ('sip.xswitch.cn', '124', 'rts.xswitch.cn')");
    await q("INSERT INTO dbaliases (alias_username, alias_domain, username, domain) VALUES ('200', '', '10000200', 'rts.xswitch.cn:20003;transport=tcp')");
    await q(`INSERT INTO speed_dial (username, domain, sd_username, sd_domain, new_uri, fname, lname, description) VALUES
      ('1001', 'sip.xswitch.cn', '10', 'sip.xswitch.cn', 'sip:666010@192.168.1.100', '', '', ''),
      ('1001', 'sip.xswitch.cn', '11', 'sip.xswitch.cn', 'sip:888011@192.168.1.100', '', '', '')`);

    const doc = {
      policies: {
        dialplan2: { steps: [{ dialplan: { dpid: 2, source: { table: 'dialplan' }, on_no_match: notFound } }, relay] },
        dialplan1: { steps: [{ dialplan: { dpid: 1, source: { table: 'dialplan', where: 'dpid = 1' }, on_no_match: notFound } }, relay] },
        pdt: { steps: [{ pdt: { source: { table: 'pdt' }, sdomain: 'from_domain', prefix: '0', check_domain: false, on_no_match: notFound } }, relay] },
        alias: { steps: [{ alias_db: { source: { table: 'dbaliases' }, on_no_match: notFound } }, relay] },
        speeddial: { steps: [{ speeddial: { source: { table: 'speed_dial' }, on_no_match: notFound } }, relay] },
      },
    };
    const r = await compileRoutes(doc, '.', createValidators(), { db: new PgTableReader(schema.pool) });
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    policies = r.policies;

    // dialplan (TC-86, TC-87)
    expect(await routedTo('dialplan2', 'sip:012345678@sip.xswitch.cn')).toBe('sip:12345678@sip.xswitch.cn');
    expect((await decide('dialplan2', 'sip:102@sip.xswitch.cn')).reply?.code).toBe(404);
    expect(await routedTo('dialplan1', 'sip:102@sip.xswitch.cn')).toBe('sip:212341234@sip.xswitch.cn');
    // pdt (TC-99), mode 0
    expect(await routedTo('pdt', 'sip:01239001@sip.xswitch.cn')).toBe('sip:9001@rts.xswitch.cn');
    expect((await decide('pdt', 'sip:01239001@sip.xswitch.cn', 'sip:1001@other.cn')).reply?.code).toBe(404);
    // alias_db (TC-97)
    expect(await routedTo('alias', 'sip:200@sip.xswitch.cn')).toBe('sip:10000200@rts.xswitch.cn:20003;transport=tcp');
    expect((await decide('alias', 'sip:201@sip.xswitch.cn')).reply?.code).toBe(404);
    // speeddial (TC-96)
    expect(await routedTo('speeddial', 'sip:10@sip.xswitch.cn')).toBe('sip:666010@192.168.1.100');
    expect(await routedTo('speeddial', 'sip:11@sip.xswitch.cn')).toBe('sip:888011@192.168.1.100');
    expect((await decide('speeddial', 'sip:10@sip.xswitch.cn', 'sip:1002@sip.xswitch.cn')).reply?.code).toBe(404);
  });

  it('refuses a reload with a bad dialplan row, naming the table row', async () => {
    await schema.pool.query("INSERT INTO dialplan (dpid, pr, match_op, match_exp, match_len, subst_exp, repl_exp, attrs) VALUES (3, 0, 1, '0([0-9]', 0, '', 'x', '')");
    const doc = { policies: { p: { steps: [{ dialplan: { dpid: 2, source: { table: 'dialplan' } } }] } } };
    const r = await compileRoutes(doc, '.', createValidators(), { db: new PgTableReader(schema.pool) });
    expect(r.ok ? [] : r.errors).toEqual([expect.stringMatching(/^p step 1 \(dialplan\): table dialplan row \d: match_exp "0\(\[0-9\]" does not compile/)]);
  });
});
