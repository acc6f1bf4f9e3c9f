/**
 * The translation steps through the routes file, with inline rows and YAML/CSV files: each rewrites
 * the Request-URI the routes carry and goes on, and a missing translation goes on to the next step
 * unless on_no_match replies. A last `rules` step relays to the (rewritten) R-URI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONTRACT_VERSION, createValidators, type RouteAnswer } from '@sipmesh/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { answer } from '../pipeline/route-context.js';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes } from '../static/load-routes-file.js';
import { STEP_KINDS, type StepKind } from '../steps/index.js';
import { TRANSLATE_KINDS } from './kinds.js';

const validators = createValidators();
const dir = mkdtempSync(path.join(tmpdir(), 'sipmesh-translate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Answers with the R-URI and the variables the steps before it set, as X-Var headers. */
const showKind: StepKind = {
  key: 'show',
  schema: { type: 'object' },
  build: () => ({
    ok: true,
    step: {
      kind: 'show',
      run: (ctx) => answer({ version: CONTRACT_VERSION, routing: 'serial', routes: [{ uri: ctx.ruri, headers: { extra: [...ctx.vars].map(([k, v]) => `X-Var: ${k}=${v}`) } }] }),
    },
  }),
};
const kinds = [...STEP_KINDS, ...TRANSLATE_KINDS, showKind];
const relay = { rules: [{ routes: [{ dst_uri: 'sip:192.0.2.50:5060' }] }] };
const notFound = { reply: { code: 404, reason: 'Not Found' } };

async function compile(steps: unknown[]): Promise<{ ok: true; policy: Policy } | { ok: false; errors: string[] }> {
  const r = await compileRoutes({ policies: { p: { steps } } }, dir, validators, { kinds });
  if (!r.ok) return r;
  const policy = r.policies.get('p');
  if (!policy) throw new Error('no policy');
  return { ok: true, policy };
}

async function policy(steps: unknown[]): Promise<Policy> {
  const r = await compile(steps);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policy;
}

async function decide(p: Policy, spec: ParamsSpec): Promise<RouteAnswer> {
  const a = await p.decide(routeParams(spec));
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const routedTo = async (p: Policy, spec: ParamsSpec): Promise<string | undefined> => (await decide(p, spec)).routes?.[0]?.uri;
const replied = async (p: Policy, spec: ParamsSpec): Promise<number | undefined> => (await decide(p, spec)).reply?.code;

const DIALPLAN_ROWS = [
  { dpid: 1, pr: 0, match_op: 0, match_exp: '102', match_len: 0, subst_exp: '', repl_exp: '212341234', attrs: 'equal match' },
  { dpid: 2, pr: 0, match_op: 1, match_exp: '0([0-9]{8})', match_len: 0, subst_exp: '0([0-9]{8})', repl_exp: '\\1', attrs: 'regexp match' },
];

describe('dialplan step (TC-87)', () => {
  it('rewrites the R-URI user with dpid 2 and answers 404 for numbers it does not translate', async () => {
    const p = await policy([{ dialplan: { dpid: 2, source: { rows: DIALPLAN_ROWS }, on_no_match: notFound } }, relay]);
    expect(await routedTo(p, { ruri: 'sip:012345678@example.com' })).toBe('sip:12345678@example.com');
    expect(await replied(p, { ruri: 'sip:102@example.com' })).toBe(404);
    expect(await replied(p, { ruri: 'sip:12345678@example.com' })).toBe(404);
  });

  it('goes on to the next step when nothing matches (default), and exposes attrs and output', async () => {
    const p = await policy([{ dialplan: { dpid: 1, source: { rows: DIALPLAN_ROWS } } }, { show: {} }]);
    const a = await decide(p, { ruri: 'sip:102@example.com;user=phone' });
    expect(a.routes).toEqual([{ uri: 'sip:212341234@example.com;user=phone', headers: { extra: ['X-Var: dialplan.attrs=equal match', 'X-Var: dialplan.output=212341234'] } }]);
    expect((await decide(p, { ruri: 'sip:103@example.com' })).routes).toEqual([{ uri: 'sip:103@example.com', headers: { extra: [] } }]);
  });

  it('translates the From user into dialplan.output only', async () => {
    const p = await policy([{ dialplan: { dpid: 2, source: { rows: DIALPLAN_ROWS }, input: 'from_user' } }, { show: {} }]);
    const a = await decide(p, { ruri: 'sip:bob@example.com', from: 'sip:012345678@example.com' });
    expect(a.routes).toEqual([{ uri: 'sip:bob@example.com', headers: { extra: ['X-Var: dialplan.attrs=regexp match', 'X-Var: dialplan.output=12345678'] } }]);
  });

  it('reads rules from a YAML file and names a bad row of a CSV file', async () => {
    writeFileSync(
      path.join(dir, 'dialplan.yaml'),
      "- { dpid: 3, pr: 0, match_op: 1, match_exp: '^00', match_len: 0, subst_exp: '^00(.*)', repl_exp: '+\\1', attrs: intl }\n",
    );
    const p = await policy([{ dialplan: { dpid: 3, source: { file: 'dialplan.yaml' } } }, relay]);
    expect(await routedTo(p, { ruri: 'sip:004930123@example.com' })).toBe('sip:+4930123@example.com');
    writeFileSync(path.join(dir, 'dialplan.csv'), 'dpid,pr,match_op,match_exp,match_len,subst_exp,repl_exp,attrs\n1,0,1,"0([0-9]{8}",0,,x,\n');
    const bad = await compile([{ dialplan: { dpid: 1, source: { file: 'dialplan.csv' } } }]);
    expect(bad.ok ? [] : bad.errors).toEqual([expect.stringMatching(/^p step 1 \(dialplan\): .*dialplan\.csv row 1: match_exp "0\(\[0-9\]\{8\}" does not compile/)]);
  });

  it('refuses settings the schema does not know', async () => {
    const r = await compile([{ dialplan: { dpid: 1, source: { rows: [] }, input: 'contact' } }]);
    expect(r.ok).toBe(false);
  });
});

describe('pdt step (TC-99)', () => {
  writeFileSync(path.join(dir, 'pdt.csv'), 'sdomain,prefix,domain\nsip.xswitch.cn,123,rts.xswitch.cn\nsip.xswitch.cn,124,rts.xswitch.cn\n');
  const pdt = (over: Record<string, unknown> = {}): unknown => ({ pdt: { source: { file: 'pdt.csv' }, sdomain: 'from_domain', prefix: '0', check_domain: false, on_no_match: notFound, ...over } });
  const book: ParamsSpec = { ruri: 'sip:01239001@sip.xswitch.cn:5080;transport=tcp', from: 'sip:1001@sip.xswitch.cn' };

  it('pd_translate($fd, 0): sip:01239001@sip.xswitch.cn -> sip:9001@rts.xswitch.cn, host, port and params replaced', async () => {
    const p = await policy([pdt(), relay]);
    expect(await routedTo(p, book)).toBe('sip:9001@rts.xswitch.cn');
    expect(await routedTo(p, { ...book, ruri: 'sip:01239001@sip.xswitch.cn' })).toBe('sip:9001@rts.xswitch.cn');
  });

  it('modes 1 and 2, by name or by Kamailio number', async () => {
    expect(await routedTo(await policy([pdt({ mode: 1 }), relay]), book)).toBe('sip:1239001@rts.xswitch.cn');
    expect(await routedTo(await policy([pdt({ mode: 'keep' }), relay]), book)).toBe('sip:01239001@rts.xswitch.cn');
  });

  it('answers 404 without the leading 0 or for another From domain', async () => {
    const p = await policy([pdt(), relay]);
    expect(await replied(p, { ...book, ruri: 'sip:1239001@sip.xswitch.cn' })).toBe(404);
    expect(await replied(p, { ...book, from: 'sip:1001@other.cn' })).toBe(404);
  });

  it('falls back to * rows with fallback, and refuses the book rows with check_domain on', async () => {
    const rows = [{ sdomain: '*', prefix: '9', domain: 'any.example' }];
    const p = await policy([{ pdt: { source: { rows }, sdomain: 'from_domain', fallback: true } }, relay]);
    expect(await routedTo(p, { ruri: 'sip:91@a.example', from: 'sip:x@b.example' })).toBe('sip:1@any.example');
    const strict = await compile([{ pdt: { source: { file: 'pdt.csv' } } }]);
    expect(strict.ok ? [] : strict.errors).toEqual([expect.stringMatching(/^p step 1 \(pdt\): .*pdt\.csv row 2: domain rts\.xswitch\.cn of sdomain sip\.xswitch\.cn is already in row 1/)]);
  });
});

describe('alias_db step (TC-97)', () => {
  const rows = [{ alias_username: '200', alias_domain: '', username: '10000200', domain: 'rts.xswitch.cn:20003;transport=tcp' }];

  it('rewrites sip:200@proxy to the alias target, and answers 404 for an unknown alias', async () => {
    const p = await policy([{ alias_db: { source: { rows }, on_no_match: notFound } }, relay]);
    expect(await routedTo(p, { ruri: 'sip:200@proxy.example;user=phone' })).toBe('sip:10000200@rts.xswitch.cn:20003;transport=tcp');
    expect(await replied(p, { ruri: 'sip:201@proxy.example' })).toBe(404);
  });

  it('matches the domain with use_domain, from a YAML file', async () => {
    writeFileSync(path.join(dir, 'dbaliases.yaml'), '- { alias_username: sales, alias_domain: example.com, username: alice, domain: example.com }\n');
    const p = await policy([{ alias_db: { source: { file: 'dbaliases.yaml' }, use_domain: true } }, { show: {} }]);
    expect((await decide(p, { ruri: 'sip:sales@example.com' })).routes).toEqual([{ uri: 'sip:alice@example.com', headers: { extra: ['X-Var: alias_db.matches=1'] } }]);
    expect(await routedTo(p, { ruri: 'sip:sales@other.example' })).toBe('sip:sales@other.example');
  });
});

describe('speeddial step (TC-96)', () => {
  writeFileSync(
    path.join(dir, 'speed_dial.yaml'),
    [
      "- { username: '1001', domain: sip.xswitch.cn, sd_username: '10', sd_domain: sip.xswitch.cn, new_uri: 'sip:666010@192.168.1.100' }",
      "- { username: '1001', domain: sip.xswitch.cn, sd_username: '11', sd_domain: sip.xswitch.cn, new_uri: 'sip:888011@192.168.1.100' }",
      '',
    ].join('\n'),
  );

  it("replaces the caller's short number with new_uri; another caller gets 404", async () => {
    const p = await policy([{ speeddial: { source: { file: 'speed_dial.yaml' }, on_no_match: notFound } }, relay]);
    expect(await routedTo(p, { ruri: 'sip:10@sip.xswitch.cn', from: 'sip:1001@sip.xswitch.cn' })).toBe('sip:666010@192.168.1.100');
    expect(await routedTo(p, { ruri: 'sip:11@sip.xswitch.cn', from: 'sip:1001@sip.xswitch.cn' })).toBe('sip:888011@192.168.1.100');
    expect(await replied(p, { ruri: 'sip:10@sip.xswitch.cn', from: 'sip:1002@sip.xswitch.cn' })).toBe(404);
  });

  it('uses a given owner (lookup_owner "sip:1001@any") for any caller', async () => {
    const p = await policy([{ speeddial: { source: { file: 'speed_dial.yaml' }, owner: 'sip:1001@any' } }, relay]);
    expect(await routedTo(p, { ruri: 'sip:10@sip.xswitch.cn', from: 'sip:1002@elsewhere.example' })).toBe('sip:666010@192.168.1.100');
    const domains = await policy([{ speeddial: { source: { file: 'speed_dial.yaml' }, owner: 'sip:1001@any', use_domain: 1 } }, relay]);
    // the owner's domain "any" is not the row's: the R-URI stays, so the route names no uri
    expect((await decide(domains, { ruri: 'sip:10@sip.xswitch.cn' })).routes).toEqual([{ dst_uri: 'sip:192.0.2.50:5060' }]);
  });

  it('refuses an owner that is not a URI', async () => {
    const r = await compile([{ speeddial: { source: { rows: [] }, owner: '1001' } }]);
    expect(r.ok ? [] : r.errors).toEqual(['p step 1 (speeddial): owner "1001" is not a URI with a user and host']);
  });
});

describe('translation steps together', () => {
  it('runs dialplan then pdt on the rewritten user (a Kamailio script calling both)', async () => {
    const p = await policy([
      { dialplan: { dpid: 1, source: { rows: [{ dpid: 1, pr: 0, match_op: 1, match_exp: '^\\+86', match_len: 0, subst_exp: '^\\+86(.*)', repl_exp: '0\\1', attrs: '' }] } } },
      { pdt: { source: { rows: [{ sdomain: '*', prefix: '123', domain: 'rts.xswitch.cn' }] }, prefix: '0' } },
      relay,
    ]);
    expect(await routedTo(p, { ruri: 'sip:+861239001@sip.xswitch.cn' })).toBe('sip:9001@rts.xswitch.cn');
  });

  it('reports a table source without a database', async () => {
    const r = await compile([{ alias_db: { source: { table: 'dbaliases' } } }]);
    expect(r.ok ? [] : r.errors).toEqual(['p step 1 (alias_db): table dbaliases: no database configured (router setting database.url)']);
  });
});
