/**
 * Call limits of rules against the embedded store (the book's TC-129): one active call per
 * `$fU@$fd`, 503 for the second, 500 when the store fails, re-INVITEs and other methods not counted.
 */
import { createValidators, dialogId, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import { MemoryCallProfiles, type CallProfiles } from '@sipmesh/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import { compileRoutes } from '../static/load-routes-file.js';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import type { CallLimitEvents, CallLimitStore } from './call-limit.js';

const validators = createValidators();
const T0 = 1_700_000_000_000;
const TTL_MS = 43_200_000;

const limited = (limit: unknown, more: Record<string, unknown> = {}) => ({
  policies: { p: { rules: [{ name: 'calls', match: { ruri_host: 'example.com' }, limit, routes: [{ dst_uri: 'sip:192.0.2.50:5080' }], ...more }, { name: 'other', reply: { code: 404, reason: 'Not Found' } }] } },
});
const BOOK_LIMIT = { profile: 'caller', value: '$fU@$fd', max: 1 };

/** An initial INVITE from `user`@example.com, its own call. */
function invite(user: string, callId: string, over: Omit<ParamsSpec, 'from'> = {}): RouteParams {
  return routeParams({ from: `sip:${user}@example.com`, call_id: callId, ...over });
}

const idOf = (p: RouteParams): string => dialogId(p.call_id, p.from.tag ?? '', p.cseq.seq);

async function policyOf(doc: unknown, calls: CallLimitStore | undefined): Promise<Policy> {
  const r = await compileRoutes(doc, '.', validators, calls ? { calls } : {});
  if (!r.ok) throw new Error(r.errors.join('; '));
  const p = r.policies.get('p');
  if (!p) throw new Error('no policy p');
  return p;
}

const EXCEEDED = { version: '1.0', reply: { code: 503, reason: 'Exceeded Max Allowed Active Calls' } };
const relayed = (a: RouteAnswer): boolean => a.routes?.[0]?.dst_uri === 'sip:192.0.2.50:5080';

describe('call limits (rule limit)', () => {
  let now: number;
  let profiles: MemoryCallProfiles;
  let log: string[];
  let calls: CallLimitStore;

  beforeEach(() => {
    now = T0;
    profiles = new MemoryCallProfiles({ now: () => now });
    log = [];
    const events: CallLimitEvents = {
      added: (p, id) => log.push(`added ${p.from.user ?? ''} ${id}`),
      refused: (p, full) => log.push(`refused ${p.from.user ?? ''} ${full.profile}=${full.value} size ${full.size}`),
      failed: (p, err) => log.push(`failed ${p.from.user ?? ''} ${(err as Error).message}`),
    };
    calls = { profiles, ttlMs: TTL_MS, events };
  });

  it('relays the first call, refuses a second from the same caller with 503 and lets another caller in', async () => {
    const policy = await policyOf(limited(BOOK_LIMIT), calls);
    const first = invite('1001', 'call-a');
    expect(relayed(await policy.decide(first))).toBe(true);
    expect(await profiles.size('caller', '1001@example.com')).toBe(1);
    expect(await policy.decide(invite('1001', 'call-b'))).toEqual(EXCEEDED);
    expect(relayed(await policy.decide(invite('1002', 'call-c')))).toBe(true);
    expect(await profiles.list('caller')).toEqual([
      { value: '1001@example.com', size: 1 },
      { value: '1002@example.com', size: 1 },
    ]);
    expect(log).toEqual([`added 1001 ${idOf(first)}`, 'refused 1001 caller=1001@example.com size 1', `added 1002 ${idOf(invite('1002', 'call-c'))}`]);
  });

  it('counts the call by the dialog id the edge computes, so a re-asked INVITE does not count twice', async () => {
    const policy = await policyOf(limited(BOOK_LIMIT), calls);
    const first = invite('1001', 'call-a');
    await policy.decide(first);
    // the edge asks again after the first route failed: same Call-ID, From tag and CSeq
    expect(relayed(await policy.decide({ ...first, attempt: 2, failure: { status: 503, reason: 'Service Unavailable', branches: [] } }))).toBe(true);
    expect(await profiles.size('caller', '1001@example.com')).toBe(1);
    // the same Call-ID resent with a new CSeq (after a 407) is a new dialog id: still refused while the first counts
    expect(await policy.decide({ ...first, cseq: { seq: 2, method: 'INVITE' } })).toEqual(EXCEEDED);
  });

  it('does not count re-INVITEs, other methods or answers that relay nothing', async () => {
    const policy = await policyOf(limited(BOOK_LIMIT), calls);
    await policy.decide(invite('1001', 'call-a'));
    const reInvite = invite('1001', 'call-a', { to: { uri: 'sip:9196@example.com', user: '9196', host: 'example.com', tag: 'callee-tag' }, cseq: { seq: 2, method: 'INVITE' } });
    expect(relayed(await policy.decide(reInvite))).toBe(true);
    expect(relayed(await policy.decide(invite('1001', 'msg-1', { method: 'MESSAGE', cseq: { seq: 1, method: 'MESSAGE' } })))).toBe(true);
    // a rule that does not match answers without touching the profiles
    expect(await policy.decide(invite('1001', 'call-x', { ruri: 'sip:9196@example.org', ruri_parts: { scheme: 'sip', user: '9196', host: 'example.org' } }))).toMatchObject({ reply: { code: 404 } });
    expect(await profiles.size('caller', '1001@example.com')).toBe(1);
  });

  it('lets a new call in once the first is removed (its dialog.ended) or has expired', async () => {
    const policy = await policyOf(limited(BOOK_LIMIT), calls);
    const first = invite('1001', 'call-a');
    await policy.decide(first);
    expect(await policy.decide(invite('1001', 'call-b'))).toEqual(EXCEEDED);
    expect(await profiles.remove([idOf(first)])).toBe(1);
    expect(relayed(await policy.decide(invite('1001', 'call-b')))).toBe(true);
    // call-b never ends: it stops counting after the longest dialog
    now = T0 + TTL_MS;
    expect(relayed(await policy.decide(invite('1001', 'call-c')))).toBe(true);
  });

  it('answers 500 when the store fails, and takes back what it may have added', async () => {
    const removed: string[][] = [];
    // Object.create(profiles) inherits every CallProfiles method; only tryAdd and remove change.
    const broken: CallProfiles = Object.assign(Object.create(profiles) as CallProfiles, {
      tryAdd: () => Promise.reject(new Error('Command timed out')),
      remove: (ids: readonly string[]) => {
        removed.push([...ids]);
        return Promise.reject(new Error('Connection is closed.'));
      },
    });
    const policy = await policyOf(limited(BOOK_LIMIT), { ...calls, profiles: broken });
    const first = invite('1001', 'call-a');
    expect(await policy.decide(first)).toEqual({ version: '1.0', reply: { code: 500, reason: 'Exceeded Max Allowed Active Calls' } });
    expect(removed).toEqual([[idOf(first)]]);
    expect(log).toEqual(['failed 1001 Command timed out']);
    // the request that is not limited is still answered
    expect(relayed(await policy.decide(invite('1001', 'msg-1', { method: 'MESSAGE', cseq: { seq: 1, method: 'MESSAGE' } })))).toBe(true);
  });

  it('checks a list of limits together and counts the call in each', async () => {
    const policy = await policyOf(
      limited([
        { profile: 'caller', value: '$fU@$fd', max: 2 },
        { profile: 'domain', value: '$fd', max: 2 },
        { profile: 'total', max: 100 },
      ]),
      calls,
    );
    expect(relayed(await policy.decide(invite('1001', 'call-a')))).toBe(true);
    expect(relayed(await policy.decide(invite('1002', 'call-b')))).toBe(true);
    expect(await policy.decide(invite('1003', 'call-c'))).toEqual(EXCEEDED);
    expect(log.at(-1)).toBe('refused 1003 domain=example.com size 2');
    expect(await profiles.size('caller', '1003@example.com')).toBe(0);
    expect(await profiles.size('total', '')).toBe(2);
  });

  it('works inside a pipeline, where a dispatcher step selects the destination', async () => {
    const doc = {
      dispatcher: { inline: '1 sip:192.0.2.50:5080\n' },
      policies: { p: { steps: [{ rules: [{ match: { method: 'INVITE' }, limit: BOOK_LIMIT, dispatcher: { set: 1 } }] }] } },
    };
    const policy = await policyOf(doc, calls);
    expect(relayed(await policy.decide(invite('1001', 'call-a')))).toBe(true);
    expect(await policy.decide(invite('1001', 'call-b'))).toEqual({ ...EXCEEDED, policy: 'p' });
  });

  it('refuses to load a limit on a reply rule, an unknown variable, a bad profile name, or no store', async () => {
    const errors = async (doc: unknown, store: CallLimitStore | null = calls): Promise<string> => {
      const r = await compileRoutes(doc, '.', validators, store ? { calls: store } : {});
      return r.ok ? 'loaded' : r.errors.join('; ');
    };
    expect(await errors({ policies: { p: { rules: [{ limit: BOOK_LIMIT, reply: { code: 404, reason: 'Not Found' } }] } } })).toMatch(/reply rule relays none/);
    expect(await errors(limited({ profile: 'caller', value: '$fX', max: 1 }))).toMatch(/limit value "\$fX": unknown variable \$fX/);
    expect(await errors(limited({ profile: 'a:b', value: '$fU', max: 1 }))).toMatch(/limit\/profile: must match pattern/);
    expect(await errors(limited({ profile: 'caller', value: '$fU', max: -1 }))).toMatch(/limit\/max: must be >= 0/);
    expect(await errors(limited(BOOK_LIMIT), null)).toMatch(/limit needs a call profile store/);
    expect(await errors(limited([BOOK_LIMIT, { profile: 'total', max: 5 }]))).toBe('loaded');
  });
});
