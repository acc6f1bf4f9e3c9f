/**
 * The book's route[AUTH] as a step (spec TC-12, TC-13): local callers are checked by the registrar,
 * trusted sources and foreign callers are not, credentials are consumed, and the registrar's
 * challenge or ban is the answer.
 */
import { createValidators, type AuthCheckParams, type AuthCheckResult, type RouteAnswer } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { PipelinePolicy } from '../pipeline/pipeline-policy.js';
import { answer, CONTINUE, type PolicyStep } from '../pipeline/route-context.js';
import { routeParams, type ParamsSpec } from '../route-params.fixture.js';
import { AuthStep, type Authenticator, type AuthStepOptions } from './auth-step.js';

const validate = createValidators().routeAnswer;
const DEFAULTS: AuthStepOptions = { when: 'local_caller', checkUser: true, skipGroups: [], onUnavailable: 'reply' };

function registrar(result: AuthCheckResult | Error): Authenticator & { asked: Omit<AuthCheckParams, 'version'>[] } {
  const asked: Omit<AuthCheckParams, 'version'>[] = [];
  return {
    asked,
    auth: (p) => {
      asked.push(p);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
  };
}

/** The request relayed to bob when it gets past the auth step. */
const relay: PolicyStep = { kind: 'relay', run: () => answer({ version: '1.0', routing: 'serial', routes: [{ uri: 'sip:bob@192.0.2.9' }] }) };

async function decide(spec: ParamsSpec, reg: Authenticator | undefined, options: Partial<AuthStepOptions> = {}, before: PolicyStep[] = []): Promise<RouteAnswer> {
  const a = await new PipelinePolicy('p', [...before, new AuthStep(reg, { ...DEFAULTS, ...options }), relay]).decide(routeParams(spec));
  const v = validate(a);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return a;
}

const CHALLENGE: AuthCheckResult = {
  version: '1.0',
  result: 'challenge',
  reason: 'no-credentials',
  reply: { code: 407, reason: 'Proxy Authentication Required', headers: ['Proxy-Authenticate: Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5'] },
};

describe('auth step', () => {
  it('asks the registrar about a local caller, realm and user from the From header', async () => {
    const reg = registrar(CHALLENGE);
    const creds = 'Digest username="alice", realm="example.com", nonce="n0", uri="sip:9196@example.com", response="00"';
    const a = await decide({ headers: { 'proxy-authorization': [creds] } }, reg);
    expect(a.reply).toEqual(CHALLENGE.reply);
    expect(reg.asked).toEqual([{ method: 'INVITE', ruri: 'sip:9196@example.com', realm: 'example.com', credentials: [creds], source_ip: '192.0.2.4', check_user: 'alice' }]);
  });

  it('relays an authenticated caller with the credentials removed', async () => {
    const a = await decide({}, registrar({ version: '1.0', result: 'ok', user: 'alice', realm: 'example.com' }));
    expect(a.routes).toEqual([{ uri: 'sip:bob@192.0.2.9', headers: { remove: ['Proxy-Authorization'] } }]);
  });

  it('passes the 403 of a banned user on', async () => {
    const a = await decide({}, registrar({ version: '1.0', result: 'banned', reply: { code: 403, reason: 'Try later' } }));
    expect(a.reply).toEqual({ code: 403, reason: 'Try later' });
  });

  it('does not check foreign callers, REGISTER, repeated route requests or trusted sources', async () => {
    const reg = registrar(CHALLENGE);
    expect((await decide({ ours: { ruri: true, from: false } }, reg)).routes).toHaveLength(1);
    expect((await decide({ method: 'REGISTER' }, reg)).routes).toHaveLength(1);
    expect((await decide({ attempt: 2 }, reg)).routes).toHaveLength(1);
    const trusted: PolicyStep = {
      kind: 'permissions',
      run: (ctx) => {
        ctx.vars.set('permissions.group', '1');
        return CONTINUE;
      },
    };
    expect((await decide({}, reg, { skipGroups: ['1'] }, [trusted])).routes).toHaveLength(1);
    expect(reg.asked).toHaveLength(0);
    // `always` checks foreign callers too
    expect((await decide({ ours: { ruri: true, from: false } }, reg, { when: 'always' })).reply?.code).toBe(407);
  });

  it('answers 503 when the registrar cannot answer, or goes on when configured to', async () => {
    const down = registrar(new Error('timeout'));
    expect((await decide({}, down)).reply).toEqual({ code: 503, reason: 'Authentication service unavailable' });
    expect((await decide({}, down, { onUnavailable: 'continue' })).routes).toHaveLength(1);
  });
});
