/**
 * The carrierroute step as a routes file writes it, with inline rows: answers checked against the
 * route-answer contract, the re-ask plan and its replay, variables for later steps, load errors
 * naming the step.
 */
import { createValidators, CONTRACT_VERSION, type BranchOutcome, type RouteAnswer } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import type { Row } from '../../data/table-rows.js';
import { seededRandom } from '../dispatcher/random-source.js';
import { answer } from '../pipeline/route-context.js';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes } from '../static/load-routes-file.js';
import { STEP_KINDS, type StepKind } from '../steps/index.js';
import { BLOCKED_139, BOOK_CARRIERS, BOOK_DOMAINS, BOOK_ROUTES } from './carrierroute-book.fixture.js';
import { CARRIERROUTE_KINDS, createCarrierrouteKind } from './kinds.js';

const validators = createValidators();

/** Answers 480 with the variables earlier steps set. */
const varsProbe: StepKind = {
  key: 'vars_probe',
  schema: { type: 'object' },
  build: () => ({ ok: true, step: { kind: 'vars_probe', run: (ctx) => answer({ version: CONTRACT_VERSION, reply: { code: 480, reason: JSON.stringify(Object.fromEntries(ctx.vars)) } }) } }),
};

/** Sets the variable `flags` to 16 (what a Kamailio script's setflag(4) does), for flags_var. */
const setFlag4: StepKind = {
  key: 'set_flag_4',
  schema: { type: 'object' },
  build: () => ({ ok: true, step: { kind: 'set_flag_4', run: (ctx) => (ctx.vars.set('flags', '16'), { kind: 'continue' }) } }),
};

const KINDS = [...STEP_KINDS, ...CARRIERROUTE_KINDS, varsProbe, setFlag4];

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

const tables = { routes: { rows: [...BOOK_ROUTES, BLOCKED_139] }, carriers: { rows: BOOK_CARRIERS }, domains: { rows: BOOK_DOMAINS } };
const mobile = { ...tables, carrier: 'mobile', domain: 'prepaid' };
const one = (doc: object): object => ({ policies: { p: { steps: [{ carrierroute: doc }] } } });

describe('carrierroute step', () => {
  it("routes the book's numbers: cr_route(\"mobile\", \"prepaid\", $rU, $rU, \"call_id\") (TC-98)", async () => {
    const p = (await load(one(mobile))).get('p');
    const a = await decide(p, { ruri: 'sip:13712345678@example.com', call_id: 'a84b4c76e66710@pc33.atlanta.com' });
    expect(a).toMatchObject({ routing: 'serial', routes: [{ uri: 'sip:13712345678@192.168.1.120:9999' }], policy: 'p' });
    expect(a.on_failure).toBeUndefined();
    expect((await decide(p, { ruri: 'sip:13812345678@example.com;user=phone' })).routes).toEqual([{ uri: 'sip:13812345678@192.168.1.122:9999' }]);
    const unicom = (await load(one({ ...tables, carrier: 2, domain: 1 }))).get('p');
    expect((await decide(unicom, { ruri: 'sip:13300000000@example.com' })).routes).toEqual([{ uri: 'sip:13300000000@192.168.2.100:5060' }]);
  });

  it('refuses a blocklisted number 403 Blocked, or goes on when told to', async () => {
    const policies = await load({
      policies: {
        reply: { steps: [{ carrierroute: mobile }] },
        next: { steps: [{ carrierroute: { ...mobile, on_blocked: 'continue' } }, { rules: [{ reply: { code: 486, reason: 'Busy Here' } }] }] },
        custom: { steps: [{ carrierroute: { ...mobile, on_blocked: { reply: { code: 503, reason: 'Destination Blocked' } } } }] },
      },
    });
    expect((await decide(policies.get('reply'), { ruri: 'sip:13912345678@example.com' })).reply).toEqual({ code: 403, reason: 'Blocked' });
    expect((await decide(policies.get('next'), { ruri: 'sip:13912345678@example.com' })).reply).toEqual({ code: 486, reason: 'Busy Here' });
    expect((await decide(policies.get('custom'), { ruri: 'sip:13912345678@example.com' })).reply).toEqual({ code: 503, reason: 'Destination Blocked' });
  });

  it('goes on when the domain has no rules (postpaid), or replies when told to', async () => {
    const policies = await load({
      policies: {
        next: { steps: [{ carrierroute: { ...mobile, domain: 'postpaid' } }] },
        reply: { steps: [{ carrierroute: { ...mobile, domain: 'postpaid', on_no_route: 'reply' } }] },
      },
    });
    expect((await decide(policies.get('next'), { ruri: 'sip:13712345678@example.com' })).reply).toEqual({ code: 404, reason: 'No route' });
    expect((await decide(policies.get('reply'), { ruri: 'sip:13712345678@example.com' })).reply).toEqual({ code: 404, reason: 'No route' });
  });

  it('hashes the configured source and spreads rand with the injected random source', async () => {
    const byFrom = (await load(one({ ...mobile, hash_source: 'from_user' }))).get('p');
    const hosts = new Set<string | undefined>();
    for (const call_id of ['c1', 'c2', 'c3', 'c4', 'c5']) hosts.add((await decide(byFrom, { ruri: 'sip:13712345678@example.com', call_id })).routes?.[0]?.uri);
    expect(hosts.size).toBe(1);
    const firsts = async (seed: number): Promise<(string | undefined)[]> => {
      const p = (await load(one({ ...mobile, hash_source: 'rand' }), [...STEP_KINDS, createCarrierrouteKind({ random: seededRandom(seed) })])).get('p');
      const out: (string | undefined)[] = [];
      for (let i = 0; i < 20; i++) out.push((await decide(p, { ruri: 'sip:13712345678@example.com' })).routes?.[0]?.uri);
      return out;
    };
    const a = await firsts(5);
    expect(await firsts(5)).toEqual(a);
    expect(new Set(a).size).toBe(2);
  });

  it('matches another user and rewrites with strip and prefix', async () => {
    const routes = { rows: [{ id: 1, carrier: 1, domain: 1, scan_prefix: '137', prob: 1, strip: 3, rewrite_prefix: '0086', rewrite_host: 'gw.example.net' }] };
    const p = (await load(one({ ...mobile, routes, prefix_matching: 'to_user' }))).get('p');
    const a = await decide(p, { ruri: 'sip:13712345678@example.com', to: { uri: 'sip:13700000000@example.com', user: '13700000000', host: 'example.com' } });
    expect(a.routes).toEqual([{ uri: 'sip:008612345678@gw.example.net' }]);
  });

  it('with rewrite_only, rewrites the R-URI and keeps host, domain and description for the step that answers', async () => {
    const routes = { rows: [...BOOK_ROUTES, { ...BLOCKED_139, rewrite_host: 'gw9:5080', description: 'trunk 9' }] };
    const p = (await load({ policies: { p: { steps: [{ carrierroute: { ...mobile, routes, rewrite_only: true } }, { vars_probe: {} }] } } })).get('p');
    const vars: unknown = JSON.parse((await decide(p, { ruri: 'sip:13912345678@example.com' })).reply?.reason ?? '');
    expect(vars).toEqual({ 'carrierroute.host': 'gw9:5080', 'carrierroute.domain': 'prepaid', 'carrierroute.description': 'trunk 9' });
    const relay = (await load({ policies: { p: { steps: [{ carrierroute: { ...mobile, rewrite_only: true } }, { rules: [{ routes: [{}] }] }] } } })).get('p');
    expect((await decide(relay, { ruri: 'sip:13812345678@example.com;user=phone' })).routes).toEqual([{ uri: 'sip:13812345678@192.168.1.122:9999' }]);
  });

  it('selects the flags/mask row when an earlier step set the flag (TC-98)', async () => {
    const routes = { rows: [...BOOK_ROUTES, { id: 7, carrier: 1, domain: 1, scan_prefix: '138', flags: 16, mask: 16, prob: 1, rewrite_host: 'flagged' }] };
    const policies = await load({
      policies: {
        set: { steps: [{ set_flag_4: {} }, { carrierroute: { ...mobile, routes, flags_var: 'flags' } }] },
        unset: { steps: [{ carrierroute: { ...mobile, routes, flags_var: 'flags' } }] },
        fixed: { steps: [{ carrierroute: { ...mobile, routes, flags: 16 } }] },
      },
    });
    expect((await decide(policies.get('set'), { ruri: 'sip:1381@example.com' })).routes).toEqual([{ uri: 'sip:1381@flagged' }]);
    expect((await decide(policies.get('fixed'), { ruri: 'sip:1381@example.com' })).routes).toEqual([{ uri: 'sip:1381@flagged' }]);
    // The 138 node has only the flagged group: no shorter prefix is tried.
    expect((await decide(policies.get('unset'), { ruri: 'sip:1381@example.com' })).reply).toEqual({ code: 404, reason: 'No route' });
  });

  it('refuses unknown carriers, domains and bad rows at load, naming the step and the row', async () => {
    expect(await loadErrors(one({ ...mobile, carrier: 'nosuch' }))).toEqual(['p step 1 (carrierroute): carrier nosuch is not in carrier_name']);
    expect(await loadErrors(one({ ...mobile, domain: 7 }))).toEqual(['p step 1 (carrierroute): domain 7 is not in domain_name']);
    expect(await loadErrors(one({ ...mobile, routes: { rows: [{ carrier: 1, domain: 1, scan_prefix: '1a', prob: 1, rewrite_host: 'h' }] } }))).toEqual([
      'p step 1 (carrierroute): routes (inline rows) row 1: scan_prefix 1a has "a", which match mode digits cannot match',
    ]);
    expect(await loadErrors(one({ ...mobile, routes: { table: 'carrierroute' } }))).toEqual([
      'p step 1 (carrierroute): routes table carrierroute: no database configured (router setting database.url)',
    ]);
    expect((await loadErrors(one({ ...mobile, hash_source: 'via' })))[0]).toMatch(/^routes file \/policies\/p\/steps\/0\/carrierroute\/hash_source/);
  });
});

describe('carrierroute failure routing', () => {
  // The Kamailio documentation's failure example: domain 1 fails over to 2 for any 5xx, to 3 from
  // gw.b on 408; domain 2 to 3 for anything; 486 is never re-routed.
  const routes = {
    rows: [
      { id: 1, carrier: 1, domain: 1, scan_prefix: '49', prob: 0.5, rewrite_host: 'gw.a' },
      { id: 2, carrier: 1, domain: 1, scan_prefix: '49', prob: 0.5, rewrite_host: 'gw.b' },
      { id: 3, carrier: 1, domain: 2, scan_prefix: '', prob: 1, rewrite_host: 'gw.c:5080' },
      { id: 4, carrier: 1, domain: 3, scan_prefix: '', prob: 0.5, rewrite_host: 'gw.a' },
      { id: 5, carrier: 1, domain: 3, scan_prefix: '', prob: 0.5, rewrite_host: 'gw.d' },
    ],
  };
  const failures: Row[] = [
    { id: 1, carrier: 1, domain: 1, scan_prefix: '', host_name: '', reply_code: '5..', next_domain: 2 },
    { id: 2, carrier: 1, domain: 1, scan_prefix: '', host_name: 'gw.b', reply_code: '408', next_domain: 3 },
    { id: 3, carrier: 1, domain: 2, scan_prefix: '', host_name: '', reply_code: '...', next_domain: 3 },
    { id: 4, carrier: 1, domain: 2, scan_prefix: '', host_name: '', reply_code: '486', next_domain: null },
  ];
  const domains = { rows: [1, 2, 3].map((id) => ({ id, domain: `d${id}` })) };
  const spec = { routes, carriers: { rows: [{ id: 1, carrier: 'carrier1' }] }, domains, failure_routes: { rows: failures }, carrier: 'carrier1', domain: 'd1' };
  // CRC-32 mod 1000 = 383: the lower half of each 50/50 split (gw.b in d1, gw.d in d3).
  const CALL_ID = 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com';
  const reask = (branches: BranchOutcome[]): ParamsSpec => {
    const last = branches[branches.length - 1] as BranchOutcome;
    return { ruri: 'sip:4930@example.com', call_id: CALL_ID, attempt: branches.length + 1, failure: { status: last.status, reason: last.reason ?? '', branches } };
  };

  it('asks again on the codes that lead to another domain, and routes there avoiding the failed hosts', async () => {
    const p = (await load(one(spec))).get('p');
    const first = await decide(p, { ruri: 'sip:4930@example.com', call_id: CALL_ID });
    expect(first.routes).toEqual([{ uri: 'sip:4930@gw.b' }]);
    expect(first.on_failure).toEqual({ action: 'ask', codes: [408, '5xx'] });

    const second = await decide(p, reask([{ uri: 'sip:4930@gw.b', status: 408, reason: 'Request Timeout' }]));
    expect(second.routes).toEqual([{ uri: 'sip:4930@gw.d' }]);
    expect(second.on_failure).toBeUndefined();

    const viaC = await decide(p, reask([{ uri: 'sip:4930@gw.b', status: 503, reason: 'Service Unavailable' }]));
    expect(viaC.routes).toEqual([{ uri: 'sip:4930@gw.c:5080' }]);
    // 486 has a rule with no next domain; every other failure goes to domain 3.
    expect(viaC.on_failure?.codes).toEqual(['3xx', ...Array.from({ length: 100 }, (_, i) => 400 + i).filter((c) => c !== 486), '5xx', '6xx']);

    const third = await decide(
      p,
      reask([
        { uri: 'sip:4930@gw.b', status: 503, reason: 'Service Unavailable' },
        { uri: 'sip:4930@gw.c:5080', status: 480, reason: 'Temporarily Unavailable' },
      ]),
    );
    expect(third.routes).toEqual([{ uri: 'sip:4930@gw.d' }]);
  });

  it("answers the failure itself where the chain ends, and leaves other steps' failures to them", async () => {
    const p = (await load(one(spec))).get('p');
    const ended = await decide(
      p,
      reask([
        { uri: 'sip:4930@gw.b', status: 503, reason: 'Service Unavailable' },
        { uri: 'sip:4930@gw.c:5080', status: 486, reason: 'Busy Here' },
      ]),
    );
    expect(ended.reply).toEqual({ code: 486, reason: 'Busy Here' });
    // gw.d of domain 3 failed too, and domain 3 has no failure rules.
    const exhausted = await decide(
      p,
      reask([
        { uri: 'sip:4930@gw.a', status: 500, reason: 'Server Error' },
        { uri: 'sip:4930@gw.c:5080', status: 503, reason: 'Service Unavailable' },
        { uri: 'sip:4930@gw.d', status: 503, reason: 'Service Unavailable' },
      ]),
    );
    expect(exhausted.reply).toEqual({ code: 503, reason: 'Service Unavailable' });
    expect((await decide(p, reask([{ uri: 'sip:4930@10.0.0.1', status: 503, reason: 'x' }]))).reply).toEqual({ code: 404, reason: 'No route' });
  });

  it('plans nothing without failure_routes; a re-ask then avoids the hosts tried in the same domain', async () => {
    const { failure_routes: _f, ...plain } = spec;
    const p = (await load(one(plain))).get('p');
    const first = await decide(p, { ruri: 'sip:4930@example.com', call_id: CALL_ID });
    expect(first).toMatchObject({ routes: [{ uri: 'sip:4930@gw.b' }] });
    expect(first.on_failure).toBeUndefined();
    expect((await decide(p, reask([{ uri: 'sip:4930@gw.b', status: 503, reason: 'Service Unavailable' }]))).routes).toEqual([{ uri: 'sip:4930@gw.a' }]);
    const both = [
      { uri: 'sip:4930@gw.b', status: 503, reason: 'Service Unavailable' },
      { uri: 'sip:4930@gw.a', status: 480, reason: 'Temporarily Unavailable' },
    ];
    expect((await decide(p, reask(both))).reply).toEqual({ code: 480, reason: 'Temporarily Unavailable' });
  });
});
