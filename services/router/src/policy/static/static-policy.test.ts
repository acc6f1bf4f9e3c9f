import { describe, expect, it } from 'vitest';
import { createValidators, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { kamailioAlgorithmNumbers } from '../dispatcher/algorithms.js';
import { compileRoutes } from './load-routes-file.js';
import type { Policy } from '../policy.js';
import { StaticPolicy } from './static-policy.js';

const validators = createValidators();

interface SyncRules {
  decide(params: RouteParams): RouteAnswer;
}

/** A policy written as `rules` without a call limit, which decides synchronously. */
function rulesPolicy(policies: ReadonlyMap<string, Policy>, name: string): SyncRules {
  const p = policies.get(name);
  if (!(p instanceof StaticPolicy)) throw new Error(`policy ${name} is not a rules policy`);
  return {
    decide: (params) => {
      const a = p.decide(params);
      if (a instanceof Promise) throw new Error(`policy ${name} decided asynchronously`);
      return a;
    },
  };
}

function params(over: Partial<RouteParams> & { user?: string; callId?: string } = {}): RouteParams {
  const user = over.user ?? '9196';
  return {
    version: '1.0',
    edge: 'e1',
    tx: 'e1.1.1',
    method: 'INVITE',
    ruri: `sip:${user}@example.com`,
    ruri_parts: { scheme: 'sip', user, host: 'example.com' },
    from: { uri: 'sip:alice@example.com', user: 'alice', host: 'example.com', tag: 't1' },
    to: { uri: `sip:${user}@example.com`, user, host: 'example.com' },
    call_id: over.callId ?? 'call-1',
    cseq: { seq: 1, method: 'INVITE' },
    headers: {},
    source: { ip: '192.0.2.4', port: 5060, transport: 'udp' },
    socket: { transport: 'udp', ip: '127.0.0.1', port: 5060 },
    ours: { ruri: true, from: true },
    attempt: 1,
    ...over,
  };
}

const doc = {
  dispatcher: { inline: '1 sip:127.0.0.1:5071\n1 sip:127.0.0.1:5072\n2 sip:127.0.0.1:5073 4\n' },
  policies: {
    default: {
      rules: [
        { name: 'busy', match: { ruri_user: 'busy' }, reply: { code: 486, reason: 'Busy Here' } },
        { name: 'fork', match: { ruri_user: 'fork', method: ['INVITE'] }, routing: 'parallel', routes: [{ dst_uri: 'sip:127.0.0.1:5071' }, { dst_uri: 'sip:127.0.0.1:5072' }] },
        { name: 'lb', match: { ruri_user: 'lb*' }, dispatcher: { set: 1, algorithm: 'round-robin' } },
        { name: 'hash', match: { ruri_user: '/^h[0-9]+$/' }, dispatcher: { set: 1, algorithm: 0 } },
        { name: 'dead', match: { ruri_user: 'dead' }, dispatcher: { set: 2 } },
        { name: 'domain', match: { ruri_host: 'EXAMPLE.org' }, routes: [{ uri: 'sip:x@example.org' }] },
      ],
    },
  },
};

describe('static policy', () => {
  it('answers with the first matching rule', async () => {
    const r = await compileRoutes(doc, '.', validators);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const p = rulesPolicy(r.policies, 'default');
    expect(p.decide(params({ user: 'busy' }))).toEqual({ version: '1.0', reply: { code: 486, reason: 'Busy Here' } });
    expect(p.decide(params({ user: 'fork' }))).toEqual({
      version: '1.0',
      routing: 'parallel',
      routes: [{ dst_uri: 'sip:127.0.0.1:5071' }, { dst_uri: 'sip:127.0.0.1:5072' }],
    });
    expect(p.decide(params({ user: 'fork', method: 'MESSAGE' }))).toEqual({ version: '1.0', reply: { code: 404, reason: 'No route' }, policy: 'default' });
    expect(p.decide(params({ ruri_parts: { scheme: 'sip', host: 'example.ORG' } })).routes).toEqual([{ uri: 'sip:x@example.org' }]);
  });

  it('round-robins a dispatcher set and keeps the others as failover routes', async () => {
    const r = await compileRoutes(doc, '.', validators);
    if (!r.ok) throw new Error(r.errors.join());
    const p = rulesPolicy(r.policies, 'default');
    const first = p.decide(params({ user: 'lb1' })).routes?.map((x) => x.dst_uri);
    const second = p.decide(params({ user: 'lb2' })).routes?.map((x) => x.dst_uri);
    const third = p.decide(params({ user: 'lb3' })).routes?.map((x) => x.dst_uri);
    // Equal priorities sit in reverse file order, as in Kamailio, so the round starts at the second line.
    expect(first).toEqual(['sip:127.0.0.1:5072', 'sip:127.0.0.1:5071']);
    expect(second).toEqual(['sip:127.0.0.1:5071', 'sip:127.0.0.1:5072']);
    expect(third).toEqual(first);
  });

  it('hashes the Call-ID: the same call always gets the same destination, different calls spread', async () => {
    const r = await compileRoutes(doc, '.', validators);
    if (!r.ok) throw new Error(r.errors.join());
    const p = rulesPolicy(r.policies, 'default');
    const pick = (callId: string): string | undefined => p.decide(params({ user: 'h1', callId })).routes?.[0]?.dst_uri;
    expect(pick('abc@host')).toBe(pick('abc@host'));
    const counts = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const d = pick(`call-${i}@10.0.0.1`)!;
      counts.set(d, (counts.get(d) ?? 0) + 1);
    }
    expect(counts.size).toBe(2);
    for (const n of counts.values()) expect(n).toBeGreaterThan(400);
  });

  it('answers 404 No destination when no destination of the set is usable', async () => {
    const r = await compileRoutes(doc, '.', validators);
    if (!r.ok) throw new Error(r.errors.join());
    expect(rulesPolicy(r.policies, 'default').decide(params({ user: 'dead' }))).toEqual({ version: '1.0', reply: { code: 404, reason: 'No destination' } });
  });

  it('passes a rule\'s media flags on to the answer (rtpengine_offer / rtpengine_answer), and refuses unknown media keys', async () => {
    const media = { offer: 'replace-origin replace-session-connection ICE=remove', answer: { replace: ['origin'], ICE: 'remove' }, set: 'pub' };
    const r = await compileRoutes({ policies: { default: { rules: [{ name: 'anchored', routes: [{ dst_uri: 'sip:127.0.0.1:5071' }], media }] } } }, '.', validators);
    if (!r.ok) throw new Error(r.errors.join());
    expect(rulesPolicy(r.policies, 'default').decide(params())).toMatchObject({ routes: [{ dst_uri: 'sip:127.0.0.1:5071' }], media });
    const bad = await compileRoutes({ policies: { default: { rules: [{ routes: [{ uri: 'sip:x@example.org' }], media: { offer: 'ICE=remove', flags: 'x' } }] } } }, '.', validators);
    expect(bad.ok).toBe(false);
    const empty = await compileRoutes({ policies: { default: { rules: [{ routes: [{ uri: 'sip:x@example.org' }], media: {} }] } } }, '.', validators);
    expect(empty.ok).toBe(false);
  });

  it('rejects a file with mistakes and says where', async () => {
    const bad = {
      policies: {
        p1: {
          rules: [
            { dispatcher: { set: 9 } },
            { name: 'r2', routes: [{ uri: 7 }] },
          ],
        },
      },
    };
    const r = await compileRoutes(bad, '.', validators);
    expect(r).toEqual({ ok: false, errors: ['policy p1, rule 1: dispatcher set 9 is not defined', 'policy p1, r2: /routes/0/uri: must be string'] });
    const r2 = await compileRoutes({ policies: { 'bad name': { rules: [] } } }, '.', validators);
    expect(r2.ok).toBe(false);
  });

  it('accepts every algorithm by name and by Kamailio number 0-13, and nothing else', async () => {
    const list = '1 sip:127.0.0.1:5071 0 0 duid=a\n1 sip:127.0.0.1:5072 0 0 duid=b\n';
    const compile = (algorithm: unknown, extra: object = {}): Promise<{ ok: boolean }> =>
      compileRoutes({ dispatcher: { inline: list }, policies: { p: { rules: [{ dispatcher: { set: 1, algorithm, ...extra } }] } } }, '.', validators);
    for (const [n, name] of kamailioAlgorithmNumbers.entries()) {
      const extra = name === 'hash-pvar' ? { hash_pvar: '$fU' } : {};
      expect((await compile(n, extra)).ok, `${n}`).toBe(true);
      expect((await compile(name, extra)).ok, name).toBe(true);
    }
    expect((await compile(14)).ok).toBe(false);
    expect((await compile('weighted')).ok).toBe(false);
  });

  it('stops the load on dispatcher actions that could never work', async () => {
    const r = await compileRoutes(
      {
        dispatcher: { inline: '1 sip:127.0.0.1:5071 0 0 duid=a\n1 sip:127.0.0.1:5072\n' },
        policies: {
          p: {
            rules: [
              { name: 'no-template', dispatcher: { set: 1, algorithm: 7 } },
              { name: 'bad-template', dispatcher: { set: 1, algorithm: 'hash-pvar', hash_pvar: '$var(x)' } },
              { name: 'stray-template', dispatcher: { set: 1, algorithm: 0, hash_pvar: '$fU' } },
              { name: 'no-duid', dispatcher: { set: 1, algorithm: 'call-load' } },
            ],
          },
        },
      },
      '.',
      validators,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'policy p, no-template: algorithm hash-pvar (7) needs hash_pvar, e.g. "$fU"',
      expect.stringMatching(/^policy p, bad-template: hash_pvar "\$var\(x\)": unknown variable \$var /),
      'policy p, stray-template: hash_pvar is only used by algorithm hash-pvar (7), not hash-call-id',
      'policy p, no-duid: algorithm call-load (10) counts calls by duid, but set 1 has destinations without one (dispatcher list line 2)',
    ]);
  });

  it('turns a selection into routes: limit, socket attribute, parallel algorithm', async () => {
    const r = await compileRoutes(
      {
        dispatcher: { inline: '2 sip:10.0.0.1 0 3 socket=udp:127.0.0.1:5060\n2 sip:10.0.0.2 0 2\n2 sip:10.0.0.3 0 1\n' },
        policies: {
          p: {
            rules: [
              { match: { ruri_user: 'limit' }, dispatcher: { set: 2, algorithm: 8, limit: 2 } },
              { match: { ruri_user: 'fork' }, dispatcher: { set: 2, algorithm: 'parallel' } },
              { match: { ruri_user: 'one' }, dispatcher: { set: 2, algorithm: 'priority', failover: false } },
            ],
          },
        },
      },
      '.',
      validators,
    );
    if (!r.ok) throw new Error(r.errors.join());
    const p = rulesPolicy(r.policies, 'p');
    expect(p.decide(params({ user: 'limit' }))).toEqual({
      version: '1.0',
      routing: 'serial',
      routes: [{ dst_uri: 'sip:10.0.0.1', socket: 'udp:127.0.0.1:5060' }, { dst_uri: 'sip:10.0.0.2' }],
    });
    expect(p.decide(params({ user: 'fork' }))).toMatchObject({ routing: 'parallel', routes: [{ dst_uri: 'sip:10.0.0.1' }, { dst_uri: 'sip:10.0.0.2' }, { dst_uri: 'sip:10.0.0.3' }] });
    expect(p.decide(params({ user: 'one' })).routes).toEqual([{ dst_uri: 'sip:10.0.0.1', socket: 'udp:127.0.0.1:5060' }]);
    // The dispatcher of this load answers the set_state RPC; an inactive destination leaves the answer.
    expect(r.dispatcher.setState(2, 'sip:10.0.0.1', { state: 'inactive', probing: false })).toBe(true);
    expect(p.decide(params({ user: 'limit' })).routes).toEqual([{ dst_uri: 'sip:10.0.0.2' }, { dst_uri: 'sip:10.0.0.3' }]);
  });

  it('never answers more than the 64 routes a route answer may carry', async () => {
    const inline = Array.from({ length: 70 }, (_, i) => `3 sip:10.0.1.${i + 1}`).join('\n');
    const r = await compileRoutes({ dispatcher: { inline }, policies: { p: { rules: [{ dispatcher: { set: 3, algorithm: 'priority' } }] } } }, '.', validators);
    if (!r.ok) throw new Error(r.errors.join());
    const answer = rulesPolicy(r.policies, 'p').decide(params());
    expect(answer.routes).toHaveLength(64);
    expect(validators.routeAnswer(answer).ok).toBe(true);
  });

  it('a reload builds fresh dispatcher state', async () => {
    const load = async (): Promise<SyncRules> => {
      const r = await compileRoutes(doc, '.', validators);
      if (!r.ok) throw new Error(r.errors.join());
      return rulesPolicy(r.policies, 'default');
    };
    const before = await load();
    const firstBefore = before.decide(params({ user: 'lb1' })).routes?.[0];
    expect(before.decide(params({ user: 'lb2' })).routes?.[0]).not.toEqual(firstBefore);
    const after = await load();
    expect(after.decide(params({ user: 'lb1' })).routes?.[0]).toEqual(firstBefore);
  });
});
