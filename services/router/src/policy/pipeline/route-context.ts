/**
 * What the steps of one policy share while deciding one request: the facts of the route request
 * (never changed), the Request-URI as the steps have rewritten it so far (dialplan, pdt, alias_db…
 * translate numbers; the routes finally carry it), header lines for every route, and variables a
 * step learns for the steps after it (the source's address group, the dispatcher set it came
 * from, the caller's country…), named `<step>.<fact>`.
 */
import type { RouteAnswer, RouteParams } from '@sipmesh/contracts';

export interface RouteContext {
  readonly params: RouteParams;
  /** The Request-URI the routes will carry; starts as the request's own. */
  ruri: string;
  /** User part of `ruri` ('' when it has none). */
  ruriUser: string;
  /** Host part of `ruri`. */
  ruriHost: string;
  /** Header lines added to every route of the answer (`Name: value`). */
  readonly headers: string[];
  /** Header names removed from every route of the answer (credentials once checked: Kamailio consume_credentials). */
  readonly removeHeaders: string[];
  readonly vars: Map<string, string>;
}

export function createRouteContext(params: RouteParams): RouteContext {
  return { params, ruri: params.ruri, ruriUser: params.ruri_parts.user ?? '', ruriHost: params.ruri_parts.host, headers: [], removeHeaders: [], vars: new Map() };
}

/**
 * Rewrites the user part of the context's Request-URI, keeping scheme, host, port and parameters
 * (what Kamailio's `$rU = ...` does). A URI without a user part gains one.
 */
export function setRuriUser(ctx: RouteContext, user: string): void {
  const uri = ctx.ruri;
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@', colon + 1);
  const rest = at === -1 ? uri.slice(colon + 1) : uri.slice(at + 1);
  ctx.ruri = user === '' ? `${uri.slice(0, colon + 1)}${rest}` : `${uri.slice(0, colon + 1)}${user}@${rest}`;
  ctx.ruriUser = user;
}

/** Rewrites the host part (and port, when given as `host:port`) of the context's Request-URI. */
export function setRuriHost(ctx: RouteContext, hostPort: string): void {
  const uri = ctx.ruri;
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@', colon + 1);
  const hostStart = at === -1 ? colon + 1 : at + 1;
  let hostEnd = uri.length;
  for (let i = hostStart; i < uri.length; i++) {
    const c = uri[i];
    if (c === ';' || c === '?') {
      hostEnd = i;
      break;
    }
  }
  ctx.ruri = `${uri.slice(0, hostStart)}${hostPort}${uri.slice(hostEnd)}`;
  ctx.ruriHost = hostPort.startsWith('[') ? hostPort.slice(0, hostPort.indexOf(']') + 1) : (hostPort.split(':')[0] ?? hostPort);
}

/** What a step decided: go on with the next step, or the answer for the edge. */
export type StepResult = { readonly kind: 'continue' } | { readonly kind: 'answer'; readonly answer: RouteAnswer };

export const CONTINUE: StepResult = { kind: 'continue' };

export function answer(a: RouteAnswer): StepResult {
  return { kind: 'answer', answer: a };
}

/** One unit of a policy. Steps are built from configuration once, off the request path. */
export interface PolicyStep {
  /** The step's kind as written in the policy (`rules`, `dispatcher`, `default`, …). */
  readonly kind: string;
  run(ctx: RouteContext): StepResult | Promise<StepResult>;
}
