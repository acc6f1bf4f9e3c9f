/**
 * Policies written as `steps` in the routes file: rules that go on when nothing matches, a
 * dispatcher step, the book's default step, and load errors that name the step.
 */
import { createValidators, type RouteAnswer } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes } from './load-routes-file.js';

const validators = createValidators();

async function load(doc: unknown): Promise<ReadonlyMap<string, Policy>> {
  const r = await compileRoutes(doc, '.', validators);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policies;
}

async function decide(policy: Policy | undefined, spec: ParamsSpec = {}): Promise<RouteAnswer> {
  if (!policy) throw new Error('no such policy');
  const a = await policy.decide(routeParams(spec));
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const doc = {
  dispatcher: { inline: '1 sip:192.0.2.11:5060\n1 sip:192.0.2.12:5060\n' },
  policies: {
    edge: {
      steps: [
        { rules: [{ name: 'busy', match: { ruri_user: 'busy' }, reply: { code: 486, reason: 'Busy Here' } }] },
        { rules: [{ name: 'pstn', match: { ruri_user: '/^00[0-9]+$/' }, dispatcher: { set: 1, algorithm: 'priority' } }] },
        { default: {} },
      ],
    },
    lb: { steps: [{ dispatcher: { set: 1, algorithm: 'round-robin', failover: false } }] },
  },
};

describe('policies as steps', () => {
  it('goes past rules that do not match to the next step, and stops at the first that answers', async () => {
    const policies = await load(doc);
    const edge = policies.get('edge');
    expect((await decide(edge, { ruri: 'sip:busy@example.com' })).reply).toEqual({ code: 486, reason: 'Busy Here' });
    const pstn = await decide(edge, { ruri: 'sip:0049301234@example.com' });
    expect(pstn.routes?.map((r) => r.dst_uri)).toHaveLength(2);
    expect(pstn.policy).toBe('edge');
    // nothing matched: the default step decides (a local user nobody registered)
    expect((await decide(edge, { ruri: 'sip:bob@example.com' })).reply).toEqual({ code: 404, reason: 'Not Found' });
    expect((await decide(edge, { ruri: 'sip:bob@foreign.example', from: 'sip:eve@other.example', ours: { ruri: false, from: false } })).reply).toEqual({ code: 403, reason: 'Not relaying' });
  });

  it('runs a dispatcher step on every request that reaches it', async () => {
    const lb = (await load(doc)).get('lb');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await decide(lb)).routes?.[0]?.dst_uri ?? '');
    expect([...seen].sort()).toEqual(['sip:192.0.2.11:5060', 'sip:192.0.2.12:5060']);
    expect((await decide(lb)).routes).toHaveLength(1);
  });

  it('answers 404 No route when every step went on', async () => {
    const p = (await load({ policies: { p: { steps: [{ rules: [{ match: { ruri_user: 'x' }, reply: { code: 486, reason: 'Busy Here' } }] }] } } })).get('p');
    expect((await decide(p)).reply).toEqual({ code: 404, reason: 'No route' });
  });

  it('refuses a file whose steps are wrong, naming the policy and step', async () => {
    const r = await compileRoutes({ policies: { p: { steps: [{ default: {} }, { dispatcher: { set: 9 } }] } } }, '.', validators);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toEqual([expect.stringContaining('p step 2') as unknown]);
    expect(((await compileRoutes({ policies: { p: { steps: [{ default: {}, rules: [] }] } } }, '.', validators)) as { ok: boolean }).ok).toBe(false);
    expect(((await compileRoutes({ policies: { p: { rules: [], steps: [{ default: {} }] } } }, '.', validators)) as { ok: boolean }).ok).toBe(false);
  });
});
