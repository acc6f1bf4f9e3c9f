import { CONTRACT_VERSION, createValidators } from '@sipmesh/contracts';
import { describe, expect, it } from 'vitest';
import { routeParams } from '../route-params.fixture.js';
import { PipelinePolicy } from './pipeline-policy.js';
import { answer, CONTINUE, createRouteContext, setRuriHost, setRuriUser, type PolicyStep, type RouteContext, type StepResult } from './route-context.js';

const step = (kind: string, run: (ctx: RouteContext) => StepResult | Promise<StepResult>): PolicyStep => ({ kind, run });
const validate = createValidators().routeAnswer;

describe('PipelinePolicy', () => {
  it('runs steps in order until one answers; the steps after it never run', async () => {
    const ran: string[] = [];
    const policy = new PipelinePolicy('p', [
      step('a', () => (ran.push('a'), CONTINUE)),
      step('b', () => (ran.push('b'), answer({ version: CONTRACT_VERSION, reply: { code: 486, reason: 'Busy Here' } }))),
      step('c', () => (ran.push('c'), CONTINUE)),
    ]);
    expect(await policy.decide(routeParams())).toEqual({ version: '1.0', reply: { code: 486, reason: 'Busy Here' }, policy: 'p' });
    expect(ran).toEqual(['a', 'b']);
  });

  it('answers 404 No route when every step went on', async () => {
    const policy = new PipelinePolicy('p', [step('a', () => CONTINUE)]);
    expect(await policy.decide(routeParams())).toEqual({ version: '1.0', reply: { code: 404, reason: 'No route' }, policy: 'p' });
  });

  it('stays synchronous while the steps are, and awaits the ones that are not', async () => {
    const sync = new PipelinePolicy('s', [step('a', () => CONTINUE), step('b', () => answer({ version: CONTRACT_VERSION, reply: { code: 403, reason: 'x' } }))]);
    expect(sync.decide(routeParams())).not.toBeInstanceOf(Promise);
    const mixed = new PipelinePolicy('m', [
      step('a', () => Promise.resolve(CONTINUE)),
      step('b', (ctx) => (setRuriUser(ctx, 'b'), CONTINUE)),
      step('c', () => Promise.resolve(answer({ version: CONTRACT_VERSION, routes: [{ dst_uri: 'sip:192.0.2.9' }] }))),
    ]);
    const r = mixed.decide(routeParams());
    expect(r).toBeInstanceOf(Promise);
    expect((await r).routes).toEqual([{ uri: 'sip:b@example.com', dst_uri: 'sip:192.0.2.9' }]);
  });

  it('puts the rewritten Request-URI and added headers on every route that does not name its own URI', async () => {
    const policy = new PipelinePolicy('p', [
      step('translate', (ctx) => {
        setRuriUser(ctx, '212341234');
        ctx.headers.push('X-Translated: 1');
        return CONTINUE;
      }),
      step('routes', () =>
        answer({
          version: CONTRACT_VERSION,
          routing: 'serial',
          routes: [{ dst_uri: 'sip:192.0.2.10' }, { uri: 'sip:keep@example.net', headers: { extra: 'X-Own: a\r\n' } }],
        }),
      ),
    ]);
    const a = await policy.decide(routeParams({ ruri: 'sip:102@example.com;user=phone' }));
    expect(a.routes).toEqual([
      { uri: 'sip:212341234@example.com;user=phone', dst_uri: 'sip:192.0.2.10', headers: { extra: ['X-Translated: 1'] } },
      { uri: 'sip:keep@example.net', headers: { extra: ['X-Own: a', 'X-Translated: 1'] } },
    ]);
    expect(validate(a).ok).toBe(true);
  });

  it('leaves an answer alone when nothing was rewritten, and keeps the policy a step named', async () => {
    const routes = { version: CONTRACT_VERSION, routes: [{ dst_uri: 'sip:192.0.2.10' }], policy: 'inner' };
    const policy = new PipelinePolicy('outer', [step('r', () => answer(routes))]);
    expect(await policy.decide(routeParams())).toEqual(routes);
  });
});

describe('Request-URI rewriting', () => {
  const ctxOf = (ruri: string): RouteContext => createRouteContext(routeParams({ ruri }));

  it('replaces, adds and removes the user part, keeping port, parameters and headers', () => {
    const c = ctxOf('sip:01239001@sip.xswitch.cn:5080;user=phone?X=1');
    setRuriUser(c, '9001');
    expect(c.ruri).toBe('sip:9001@sip.xswitch.cn:5080;user=phone?X=1');
    expect(c.ruriUser).toBe('9001');
    const noUser = ctxOf('sip:example.com;lr');
    setRuriUser(noUser, '100');
    expect(noUser.ruri).toBe('sip:100@example.com;lr');
    setRuriUser(noUser, '');
    expect(noUser.ruri).toBe('sip:example.com;lr');
  });

  it('replaces the host and port, keeping user and parameters', () => {
    const c = ctxOf('sip:9001@sip.xswitch.cn:5080;transport=tcp');
    setRuriHost(c, 'rts.xswitch.cn');
    expect(c.ruri).toBe('sip:9001@rts.xswitch.cn;transport=tcp');
    expect(c.ruriHost).toBe('rts.xswitch.cn');
    setRuriHost(c, '[2001:db8::1]:5070');
    expect(c.ruri).toBe('sip:9001@[2001:db8::1]:5070;transport=tcp');
    expect(c.ruriHost).toBe('[2001:db8::1]');
  });
});
