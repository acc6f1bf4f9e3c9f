/**
 * The drouting step as a routes file writes it, with inline rows: answers checked against the
 * route-answer contract, the caller's group from the From header, an injected clock and time
 * zone, the exposed table, and load errors naming the step.
 */
import { createValidators, type RouteAnswer } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../dispatcher/random-source.js';
import { CONTINUE, setRuriUser } from '../pipeline/route-context.js';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes, type LoadedPolicies } from '../static/load-routes-file.js';
import { STEP_KINDS, type StepKind } from '../steps/index.js';
import { BOOK_DR_GATEWAYS, BOOK_DR_RULES } from './drouting-book.fixture.js';
import { DrTable } from './drouting.js';
import { createDroutingKind, DROUTING_KINDS } from './kinds.js';

const validators = createValidators();

/** Rewrites the R-URI user as a translation step before drouting would (`rewrite_user: "1234555"`). */
const rewriteUser: StepKind = {
  key: 'rewrite_user',
  schema: { type: 'string' },
  build: (spec) => ({
    ok: true,
    step: {
      kind: 'rewrite_user',
      run: (ctx) => {
        setRuriUser(ctx, spec as string);
        return CONTINUE;
      },
    },
  }),
};

const KINDS = [...STEP_KINDS, ...DROUTING_KINDS, rewriteUser];

async function compile(doc: unknown, kinds: readonly StepKind[] = KINDS): Promise<LoadedPolicies> {
  return compileRoutes(doc, '.', validators, { kinds });
}

async function load(doc: unknown, kinds: readonly StepKind[] = KINDS): Promise<ReadonlyMap<string, Policy>> {
  const r = await compile(doc, kinds);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policies;
}

async function loadErrors(doc: unknown): Promise<string[]> {
  const r = await compile(doc);
  return r.ok ? [] : r.errors;
}

async function decide(policy: Policy | undefined, spec: ParamsSpec): Promise<RouteAnswer> {
  if (!policy) throw new Error('no such policy');
  const a = await policy.decide(routeParams(spec));
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const book = { gateways: { rows: BOOK_DR_GATEWAYS }, rules: { rows: BOOK_DR_RULES }, group: 0 };

describe('drouting step', () => {
  it("answers the book's numbers with a serial route set to the gateway, and 404 otherwise (TC-93)", async () => {
    const policies = await load({
      policies: {
        next: { steps: [{ drouting: book }, { rules: [{ reply: { code: 486, reason: 'Busy Here' } }] }] },
        last: { steps: [{ drouting: book }] },
        reply: { steps: [{ drouting: { ...book, on_no_route: 'reply' } }] },
        custom: { steps: [{ drouting: { ...book, on_no_route: { reply: { code: 503, reason: 'No gateway' } } } }] },
      },
    });
    const a = await decide(policies.get('last'), { ruri: 'sip:1234999@proxy.example.com' });
    expect(a).toMatchObject({ routing: 'serial', routes: [{ uri: 'sip:1234999@192.168.1.100:5080' }], policy: 'last' });
    expect((await decide(policies.get('last'), { ruri: 'sip:5678@proxy.example.com' })).routes).toEqual([{ uri: 'sip:5678@192.168.1.101:5080' }]);
    expect((await decide(policies.get('next'), { ruri: 'sip:9999@proxy.example.com' })).reply).toEqual({ code: 486, reason: 'Busy Here' });
    expect((await decide(policies.get('last'), { ruri: 'sip:9999@proxy.example.com' })).reply).toEqual({ code: 404, reason: 'No route' });
    expect((await decide(policies.get('reply'), { ruri: 'sip:9999@proxy.example.com' })).reply).toEqual({ code: 404, reason: 'Not Found' });
    expect((await decide(policies.get('custom'), { ruri: 'sip:9999@proxy.example.com' })).reply).toEqual({ code: 503, reason: 'No gateway' });
  });

  it('fails over through every gateway of the gwlist, with strip and pri_prefix applied (TC-94)', async () => {
    const gateways = [...BOOK_DR_GATEWAYS, { gwid: 4, address: '10.0.0.4:5060', strip: 2, pri_prefix: '00' }];
    const rules = [{ ruleid: 1, groupid: '0', prefix: '1234', timerec: '', priority: 0, routeid: '0', gwlist: '#5' }];
    const p = (await load({ policies: { p: { steps: [{ drouting: { ...book, gateways: { rows: gateways }, rules: { rows: rules }, gw_lists: { rows: [{ id: 5, gwlist: '4,1;2' }] } } }] } } })).get('p');
    expect((await decide(p, { ruri: 'sip:1234999@proxy.example.com;user=phone' })).routes).toEqual([
      { uri: 'sip:0034999@10.0.0.4:5060;user=phone' },
      { uri: 'sip:1234999@192.168.1.100:5080;user=phone' },
      { uri: 'sip:1234999@192.168.1.101:5080;user=phone' },
    ]);
  });

  it('routes the user an earlier step wrote', async () => {
    const p = (await load({ policies: { p: { steps: [{ rewrite_user: '1234555' }, { drouting: book }] } } })).get('p');
    expect((await decide(p, { ruri: 'sip:9@proxy.example.com' })).routes).toEqual([{ uri: 'sip:1234555@192.168.1.100:5080' }]);
  });

  it("routes by the caller's group from dr_groups, the group setting serving everyone else", async () => {
    const rules = [
      { ruleid: 1, groupid: '1', prefix: '1234', timerec: '', priority: 0, routeid: '0', gwlist: '3' },
      { ruleid: 2, groupid: '0', prefix: '1234', timerec: '', priority: 0, routeid: '0', gwlist: '1' },
    ];
    const groups = { rows: [{ username: 'bob', domain: 'example.com', groupid: 1 }] };
    const policies = await load({
      policies: {
        furi: { steps: [{ drouting: { gateways: book.gateways, rules: { rows: rules }, groups } }] },
        fallback: { steps: [{ drouting: { gateways: book.gateways, rules: { rows: rules }, groups, group: 0 } }] },
      },
    });
    const bob = { ruri: 'sip:1234999@proxy.example.com', from: 'sip:bob@example.com' };
    const alice = { ruri: 'sip:1234999@proxy.example.com', from: 'sip:alice@example.com' };
    expect((await decide(policies.get('furi'), bob)).routes).toEqual([{ uri: 'sip:1234999@192.168.1.102:5080' }]);
    expect((await decide(policies.get('furi'), alice)).reply).toEqual({ code: 404, reason: 'No route' });
    expect((await decide(policies.get('fallback'), alice)).routes).toEqual([{ uri: 'sip:1234999@192.168.1.100:5080' }]);
  });

  it('reads timerecs on the injected clock in the configured zone (TC-95)', async () => {
    const rules = [
      { ruleid: 1, groupid: '0', prefix: '12345', timerec: '20220101T114900|00H05M|daily', priority: 0, routeid: '0', gwlist: '3' },
      { ruleid: 2, groupid: '0', prefix: '1234', timerec: '', priority: 0, routeid: '0', gwlist: '1' },
    ];
    const doc = (timeZone: string): unknown => ({ policies: { p: { steps: [{ drouting: { ...book, rules: { rows: rules }, time_zone: timeZone } }] } } });
    const routeAt = async (iso: string, timeZone: string): Promise<string | undefined> => {
      const kinds = [...STEP_KINDS, createDroutingKind({ nowMs: () => Date.parse(iso) })];
      return (await decide((await load(doc(timeZone), kinds)).get('p'), { ruri: 'sip:1234599@proxy.example.com' })).routes?.[0]?.uri;
    };
    expect(await routeAt('2022-03-15T10:50:00Z', 'Europe/Berlin')).toBe('sip:1234599@192.168.1.102:5080');
    expect(await routeAt('2022-03-15T10:55:00Z', 'Europe/Berlin')).toBe('sip:1234599@192.168.1.100:5080');
    expect(await routeAt('2022-03-15T10:50:00Z', 'UTC')).toBe('sip:1234599@192.168.1.100:5080');
    expect(await routeAt('2022-03-15T11:50:00Z', 'UTC')).toBe('sip:1234599@192.168.1.102:5080');
  });

  it('draws gateways with the injected random source for sort_order one_per_group', async () => {
    const rules = [{ ruleid: 1, groupid: '0', prefix: '1', timerec: '', priority: 0, routeid: '0', gwlist: '1,2,3;1,2,3;1,2,3' }];
    const doc = { policies: { p: { steps: [{ drouting: { ...book, rules: { rows: rules }, sort_order: 'one_per_group' } }] } } };
    const orders = async (seed: number): Promise<string[]> => {
      const p = (await load(doc, [...STEP_KINDS, createDroutingKind({ random: seededRandom(seed) })])).get('p');
      const out: string[] = [];
      for (let i = 0; i < 20; i++) out.push(((await decide(p, { ruri: 'sip:100@proxy.example.com' })).routes ?? []).map((r) => r.uri?.slice(8, 21)).join(' '));
      return out;
    };
    const a = await orders(7);
    expect(await orders(7)).toEqual(a);
    expect(new Set(a.map((o) => o.split(' ').sort().join(' ')))).toEqual(new Set(['192.168.1.100 192.168.1.101 192.168.1.102']));
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('exposes the loaded table with the rows it skipped, and loads the rest', async () => {
    const rules = [...BOOK_DR_RULES, { ruleid: 3, groupid: '0', prefix: '9', timerec: '20220101T-114900|00H05M|daily', priority: 0, routeid: '0', gwlist: '1' }];
    const r = await compile({ policies: { p: { steps: [{ drouting: { ...book, rules: { rows: rules } } }] } } });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const table = r.exposed.get('drouting')?.get('p step 1 (drouting)');
    expect(table).toBeInstanceOf(DrTable);
    expect((table as DrTable).skipped).toEqual([
      'rules (inline rows) row 3: rule 3 skipped: bad time definition <20220101T-114900|00H05M|daily>: dtstart 20220101T-114900 is not YYYYMMDDThhmmss',
    ]);
    expect((await decide(r.policies.get('p'), { ruri: 'sip:1234999@proxy.example.com' })).routes).toHaveLength(1);
  });

  it('refuses wrong rows, a missing database, a wrong time zone and a step without a group, naming the step', async () => {
    expect(await loadErrors({ policies: { p: { steps: [{ default: {} }, { drouting: { ...book, gateways: { rows: [{ gwid: 'one', address: '10.0.0.1' }] } } }] } } })).toEqual([
      'p step 2 (drouting): gateways (inline rows) row 1: column gwid is not an integer (one)',
    ]);
    expect(await loadErrors({ policies: { p: { steps: [{ drouting: { ...book, rules: { table: 'dr_rules' } } }] } } })).toEqual([
      'p step 1 (drouting): table dr_rules: no database configured (router setting database.url)',
    ]);
    expect(await loadErrors({ policies: { p: { steps: [{ drouting: { ...book, time_zone: 'Mars/Olympus' } }] } } })).toEqual([
      expect.stringMatching(/^p step 1 \(drouting\): time zone Mars\/Olympus: /) as unknown,
    ]);
    const { group: _group, ...noGroup } = book;
    expect((await loadErrors({ policies: { p: { steps: [{ drouting: noGroup }] } } }))[0]).toMatch(/^routes file \/policies\/p\/steps\/0\/drouting: must have required property 'group'/);
  });
});
