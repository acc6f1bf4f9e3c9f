/**
 * The book's default proxy logic (spec TC-09, TC-10, TC-14, TC-15): anti open relay, outbound
 * relay with P-hint, 484 without a user, location lookup with 404 when nobody is registered.
 */
import { createValidators, type RouteAnswer } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { PipelinePolicy } from '../pipeline/pipeline-policy.js';
import { CONTINUE, setRuriHost, setRuriUser, type PolicyStep } from '../pipeline/route-context.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { DefaultStep, type DefaultStepOptions } from './default-step.js';
import { RegistrarUnavailable, type LocationContact, type LocationService } from './location.js';

const validate = createValidators().routeAnswer;

async function decide(spec: ParamsSpec, options: DefaultStepOptions = {}): Promise<RouteAnswer> {
  const a = await new PipelinePolicy('default', [new DefaultStep(options)]).decide(routeParams(spec));
  const v = validate(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

type Binding = Omit<LocationContact, 'expires' | 'edge' | 'ruid'> & Partial<Pick<LocationContact, 'edge'>>;

/** A registrar answering from `bindings`, grouped by q as the real one does. */
function registry(bindings: Record<string, Binding[]>): LocationService & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: (aor) => {
      asked.push(aor);
      const contacts = (bindings[aor] ?? []).map((b, i): LocationContact => ({ edge: 'e1', expires: 60, ruid: `r${String(i)}`, ...b }));
      const qs = [...new Set(contacts.map((c) => c.q ?? 1))].sort((a, b) => b - a);
      return Promise.resolve(qs.map((q) => contacts.filter((c) => (c.q ?? 1) === q)));
    },
  };
}

describe('default policy step', () => {
  it('refuses to relay between two foreign domains: 403 Not relaying', async () => {
    const a = await decide({ ruri: 'sip:bob@foreign.example', from: 'sip:eve@other.example', ours: { ruri: false, from: false } });
    expect(a.reply).toEqual({ code: 403, reason: 'Not relaying' });
  });

  it('relays a local caller to a foreign domain with P-hint: outbound', async () => {
    const a = await decide({ ruri: 'sip:bob@foreign.example', ours: { ruri: false, from: true } });
    expect(a.routes).toEqual([{ uri: 'sip:bob@foreign.example', headers: { extra: ['P-hint: outbound'] } }]);
    const quiet = await decide({ ruri: 'sip:bob@foreign.example', ours: { ruri: false, from: true } }, { outboundHint: false });
    expect(quiet.routes).toEqual([{ uri: 'sip:bob@foreign.example' }]);
  });

  it('answers 484 Address Incomplete for our domain without a user part', async () => {
    expect((await decide({ ruri: 'sip:example.com' })).reply).toEqual({ code: 484, reason: 'Address Incomplete' });
  });

  it('answers 404 Not Found for a local user with no binding, or with no registrar at all', async () => {
    const reg = registry({});
    expect((await decide({ ruri: 'sip:bob@example.com' }, { location: reg })).reply).toEqual({ code: 404, reason: 'Not Found' });
    expect(reg.asked).toEqual(['bob@example.com']);
    expect((await decide({ ruri: 'sip:bob@example.com' })).reply).toEqual({ code: 404, reason: 'Not Found' });
  });

  it('takes a foreign caller to a local user (only one side needs to be ours)', async () => {
    const reg = registry({ 'bob@example.com': [{ uri: 'sip:bob@192.0.2.20:5062' }] });
    const a = await decide({ ruri: 'sip:bob@example.com', from: 'sip:carol@foreign.example', ours: { ruri: true, from: false } }, { location: reg });
    expect(a.routes).toEqual([{ uri: 'sip:bob@192.0.2.20:5062' }]);
  });

  it('forks the next q group when the edge asks again after the first failed, then 480 when none is left', async () => {
    const reg = registry({ 'bob@example.com': [{ uri: 'sip:bob@192.0.2.21', q: 1 }, { uri: 'sip:bob@192.0.2.22', q: 0.5 }] });
    const first = await decide({ ruri: 'sip:bob@example.com' }, { location: reg });
    expect(first.routes).toEqual([{ uri: 'sip:bob@192.0.2.21' }]);
    expect(first.on_failure).toEqual({ action: 'ask', codes: [408, 480, '5xx'] });
    const failure = { status: 408, reason: 'Request Timeout', branches: [{ uri: 'sip:bob@192.0.2.21', status: 408, timeout: true }] };
    const second = await decide({ ruri: 'sip:bob@example.com', attempt: 2, failure }, { location: reg });
    expect(second.routes).toEqual([{ uri: 'sip:bob@192.0.2.22' }]);
    expect(second.on_failure).toBeUndefined();
    const both = { ...failure, branches: [...failure.branches, { uri: 'sip:bob@192.0.2.22', status: 503 }] };
    expect((await decide({ ruri: 'sip:bob@example.com', attempt: 3, failure: both }, { location: reg })).reply).toEqual({ code: 480, reason: 'Temporarily Unavailable' });
  });

  it('reaches a contact registered through another edge via that edge, naming its real address', async () => {
    const reg = registry({
      'bob@example.com': [{ uri: 'sip:bob@10.0.0.5:5060', edge: 'e2', edge_uri: 'sip:192.0.2.2:5060;transport=udp', received: 'sip:198.51.100.7:40123;transport=tcp' }],
    });
    const a = await decide({ ruri: 'sip:bob@example.com' }, { location: reg });
    expect(a.routes).toEqual([{ uri: 'sip:bob@10.0.0.5:5060', path: '<sip:192.0.2.2:5060;transport=udp;lr;received=sip%3A198.51.100.7%3A40123%3Btransport%3Dtcp>' }]);
  });

  it('answers 503 when the registrar cannot answer, 404 when there is none', async () => {
    const slow: LocationService = { lookup: () => Promise.reject(new RegistrarUnavailable('registrar lookup: timeout')) };
    expect((await decide({ ruri: 'sip:bob@example.com' }, { location: slow })).reply).toEqual({ code: 503, reason: 'Location service unavailable' });
    // no registrar in the deployment at all: nobody is registered
    const none: LocationService = { lookup: () => Promise.reject(new RegistrarUnavailable('no responders', true)) };
    expect((await decide({ ruri: 'sip:bob@example.com' }, { location: none })).reply).toEqual({ code: 404, reason: 'Not Found' });
  });

  it('forks to every contact of the highest q, with the NAT source and Path of each', async () => {
    const reg = registry({
      bob: [
        { uri: 'sip:bob@10.0.0.5:5060', q: 1, received: 'sip:198.51.100.7:40123', path: ['<sip:edge2.example.com;lr>'] },
        { uri: 'sip:bob@192.0.2.21', q: 1 },
        { uri: 'sip:bob@192.0.2.22', q: 0.5 },
      ],
    });
    const a = await decide({ ruri: 'sip:bob@example.com' }, { location: reg, lookupWithoutDomain: true });
    expect(a.routing).toBe('parallel');
    expect(a.routes).toEqual([{ uri: 'sip:bob@10.0.0.5:5060', dst_uri: 'sip:198.51.100.7:40123', path: '<sip:edge2.example.com;lr>' }, { uri: 'sip:bob@192.0.2.21' }]);
  });

  it('answers a REGISTER that reached a policy with 503 (the edge sends REGISTER to the registrar)', async () => {
    expect((await decide({ method: 'REGISTER', ruri: 'sip:example.com' })).reply).toEqual({ code: 503, reason: 'Registrar not available' });
    // a REGISTER for a foreign registrar is relayed like any request leaving the domain
    expect((await decide({ method: 'REGISTER', ruri: 'sip:foreign.example', ours: { ruri: false, from: true } })).routes).toHaveLength(1);
  });

  it('treats a Request-URI an earlier step moved to another host as leaving the domain', async () => {
    const translate: PolicyStep = {
      kind: 'pdt',
      run: (ctx) => {
        setRuriUser(ctx, '9001');
        setRuriHost(ctx, 'rts.xswitch.cn');
        return CONTINUE;
      },
    };
    const a = await new PipelinePolicy('p', [translate, new DefaultStep()]).decide(routeParams({ ruri: 'sip:01239001@sip.xswitch.cn' }));
    expect(a.routes).toEqual([{ uri: 'sip:9001@rts.xswitch.cn', headers: { extra: ['P-hint: outbound'] } }]);
  });
});
