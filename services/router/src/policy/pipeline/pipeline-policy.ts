/**
 * A policy as an ordered list of steps, run until one answers (Kamailio's request_route calling
 * its route blocks in turn, where a block either relays/replies and exits, or returns). When every
 * step went on, the policy answers `404 No route`. The finished answer carries the policy name,
 * the Request-URI the steps rewrote (on routes that name none) and the header lines they added.
 */
import { CONTRACT_VERSION, type HeaderLine, type Route, type RouteAnswer, type RouteParams } from '@sipmesh/contracts';
import type { Policy } from '../policy.js';
import { createRouteContext, type PolicyStep, type RouteContext, type StepResult } from './route-context.js';

export class PipelinePolicy implements Policy {
  private readonly noRoute: RouteAnswer;

  constructor(
    readonly name: string,
    readonly steps: readonly PolicyStep[],
  ) {
    this.noRoute = { version: CONTRACT_VERSION, reply: { code: 404, reason: 'No route' }, policy: name };
  }

  decide(params: RouteParams): RouteAnswer | Promise<RouteAnswer> {
    const ctx = createRouteContext(params);
    return this.runFrom(0, ctx);
  }

  /** Runs steps synchronously as long as they answer synchronously; awaits only when one is async. */
  private runFrom(first: number, ctx: RouteContext): RouteAnswer | Promise<RouteAnswer> {
    for (let i = first; i < this.steps.length; i++) {
      const r = (this.steps[i] as PolicyStep).run(ctx);
      if (r instanceof Promise) return r.then((settled) => (settled.kind === 'answer' ? this.finish(settled, ctx) : this.runFrom(i + 1, ctx)));
      if (r.kind === 'answer') return this.finish(r, ctx);
    }
    return this.noRoute;
  }

  private finish(r: Extract<StepResult, { kind: 'answer' }>, ctx: RouteContext): RouteAnswer {
    const a = r.answer;
    const rewritten = ctx.ruri !== ctx.params.ruri;
    if (!a.routes || (!rewritten && ctx.headers.length === 0 && ctx.removeHeaders.length === 0)) return a.policy === undefined ? { ...a, policy: this.name } : a;
    const routes = a.routes.map((route) => withContext(route, ctx, rewritten));
    return { ...a, routes, policy: a.policy ?? this.name };
  }
}

function withContext(route: Route, ctx: RouteContext, rewritten: boolean): Route {
  const out: Route = rewritten && route.uri === undefined ? { ...route, uri: ctx.ruri } : { ...route };
  if (ctx.headers.length > 0) {
    const extra = out.headers?.extra;
    const lines: HeaderLine[] = typeof extra === 'string' ? splitRtjsonHeaders(extra) : [...(extra ?? [])];
    lines.push(...ctx.headers);
    out.headers = { ...out.headers, extra: lines };
  }
  if (ctx.removeHeaders.length > 0) out.headers = { ...out.headers, remove: [...new Set([...(out.headers?.remove ?? []), ...ctx.removeHeaders])] };
  return out;
}

/** rtjson writes extra headers as one string, `"X-A: 1\r\nX-B: 2\r\n"`. */
function splitRtjsonHeaders(s: string): string[] {
  return s.split(/\r?\n/).filter((l) => l.trim() !== '');
}
