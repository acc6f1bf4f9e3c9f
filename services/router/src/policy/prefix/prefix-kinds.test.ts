/**
 * The lcr, mtree and prefix_route steps as a routes file writes them, with inline rows: answers
 * checked against the route-answer contract, load errors naming the step.
 */
import { createValidators, CONTRACT_VERSION, type RouteAnswer } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../dispatcher/random-source.js';
import { answer, createRouteContext, type PolicyStep } from '../pipeline/route-context.js';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes } from '../static/load-routes-file.js';
import { STEP_KINDS, type StepKind } from '../steps/index.js';
import { createLcrKind, PREFIX_KINDS } from './kinds.js';
import { BOOK_GATEWAYS, BOOK_RULES, BOOK_TARGETS } from './lcr-book.fixture.js';
import { PrefixRouteStep } from './prefix-route-step.js';
import { PrefixRouteTable } from './prefix-route.js';

const validators = createValidators();

/** A step that answers 480 with the variables it finds, so a test sees what earlier steps set. */
const varsProbe: StepKind = {
  key: 'vars_probe',
  schema: { type: 'object' },
  build: () => ({ ok: true, step: { kind: 'vars_probe', run: (ctx) => answer({ version: CONTRACT_VERSION, reply: { code: 480, reason: JSON.stringify(Object.fromEntries(ctx.vars)) } }) } }),
};

const KINDS = [...STEP_KINDS, ...PREFIX_KINDS, varsProbe];

async function load(doc: unknown, kinds: readonly StepKind[] = KINDS): Promise<ReadonlyMap<string, Policy>> {
  const r = await compileRoutes(doc, '.', validators, { kinds });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policies;
}

async function loadErrors(doc: unknown): Promise<string[]> {
  const r = await compileRoutes(doc, '.', validators, { kinds: KINDS });
  return r.ok ? [] : r.errors;
}

async function decide(policy: Policy | undefined, spec: ParamsSpec): Promise<RouteAnswer> {
  if (!policy) throw new Error('no such policy');
  const a = await policy.decide(routeParams(spec));
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const bookLcr = { gateways: { rows: BOOK_GATEWAYS }, rules: { rows: BOOK_RULES }, targets: { rows: BOOK_TARGETS } };
const bookTree = { rows: [{ tname: 'mytree', tprefix: '9', tvalue: 'sip:1.2.3.4:5060' }, { tname: 'mytree', tprefix: '9196', tvalue: 'sip:5.6.7.8:5060' }] };

describe('lcr step', () => {
  it("answers the book's numbers with every gateway as a serial route set (TC-89, TC-90)", async () => {
    const p = (await load({ policies: { pstn: { steps: [{ lcr: bookLcr }] } } })).get('pstn');
    const a = await decide(p, { ruri: 'sip:442000@example.com' });
    expect(a.routing).toBe('serial');
    expect(a.routes).toEqual([{ uri: 'sip:442000@gw.com', dst_uri: 'sip:10.1.1.102:5070' }, { uri: 'sip:442000@10.1.1.101:5060' }]);
    expect(a.policy).toBe('pstn');
    expect((await decide(p, { ruri: 'sip:441000@example.com' })).routes).toEqual([{ uri: 'sip:441000@10.1.1.101:5060' }]);
    expect((await decide(p, { ruri: 'sip:49800123@example.com' })).routes?.map((r) => r.uri)).toEqual([
      'sip:49800123@10.1.1.101:5060',
      'sip:49800123@10.1.1.103:5060',
      'sip:49800123@gw.com',
    ]);
  });

  it('goes on to the next step when no gateway matches, or replies 503 when told to', async () => {
    const policies = await load({
      policies: {
        next: { steps: [{ lcr: bookLcr }, { rules: [{ reply: { code: 486, reason: 'Busy Here' } }] }] },
        last: { steps: [{ lcr: bookLcr }] },
        reply: { steps: [{ lcr: { ...bookLcr, on_no_route: 'reply' } }] },
        custom: { steps: [{ lcr: { ...bookLcr, on_no_route: { reply: { code: 404, reason: 'No gateway' } } } }] },
      },
    });
    expect((await decide(policies.get('next'), { ruri: 'sip:45000@example.com' })).reply).toEqual({ code: 486, reason: 'Busy Here' });
    expect((await decide(policies.get('last'), { ruri: 'sip:45000@example.com' })).reply).toEqual({ code: 404, reason: 'No route' });
    expect((await decide(policies.get('reply'), { ruri: 'sip:45000@example.com' })).reply).toEqual({ code: 503, reason: 'No available gateways' });
    expect((await decide(policies.get('custom'), { ruri: 'sip:45000@example.com' })).reply).toEqual({ code: 404, reason: 'No gateway' });
  });

  it('matches from_uri against the From URI of the request', async () => {
    const rules = [...BOOK_RULES, { id: 7, lcr_id: 1, prefix: '4420', from_uri: '^sip:bob@', stopper: 1, enabled: 1 }];
    const targets = [...BOOK_TARGETS, { lcr_id: 1, rule_id: 7, gw_id: 3, priority: 1, weight: 1 }];
    const p = (await load({ policies: { p: { steps: [{ lcr: { ...bookLcr, rules: { rows: rules }, targets: { rows: targets } } }] } } })).get('p');
    expect((await decide(p, { ruri: 'sip:442000@example.com', from: 'sip:bob@example.com' })).routes).toEqual([{ uri: 'sip:442000@10.1.1.103:5060' }]);
    expect((await decide(p, { ruri: 'sip:442000@example.com' })).routes).toHaveLength(2);
  });

  it('orders equal gateways with the injected random source', async () => {
    const targets = [
      { lcr_id: 1, rule_id: 1, gw_id: 1, priority: 10, weight: 1 },
      { lcr_id: 1, rule_id: 1, gw_id: 3, priority: 10, weight: 1 },
    ];
    const doc = { policies: { p: { steps: [{ lcr: { ...bookLcr, targets: { rows: targets } } }] } } };
    const firsts = async (seed: number): Promise<string[]> => {
      const p = (await load(doc, [...STEP_KINDS, createLcrKind({ random: seededRandom(seed), nowSec: () => 0 })])).get('p');
      const out: string[] = [];
      for (let i = 0; i < 20; i++) out.push((await decide(p, { ruri: 'sip:441000@example.com' })).routes?.[0]?.uri ?? '');
      return out;
    };
    const a = await firsts(7);
    expect(await firsts(7)).toEqual(a);
    expect(new Set(a)).toEqual(new Set(['sip:441000@10.1.1.101:5060', 'sip:441000@10.1.1.103:5060']));
  });

  it('refuses wrong rows, naming the step, the source and the row', async () => {
    const errors = await loadErrors({ policies: { p: { steps: [{ default: {} }, { lcr: { ...bookLcr, gateways: { rows: [{ id: 1, lcr_id: 1, ip_addr: 'gw.example.com' }] } } }] } } });
    expect(errors).toEqual(['p step 2 (lcr): gateways (inline rows) row 1: ip_addr gw.example.com is not an IP address']);
    expect(await loadErrors({ policies: { p: { steps: [{ lcr: { ...bookLcr, rules: { table: 'lcr_rule' } } }] } } })).toEqual([
      'p step 1 (lcr): table lcr_rule: no database configured (router setting database.url)',
    ]);
    expect((await loadErrors({ policies: { p: { steps: [{ lcr: { gateways: { rows: [] } } }] } } }))[0]).toMatch(/^routes file \/policies\/p\/steps\/0\/lcr: must have required property/);
  });
});

describe('mtree step', () => {
  it('keeps the longest prefix value as mtree.<tree> for the steps after it', async () => {
    const p = (await load({ policies: { p: { steps: [{ mtree: { tree: 'mytree', source: bookTree } }, { vars_probe: {} }] } } })).get('p');
    expect((await decide(p, { ruri: 'sip:9123@example.com' })).reply?.reason).toBe('{"mtree.mytree":"sip:1.2.3.4:5060"}');
    expect((await decide(p, { ruri: 'sip:91967@example.com' })).reply?.reason).toBe('{"mtree.mytree":"sip:5.6.7.8:5060"}');
    expect((await decide(p, { ruri: 'sip:8000@example.com' })).reply?.reason).toBe('{}');
  });

  it("routes to the value as next hop with the Request-URI unchanged, or replies 404 (the book's mtree.lua, TC-84)", async () => {
    const p = (await load({ policies: { p: { steps: [{ mtree: { tree: 'mytree', source: bookTree, use_as: 'dst_uri', on_no_match: 'reply' } }] } } })).get('p');
    expect((await decide(p, { ruri: 'sip:9196@example.com' })).routes).toEqual([{ dst_uri: 'sip:5.6.7.8:5060' }]);
    expect((await decide(p, { ruri: 'sip:91@example.com' })).routes).toEqual([{ dst_uri: 'sip:1.2.3.4:5060' }]);
    expect((await decide(p, { ruri: 'sip:8000@example.com' })).reply).toEqual({ code: 404, reason: 'Not Found' });
    // a character outside char_list where the tree goes deeper fails the match, though "9" matched;
    // after "9196", where the tree ends, it is never looked at
    expect((await decide(p, { ruri: 'sip:9a@example.com' })).reply).toEqual({ code: 404, reason: 'Not Found' });
    expect((await decide(p, { ruri: 'sip:9196a@example.com' })).routes).toEqual([{ dst_uri: 'sip:5.6.7.8:5060' }]);
    expect((await decide(p, { ruri: 'sip:%2B9196@example.com' })).reply).toEqual({ code: 404, reason: 'Not Found' });
  });

  it('selects from the dispatcher set the value names (book §9.2.5)', async () => {
    const p = (
      await load({
        dispatcher: { inline: '1 sip:192.0.2.11:5060\n2 sip:192.0.2.21:5060\n2 sip:192.0.2.22:5060\n' },
        policies: { p: { steps: [{ mtree: { tree: 'didmap', source: { rows: [{ tprefix: '9', tvalue: '1' }, { tprefix: '91', tvalue: '2' }] }, use_as: 'dispatcher', dispatcher: { algorithm: 'priority' } } }] } },
      })
    ).get('p');
    expect((await decide(p, { ruri: 'sip:9123@example.com' })).routes?.map((r) => r.dst_uri).sort()).toEqual(['sip:192.0.2.21:5060', 'sip:192.0.2.22:5060']);
    expect((await decide(p, { ruri: 'sip:900@example.com' })).routes?.map((r) => r.dst_uri)).toEqual(['sip:192.0.2.11:5060']);
    expect((await decide(p, { ruri: 'sip:800@example.com' })).reply).toEqual({ code: 404, reason: 'No route' });
  });

  it('refuses values that cannot be used as told, and bad rows, at load', async () => {
    const dispatcher = { inline: '1 sip:192.0.2.11:5060\n' };
    const rows = (values: string[]): { rows: object[] } => ({ rows: values.map((tvalue, i) => ({ tprefix: String(i + 1), tvalue })) });
    expect(await loadErrors({ dispatcher, policies: { p: { steps: [{ mtree: { tree: 't', source: rows(['1', 'x']), use_as: 'dispatcher' } }] } } })).toEqual([
      'p step 1 (mtree): use_as dispatcher needs dispatcher set ids as values; 2 -> "x"',
    ]);
    expect(await loadErrors({ dispatcher, policies: { p: { steps: [{ mtree: { tree: 't', source: rows(['1', '5']), use_as: 'dispatcher' } }] } } })).toEqual([
      'policy p step 1 (mtree), dispatcher: dispatcher set 5 is not defined',
    ]);
    expect(await loadErrors({ policies: { p: { steps: [{ mtree: { tree: 't', source: rows(['sip:a', '1.2.3.4']), use_as: 'dst_uri' } }] } } })).toEqual([
      'p step 1 (mtree): use_as dst_uri needs SIP URIs as values; 2 -> "1.2.3.4"',
    ]);
    expect(await loadErrors({ policies: { p: { steps: [{ mtree: { tree: 't', source: { rows: [{ tprefix: '+1', tvalue: 'a' }] } } }] } } })).toEqual([
      'p step 1 (mtree): inline rows row 1: tprefix +1 has "+", which is not in char_list "0123456789"',
    ]);
  });
});

describe('prefix_route step', () => {
  const rows = {
    rows: [
      { prefix: '010', route: 'BJ', comment: 'BeiJing' },
      { prefix: '020', route: 'GZ', comment: 'GuangZhou' },
      { prefix: '021', route: 'SH', comment: 'ShangHai' },
      { prefix: '0535', route: 'YT', comment: 'YanTai' },
    ],
  };
  const routes = {
    BJ: { routes: [{ dst_uri: 'sip:kb-fs1:5080' }], record_route: true },
    GZ: { routes: [{ dst_uri: 'sip:192.168.1.101:5060' }], record_route: true },
    SH: { routes: [{ dst_uri: 'sip:192.168.1.102:5060' }], record_route: true },
    YT: { reply: { code: 403, reason: 'Forbidden' } },
  };

  it("answers with the route set the matched name maps to (the book's prefix_route.lua, TC-92)", async () => {
    const p = (await load({ policies: { p: { steps: [{ prefix_route: { source: rows, routes } }] } } })).get('p');
    const bj = await decide(p, { ruri: 'sip:0101234567@example.com' });
    expect(bj.routes).toEqual([{ dst_uri: 'sip:kb-fs1:5080' }]);
    expect(bj.record_route).toBe(true);
    expect((await decide(p, { ruri: 'sip:0205551234@example.com' })).routes).toEqual([{ dst_uri: 'sip:192.168.1.101:5060' }]);
    expect((await decide(p, { ruri: 'sip:0215551234@example.com' })).routes).toEqual([{ dst_uri: 'sip:192.168.1.102:5060' }]);
    expect((await decide(p, { ruri: 'sip:05356661234@example.com' })).reply).toEqual({ code: 403, reason: 'Forbidden' });
    expect((await decide(p, { ruri: 'sip:0755123456@example.com' })).reply).toEqual({ code: 404, reason: 'No route' });
  });

  it('keeps the matched route name as the variable prefix_route', async () => {
    const table = PrefixRouteTable.fromRows(rows.rows, new Set(['BJ', 'GZ', 'SH', 'YT']));
    if (!table.ok) throw new Error(table.errors.join());
    const ok: PolicyStep = { kind: 'fixed', run: () => answer({ version: CONTRACT_VERSION, reply: { code: 200, reason: 'OK' } }) };
    const step = new PrefixRouteStep(table.table, new Map(['BJ', 'GZ', 'SH', 'YT'].map((n) => [n, ok])));
    const ctx = createRouteContext(routeParams({ ruri: 'sip:+0215551234@example.com' }));
    await step.run(ctx);
    expect(ctx.vars.get('prefix_route')).toBe('SH');
    const none = createRouteContext(routeParams({ ruri: 'sip:0755@example.com' }));
    expect(await step.run(none)).toEqual({ kind: 'continue' });
    expect(none.vars.has('prefix_route')).toBe(false);
  });

  it('refuses a table naming a route the step does not define, as Kamailio refuses to start', async () => {
    const { SH: _sh, ...withoutSh } = routes;
    expect(await loadErrors({ policies: { p: { steps: [{ prefix_route: { source: rows, routes: withoutSh } }] } } })).toEqual([
      'p step 1 (prefix_route): inline rows row 3: route SH is not defined (known: BJ, GZ, YT)',
    ]);
    expect(await loadErrors({ policies: { p: { steps: [{ prefix_route: { source: rows, routes: { ...routes, BJ: { routes: [] } } } }] } } })).toEqual([
      expect.stringMatching(/^routes file \/policies\/p\/steps\/0\/prefix_route\/routes\/BJ/) as unknown,
    ]);
  });
});
