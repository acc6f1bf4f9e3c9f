import type { RouteAnswer, RouteParams } from '@sipmesh/contracts';

/**
 * A routing policy: a pure decision over the facts of a route request. Policies never see or build
 * SIP messages (DESIGN §6: services return decisions, the edge owns SIP correctness).
 */
export interface Policy {
  readonly name: string;
  decide(params: RouteParams): RouteAnswer | Promise<RouteAnswer>;
}

/** A policy failure that must reach the edge as a JSON-RPC error (the edge answers 500). */
export class PolicyError extends Error {
  constructor(
    readonly code: 'ROUTER_ERR_NO_DATA' | 'ROUTER_ERR_BAD_RULE',
    message: string,
  ) {
    super(message);
  }
}
