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
import type { LocationService, RegisteredContact } from './location.js';

const validate = createValidators().routeAnswer;

async function decide(spec: ParamsSpec, options: DefaultStepOptions = {}): Promise<RouteAnswer> {
  const a = await new PipelinePolicy('default', [new DefaultStep(options)]).decide(routeParams(spec));
  const v = validate(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

function registry(bindings: Record<string, RegisteredContact[]>): LocationService & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: (aor) => {
      asked.push(aor);
      return Promise.resolve(bindings[aor] ?? []);
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
