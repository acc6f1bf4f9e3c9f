/**
 * `uac_trunk` (book §8.11): a local caller's call goes out through its carrier account, the route
 * carrying the account's credentials for the carrier's challenge (answered by the edge).
 */
import { createValidators, type RouteAnswer } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import type { Policy } from '../policy.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { compileRoutes } from '../static/load-routes-file.js';

const validators = createValidators();

const ROWS = [
  { l_uuid: 'a', l_username: '1001', l_domain: 'example.com', r_username: '4420001', r_domain: 'sip.carrier.example', realm: 'carrier', auth_username: '4420001', auth_password: 'pw1', auth_proxy: 'sip:10.0.0.1:5060', expires: 3600, flags: 0 },
  { l_uuid: 'b', l_username: '1002', l_domain: '', r_username: '4420002', r_domain: 'sip.carrier.example', auth_username: '', auth_ha1: '0123456789abcdef0123456789abcdef', expires: 3600, flags: 0 },
  { l_uuid: 'c', l_username: '1003', l_domain: 'example.com', r_username: '4420003', r_domain: 'sip.carrier.example', auth_username: 'x', auth_password: 'y', flags: 1 },
];

async function policy(step: Record<string, unknown>): Promise<Policy> {
  const r = await compileRoutes({ policies: { out: { steps: [{ uac_trunk: step }, { rules: [{ reply: { code: 404, reason: 'No trunk' } }] }] } } }, '.', validators);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.policies.get('out') as Policy;
}

async function decide(p: Policy, spec: ParamsSpec): Promise<RouteAnswer> {
  const a = await p.decide(routeParams(spec));
  const v = validators.routeAnswer(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

describe('uac_trunk', () => {
  it("routes the caller's call to the carrier through its auth_proxy with its credentials", async () => {
    const p = await policy({ source: { rows: ROWS }, ruri_user: '0*' });
    const a = await decide(p, { from: 'sip:1001@example.com', ruri: 'sip:0049301234@example.com' });
    expect(a).toMatchObject({
      record_route: true,
      routes: [{ uri: 'sip:0049301234@sip.carrier.example', dst_uri: 'sip:10.0.0.1:5060', auth: { username: '4420001', password: 'pw1', realm: 'carrier' } }],
    });
  });

  it('uses the stored HA1 and r_username when the row has no auth_username, and no proxy when none is set', async () => {
    const p = await policy({ source: { rows: ROWS } });
    const a = await decide(p, { from: 'sip:1002@anything.example', ruri: 'sip:555@example.com' });
    expect(a.routes).toEqual([{ uri: 'sip:555@sip.carrier.example', auth: { username: '4420002', ha1: '0123456789abcdef0123456789abcdef' } }]);
  });

  it('goes on for callers without a row, disabled rows, another domain and numbers it is not for', async () => {
    const p = await policy({ source: { rows: ROWS }, ruri_user: '0*' });
    for (const spec of [
      { from: 'sip:1009@example.com', ruri: 'sip:0123@example.com' },
      { from: 'sip:1003@example.com', ruri: 'sip:0123@example.com' },
      { from: 'sip:1001@other.example', ruri: 'sip:0123@example.com' },
      { from: 'sip:1001@example.com', ruri: 'sip:1002@example.com' },
    ]) {
      expect((await decide(p, spec)).reply, JSON.stringify(spec)).toEqual({ code: 404, reason: 'No trunk' });
    }
  });

  it('refuses rows it cannot route with, naming them', async () => {
    const r = await compileRoutes({ policies: { out: { steps: [{ uac_trunk: { source: { rows: [{ l_uuid: 'z', l_username: '1', r_domain: 'd', auth_username: 'u', auth_proxy: '10.0.0.1' }] } } }] } } }, '.', validators);
    expect(r.ok ? [] : r.errors).toEqual(['out step 1 (uac_trunk): inline rows row 1 (z): auth_proxy 10.0.0.1 is not a SIP URI']);
  });
});
